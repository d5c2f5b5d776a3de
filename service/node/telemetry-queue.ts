// Telemetry records waiting to be sent while the service is unreachable. Bounded by records and by sampled
// pages (records carry up to 65536 page ids each); when full, the oldest go first and are counted, so a long
// outage costs old history, never memory.
import { assert } from '../errors.ts';
import type { TelemetryRecord } from '../telemetry/record.ts';

export class TelemetryQueue {
  private items: TelemetryRecord[] = [];
  private pages = 0;
  private droppedCount = 0;

  constructor(private readonly maxRecords: number, private readonly maxPages: number) {
    assert(maxRecords > 0 && maxPages > 0, 'queue bounds must be positive');
  }

  push(r: TelemetryRecord): void {
    this.items.push(r);
    this.pages += r.sampledPages?.length ?? 0;
    this.trim();
  }

  /** Takes every waiting record, oldest first. */
  takeAll(): TelemetryRecord[] {
    const out = this.items;
    this.items = [];
    this.pages = 0;
    return out;
  }

  /** Puts records that could not be sent back in front of newer ones (keeping each app's time order). */
  putBack(records: TelemetryRecord[]): void {
    this.items = [...records, ...this.items];
    this.pages = this.items.reduce((t, r) => t + (r.sampledPages?.length ?? 0), 0);
    this.trim();
  }

  get length(): number { return this.items.length; }
  get sampledPages(): number { return this.pages; }
  /** Records dropped because the queue was full. */
  get dropped(): number { return this.droppedCount; }

  private trim(): void {
    let drop = 0;
    while (drop < this.items.length && (this.items.length - drop > this.maxRecords || (this.pages > this.maxPages && this.items.length - drop > 1))) {
      this.pages -= this.items[drop].sampledPages?.length ?? 0;
      drop++;
    }
    if (drop > 0) {
      this.items.splice(0, drop);
      this.droppedCount += drop;
    }
  }
}
