// Telemetry producer of `spirit bench cluster`: N simulated compute nodes with A apps each, no data plane.
// Like the node daemon, every app sends one record per second (bench/cluster/producer.ts is its stand-in):
// throughput, miss ratio and page traffic at the bundle in force, from the app's model with 5% noise, the data
// plane's stall and token wait per miss, and the daemon-computed miss-ratio curve. Each app's curve drifts: its
// cache axis is scaled by 1 + 0.25 sin(2 pi t / 120 s + phase), so estimates keep changing. The bundle in force
// comes from the allocation announcements (pattern subscription), as a daemon follows its node's.
// argv: redisUrl nodes appsPerNode. Runs until SIGTERM; prints one JSON line per second on stdout:
// {"appended", "lateMs", "ticks"}: records appended so far, how late the last second's batch was.
import { Redis } from 'ioredis';
import { channels, keys } from '../../service/bus/keys.ts';
import { TELEMETRY_STREAM_MAXLEN } from '../../service/bus/limits.ts';
import { defineScripts } from '../../service/bus/scripts.ts';
import type { AllocationDoc } from '../../service/bus/types.ts';
import { missRatioAt, throughputOf, type MrcModel } from '../../service/estimator/model.ts';
import { Rng } from '../../service/traces/rng.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';
import { drifted } from './drift.ts';
import { benchScenario } from './scenario.ts';

const [url, nodesArg, appsArg] = process.argv.slice(2);
const nodes = Number(nodesArg);
const apps = Number(appsArg);
const PERIOD_MS = 1000;
/** Node batches appended concurrently: a daemon per node would append independently. */
const PARALLEL = 64;

interface SimApp { id: string; model: MrcModel; phase: number }
interface SimNode { id: string; apps: SimApp[]; capacity: { cacheMB: number; bandwidthMbps: number }; bundles: Map<string, { cacheMB: number; bandwidthMbps: number }> }

const sim: SimNode[] = Array.from({ length: nodes }, (_, n) => {
  const s = benchScenario(n, apps);
  const rng = new Rng(n + 1);
  return {
    id: `n${n}`, capacity: s.capacity, bundles: new Map(),
    apps: s.apps.map((a) => ({ id: `n${n}.${a.id}`, model: a.model as MrcModel, phase: rng.next() * 2 * Math.PI })),
  };
});
const byId = new Map(sim.map((n) => [n.id, n]));

const cmd = defineScripts(new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 }));
const sub = new Redis(url, { lazyConnect: true });
// Redis going away at the end of a run is not the producer's error to report
cmd.on('error', () => {});
sub.on('error', () => {});
await Promise.all([cmd.connect(), sub.connect()]);
sub.on('pmessage', (_p: string, _ch: string, message: string) => {
  const doc = JSON.parse(message) as AllocationDoc;
  const node = byId.get(doc.node);
  if (node) node.bundles = new Map(doc.bundles.map((b) => [b.app, { cacheMB: b.cacheMB, bandwidthMbps: b.bandwidthMbps }]));
});
await sub.psubscribe(channels.announceAll());

const rng = new Rng(7);
const noisy = (): number => Math.min(1.5, Math.max(0.5, 1 + 0.05 * rng.normal()));

function record(node: SimNode, a: SimApp, timeMs: number): TelemetryRecord {
  const model = drifted(a.model, a.phase, timeMs);
  const b = node.bundles.get(a.id) ?? { cacheMB: node.capacity.cacheMB / node.apps.length, bandwidthMbps: node.capacity.bandwidthMbps / node.apps.length };
  const x = throughputOf(model, b.cacheMB, b.bandwidthMbps);
  const m = missRatioAt(model.mrc, b.cacheMB);
  const r: TelemetryRecord = {
    app: a.id, node: node.id, timeMs, cacheMB: b.cacheMB, bandwidthMbps: b.bandwidthMbps,
    throughputOpsPerSec: x * noisy(), missRatio: Math.min(1, m * noisy()), pageTrafficBytesPerSec: x * m * model.pageBytes * noisy(),
    residentBytes: Math.round(b.cacheMB * 1048576), mrc: model.mrc,
  };
  if (m > 0 && x > 0) {
    r.missStallNs = model.remoteNs * noisy();
    r.missTokenWaitNs = Math.max(0, (1e9 / x - model.localNs - m * model.remoteNs) / m) * noisy();
  }
  return r;
}

let appended = 0;
let stopping = false;
let ticks = 0;
process.once('SIGTERM', () => { stopping = true; });
const t0 = Date.now();
while (!stopping) {
  const due = t0 + ticks * PERIOD_MS;
  const lateMs = Math.max(0, Date.now() - due);
  const timeMs = Date.now();
  for (let i = 0; i < sim.length && !stopping; i += PARALLEL) {
    await Promise.all(sim.slice(i, i + PARALLEL).map(async (node) => {
      // already valid records: the daemon client's per-record zod check is the daemons' CPU, not the control plane's
      const texts = node.apps.map((a) => JSON.stringify(record(node, a, timeMs)));
      await cmd.appendTelemetry(keys.telemetry(node.id), TELEMETRY_STREAM_MAXLEN, ...texts);
      appended += texts.length;
    }));
  }
  ticks++;
  process.stdout.write(JSON.stringify({ appended, lateMs, ticks }) + '\n');
  const wait = t0 + ticks * PERIOD_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
sub.disconnect();
await cmd.quit();
