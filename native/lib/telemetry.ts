// From two control-block snapshots of one region to the TelemetryRecord the node daemon publishes
// (service/telemetry/record.ts). The data plane knows the allocation in force, page traffic, residency,
// misses and sampled pages; the application's throughput (and, if it counts them, its accesses) come from
// the caller.
import { assert, InputError } from '../../service/errors.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';
import { mibFromBytes, secFromMs } from '../../service/units.ts';
import type { RegionStats } from './stats.ts';

export interface WindowInput {
  app: string;
  node: string;
  /** the snapshots and when they were taken (ms since the Unix epoch) */
  before: RegionStats;
  after: RegionStats;
  beforeMs: number;
  afterMs: number;
  /** operations the application completed in the window, per second */
  throughputOpsPerSec: number;
  /** page accesses the application made in the window; with it missRatio = misses / accesses */
  accesses?: number;
  /** sampled page ids drained in the window (control.drainSamples()) */
  sampledPages?: number[];
}

/** Growth of one counter between snapshots; a counter a snapshot lacks (an older layout) counts as 0. */
function grown(before: RegionStats, after: RegionStats, k: keyof RegionStats): number {
  const a = after[k];
  const b = before[k];
  return Math.max(0, (typeof a === 'number' && Number.isFinite(a) ? a : 0) - (typeof b === 'number' && Number.isFinite(b) ? b : 0));
}

/**
 * Demand misses in a window: faults that had to wait for a page that was not local (a fetch, a page still
 * in flight, a zero fill). Faults on parked pages are cache hits the CLOCK probe or the sampler made
 * visible, and faults served from a write-back copy are counted by missesBetween, so neither is here.
 */
export function demandMissesBetween(before: RegionStats, after: RegionStats): number {
  return Math.max(0, grown(before, after, 'missingFaults') - grown(before, after, 'softFaults'));
}

/**
 * Misses in a window: pages the application used that were not in its cache (docs/dataplane.md, "Misses").
 * Demand misses, plus pages mapped back from a write-back copy (evicted, served without the network), plus
 * pages readahead fetched before the application reached them (prefetchedPages). A prefetched page counts
 * in the window it arrives in, at most one readahead window (256 pages) before its use; one the application
 * never uses counts too (it cost the same page traffic). So a streaming scan reads about 1 page fetched per
 * page scanned, as its page traffic and its sampled miss-ratio curve say, not the ~0.02 of its demand faults.
 */
export function missesBetween(before: RegionStats, after: RegionStats): number {
  return demandMissesBetween(before, after) + grown(before, after, 'writebackRestores') + grown(before, after, 'prefetchedPages');
}

export function telemetryFromWindow(w: WindowInput): TelemetryRecord {
  if (!(w.afterMs > w.beforeMs)) throw new InputError('telemetryFromWindow.afterMs', `must be after beforeMs (${w.beforeMs}); got ${w.afterMs}`);
  if (w.after.controlPath !== w.before.controlPath) throw new InputError('telemetryFromWindow.after', 'snapshots are of different regions');
  const sec = secFromMs(w.afterMs - w.beforeMs);
  const misses = missesBetween(w.before, w.after);
  const traffic = w.after.bytesIn + w.after.bytesOut - w.before.bytesIn - w.before.bytesOut;
  assert(traffic >= 0, 'page traffic counters only grow');
  const missRatio = w.accesses !== undefined && w.accesses > 0 ? Math.min(1, misses / w.accesses) : 0;
  return {
    app: w.app,
    node: w.node,
    timeMs: w.afterMs,
    cacheMB: mibFromBytes(w.after.cacheBytes),
    bandwidthMbps: w.after.bandwidthMbps,
    throughputOpsPerSec: w.throughputOpsPerSec,
    missRatio,
    pageTrafficBytesPerSec: traffic / sec,
    residentBytes: w.after.residentBytes,
    ...(w.sampledPages ? { sampledPages: w.sampledPages, sampleRate: w.after.sampleRate } : {}),
    // the split in force (a window across a change of split makes no record: service/node/window.ts)
    ...(w.after.split.length > 1 ? { partitions: w.after.split.map((p) => ({ accessShare: p.accessShare, cacheMB: mibFromBytes(p.cacheBytes) })) } : {}),
  };
}
