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

/**
 * Misses in a window: faults on pages that were not local (fetched, zero-filled, or waited for while in
 * flight). Faults on parked pages are cache hits the CLOCK probe made visible, so they are not misses.
 */
export function missesBetween(before: RegionStats, after: RegionStats): number {
  return Math.max(0, (after.missingFaults - before.missingFaults) - (after.softFaults - before.softFaults));
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
  };
}
