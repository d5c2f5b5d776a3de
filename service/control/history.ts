// The last rounds of every node, kept by the service so a dashboard opened late still has the past: each
// round's bundles, prices and what the certificate says about the step (held by hysteresis, a partial step
// toward the equilibrium, a change). Fed by the event hub (every replica sees every node's rounds), bounded
// per node (HISTORY_ROUNDS) and in all (HISTORY_MAX_BUNDLES).
//
// Measurements are attributed to the bundle they were measured under: a round's document carries the means of
// the telemetry since the previous round (AllocationBundle.measured), which is the previous round's bundle at
// work, so they are stored on the previous entry, beside what its model predicted there.
import { assert, NotFoundError } from '../errors.ts';
import type { AllocationDoc, Bus, MeasuredSummary, ModelSource } from '../bus/types.ts';
import { HISTORY_MAX_BUNDLES, HISTORY_ROUNDS } from './limits.ts';

export interface HistoryBundle {
  app: string;
  cacheMB: number;
  bandwidthMbps: number;
  /** predicted: the model's throughput here over its throughput at the app's equal share */
  normalizedPerf: number;
  source: ModelSource;
  confidence: number;
  referenceOpsPerSec?: number;
  /** what the daemon measured while this bundle was in force (from the next round's document) */
  measured?: MeasuredSummary;
  /** measured throughput over referenceOpsPerSec: the measured counterpart of normalizedPerf */
  measuredNormalized?: number;
}

/** What happened to the allocation in this round (for chart markers). */
export type HistoryMarker = 'held' | 'step' | 'changed' | null;

export interface HistoryEntry {
  epoch: number;
  timeMs: number;
  prices?: { cache: number; bandwidth: number };
  /** held: hysteresis kept the allocation in force; step: moved part of the way to the equilibrium (live
   *  control); changed: moved (all the way); null: the same bundles as the round before */
  marker: HistoryMarker;
  step?: { fractionCache: number; fractionBandwidth: number };
  cleared: boolean;
  maxEnvy: number;
  bundles: HistoryBundle[];
}

/** Bundles closer than this (MB or Mbps) are the same bundle (a held round republishes the same numbers). */
const SAME_AMOUNT = 1e-6;

export class History {
  private readonly byNode = new Map<string, HistoryEntry[]>();
  private bundleCount = 0;

  constructor(readonly maxRounds = HISTORY_ROUNDS, readonly maxBundles = HISTORY_MAX_BUNDLES) {
    assert(Number.isInteger(maxRounds) && maxRounds >= 1, 'history keeps at least one round');
    assert(Number.isInteger(maxBundles) && maxBundles >= 1, 'history keeps at least one bundle');
  }

  /** Records one round (rounds at or below the newest kept epoch of the node are ignored). */
  record(doc: AllocationDoc): void {
    let list = this.byNode.get(doc.node);
    if (!list) this.byNode.set(doc.node, (list = []));
    const prev = list.length > 0 ? list[list.length - 1] : null;
    if (prev && prev.epoch >= doc.epoch) return;
    if (prev && prev.epoch === doc.epoch - 1) attributeMeasured(prev, doc);
    const bundles: HistoryBundle[] = doc.bundles.map((b) => ({
      app: b.app, cacheMB: b.cacheMB, bandwidthMbps: b.bandwidthMbps, normalizedPerf: b.normalizedPerf, source: b.source, confidence: b.confidence,
      ...(b.referenceOpsPerSec !== undefined ? { referenceOpsPerSec: b.referenceOpsPerSec } : {}),
    }));
    const c = doc.certificate;
    const changed = !prev || moved(prev.bundles, bundles);
    list.push({
      epoch: doc.epoch, timeMs: doc.timeMs, ...(doc.prices ? { prices: { ...doc.prices } } : {}),
      marker: c.held ? 'held' : changed ? (c.step ? 'step' : 'changed') : null,
      ...(c.step ? { step: { ...c.step } } : {}),
      cleared: c.cleared, maxEnvy: c.maxEnvy, bundles,
    });
    this.bundleCount += bundles.length;
    while (list.length > this.maxRounds) this.bundleCount -= list.shift()!.bundles.length;
    while (this.bundleCount > this.maxBundles && this.evictOldest()) { /* bounded: each pass removes an entry */ }
  }

  /** The node's kept rounds with epoch >= sinceEpoch, oldest first (a copy). */
  rounds(node: string, sinceEpoch = 0): HistoryEntry[] {
    return (this.byNode.get(node) ?? []).filter((e) => e.epoch >= sinceEpoch).map((e) => structuredClone(e));
  }

  forget(node: string): void {
    const list = this.byNode.get(node);
    if (!list) return;
    for (const e of list) this.bundleCount -= e.bundles.length;
    this.byNode.delete(node);
  }

  get nodes(): number { return this.byNode.size; }
  get bundles(): number { return this.bundleCount; }

  /** Drops the oldest round of the node with the longest history (never a node's only round). */
  private evictOldest(): boolean {
    let longest: HistoryEntry[] | null = null;
    for (const list of this.byNode.values()) if (!longest || list.length > longest.length) longest = list;
    if (!longest || longest.length <= 1) return false;
    this.bundleCount -= longest.shift()!.bundles.length;
    return true;
  }
}

function attributeMeasured(prev: HistoryEntry, doc: AllocationDoc): void {
  for (const b of doc.bundles) {
    if (!b.measured) continue;
    const was = prev.bundles.find((x) => x.app === b.app);
    if (!was) continue;
    was.measured = { ...b.measured };
    if (was.referenceOpsPerSec !== undefined && was.referenceOpsPerSec > 0) was.measuredNormalized = b.measured.throughputOpsPerSec / was.referenceOpsPerSec;
  }
}

function moved(a: HistoryBundle[], b: HistoryBundle[]): boolean {
  if (a.length !== b.length) return true;
  const byApp = new Map(a.map((x) => [x.app, x]));
  return b.some((x) => {
    const y = byApp.get(x.app);
    return !y || Math.abs(y.cacheMB - x.cacheMB) > SAME_AMOUNT || Math.abs(y.bandwidthMbps - x.bandwidthMbps) > SAME_AMOUNT;
  });
}

/** GET /v1/nodes/{id}/history: the node's kept rounds from `sinceEpoch` on, with the limit that bounds them. */
export async function nodeHistory(bus: Bus, history: History, id: string, sinceEpoch = 0): Promise<{ node: string; maxRounds: number; rounds: HistoryEntry[] }> {
  if (!(await bus.getNode(id))) throw new NotFoundError('node', id);
  return { node: id, maxRounds: history.maxRounds, rounds: history.rounds(id, sinceEpoch) };
}
