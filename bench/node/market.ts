// The market on a live node: two far-memory workloads that want different things (a 16 MiB scan, which
// lives on bandwidth, and a 16 MiB key-value store, which lives on cache) share a 16 MiB, 400 Mbps node.
// The same node runs twice in one bench run, first under `spirit serve --policy static` (each app its equal
// share: the baseline) and then under `--policy spirit` (the estimator fits each app from its telemetry and
// the market trades). Each app's throughput is what its own workload measured, from the telemetry records
// the daemon sent over the measured stretch, so the ratio spirit / static is each app's gain from the trade.
// Real processes: a memory node (the caller's), `spirit serve`, the daemon in this process, workload processes.
import pino from 'pino';
import type { AllocationDoc } from '../../service/bus/types.ts';
import { httpLink, type ServiceLink } from '../../service/node/link.ts';
import { NodeDaemon } from '../../service/node/daemon.ts';
import { parseWorkloadSpec } from '../../service/node/workload-spec.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';
import { ROOT, startWithUrl } from '../service/procs.ts';
import { join } from 'node:path';

const SPIRIT = join(ROOT, 'bin', 'spirit.js');
const NODE = 'bench-market';
const CAPACITY = { cacheMB: 16, bandwidthMbps: 400 };
const WORKLOADS = ['stream:id=scan,size-mb=16', 'kv:id=kv,size-mb=16,seed=7'];
const INTERVAL_MS = 250;
const ROUND_MS = 500;
/** Most time to wait for both apps to be estimated under the spirit policy. */
const ESTIMATE_TIMEOUT_MS = 120_000;

export interface MarketPlan {
  /** after the allocation is in force (static) or both apps are estimated (spirit): let the trust region walk */
  settleMs: number;
  measureMs: number;
}

export interface AppFigures {
  app: string;
  staticOpsPerSec: number;
  spiritOpsPerSec: number;
  /** spirit / static: the app's gain from the trade (>= 1 is what sharing incentive promises, in model terms) */
  gain: number;
  staticBundle: { cacheMB: number; bandwidthMbps: number };
  spiritBundle: { cacheMB: number; bandwidthMbps: number };
}

export interface MarketFigures {
  node: typeof CAPACITY;
  workloads: string[];
  apps: AppFigures[];
  minGain: number;
  /** the last spirit allocation's certificate: envy, and whether the trust region still held it back */
  maxEnvy: number;
  trustRegionHeld: boolean;
  /** seconds from the daemon's start until both apps were estimated */
  estimatedAfterS: number;
}

const round = (x: number, d = 2): number => Number(x.toFixed(d));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The link to the service, keeping a copy of every telemetry record sent. */
function tappedLink(url: string, into: TelemetryRecord[]): ServiceLink {
  const base = httpLink(url);
  return {
    kind: base.kind, target: base.target,
    register: (node, capacity, apps) => base.register(node, capacity, apps),
    isRegistered: (node, apps) => base.isRegistered(node, apps),
    appendTelemetry: async (records) => { await base.appendTelemetry(records); into.push(...records); },
    watchAllocation: (node, on) => base.watchAllocation(node, on),
    close: () => base.close(),
  };
}

async function allocation(url: string): Promise<AllocationDoc | null> {
  const r = await fetch(`${url}/v1/nodes/${NODE}/allocation`);
  return r.status === 200 ? (await r.json()) as AllocationDoc : null;
}

interface PolicyRun {
  opsPerSec: Map<string, number>;
  bundles: Map<string, { cacheMB: number; bandwidthMbps: number }>;
  doc: AllocationDoc;
  estimatedAfterS: number;
}

/** One policy: serve, daemon, wait until it is in force, measure each app's mean throughput from its records. */
async function runPolicy(policy: 'static' | 'spirit', plan: MarketPlan, memnode: string, token: string, controlDir: string): Promise<PolicyRun> {
  const serve = await startWithUrl(process.execPath, [SPIRIT, 'serve', '--port', '0', '--interval-ms', String(ROUND_MS), '--policy', policy, '--log-level', 'warn'],
    { PORT: '', SPIRIT_TOKEN: '', REDIS_URL: '' });
  const records: TelemetryRecord[] = [];
  const daemon = new NodeDaemon({
    node: NODE, capacity: CAPACITY, workloads: WORKLOADS.map((w, i) => parseWorkloadSpec(w, i, NODE)), memnodes: [memnode], memnodeToken: token,
    controlDir, intervalMs: INTERVAL_MS, link: tappedLink(serve.url, records), log: pino({ level: 'silent' }, { write: () => {} }),
  });
  const t0 = Date.now();
  await daemon.start();
  try {
    let doc: AllocationDoc | null = null;
    const ready = (d: AllocationDoc | null): boolean =>
      d !== null && d.bundles.length === 2 && (policy === 'static' || d.bundles.every((b) => b.source === 'estimated'));
    while (!ready(doc)) {
      if (Date.now() - t0 > ESTIMATE_TIMEOUT_MS) throw new Error(`bench node market: no ${policy} allocation of both apps within ${ESTIMATE_TIMEOUT_MS} ms`);
      await sleep(ROUND_MS);
      doc = await allocation(serve.url);
    }
    const estimatedAfterS = (Date.now() - t0) / 1000;
    await sleep(plan.settleMs);
    const from = Date.now();
    await sleep(plan.measureMs);
    const to = Date.now();
    doc = (await allocation(serve.url))!;
    const opsPerSec = new Map<string, number>();
    const bundles = new Map<string, { cacheMB: number; bandwidthMbps: number }>();
    for (const b of doc.bundles) {
      const mine = records.filter((r) => r.app === b.app && r.timeMs > from && r.timeMs <= to);
      if (mine.length === 0) throw new Error(`bench node market: no telemetry of ${b.app} under ${policy}`);
      opsPerSec.set(b.app, mine.reduce((s, r) => s + r.throughputOpsPerSec, 0) / mine.length);
      bundles.set(b.app, {
        cacheMB: round(mine.reduce((s, r) => s + r.cacheMB, 0) / mine.length), bandwidthMbps: round(mine.reduce((s, r) => s + r.bandwidthMbps, 0) / mine.length, 1),
      });
    }
    return { opsPerSec, bundles, doc, estimatedAfterS };
  } finally {
    await daemon.stop();
    await serve.stop();
  }
}

export async function liveMarket(plan: MarketPlan, memnode: string, token: string, controlDir: string): Promise<MarketFigures> {
  const base = await runPolicy('static', plan, memnode, token, controlDir);
  const spirit = await runPolicy('spirit', plan, memnode, token, controlDir);
  const apps: AppFigures[] = [...base.opsPerSec.keys()].sort().map((app) => {
    const s = base.opsPerSec.get(app)!, x = spirit.opsPerSec.get(app)!;
    return {
      app, staticOpsPerSec: Math.round(s), spiritOpsPerSec: Math.round(x), gain: round(x / s),
      staticBundle: base.bundles.get(app)!, spiritBundle: spirit.bundles.get(app)!,
    };
  });
  return {
    node: CAPACITY, workloads: WORKLOADS, apps, minGain: Math.min(...apps.map((a) => a.gain)),
    maxEnvy: round(spirit.doc.certificate.maxEnvy, 4), trustRegionHeld: Boolean((spirit.doc.certificate as { held?: boolean }).held),
    estimatedAfterS: round(spirit.estimatedAfterS, 1),
  };
}
