// Telemetry in: read a node's new records from the bus, validate each, feed the app's estimator, acknowledge.
// A record that cannot be used (malformed, unknown app, rejected by the estimator, delivered too often) is
// dead-lettered with the reason and counted; it never stops the others.
import type { Logger } from 'pino';
import { InputError } from '../errors.ts';
import { MAX_DELIVERIES } from '../bus/limits.ts';
import { parseTelemetryRecord } from '../bus/telemetry-schema.ts';
import type { Bus, TelemetryEntry } from '../bus/types.ts';
import type { TelemetryRecord } from '../telemetry/record.ts';
import type { Estimators } from './estimators.ts';
import { INGEST_NODE_IDLE_MAX_MS, INGEST_NODE_WAIT_MS } from './limits.ts';
import type { Metrics } from './metrics.ts';
import type { MeasuredWindows } from './measured.ts';

export type SkipReason = 'malformed' | 'wrong_node' | 'unknown_app' | 'rejected' | 'redelivered';

export interface IngestDeps {
  bus: Bus;
  estimators: Estimators;
  metrics: Metrics;
  log: Logger;
  /** consumer name in the telemetry group (the replica id) */
  consumer: string;
  reclaimIdleMs: number;
  batch: number;
  /** the means the next round carries (measured.ts) */
  measured?: MeasuredWindows;
  /** when each node's lastTelemetryMs was last written, and how often at most (one write per batch would be a
   *  Redis command per node per poll; silence is judged over whole intervals) */
  heard?: { lastWriteMs: Map<string, number>; everyMs: number };
}

/**
 * When to read each node's stream next. Daemons append once a period (a second), so a node that was just
 * drained is not read again for INGEST_NODE_WAIT_MS, one whose stream was empty waits twice as long each time
 * (up to INGEST_NODE_IDLE_MAX_MS), and one that filled a whole batch (a backlog) is read again at once. Without
 * this a replica re-read every node as soon as any had data: empty reads were most of its Redis commands.
 */
export class IngestPacer {
  private readonly next = new Map<string, { atMs: number; waitMs: number }>();

  due(node: string, nowMs: number): boolean { return (this.next.get(node)?.atMs ?? 0) <= nowMs; }

  /** After a read of `node` that took `count` records of at most `batch`. */
  read(node: string, count: number, batch: number, nowMs: number): void {
    const prev = this.next.get(node);
    const waitMs = count >= batch ? 0 : count > 0 ? INGEST_NODE_WAIT_MS : Math.min(INGEST_NODE_IDLE_MAX_MS, Math.max(INGEST_NODE_WAIT_MS, 2 * (prev?.waitMs ?? 0)));
    this.next.set(node, { atMs: nowMs + waitMs, waitMs });
  }

  /** Milliseconds until some node of `nodes` is due (0 if one is now). */
  untilDue(nodes: Iterable<string>, nowMs: number): number {
    let t = Infinity;
    for (const n of nodes) t = Math.min(t, Math.max(0, (this.next.get(n)?.atMs ?? 0) - nowMs));
    return t === Infinity ? INGEST_NODE_IDLE_MAX_MS : t;
  }

  forget(node: string): void { this.next.delete(node); }

  /** Whether `node`'s stream was read since it was last forgotten (its telemetry so far is in the estimators). */
  hasRead(node: string): boolean { return this.next.has(node); }
}

/** Reads and processes one batch of a node's telemetry; returns how many records it took off the stream. */
export async function ingestNode(d: IngestDeps, node: string, appsOf: (node: string, refresh: boolean) => Promise<ReadonlySet<string>>): Promise<number> {
  const entries = await d.bus.readTelemetry(node, d.consumer, d.batch, d.reclaimIdleMs);
  if (entries.length === 0) return 0;
  let apps = await appsOf(node, false);
  let refreshed = false;
  const ok: string[] = [];
  for (const e of entries) {
    const r = classify(e, node);
    if ('skip' in r) {
      await skip(d, node, e, r.skip, r.why);
      continue;
    }
    if (!apps.has(r.record.app) && !refreshed) {
      apps = await appsOf(node, true); // registered since the last registry read?
      refreshed = true;
    }
    if (!apps.has(r.record.app)) {
      await skip(d, node, e, 'unknown_app', `app '${r.record.app}' is not registered on node '${node}'`);
      continue;
    }
    try {
      d.estimators.of(r.record.app, node).ingest(r.record);
      d.measured?.add(r.record);
      ok.push(e.id);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      await skip(d, node, e, 'rejected', err.message);
    }
  }
  if (ok.length > 0) {
    await d.bus.ackTelemetry(node, ok);
    const now = Date.now();
    if (!d.heard || now - (d.heard.lastWriteMs.get(node) ?? 0) >= d.heard.everyMs) {
      await d.bus.patchNodeState(node, { lastTelemetryMs: now });
      d.heard?.lastWriteMs.set(node, now);
    }
    d.metrics.telemetry.inc(ok.length);
  }
  return entries.length;
}

function classify(e: TelemetryEntry, node: string): { record: TelemetryRecord } | { skip: SkipReason; why: string } {
  if (e.deliveries > MAX_DELIVERIES) return { skip: 'redelivered', why: `delivered ${e.deliveries} times without being processed` };
  let record: TelemetryRecord;
  try {
    record = parseTelemetryRecord(e.data);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const details = err.details && err.details.length > 1 ? ` (${err.details.map((x) => `${x.where}: ${x.problem}`).join('; ')})` : '';
    return { skip: 'malformed', why: err.message + details };
  }
  if (record.node !== node) return { skip: 'wrong_node', why: `record names node '${record.node}' but came in on node '${node}'` };
  return { record };
}

async function skip(d: IngestDeps, node: string, e: TelemetryEntry, reason: SkipReason, why: string): Promise<void> {
  d.metrics.telemetrySkipped.inc({ reason });
  d.log.debug({ node, id: e.id, reason }, `telemetry record skipped: ${why}`);
  await d.bus.deadLetter(node, e, `${reason}: ${why}`);
}
