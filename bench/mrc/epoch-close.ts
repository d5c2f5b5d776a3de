// The estimator's epoch close in steady state, the figure that sizes a service replica: apps of the cluster
// bench's mixes (bench/cluster/scenario.ts) on drifting curves (their cache axis scaled by 1 + 0.25 sin(2 pi t /
// 120 s + phase), as the cluster producer draws them), one record a second with 5% noise, an epoch close every
// 10 records. Each estimator runs long enough to hold its full window (MAX_APP_SAMPLES records); the closes
// after that are timed. Baseline, same run, same records: estimators that refit at every close (carry: false).
// Quality beside the speed: each model's throughput against the true drifting model at three bundles.
import { drifted } from '../cluster/drift.ts';
import { benchScenario } from '../cluster/scenario.ts';
import { AppEstimator } from '../../service/estimator/app-estimator.ts';
import { MAX_APP_SAMPLES } from '../../service/estimator/limits.ts';
import { missRatioAt, throughputOf, type MrcModel } from '../../service/estimator/model.ts';
import { Rng } from '../../service/traces/rng.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';

const APPS_PER_NODE = 8;
const RECORDS_PER_EPOCH = 10;
/** Bundles the predictions are checked at (MiB, Mbps): small, middling and bandwidth-starved. */
const PROBES: [number, number][] = [[3, 100], [8, 250], [12, 60]];

export interface EpochCloseFigures {
  apps: number;
  samplesHeld: number;
  closesTimed: number;
  /** ms of CPU (wall, one thread) per app per epoch close */
  carryMsPerClose: number;
  refitMsPerClose: number;
  ratio: number;
  /** share of the timed closes that refitted (the rest carried the fit over) */
  refitShare: number;
  /** median and 90th percentile of |ln(predicted / true throughput)| over the probes */
  carryError: { median: number; p90: number };
  refitError: { median: number; p90: number };
}

interface SimApp { id: string; model: MrcModel; phase: number }

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Runs the same records through estimators with and without carrying; `timedEpochs` closes are timed after warm-up. */
export function epochClose(nodes: number, timedEpochs: number): EpochCloseFigures {
  const rng = new Rng(11);
  const apps: SimApp[] = [];
  for (let n = 0; n < nodes; n++) {
    for (const a of benchScenario(n, APPS_PER_NODE).apps) apps.push({ id: `n${n}.${a.id}`, model: a.model as MrcModel, phase: rng.next() * 2 * Math.PI });
  }
  const carry = apps.map((a) => new AppEstimator(a.id));
  const refit = apps.map((a) => new AppEstimator(a.id, { carry: false }));
  const warmEpochs = Math.ceil(MAX_APP_SAMPLES / RECORDS_PER_EPOCH) + 1;
  const noisy = (): number => Math.min(1.5, Math.max(0.5, 1 + 0.05 * rng.normal()));
  let carryMs = 0, refitMs = 0, refits = 0;
  const errs = { carry: [] as number[], refit: [] as number[] };
  let timeMs = 1_700_000_000_000;
  for (let e = 0; e < warmEpochs + timedEpochs; e++) {
    for (let r = 0; r < RECORDS_PER_EPOCH; r++) {
      timeMs += 1000;
      apps.forEach((a, i) => {
        const model = drifted(a.model, a.phase, timeMs);
        // the bundle wanders as a market's would: a different point of the app's range each second
        const cacheMB = 2 + ((e * RECORDS_PER_EPOCH + r + i) % 37) * 0.3, bandwidthMbps = 50 + ((e + r + i) % 13) * 20;
        const x = throughputOf(model, cacheMB, bandwidthMbps), m = missRatioAt(model.mrc, cacheMB);
        const rec: TelemetryRecord = {
          app: a.id, node: 'bench', timeMs, cacheMB, bandwidthMbps, throughputOpsPerSec: x * noisy(), missRatio: Math.min(1, m * noisy()),
          pageTrafficBytesPerSec: x * m * model.pageBytes * noisy(), residentBytes: Math.round(cacheMB * 1048576), mrc: model.mrc,
        };
        if (m > 0 && x > 0) {
          rec.missStallNs = model.remoteNs * noisy();
          rec.missTokenWaitNs = Math.max(0, (1e9 / x - model.localNs - m * model.remoteNs) / m) * noisy();
        }
        carry[i].ingest(rec);
        refit[i].ingest(rec);
      });
    }
    const region = { cacheMB: [1, 12] as [number, number], bandwidthMbps: [20, 300] as [number, number] };
    const t0 = performance.now();
    for (const est of carry) est.endEpoch({ region });
    const t1 = performance.now();
    for (const est of refit) est.endEpoch({ region });
    const t2 = performance.now();
    if (e < warmEpochs) continue;
    carryMs += t1 - t0;
    refitMs += t2 - t1;
    apps.forEach((a, i) => {
      const c = carry[i].current();
      if (c.carriedEpochs === 0) refits++;
      const truth = drifted(a.model, a.phase, timeMs);
      for (const [which, est] of [['carry', c], ['refit', refit[i].current()]] as const) {
        if (!est.model) continue;
        for (const [cacheMB, bw] of PROBES) {
          const p = throughputOf(est.model, cacheMB, bw), q = throughputOf(truth, cacheMB, bw);
          if (p > 0 && q > 0) errs[which].push(Math.abs(Math.log(p / q)));
        }
      }
    });
  }
  for (const est of [...carry, ...refit]) est.dispose();
  const closes = apps.length * timedEpochs;
  const summary = (xs: number[]): { median: number; p90: number } => {
    const s = xs.sort((a, b) => a - b);
    return { median: quantile(s, 0.5), p90: quantile(s, 0.9) };
  };
  return {
    apps: apps.length, samplesHeld: MAX_APP_SAMPLES, closesTimed: closes,
    carryMsPerClose: carryMs / closes, refitMsPerClose: refitMs / closes, ratio: refitMs / carryMs,
    refitShare: refits / closes, carryError: summary(errs.carry), refitError: summary(errs.refit),
  };
}
