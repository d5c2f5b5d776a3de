// One telemetry window of one workload: from two snapshots (counters and control block, read at the same
// moments) to the TelemetryRecord the daemon sends. Throughput is measured (the workload's own count of page
// accesses over the window), never assumed; the data plane supplies misses, traffic, residency, the limits
// in force, sampled pages and the fault latencies behind the stall and token wait per miss.
import { histPercentile, missesBetween, type RegionStats, telemetryFromWindow } from '../../native/index.ts';
import { MAX_MISS_STALL_NS, MIN_MISS_STALL_NS } from '../estimator/limits.ts';
import type { TelemetryRecord } from '../telemetry/record.ts';
import { secFromMs } from '../units.ts';
import type { WorkloadSnapshot } from './supervisor.ts';

export type WindowSkip = 'restarted' | 'initializing' | 'limits_changed' | 'no_time';

/** Why a pair of snapshots makes no record, or null when it makes one. */
export function windowSkip(before: WorkloadSnapshot, after: WorkloadSnapshot): WindowSkip | null {
  if (before.generation !== after.generation) return 'restarted';
  if (before.phase !== 'run' || after.phase !== 'run') return 'initializing';
  if (!(after.atMs > before.atMs)) return 'no_time';
  // a record states one allocation in force over its whole window; a window across a change mixes two
  if (before.stats.cacheBytes !== after.stats.cacheBytes || before.stats.bandwidthMbps !== after.stats.bandwidthMbps || !sameSplit(before.stats, after.stats)) {
    return 'limits_changed';
  }
  return null;
}

/** The same hash split of the cache in force (partitions' shares and sizes). */
function sameSplit(a: RegionStats, b: RegionStats): boolean {
  return a.split.length === b.split.length && a.split.every((p, i) => p.accessShare === b.split[i].accessShare && p.cacheBytes === b.split[i].cacheBytes);
}

/** The record of the window between two snapshots of the same run (check windowSkip first). */
export function recordOfWindow(app: string, node: string, before: WorkloadSnapshot, after: WorkloadSnapshot): TelemetryRecord {
  const accesses = Math.max(0, after.accesses - before.accesses);
  const rec = telemetryFromWindow({
    app, node, before: before.stats, after: after.stats, beforeMs: before.atMs, afterMs: after.atMs,
    throughputOpsPerSec: accesses / secFromMs(after.atMs - before.atMs), accesses, sampledPages: after.sampledPages,
  });
  const stall = missStallNs(before.stats, after.stats);
  if (stall === undefined) return rec;
  const share = waitedShare(before.stats, after.stats);
  return {
    ...rec,
    missStallNs: Math.max(MIN_MISS_STALL_NS, stall * share),
    missTokenWaitNs: (missTokenWaitNs(before.stats, after.stats) ?? 0) * share,
  };
}

/**
 * The share of the window's misses that kept the application waiting: the fetches its fault-latency histogram
 * recorded over all misses (demand, restored from write-back, prefetched), at most 1. A miss that readahead
 * served before the application touched the page cost it no wait, so the waits per fetch, spread over the
 * misses, are the waits per miss the model needs (stall + token wait per miss = 1 / throughput less the local
 * time, over the miss ratio). Per fetch, a bandwidth-bound scan (1 fetch waited on per ~50 misses) looked like
 * one whose every miss stalled 1.3 ms and waited 8 ms for tokens, at 6000 misses per second.
 */
export function waitedShare(before: RegionStats, after: RegionStats): number {
  const { count } = fetchHist(before, after);
  const misses = missesBetween(before, after);
  return misses > count ? count / misses : 1;
}

/** Fetches in the window: the faults whose fault-to-data latency the control block's histogram recorded. */
function fetchHist(before: RegionStats, after: RegionStats): { hist: number[]; count: number } {
  const hist = after.faultLatency.hist.map((n, i) => Math.max(0, n - (before.faultLatency.hist[i] ?? 0)));
  return { hist, count: hist.reduce((a, b) => a + b, 0) };
}

/**
 * The mean time one miss waited for bandwidth tokens over the window (service/telemetry/record.ts
 * missTokenWaitNs): the growth of the token-bucket wait (throttledNs) over the window's fetches, the same
 * misses missStallNs is taken over, so the two add up to the whole wait per miss. Undefined without fetches.
 */
export function missTokenWaitNs(before: RegionStats, after: RegionStats): number | undefined {
  const { count } = fetchHist(before, after);
  if (count === 0) return undefined;
  return Math.min(MAX_MISS_STALL_NS, Math.max(0, after.throttledNs - before.throttledNs) / count);
}

/** Where a latency in log2 bucket i is taken to lie when only the bucket is known: [2^i, 2^(i+1)) -> 1.5 x 2^i. */
const BUCKET_MID = 1.5;

/**
 * The mean time one miss kept the application waiting for its page over the window, without the time spent
 * waiting for bandwidth tokens (service/telemetry/record.ts missStallNs): the median of the window's
 * fault-to-data latencies when nothing was throttled (robust to a few slow outliers), else their mean less the
 * token wait spread over the misses. Undefined when no fault needed a fetch in the window.
 */
export function missStallNs(before: RegionStats, after: RegionStats): number | undefined {
  const { hist, count } = fetchHist(before, after);
  if (count === 0) return undefined;
  const throttledNs = Math.max(0, after.throttledNs - before.throttledNs);
  let stall: number;
  if (throttledNs === 0) {
    stall = histPercentile(hist, 0.5);
  } else {
    const totalNs = hist.reduce((t, n, i) => t + n * BUCKET_MID * 2 ** i, 0);
    const fastest = 2 ** hist.findIndex((n) => n > 0);
    // the token wait can exceed what the histogram's bucket midpoints account for; no miss took less than
    // the lower edge of the fastest bucket seen
    stall = Math.max(fastest, (totalNs - throttledNs) / count);
  }
  return Math.min(MAX_MISS_STALL_NS, Math.max(MIN_MISS_STALL_NS, stall));
}
