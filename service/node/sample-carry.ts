// The sampled page accesses of windows that make no record, carried into the app's next record.
// A window across a change of limits is skipped (a record states one allocation), but the pages it sampled
// are part of the app's access sequence, which does not depend on the allocation: dropping them leaves gaps
// in it, so the service would see reuse distances too short and, normalizing by the accesses the record
// stands for, count the missing accesses as hits (a scan's cliff-shaped curve turned into a slope).
// Accesses of the same run only: a restart or an initialization ends the sequence.
import type { TelemetryRecord } from '../telemetry/record.ts';

interface Carried {
  generation: number;
  pages: number[];
  accesses: number;
}

export class SampleCarry {
  private readonly byApp = new Map<string, Carried>();

  /** @param maxPages most pages one record may carry (older carried pages are dropped beyond it, with their accesses) */
  constructor(private readonly maxPages: number) {}

  /** Keeps a skipped window's pages and accesses for the next record of the same run. */
  skip(app: string, generation: number, pages: readonly number[], accesses: number): void {
    const c = this.byApp.get(app);
    const kept = c && c.generation === generation ? c : { generation, pages: [], accesses: 0 };
    if (kept.pages.length + pages.length > this.maxPages) {
      // a contiguous stretch of the sequence is worth more than a longer one with a hole: start over
      kept.pages = [];
      kept.accesses = 0;
    }
    if (pages.length <= this.maxPages) {
      for (const p of pages) kept.pages.push(p);
      kept.accesses += accesses;
    }
    this.byApp.set(app, kept);
  }

  /** Forgets what was carried for an app (its run ended or it re-initializes). */
  drop(app: string): void {
    this.byApp.delete(app);
  }

  /**
   * The record with the carried pages put before its own and `accessesSampled` covering both; `accesses` is
   * the record's own window's count. The record is returned as is when nothing of the same run is carried.
   */
  apply(rec: TelemetryRecord, generation: number, accesses: number): TelemetryRecord {
    const c = this.byApp.get(rec.app);
    this.byApp.delete(rec.app);
    const own = rec.sampledPages;
    if (!own) return rec;
    if (!c || c.generation !== generation || c.pages.length === 0 || c.pages.length + own.length > this.maxPages) {
      return { ...rec, accessesSampled: accesses };
    }
    return { ...rec, sampledPages: [...c.pages, ...own], accessesSampled: c.accesses + accesses };
  }
}
