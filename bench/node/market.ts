// The market on a live node: two far-memory workloads that want different things (a 16 MiB scan, which
// lives on bandwidth and has a cliff at 16 MiB, and a 16 MiB key-value store, which lives on cache) share a
// 24 MiB, 400 Mbps node. The same node runs three times in one bench run:
//   static       `spirit serve --policy static`: each app its equal share, unsplit (the baseline)
//   unsplit      `--policy spirit` with both apps registered as not partitionable: the market plans on the
//                curves as they are, the regions are never split
//   convexified  `--policy spirit`, apps partitionable (the default): the market plans on the convex hulls of
//                the curves and the daemon applies the page splits that realize them
// Each app's throughput is what its own workload measured, from the telemetry records the daemon sent over
// the measured stretch, so a mode's throughput over static is each app's gain from the trade.
// Real processes: a memory node (the caller's), `spirit serve`, the daemon in this process, workload processes.
import pino from 'pino';
import type { AllocationDoc } from '../../service/bus/types.ts';
import { httpLink, type ServiceLink } from '../../service/node/link.ts';
import { NodeDaemon } from '../../service/node/daemon.ts';
import { parseWorkloadSpec } from '../../service/node/workload-spec.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';
import { ROOT, startWithUrl } from '../service/procs.ts';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const SPIRIT = join(ROOT, 'bin', 'spirit.js');
const NODE = 'bench-market';
// 24 MiB: the key-value store's 16 MiB and 8 MiB more, which the scan can use only split (its curve is a cliff
// at 16 MiB: unsplit, 8 MiB of it hit on nothing; split at the hull point, half of its pages)
const CAPACITY = { cacheMB: 24, bandwidthMbps: 400 };
const WORKLOADS = ['stream:id=scan,size-mb=16', 'kv:id=kv,size-mb=16,seed=7'];
export const MARKET_MODES = ['static', 'unsplit', 'convexified'] as const;
export type MarketMode = (typeof MARKET_MODES)[number];
const POLICY_OF: Record<MarketMode, 'static' | 'spirit'> = { static: 'static', unsplit: 'spirit', convexified: 'spirit' };
/** The workloads of a mode: registered as not partitionable unless the market may split them. */
const workloadsOf = (mode: MarketMode): string[] => WORKLOADS.map((w) => mode === 'convexified' ? w : `${w},partitionable=0`);
/** Targets (issue 14): the scan does better convexified than unsplit; no app below this share of static. */
export const TARGET_VS_STATIC = 0.98;
const INTERVAL_MS = 250;
const ROUND_MS = 500;
/** Most time to wait for both apps to be estimated under the spirit policy (a minute was seen on a loaded
 *  machine: while the trust region walks, windows across a change of limits make no telemetry record). */
const ESTIMATE_TIMEOUT_MS = 240_000;

export interface MarketPlan {
  /** after the allocation is in force (static) or both apps are estimated (spirit): let the trust region walk */
  settleMs: number;
  measureMs: number;
}

export interface ModeFigures {
  opsPerSec: number;
  /** this mode's throughput over static's: the app's gain (>= 1 is what sharing incentive promises, in model terms) */
  vsStatic: number;
  /** the bundle held, as the app's telemetry reports it: the mean over the measured window */
  bundle: { cacheMB: number; bandwidthMbps: number };
  /** the bundle of the allocation in force at the end of the window (the market's answer, which fits the node) */
  allocated: { cacheMB: number; bandwidthMbps: number };
  /** the page split of the last allocation (absent: unsplit) */
  partitions?: { accessShare: number; cacheMB: number }[];
  missRatio: number;
}

export interface AppFigures {
  app: string;
  modes: Record<MarketMode, ModeFigures>;
}

export interface MarketFigures {
  node: typeof CAPACITY;
  workloads: string[];
  apps: AppFigures[];
  /** each spirit mode's smallest gain over static */
  minVsStatic: { unsplit: number; convexified: number };
  /** targets: the scan convexified above unsplit; neither app below TARGET_VS_STATIC of static (convexified) */
  scanConvexifiedOverUnsplit: number;
  targetMet: boolean;
  /** the last allocation's certificate in each spirit mode: envy, and whether the trust region still held it */
  maxEnvy: { unsplit: number; convexified: number };
  trustRegionHeld: { unsplit: boolean; convexified: boolean };
  /** how the last allocation was found (certificate.method: equilibrium, market, knots, static) */
  method: { unsplit: string; convexified: string };
  /** seconds from the daemon's start until both apps were estimated */
  estimatedAfterS: { unsplit: number; convexified: number };
  /** load average at the end of each mode's measurement */
  loadAvg1m: Record<MarketMode, number>;
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
  missRatio: Map<string, number>;
  bundles: Map<string, { cacheMB: number; bandwidthMbps: number }>;
  doc: AllocationDoc;
  estimatedAfterS: number;
  loadAvg1m: number;
}

/** One mode: serve, daemon, wait until it is in force, measure each app's mean throughput from its records. */
async function runPolicy(mode: MarketMode, plan: MarketPlan, memnode: string, token: string, controlDir: string): Promise<PolicyRun> {
  const policy = POLICY_OF[mode];
  const serve = await startWithUrl(process.execPath, [SPIRIT, 'serve', '--port', '0', '--interval-ms', String(ROUND_MS), '--policy', policy, '--log-level', 'warn'],
    { PORT: '', SPIRIT_TOKEN: '', REDIS_URL: '' });
  const records: TelemetryRecord[] = [];
  const daemon = new NodeDaemon({
    node: NODE, capacity: CAPACITY, workloads: workloadsOf(mode).map((w, i) => parseWorkloadSpec(w, i, NODE)), memnodes: [memnode], memnodeToken: token,
    controlDir, intervalMs: INTERVAL_MS, link: tappedLink(serve.url, records), log: pino({ level: 'silent' }, { write: () => {} }),
  });
  const t0 = Date.now();
  await daemon.start();
  try {
    let doc: AllocationDoc | null = null;
    const ready = (d: AllocationDoc | null): boolean =>
      d !== null && d.bundles.length === 2 && (policy === 'static' || d.bundles.every((b) => b.source === 'estimated'));
    // (static pins every app at its equal share whatever its model, so it is in force from the first round)
    while (!ready(doc)) {
      if (Date.now() - t0 > ESTIMATE_TIMEOUT_MS) throw new Error(`bench node market: no ${mode} allocation of both apps within ${ESTIMATE_TIMEOUT_MS} ms (last: ${
        doc === null ? 'none' : doc.bundles.map((b) => `${b.app} ${b.source}`).join(', ')})`);
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
    const missRatio = new Map<string, number>();
    const bundles = new Map<string, { cacheMB: number; bandwidthMbps: number }>();
    for (const b of doc.bundles) {
      const mine = records.filter((r) => r.app === b.app && r.timeMs > from && r.timeMs <= to);
      if (mine.length === 0) throw new Error(`bench node market: no telemetry of ${b.app} under ${mode}`);
      opsPerSec.set(b.app, mine.reduce((s, r) => s + r.throughputOpsPerSec, 0) / mine.length);
      missRatio.set(b.app, mine.reduce((s, r) => s + r.missRatio, 0) / mine.length);
      bundles.set(b.app, {
        cacheMB: round(mine.reduce((s, r) => s + r.cacheMB, 0) / mine.length), bandwidthMbps: round(mine.reduce((s, r) => s + r.bandwidthMbps, 0) / mine.length, 1),
      });
    }
    return { opsPerSec, missRatio, bundles, doc, estimatedAfterS, loadAvg1m: loadavg()[0] };
  } finally {
    await daemon.stop();
    await serve.stop();
  }
}

export async function liveMarket(plan: MarketPlan, memnode: string, token: string, controlDir: string): Promise<MarketFigures> {
  const runs = {} as Record<MarketMode, PolicyRun>;
  for (const mode of MARKET_MODES) runs[mode] = await runPolicy(mode, plan, memnode, token, controlDir);
  const apps: AppFigures[] = [...runs.static.opsPerSec.keys()].sort().map((app) => {
    const base = runs.static.opsPerSec.get(app)!;
    const modes = Object.fromEntries(MARKET_MODES.map((mode) => {
      const r = runs[mode];
      const x = r.opsPerSec.get(app)!;
      const inForce = r.doc.bundles.find((b) => b.app === app);
      const parts = inForce?.partitions;
      return [mode, {
        opsPerSec: Math.round(x), vsStatic: round(x / base), bundle: r.bundles.get(app)!,
        allocated: { cacheMB: round(inForce?.cacheMB ?? 0, 3), bandwidthMbps: round(inForce?.bandwidthMbps ?? 0, 3) }, missRatio: round(r.missRatio.get(app)!, 3),
        ...(parts && parts.length > 1 ? { partitions: parts.map((q) => ({ accessShare: round(q.accessShare, 3), cacheMB: round(q.cacheMB) })) } : {}),
      } satisfies ModeFigures];
    })) as Record<MarketMode, ModeFigures>;
    return { app, modes };
  });
  const minOf = (mode: MarketMode) => Math.min(...apps.map((a) => a.modes[mode].vsStatic));
  const scan = apps.find((a) => a.app === 'scan')!;
  const scanOverUnsplit = round(scan.modes.convexified.opsPerSec / scan.modes.unsplit.opsPerSec);
  const cert = (mode: MarketMode) => runs[mode].doc.certificate;
  return {
    node: CAPACITY, workloads: WORKLOADS, apps,
    minVsStatic: { unsplit: minOf('unsplit'), convexified: minOf('convexified') },
    scanConvexifiedOverUnsplit: scanOverUnsplit,
    targetMet: scanOverUnsplit > 1 && minOf('convexified') >= TARGET_VS_STATIC,
    maxEnvy: { unsplit: round(cert('unsplit').maxEnvy, 4), convexified: round(cert('convexified').maxEnvy, 4) },
    trustRegionHeld: { unsplit: Boolean((cert('unsplit') as { held?: boolean }).held), convexified: Boolean((cert('convexified') as { held?: boolean }).held) },
    method: { unsplit: String((cert('unsplit') as { method?: string }).method), convexified: String((cert('convexified') as { method?: string }).method) },
    estimatedAfterS: { unsplit: round(runs.unsplit.estimatedAfterS, 1), convexified: round(runs.convexified.estimatedAfterS, 1) },
    loadAvg1m: Object.fromEntries(MARKET_MODES.map((m) => [m, round(runs[m].loadAvg1m)])) as Record<MarketMode, number>,
  };
}
