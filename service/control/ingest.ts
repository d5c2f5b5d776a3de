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
    await d.bus.patchNodeState(node, { lastTelemetryMs: Date.now() });
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
