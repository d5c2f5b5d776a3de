// What the node daemons measured of each app since the node's last round: the means of the telemetry records
// this replica ingested (throughput, miss ratio, page traffic), taken by the next round and carried in its
// allocation document (AllocationBundle.measured), so every replica, event client and the dashboard's history
// see what the allocation in force actually did, not only what the model predicted.
//
// Records are grouped by the bundle they say was in force, and a round takes only the group of the bundle it
// knows was in force (the previous allocation): a record measured under an older bundle that arrives after a
// change is not mixed in, so a measurement always belongs to one bundle.
import type { TelemetryRecord } from '../telemetry/record.ts';
import type { MeasuredSummary } from '../bus/types.ts';
import { MAX_MEASURED_WINDOWS_PER_APP } from './limits.ts';

interface Window {
  node: string;
  records: number;
  fromMs: number;
  toMs: number;
  throughput: number;
  missRatio: number;
  traffic: number;
  cacheMB: number;
  bandwidthMbps: number;
}

type Bundle = { cacheMB: number; bandwidthMbps: number };

/**
 * The same bundle as a daemon reports it: a daemon rounds cache down to whole pages (at least 64 KiB) and may
 * raise bandwidth to 1 Mbps, so a record's bundle is the published one within a page or a Mbps, or 0.5%.
 */
function same(a: Bundle, b: Bundle): boolean {
  const close = (x: number, y: number, abs: number): boolean => Math.abs(x - y) <= Math.max(abs, 0.005 * Math.max(x, y));
  return close(a.cacheMB, b.cacheMB, 0.0625) && close(a.bandwidthMbps, b.bandwidthMbps, 1);
}

export class MeasuredWindows {
  /** open windows per app, oldest first (apps that left are pruned; at most MAX_MEASURED_WINDOWS_PER_APP each) */
  private readonly byApp = new Map<string, Window[]>();

  add(r: TelemetryRecord): void {
    let list = this.byApp.get(r.app);
    if (!list) this.byApp.set(r.app, (list = []));
    let w = list.find((x) => x.node === r.node && same(x, r));
    if (!w) {
      w = { node: r.node, records: 0, fromMs: r.timeMs, toMs: r.timeMs, throughput: 0, missRatio: 0, traffic: 0, cacheMB: r.cacheMB, bandwidthMbps: r.bandwidthMbps };
      list.push(w);
      if (list.length > MAX_MEASURED_WINDOWS_PER_APP) list.shift();
    }
    w.records++;
    w.fromMs = Math.min(w.fromMs, r.timeMs);
    w.toMs = Math.max(w.toMs, r.timeMs);
    w.throughput += r.throughputOpsPerSec;
    w.missRatio += r.missRatio;
    w.traffic += r.pageTrafficBytesPerSec;
  }

  /**
   * The means of `app`'s records on `node` measured under `inForce` since the last take, or undefined when
   * none came (or nothing is known to have been in force). Closes every window of the app.
   */
  take(node: string, app: string, inForce: Bundle | undefined): MeasuredSummary | undefined {
    const list = this.byApp.get(app);
    this.byApp.delete(app);
    if (!list || !inForce) return undefined;
    const w = list.find((x) => x.node === node && same(x, inForce));
    if (!w) return undefined;
    return {
      records: w.records, fromMs: w.fromMs, toMs: w.toMs,
      throughputOpsPerSec: w.throughput / w.records, missRatio: w.missRatio / w.records, pageTrafficBytesPerSec: w.traffic / w.records,
      cacheMB: w.cacheMB, bandwidthMbps: w.bandwidthMbps,
    };
  }

  /** Drops the windows of apps that are gone (not in `keep`). */
  prune(keep: ReadonlySet<string>): void {
    for (const app of this.byApp.keys()) if (!keep.has(app)) this.byApp.delete(app);
  }

  get size(): number { return this.byApp.size; }
}
