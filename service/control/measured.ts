// What the node daemons measured of each app since the node's last round: the means of the telemetry records
// this replica ingested (throughput, miss ratio, page traffic), taken by the next round and carried in its
// allocation document (AllocationBundle.measured), so every replica, event client and the dashboard's history
// see what the allocation in force actually did, not only what the model predicted.
import type { TelemetryRecord } from '../telemetry/record.ts';
import type { MeasuredSummary } from '../bus/types.ts';

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

export class MeasuredWindows {
  /** one open window per app (bounded by the registry's apps: windows of apps that left are pruned) */
  private readonly byApp = new Map<string, Window>();

  add(r: TelemetryRecord): void {
    let w = this.byApp.get(r.app);
    if (!w || w.node !== r.node) {
      w = { node: r.node, records: 0, fromMs: r.timeMs, toMs: r.timeMs, throughput: 0, missRatio: 0, traffic: 0, cacheMB: 0, bandwidthMbps: 0 };
      this.byApp.set(r.app, w);
    }
    w.records++;
    w.fromMs = Math.min(w.fromMs, r.timeMs);
    w.toMs = Math.max(w.toMs, r.timeMs);
    w.throughput += r.throughputOpsPerSec;
    w.missRatio += r.missRatio;
    w.traffic += r.pageTrafficBytesPerSec;
    // the allocation in force as the newest record saw it
    if (r.timeMs >= w.toMs) { w.cacheMB = r.cacheMB; w.bandwidthMbps = r.bandwidthMbps; }
  }

  /** The means of `app`'s records on `node` since the last take, or undefined when none came; closes the window. */
  take(node: string, app: string): MeasuredSummary | undefined {
    const w = this.byApp.get(app);
    if (!w || w.node !== node) return undefined;
    this.byApp.delete(app);
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
