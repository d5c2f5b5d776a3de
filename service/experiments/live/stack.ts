// The live system one experiment runs on, all on this machine: a memory node (native threads in this
// process), the allocation service with its dashboard (in-process bus, estimator on: apps start with no
// model), and a node daemon whose workloads are their own processes on far memory. It keeps every telemetry
// window and every allocation document, for the measurements.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { type MemNode, startMemNode } from '../../../native/index.ts';
import type { AllocationDoc } from '../../bus/types.ts';
import { startServe } from '../../http/serve.ts';
import { NodeDaemon } from '../../node/daemon.ts';
import { busLink } from '../../node/link.ts';
import { parseWorkloadSpec } from '../../node/workload-spec.ts';
import type { Policy } from '../../scenario/types.ts';
import type { TelemetryRecord } from '../../telemetry/record.ts';
import { bytesFromMiB } from '../../units.ts';
import type { Mix } from './mixes.ts';

export const LIVE_NODE = 'live';
/** Daemon telemetry interval and service round: a few windows per round, a round every half second. */
export const WINDOW_MS = 250;
export const ROUND_MS = 500;
/** Memory-node capacity: every region, and room for restarted workloads' orphaned copies. */
const MEMNODE_MB = 2048;
/** Windows and documents kept (hours of a 6-app node at these intervals; bounded all the same). */
const WINDOWS_MAX = 400_000;
const DOCS_MAX = 40_000;

export interface Window { rec: TelemetryRecord; opLatencyCounts: number[] }

export interface LiveStack {
  url: string;
  daemon: NodeDaemon;
  apps: string[];
  windows: Window[];
  docs: AllocationDoc[];
  /** where the regions' control blocks are (removed at stop when the stack made it) */
  controlDir: string;
  setPolicy(policy: Policy, convexify: boolean): void;
  stop(): Promise<void>;
}

export interface StackOptions {
  mix: Mix;
  /** the service's port (0: a free one) */
  port?: number;
  host?: string;
  log?: Logger;
  /** policy of the first rounds (the estimator learns under it) */
  policy?: Policy;
  convexify?: boolean;
  /** where regions' control blocks go (default: a fresh temporary directory, removed at stop) */
  controlDir?: string;
  /** each workload's CPU quota, cores (its own cgroup; see service/node/cpu-quota.ts); none when undefined */
  workloadCpuCores?: number;
}

export async function startStack(o: StackOptions): Promise<LiveStack> {
  const log = o.log ?? pino({ level: 'silent' }, { write: () => {} });
  const ownDir = o.controlDir === undefined;
  const controlDir = o.controlDir ?? mkdtempSync(join(tmpdir(), 'spirit-live-ctl-'));
  const token = randomBytes(16).toString('hex');
  let memnode: MemNode | null = null;
  let serve: Awaited<ReturnType<typeof startServe>> | null = null;
  let daemon: NodeDaemon | null = null;
  const windows: Window[] = [];
  const docs: AllocationDoc[] = [];
  const cleanup = async (): Promise<void> => {
    await daemon?.stop();
    await serve?.stop();
    memnode?.stop();
    if (ownDir) rmSync(controlDir, { recursive: true, force: true });
  };
  try {
    memnode = startMemNode({ host: '127.0.0.1', port: 0, capacityBytes: bytesFromMiB(MEMNODE_MB), tokens: [token] });
    serve = await startServe({ port: o.port ?? 0, host: o.host ?? '127.0.0.1', engine: 'auto', intervalMs: ROUND_MS, policy: o.policy ?? 'spirit' }, log.child({ component: 'service' }));
    serve.service.setPolicy(o.policy ?? 'spirit', o.convexify ?? true);
    serve.service.events.listen((doc) => {
      if (doc.node !== LIVE_NODE) return;
      docs.push(doc);
      if (docs.length > DOCS_MAX) docs.splice(0, docs.length - DOCS_MAX);
    });
    const specs = o.mix.workloads.map((w, i) => parseWorkloadSpec(w, i, LIVE_NODE));
    daemon = new NodeDaemon({
      node: LIVE_NODE, capacity: o.mix.capacity, workloads: specs, memnodes: [memnode.address], memnodeToken: token, controlDir,
      intervalMs: WINDOW_MS, link: busLink(serve.service.bus, 'in-process bus', false), log: log.child({ component: 'node' }),
      ...(o.workloadCpuCores !== undefined ? { workloadCpuCores: o.workloadCpuCores, cpuGroup: `spirit-live/${process.pid}` } : {}),
      onWindow: (rec, opLatencyCounts) => {
        windows.push({ rec, opLatencyCounts });
        if (windows.length > WINDOWS_MAX) windows.splice(0, windows.length - WINDOWS_MAX);
      },
    });
    await daemon.start();
  } catch (err) {
    await cleanup();
    throw err;
  }
  const svc = serve.service;
  const d = daemon;
  return {
    url: serve.server.url, daemon: d, controlDir, apps: d.status().workloads.map((w) => w.app), windows, docs,
    setPolicy: (policy, convexify) => svc.setPolicy(policy, convexify),
    stop: cleanup,
  };
}

/** Control blocks left in a directory (none may be after a stop). */
export function controlBlocksIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
