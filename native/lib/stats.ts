// Region statistics as the application and the node daemon see them: the control block's counters, the
// limits in force, and fault-latency percentiles estimated from the log2 histogram.
import { fractionFromPpm } from '../../service/units.ts';
import type { RawStats } from './binding.ts';
import type { RegionPartition } from './options.ts';

export type RegionState = 'opening' | 'running' | 'failed' | 'closed';
const STATES: RegionState[] = ['opening', 'running', 'failed', 'closed'];

export interface LatencySummary {
  count: number;
  /** estimates from a histogram with power-of-two buckets: within a factor of 2 of the truth */
  p50Ns: number;
  p99Ns: number;
  /** bucket i counts latencies in [2^i, 2^(i+1)) ns */
  hist: number[];
}

export interface RegionCounters {
  faults: number;
  missingFaults: number;
  wpFaults: number;
  softFaults: number;
  fetchedPages: number;
  fetchRequests: number;
  prefetchedPages: number;
  zeroFills: number;
  writebackPages: number;
  writebackRequests: number;
  evictions: number;
  parks: number;
  bytesIn: number;
  bytesOut: number;
  admittedBytes: number;
  throttledNs: number;
  residentPages: number;
  residentPeakPages: number;
  dirtyPages: number;
  writebackInflightPages: number;
  readsInflight: number;
  sampledAccesses: number;
  reconnects: number;
  replicasLost: number;
  replicasAlive: number;
  requestTimeouts: number;
  eventsDropped: number;
  failedFaults: number;
  limitChanges: number;
  cachePagesLimit: number;
  loopIterations: number;
  /** pages the sampler parked each period (a subset of parks) */
  sampleParks: number;
  /** pages evicted ahead of demand to keep free frames under pressure (a subset of evictions) */
  reserveEvictions: number;
  /** misses on pages among the last 256 evicted (the working set exceeds the cache by less than that) */
  refaults: number;
  /** gauge: 1 while the free-frame reserve is kept (a frame request found the cache full), else 0 */
  reserveArmed: number;
  /** misses served from a write-back copy still in flight (a subset of softFaults: no network) */
  writebackRestores: number;
  /** gauge: partitions in force, 1 (unsplit) or 2 (split by page hash) */
  partitions: number;
  /** gauge: the region's pages in partition A (exactly round(share x pages); all of them unsplit) */
  partitionAPages: number;
  /** gauge: the cache limit of partition A in force, pages */
  partitionALimitPages: number;
  /** gauge: the cache limit of partition B in force, pages (0 unsplit) */
  partitionBLimitPages: number;
  /** gauge: local pages of partition A */
  partitionAResidentPages: number;
  /** gauge: local pages of partition B */
  partitionBResidentPages: number;
  /** misses of partition A: pages brought in (fetched, zero-filled, restored from a write-back copy) */
  partitionAPagesIn: number;
  /** misses of partition B */
  partitionBPagesIn: number;
  /** sampled accesses to pages of partition A (of sampledAccesses) */
  partitionASampledAccesses: number;
  /** local pages re-counted into the other partition by split changes */
  partitionMovedPages: number;
  /** demand fetches timed stage by stage (RegionStats.fetchStageNs) */
  fetchStageSamples: number;
  /** evictions by a split partition's loop guard (a loop a little larger than the partition: docs/dataplane.md) */
  loopGuardEvictions: number;
}

/** Where demand fetches spent their time, summed over `fetchStageSamples` fetches (divide for a mean). */
export interface FetchStages {
  /** the fault read by the fault thread -> its read request ready to send (planning, room, admission) */
  planNs: number;
  /** request ready -> reply fully received (the send, the memory node, the network, the fault thread waking up) */
  roundTripNs: number;
  /** reply received -> page installed (UFFDIO_COPY, which wakes the faulting thread) */
  installNs: number;
}

export interface RegionStats extends RegionCounters {
  state: RegionState;
  failReason: string;
  ownerPid: number;
  sizeBytes: number;
  pageBytes: number;
  residentBytes: number;
  /** limits as last written to the control block (applied within loopPollMsMax) */
  cacheBytes: number;
  bandwidthMbps: number;
  sampleRate: number;
  samplePeriodMs: number;
  /** the split as last written to the control block: one partition (unsplit) or two */
  split: RegionPartition[];
  label: string;
  controlPath: string;
  heartbeatWallMs: number;
  createdWallMs: number;
  sampleRingDropped: number;
  faultLatency: LatencySummary;
  softFaultLatency: LatencySummary;
  /** sums over fetchStageSamples demand fetches */
  fetchStageNs: FetchStages;
  /** daemon side only: the owner process is gone or closed the region */
  stale?: boolean;
}

/** Percentile from log2 buckets, interpolated linearly inside the bucket that holds the rank. */
export function histPercentile(hist: number[], q: number): number {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    if (seen + hist[i] >= rank && hist[i] > 0) {
      const lo = 2 ** i;
      return lo + ((rank - seen) / hist[i]) * lo;
    }
    seen += hist[i];
  }
  return 2 ** hist.length;
}

function summary(hist: number[]): LatencySummary {
  return {
    count: hist.reduce((a, b) => a + b, 0),
    p50Ns: histPercentile(hist, 0.5),
    p99Ns: histPercentile(hist, 0.99),
    hist,
  };
}

export function toRegionStats(raw: RawStats): RegionStats {
  const c = raw.counters as unknown as RegionCounters;
  return {
    ...c,
    state: STATES[raw.state] ?? 'closed',
    failReason: raw.failReason,
    ownerPid: raw.ownerPid,
    sizeBytes: raw.sizeBytes,
    pageBytes: raw.pageBytes,
    residentBytes: c.residentPages * raw.pageBytes,
    cacheBytes: raw.cacheBytes,
    bandwidthMbps: raw.bandwidthMbps,
    sampleRate: fractionFromPpm(raw.sampleRatePpm),
    samplePeriodMs: raw.samplePeriodMs,
    split: raw.partitionCount === 2
      ? [{ accessShare: raw.partitionShare, cacheBytes: raw.partitionCacheBytes[0] }, { accessShare: 1 - raw.partitionShare, cacheBytes: raw.partitionCacheBytes[1] }]
      : [{ accessShare: 1, cacheBytes: raw.cacheBytes }],
    label: raw.label,
    controlPath: raw.controlPath,
    heartbeatWallMs: raw.heartbeatWallMs,
    createdWallMs: raw.createdWallMs,
    sampleRingDropped: raw.ringDropped,
    faultLatency: summary(raw.latencyHist),
    softFaultLatency: summary(raw.softLatencyHist),
    fetchStageNs: { planNs: raw.fetchStageNs[0], roundTripNs: raw.fetchStageNs[1], installNs: raw.fetchStageNs[2] },
    ...(raw.stale === undefined ? {} : { stale: raw.stale }),
  };
}
