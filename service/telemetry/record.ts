// One telemetry record: what a node daemon observed of one app over one sampling period.
// Node daemons append these to the bus (Redis streams or the in-process bus); the service's estimator
// consumes them. Units are in the field names (see service/units.ts).

export interface TelemetryRecord {
  /** app id (as registered) */
  app: string;
  /** node id the app runs on */
  node: string;
  /** end of the sampling period, ms since the Unix epoch */
  timeMs: number;
  /** the allocation in force during the period */
  cacheMB: number;
  bandwidthMbps: number;
  /** measured throughput, operations (accesses) per second */
  throughputOpsPerSec: number;
  /** measured miss ratio over the period, 0..1 */
  missRatio: number;
  /** measured page traffic (fetch + write-back), bytes per second */
  pageTrafficBytesPerSec: number;
  /** bytes resident in the local cache at the end of the period */
  residentBytes: number;
  /** optional: a miss-ratio curve the daemon computed itself, [cacheMB, missRatio] points */
  mrc?: [number, number][];
  /** optional: sampled page ids (page numbers) accessed during the period, for the service-side MRC */
  sampledPages?: number[];
  /** optional: the sampling rate the sampled pages were taken at (0 < R <= 1) */
  sampleRate?: number;
  /**
   * optional, with sampledPages: how many accesses (to all pages, sampled or not) the sampled pages were taken
   * from. A daemon carries the pages of a window it sends no record for (one across a change of limits) into
   * the next record, and counts their accesses here, so the service normalizes the curve by the right total.
   * Default: throughputOpsPerSec times the time since the app's previous record.
   */
  accessesSampled?: number;
  /**
   * optional: the stall per miss over the period, ns, as the data plane measured it: the mean time one miss
   * kept the application waiting for its page (fault to data mapped), NOT counting time spent waiting for
   * bandwidth tokens. It is what the model calls remoteNs, in latency-bound and bandwidth-bound periods alike.
   * From the far-memory data plane (docs/dataplane.md): over the period's misses, the fault-to-data latency
   * (control block latencyHist, or its median when the period was not throttled) minus the token-bucket wait
   * (the throttledNs counter's growth) spread over the misses. A miss that readahead served before the
   * application touched the page kept it waiting 0 ns: it counts among the misses. Including the token wait would make a
   * bandwidth-bound app look like one with slow remote memory. Omit it when the period had no misses.
   * Accepted range: MIN_MISS_STALL_NS .. MAX_MISS_STALL_NS (10 ns .. 1 s, service/estimator/limits.ts).
   */
  missStallNs?: number;
  /**
   * optional, with missStallNs: the mean time one miss waited for bandwidth tokens over the period, ns (0 when the
   * token bucket never held a request back). From the data plane: the throttledNs counter's growth over the
   * period divided by the period's misses. missStallNs + missTokenWaitNs is the whole wait per miss, so the
   * time per access not spent on misses (localNs) follows even when the app is bandwidth-bound all along.
   * Accepted range: 0 .. MAX_MISS_STALL_NS (1 s).
   */
  missTokenWaitNs?: number;
  /**
   * optional: the hash split of the app's cache in force over the whole period (two partitions; absent when
   * unsplit): partition k saw `accessShare` of the pages and held `cacheMB`. The period's miss ratio is then
   * the split's (sum of r_k m(c_k / r_k) on the app's curve), not the curve's at `cacheMB`: the estimator
   * evaluates its model the same way, and keeps such a record out of the measured curve.
   */
  partitions?: RecordPartition[];
}

export interface RecordPartition {
  accessShare: number;
  cacheMB: number;
}

/** Most partitions a record may state (the data plane splits in two). */
export const MAX_RECORD_PARTITIONS = 2;
/** How far a record's partition shares may sum from 1 (they are rounded by whoever wrote them). */
export const RECORD_SHARE_SUM_TOLERANCE = 1e-6;
