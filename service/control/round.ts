// One allocation round for one node (issue 4, "the control loop"): close each estimator's epoch (telling it the
// region the market may move the app in next), build the scenario (apps without a model pinned near their
// equal share, with exploration offsets), solve with the live-control options, publish with the next epoch
// (fenced by the node's lease).
// A silent node keeps its last allocation. Errors are the caller's to log and count (loop.ts).
import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import type { Engine } from '../market/engine.ts';
import { SI_TOL, solveScenario } from '../market/solve.ts';
import { buildProblem } from '../market/problem.ts';
import type { Certificate, MrcModel, Policy, Scenario, SolveResult } from '../scenario/types.ts';
import { amountOf, shareOf } from '../units.ts';
import type { AllocationDoc, AppRecord, Bus, MeasuredSummary, NodeRecord } from '../bus/types.ts';
import type { Estimators } from './estimators.ts';
import { buildRoundScenario, referenceShares, type AppInput, type RoundScenario } from './round-scenario.ts';
import { nextRoundRegion } from './regions.ts';
import { FALLBACK_TRADE_ANGLES } from './explore.ts';
import { secFromMs } from '../units.ts';
import type { Metrics } from './metrics.ts';
import type { MeasuredWindows } from './measured.ts';

export interface RoundOptions {
  policy: Policy;
  /** trust region per round as a share of capacity (both resources); undefined = off */
  trustRegionShare?: number;
  hysteresisShare?: number;
  /** exploration offset (share of capacity) of apps pinned for lack of a model; undefined = off */
  exploreShare?: number;
  /** the most an explorer's own model may predict it loses in a round (explore.ts); undefined = the default */
  exploreMaxLoss?: number;
  /** a node whose daemon sent nothing for this long is silent */
  silentAfterMs: number;
  /** plan partitionable apps on the convex hulls of their curves, with page splits (default true) */
  convexify?: boolean;
}

export interface RoundDeps {
  bus: Bus;
  engine: Engine;
  estimators: Estimators;
  metrics: Metrics;
  log: Logger;
  replica: string;
  options: RoundOptions;
  /** telemetry means since the last round, carried in the document (the dashboard's measured figures) */
  measured?: MeasuredWindows;
}

export type RoundOutcome = 'published' | 'held' | 'silent' | 'idle' | 'lost-lease' | 'stale' | 'gone';

export interface RoundResult {
  outcome: RoundOutcome;
  doc?: AllocationDoc;
}

/** Runs one round for `nodeId`; throws on failures (bad registry data, solver errors, bus errors). */
export async function runRound(d: RoundDeps, nodeId: string): Promise<RoundResult> {
  const [node, apps, prev, state] = await Promise.all([
    d.bus.getNode(nodeId), d.bus.listApps(nodeId), d.bus.getAllocation(nodeId), d.bus.getNodeState(nodeId),
  ]);
  if (!node) return { outcome: 'gone' };
  const now = Date.now();
  const lastHeardMs = state.lastTelemetryMs ?? node.createdMs;
  const silent = now - lastHeardMs > d.options.silentAfterMs;
  if (silent && prev && !appSetChanged(apps, prev)) {
    if (!state.silent) {
      d.log.warn({ node: nodeId, lastTelemetryMs: state.lastTelemetryMs }, 'node daemon silent: keeping its last allocation');
      await d.bus.patchNodeState(nodeId, { silent: true });
    }
    return { outcome: 'silent' };
  }
  if (apps.length === 0) return publishEmpty(d, node, prev, silent);

  const persisted = await d.bus.getFittedModels(nodeId);
  const cap = node.capacity;
  const refs = referenceShares(cap, apps.map((app) => ({ app })));
  const inForce = new Map((prev?.bundles ?? []).map((b) => [b.app, b]));
  const e0 = performance.now();
  const inputs: AppInput[] = apps.map((app, i) => {
    const est = d.estimators.get(app.id);
    if (est) est.endEpoch({ region: nextRoundRegion(app, cap, refs.refX[i], refs.refY[i], inForce.get(app.id), d.options.trustRegionShare) });
    const cur = est ? est.current() : null;
    if (cur && d.log.isLevelEnabled?.('debug')) {
      d.log.debug({
        node: nodeId, app: app.id, confidence: cur.confidence, enoughData: cur.enoughData, samples: cur.samples,
        parts: cur.parts, mrcSource: cur.mrcSource, lastEpochError: cur.lastEpochError,
      }, 'estimate');
    }
    return { app, estimate: cur, persisted: persisted[app.id] };
  });
  d.metrics.estimateSeconds.observe(secFromMs(performance.now() - e0));
  const round = (prev?.epoch ?? 0) + 1;
  const explore = d.options.exploreShare !== undefined && d.options.policy === 'spirit'
    ? {
      share: d.options.exploreShare, maxShare: d.options.trustRegionShare ?? d.options.exploreShare,
      ...(d.options.exploreMaxLoss !== undefined ? { maxLoss: d.options.exploreMaxLoss } : {}),
    } : undefined;
  let built = buildRoundScenario(nodeId, cap, inputs, prev, { explore, round });
  for (const [app, why] of built.rejected) d.log.warn({ node: nodeId, app }, `model not used: ${why}`);
  const t0 = performance.now();
  let result = solveRound(d, built.scenario, cap);
  if (built.explored.size > 0) {
    // a lone explorer trades with the pool: a market app must not end below its equal share. Other trade
    // rates are tried (the market apps may be made whole by more bandwidth for the cache taken, or the
    // reverse), then the round goes without exploration.
    const plain = buildRoundScenario(nodeId, cap, inputs, prev, { round });
    let loser = marketAppBelowEqualShare(d, built, plain.scenario, result);
    for (const angle of FALLBACK_TRADE_ANGLES) {
      if (loser === null || !explore) break;
      built = buildRoundScenario(nodeId, cap, inputs, prev, { explore: { ...explore, angle }, round });
      result = solveRound(d, built.scenario, cap);
      loser = marketAppBelowEqualShare(d, built, plain.scenario, result);
    }
    if (loser !== null) {
      d.log.debug({ node: nodeId, app: loser }, 'exploration dropped for this round: a market app would fall below its equal share');
      built = plain;
      result = solveRound(d, built.scenario, cap);
    }
  }
  d.metrics.solveSeconds.observe({ source: 'round' }, secFromMs(performance.now() - t0));
  const refOps = referenceThroughputs(d, built);
  const doc: AllocationDoc = {
    node: nodeId, epoch: (prev?.epoch ?? 0) + 1, timeMs: Date.now(), replica: d.replica, policy: result.policy,
    bundles: result.allocations.map((a) => ({
      app: a.id, cacheMB: a.cacheMB, bandwidthMbps: a.bandwidthMbps, normalizedPerf: a.normalizedPerf,
      ...(built.sources.get(a.id) ?? { source: 'equal-share' as const, confidence: 0 }),
      ...(refOps.has(a.id) ? { referenceOpsPerSec: refOps.get(a.id) } : {}),
      ...withMeasured(d, nodeId, a.id, inForce.get(a.id)),
      // the hash split that realizes the hull of the app's curve (convexified solves): daemons apply it
      ...(a.partitions ? { partitions: a.partitions } : {}),
    })),
    ...(result.prices ? { prices: result.prices } : {}),
    certificate: result.certificate, elapsedMs: result.elapsedMs, engine: result.engine,
  };
  const outcome = await d.bus.publishAllocation(doc, d.replica);
  if (outcome === 'not-holder') return { outcome: 'lost-lease' };
  if (outcome === 'stale') return { outcome: 'stale' };
  const fitted: Record<string, MrcModel> = {};
  for (const a of inputs) {
    if (built.sources.get(a.app.id)?.source === 'estimated' && a.estimate?.model) fitted[a.app.id] = a.estimate.model;
  }
  await d.bus.putFittedModels(nodeId, fitted);
  await d.bus.patchNodeState(nodeId, { silent, lastRoundMs: doc.timeMs, lastError: null, lastErrorMs: null });
  return { outcome: result.certificate.held ? 'held' : 'published', doc };
}

/** Each modelled app's throughput at its weighted equal share under the round's model (pinned apps have none). */
function referenceThroughputs(d: RoundDeps, built: RoundScenario): Map<string, number> {
  const out = new Map<string, number>();
  const p = buildProblem(built.scenario);
  d.engine.load(p);
  for (let i = 0; i < p.n; i++) {
    if ((built.sources.get(p.ids[i])?.source ?? 'equal-share') === 'equal-share') continue;
    const f = d.engine.refPerf(i);
    if (Number.isFinite(f) && f > 0) out.set(p.ids[i], f);
  }
  return out;
}

/** What was measured of the app under the bundle in force (the previous round's), if anything. */
function withMeasured(d: RoundDeps, node: string, app: string, inForce: { cacheMB: number; bandwidthMbps: number } | undefined): { measured?: MeasuredSummary } {
  const m = d.measured?.take(node, app, inForce);
  return m ? { measured: m } : {};
}

function solveRound(d: RoundDeps, scenario: Scenario, cap: { cacheMB: number; bandwidthMbps: number }): SolveResult {
  const share = d.options.trustRegionShare;
  return solveScenario(d.engine, scenario, {
    policy: d.options.policy,
    ...(share !== undefined ? {
      trustRegionCacheMB: amountOf(share, cap.cacheMB),
      trustRegionBandwidthMbps: amountOf(share, cap.bandwidthMbps),
    } : {}),
    hysteresisShare: d.options.hysteresisShare,
    ...(d.options.convexify !== undefined ? { convexify: d.options.convexify } : {}),
  });
}

/**
 * The first market app (one with a model, not pinned) that does worse in `result` than at its true equal share,
 * i.e. its reference in the scenario without exploration offsets, or null. Exploring apps that trade with each
 * other leave those references unchanged; a lone explorer trades with the pool, which this checks.
 */
function marketAppBelowEqualShare(d: RoundDeps, built: RoundScenario, plain: Scenario, result: SolveResult): string | null {
  const p = buildProblem(plain);
  d.engine.load(p);
  const byId = new Map(result.allocations.map((a) => [a.id, a]));
  for (let i = 0; i < p.n; i++) {
    if (built.sources.get(p.ids[i])?.source === 'equal-share') continue;
    const a = byId.get(p.ids[i]);
    if (!a) continue;
    const f = d.engine.perf(i, shareOf(a.cacheMB, p.capacity.cacheMB), shareOf(a.bandwidthMbps, p.capacity.bandwidthMbps));
    if (f < d.engine.refPerf(i) * (1 - SI_TOL)) return p.ids[i];
  }
  return null;
}

/** The set of apps (or an app's weight or limits) changed since `prev` was computed. */
function appSetChanged(apps: AppRecord[], prev: AllocationDoc): boolean {
  if (apps.length !== prev.bundles.length) return true;
  const had = new Set(prev.bundles.map((b) => b.app));
  return apps.some((a) => !had.has(a.id) || a.updatedMs > prev.timeMs);
}

/** All apps left: announce an empty allocation once, so the daemon releases what they held. */
async function publishEmpty(d: RoundDeps, node: NodeRecord, prev: AllocationDoc | null, silent: boolean): Promise<RoundResult> {
  if (!prev || prev.bundles.length === 0) return { outcome: 'idle' };
  const certificate: Certificate = {
    cleared: true, iterations: 0, leftoverCacheMB: node.capacity.cacheMB, leftoverBandwidthMbps: node.capacity.bandwidthMbps,
    maxEnvy: 0, sharingIncentiveViolations: [],
  };
  const doc: AllocationDoc = {
    node: node.id, epoch: prev.epoch + 1, timeMs: Date.now(), replica: d.replica, policy: d.options.policy,
    bundles: [], certificate, elapsedMs: 0,
  };
  const outcome = await d.bus.publishAllocation(doc, d.replica);
  if (outcome !== 'published') return { outcome: outcome === 'not-holder' ? 'lost-lease' : 'stale' };
  await d.bus.patchNodeState(node.id, { silent, lastRoundMs: doc.timeMs, lastError: null, lastErrorMs: null });
  return { outcome: 'published', doc };
}
