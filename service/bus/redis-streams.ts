// Telemetry streams in Redis: the consumer group, reads (reclaim of records a dead consumer left, then new
// records) and the backlog. Reads go through the dedicated reader connection; its command timeout is the
// watchdog that fails a read stuck on a half-open connection.
import { keys, TELEMETRY_GROUP } from './keys.ts';
import type { RedisClient } from './redis-client.ts';
import type { TelemetryEntry } from './types.ts';

type Entry = [id: string, fields: string[] | null];

export class StreamReader {
  /** last reclaim per node: reclaiming scans the pending list, so it runs at most every half idle period */
  private lastReclaimMs = new Map<string, number>();

  constructor(private readonly cmd: RedisClient, private readonly reader: RedisClient) {}

  /** XGROUP CREATE ... 0 MKSTREAM: records appended before the group existed are read too. Idempotent. */
  async ensureGroup(node: string): Promise<void> {
    try {
      await this.cmd.xgroup('CREATE', keys.telemetry(node), TELEMETRY_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  async read(node: string, consumer: string, max: number, reclaimIdleMs: number, reclaimBatch: number): Promise<TelemetryEntry[]> {
    try {
      return await this.readOnce(node, consumer, max, reclaimIdleMs, reclaimBatch);
    } catch (err) {
      // the stream or the group vanished (a Redis restarted without persistence): make them and go on
      if (!String((err as Error).message).includes('NOGROUP')) throw err;
      await this.ensureGroup(node);
      return this.readOnce(node, consumer, max, reclaimIdleMs, reclaimBatch);
    }
  }

  private async readOnce(node: string, consumer: string, max: number, reclaimIdleMs: number, reclaimBatch: number): Promise<TelemetryEntry[]> {
    const key = keys.telemetry(node);
    const out: TelemetryEntry[] = [];
    const now = Date.now();
    if (now - (this.lastReclaimMs.get(node) ?? 0) >= reclaimIdleMs / 2) {
      this.lastReclaimMs.set(node, now);
      out.push(...(await this.reclaim(key, consumer, reclaimIdleMs, Math.min(max, reclaimBatch))));
    }
    if (out.length >= max) return out;
    // the typed command methods return RESP2-shaped replies (a raw `call` would return RESP3 maps)
    const reply = (await this.reader.xreadgroup('GROUP', TELEMETRY_GROUP, consumer, 'COUNT', max - out.length,
      'STREAMS', key, '>')) as [string, Entry[]][] | null;
    for (const [id, fields] of reply?.[0]?.[1] ?? []) out.push({ id, data: recordOf(fields), deliveries: 1 });
    return out;
  }

  /** XAUTOCLAIM records idle for reclaimIdleMs (whoever holds them), with their delivery counts. */
  private async reclaim(key: string, consumer: string, reclaimIdleMs: number, count: number): Promise<TelemetryEntry[]> {
    const reply = (await this.reader.xautoclaim(key, TELEMETRY_GROUP, consumer, reclaimIdleMs, '0-0', 'COUNT', count)) as
      [string, (Entry | null)[], string[]?];
    const claimed = (reply?.[1] ?? []).filter((e): e is Entry => e !== null && e[1] !== null);
    if (claimed.length === 0) return [];
    // delivery counts of what we now hold (XAUTOCLAIM itself does not return them)
    const pending = (await this.reader.xpending(key, TELEMETRY_GROUP, claimed[0][0], claimed[claimed.length - 1][0],
      claimed.length, consumer)) as [string, string, number, number][];
    const deliveries = new Map(pending.map(([id, , , n]) => [id, Number(n)]));
    return claimed.map(([id, fields]) => ({ id, data: recordOf(fields), deliveries: deliveries.get(id) ?? 2 }));
  }

  /** Records not yet delivered (lag) plus delivered and not acknowledged (pending). */
  async backlog(node: string): Promise<number> {
    const key = keys.telemetry(node);
    let groups: unknown[][];
    try {
      groups = (await this.cmd.xinfo('GROUPS', key)) as unknown[][];
    } catch (err) {
      if (String((err as Error).message).includes('no such key')) return 0;
      throw err;
    }
    for (const g of groups) {
      const f = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
      if (f.get('name') !== TELEMETRY_GROUP) continue;
      const lag = f.get('lag');
      const undelivered = lag === null || lag === undefined ? await this.cmd.xlen(key) : Number(lag);
      return undelivered + Number(f.get('pending') ?? 0);
    }
    return this.cmd.xlen(key);
  }
}

/** The record text of a stream entry (field `r`); an entry without it becomes '' and fails validation. */
function recordOf(fields: string[] | null): string {
  for (let i = 0; fields && i + 1 < fields.length; i += 2) if (fields[i] === 'r') return fields[i + 1];
  return '';
}
