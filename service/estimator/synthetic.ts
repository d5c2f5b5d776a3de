// Synthetic telemetry from a known model, for tests and benchmarks (the service's tests reuse it): each
// allocation gives one TelemetryRecord whose throughput, miss ratio and page traffic are the model's, times
// seeded multiplicative noise (1 + noise * z, z standard normal, clamped to [0.5, 1.5]). Optional outliers
// mimic samples taken while an allocation was still settling (throughput scaled by `factor`). With `stall`,
// records also carry the data plane's stall per miss (TelemetryRecord.missStallNs): remoteNs times noise
// (optionally times a bias, a daemon whose measurement is off), and the token wait per miss
// (TelemetryRecord.missTokenWaitNs: what a bandwidth-bound app waits beyond remoteNs, times noise), only
// when the period had misses.
import type { TelemetryRecord } from '../telemetry/record.ts';
import { Rng } from '../traces/rng.ts';
import { NS_PER_S, bytesFromMiB } from '../units.ts';
import { missRatioAt, splitMissRatio, throughputAtMiss, type MrcModel } from './model.ts';

export interface Allocation {
  cacheMB: number;
  bandwidthMbps: number;
  /** the hash split of the app's pages, when the data plane splits it (it then misses like model.ts splitMissRatio) */
  partitions?: readonly { accessShare: number; cacheMB: number }[];
}

export interface SyntheticOptions {
  seed: number;
  /** relative standard deviation of the multiplicative noise; default 0.05 */
  noise?: number;
  app?: string;
  node?: string;
  /** time of the first record, ms since the epoch; default 1_700_000_000_000 */
  startMs?: number;
  /** time between records; default 1000 ms */
  periodMs?: number;
  /** a fraction of the records get their throughput multiplied by factor (settling transients) */
  outliers?: { fraction: number; factor: number };
  /** add missStallNs: remoteNs x (1 + noise z) x bias, and missTokenWaitNs (unless tokenWait is false); default noise 0.05, bias 1 */
  stall?: boolean | { noise?: number; bias?: number; tokenWait?: boolean };
}

function noisy(rng: Rng, noise: number): number {
  return Math.min(1.5, Math.max(0.5, 1 + noise * rng.normal()));
}

/** One record per allocation, in time order. */
export function syntheticTelemetry(model: MrcModel, allocations: Allocation[], opts: SyntheticOptions): TelemetryRecord[] {
  const rng = new Rng(opts.seed);
  const noise = opts.noise ?? 0.05;
  const start = opts.startMs ?? 1_700_000_000_000;
  const period = opts.periodMs ?? 1000;
  const stall = opts.stall === undefined || opts.stall === false ? null : { noise: 0.05, bias: 1, tokenWait: true, ...(opts.stall === true ? {} : opts.stall) };
  return allocations.map((a, i) => {
    const m = a.partitions?.length ? splitMissRatio(model.mrc, a.partitions) : missRatioAt(model.mrc, a.cacheMB);
    const x = throughputAtMiss(model, m, a.bandwidthMbps);
    const outlier = opts.outliers !== undefined && rng.next() < opts.outliers.fraction;
    const stallNs = stall && m > 0 ? model.remoteNs * stall.bias * noisy(rng, stall.noise) : null;
    // each access costs localNs plus, per miss, remoteNs and the wait for tokens: what is left of 1/x
    const waitNs = stall?.tokenWait && m > 0 ? Math.max(0, (NS_PER_S / x - model.localNs - m * model.remoteNs) / m) * noisy(rng, stall.noise) : null;
    return {
      app: opts.app ?? 'app',
      node: opts.node ?? 'node-0',
      timeMs: start + i * period,
      cacheMB: a.cacheMB,
      bandwidthMbps: a.bandwidthMbps,
      throughputOpsPerSec: x * noisy(rng, noise) * (outlier ? opts.outliers!.factor : 1),
      missRatio: Math.min(1, m * noisy(rng, noise)),
      pageTrafficBytesPerSec: x * m * model.pageBytes * noisy(rng, noise),
      residentBytes: bytesFromMiB(a.cacheMB),
      ...(stallNs !== null ? { missStallNs: stallNs } : {}),
      ...(waitNs !== null ? { missTokenWaitNs: waitNs } : {}),
      ...(a.partitions && a.partitions.length > 1 ? { partitions: a.partitions.map((p) => ({ accessShare: p.accessShare, cacheMB: p.cacheMB })) } : {}),
    };
  });
}

/** n allocations drawn uniformly from the given ranges (seeded). */
export function randomAllocations(n: number, range: { cacheMB: [number, number]; bandwidthMbps: [number, number] }, seed: number): Allocation[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => ({
    cacheMB: range.cacheMB[0] + rng.next() * (range.cacheMB[1] - range.cacheMB[0]),
    bandwidthMbps: range.bandwidthMbps[0] + rng.next() * (range.bandwidthMbps[1] - range.bandwidthMbps[0]),
  }));
}
