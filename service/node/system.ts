// The whole system on one machine (`spirit start`, `npm start`): a memory node (in this process, on native
// threads), the allocation service with its dashboard (in-process bus), and a node daemon whose workloads run
// as their own processes on far memory. Nothing external is needed. When userfaultfd is not available the
// service and dashboard still start, without a node (nothing is simulated).
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { FarMemoryError, type MemNode, openRegion, startMemNode } from '../../native/index.ts';
import { startServe } from '../http/serve.ts';
import { MIX_DEFS } from '../experiments/live/mixes.ts';
import { bytesFromMiB } from '../units.ts';
import { defaultControlDirPath } from './control-dir.ts';
import { NodeDaemon } from './daemon.ts';
import { busLink } from './link.ts';
import { parseWorkloadSpec, type WorkloadSpec } from './workload-spec.ts';

export interface SystemOptions {
  port: number;
  /** the port was asked for explicitly: a port in use is an error rather than a reason to pick another */
  portExplicit: boolean;
  host: string;
  /** service round interval */
  intervalMs: number;
  /** daemon telemetry interval */
  nodeIntervalMs: number;
  log: Logger;
  /** how far-memory support is checked (tests replace it to reach the "unavailable" path on a machine that
   *  has userfaultfd); default: open and close a tiny region */
  probe?: (memnode: string, token: string, controlDir: string) => Promise<string | null>;
}

/** The demo node: the paper's mix of six apps, scaled to a small machine (`spirit experiment live --mix
 *  paper` measures every policy on the same node): three scans, a key-value store, an embedding table and a
 *  microservice sharing 32 MiB of cache and 480 Mbps. */
export const START_NODE = 'local';
export const START_CAPACITY = MIX_DEFS.paper.capacity;
export const START_WORKLOADS = MIX_DEFS.paper.workloads;
/** The probe region: the data plane's smallest region and cache. */
const PROBE_REGION_MB = 0.25;
const PROBE_CACHE_MB = 0.0625;
/** Memory-node capacity of the demo: room for the regions and for restarted workloads' orphaned copies. */
const START_MEMNODE_MB = 1024;

export interface RunningSystem {
  url: string;
  memnode: string | null;
  daemon: NodeDaemon | null;
  workloads: WorkloadSpec[];
  /** why no node runs, when none does */
  noNode: string | null;
  stop(): Promise<void>;
}

export async function startSystem(o: SystemOptions): Promise<RunningSystem> {
  const serve = await startServeWithFallback(o);
  const url = serve.server.url;
  // one random token, shared in this process by the memory node (the only one it accepts) and the daemon
  const token = randomBytes(16).toString('hex');
  let memnode: MemNode;
  try {
    memnode = startMemNode({ host: '127.0.0.1', port: 0, capacityBytes: bytesFromMiB(START_MEMNODE_MB), tokens: [token] });
  } catch (err) {
    return noNode(url, serve.stop, `the native data plane did not load (${(err as Error).message}); run npm install to build it`);
  }
  const controlDir = defaultControlDirPath();
  const why = await (o.probe ?? userfaultfdProblem)(memnode.address, token, controlDir);
  if (why) {
    memnode.stop();
    return noNode(url, serve.stop, why);
  }
  const workloads = START_WORKLOADS.map((w, i) => parseWorkloadSpec(w, i, START_NODE));
  const daemon = new NodeDaemon({
    node: START_NODE, capacity: START_CAPACITY, workloads, memnodes: [memnode.address], memnodeToken: token, controlDir,
    intervalMs: o.nodeIntervalMs, link: busLink(serve.service.bus, 'in-process bus', false), log: o.log.child({ component: 'node' }),
  });
  await daemon.start();
  const mn = memnode;
  return {
    url, memnode: mn.address, daemon, workloads, noNode: null,
    async stop() {
      await daemon.stop();
      await serve.stop();
      mn.stop();
    },
  };
}

function noNode(url: string, stop: () => Promise<void>, why: string): RunningSystem {
  return { url, memnode: null, daemon: null, workloads: [], noNode: why, stop };
}

async function startServeWithFallback(o: SystemOptions): ReturnType<typeof startServe> {
  const opts = { port: o.port, host: o.host, engine: 'auto' as const, intervalMs: o.intervalMs };
  const log = o.log.child({ component: 'service' });
  try {
    return await startServe(opts, log);
  } catch (err) {
    const inUse = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
    if (!inUse || o.portExplicit) throw err;
    o.log.warn({ port: o.port }, 'the default port is in use; picking a free one');
    return startServe({ ...opts, port: 0 }, log);
  }
}

/**
 * Why far-memory regions cannot be opened here, or null if they can: a tiny region is opened on the memory
 * node and closed again. A missing userfaultfd permission gets the plain explanation and the fix.
 */
async function userfaultfdProblem(memnode: string, token: string, controlDir: string): Promise<string | null> {
  try {
    const r = await openRegion({ memnode, sizeBytes: bytesFromMiB(PROBE_REGION_MB), cacheBytes: bytesFromMiB(PROBE_CACHE_MB), bandwidthMbps: 100, token, controlDir, label: 'spirit-start-probe' });
    await r.close();
    return null;
  } catch (err) {
    return probeFailure(err);
  }
}

/** What to tell the user when the probe region could not be opened. */
export function probeFailure(err: unknown): string {
  if (err instanceof FarMemoryError && err.reason === 'uffd') {
    let sysctl = 'unknown';
    try {
      sysctl = readFileSync('/proc/sys/vm/unprivileged_userfaultfd', 'utf8').trim();
    } catch {
      // not Linux, or /proc not mounted
    }
    return `userfaultfd is not available to this process (${err.message}; vm.unprivileged_userfaultfd = ${sysctl}, ` +
      `uid ${process.getuid?.() ?? '?'}), so far-memory workloads cannot run. Enable it with ` +
      '`sudo sysctl -w vm.unprivileged_userfaultfd=1` (or run as root, or give the process CAP_SYS_PTRACE), then start again.';
  }
  return `far-memory regions cannot be opened here: ${(err as Error).message}`;
}
