// One node's scenario for one round: each app's model from the best source it has (estimated from telemetry,
// persisted by an earlier replica, declared at registration), the allocation in force as `current` (live
// control), whether the data plane can split the app's pages (`partitionable`, from its registration), and
// apps with no model pinned to their weighted equal share (DESIGN.md section 5), offset by exploration
// (explore.ts) while their estimator is learning them.
import { InputError } from '../errors.ts';
import { buildProblem } from '../market/problem.ts';
import { validateScenario } from '../scenario/validate.ts';
import type { AppSpec, Bundle, Capacity, Model, MrcModel, Scenario } from '../scenario/types.ts';
import { amountOf, shareOf } from '../units.ts';
import type { AllocationDoc, AppRecord, ModelSource } from '../bus/types.ts';
import { throughputOf } from '../estimator/model.ts';
import { explorationOffsets, type Explorer, type ExploreOptions } from './explore.ts';

export interface AppInput {
  app: AppRecord;
  /** the estimator's view, when the app has an estimator */
  estimate: { model: MrcModel | null; confidence: number; enoughData: boolean; samples?: number; epoch?: number } | null;
  /** the last fitted model an earlier round stored */
  persisted?: MrcModel;
}

export interface RoundScenario {
  scenario: Scenario;
  sources: Map<string, { source: ModelSource; confidence: number }>;
  /** models that were rejected (app id -> reason); the app fell back to the next source */
  rejected: Map<string, string>;
  /** exploring apps and their offsets from the equal share (capacity shares) */
  explored: Map<string, { dx: number; dy: number }>;
}

export interface RoundScenarioOptions {
  /** exploration of apps pinned for lack of a model (off when undefined) */
  explore?: ExploreOptions;
  /** the round's number (the epoch it will publish): the phase of the exploration offsets */
  round?: number;
}

/**
 * A placeholder model for pinned apps: any valid model does, because min = max fixes the bundle. (Its
 * normalized performance is 1 by construction: the pinned bundle is the reference bundle.)
 */
function placeholderModel(cap: Capacity): MrcModel {
  return { type: 'mrc', mrc: [[0, 1], [cap.cacheMB, 0]], pageBytes: 4096, localNs: 100, remoteNs: 1000 };
}

/** True when `model` is a valid model for this node (validated alone, so one bad model fails only its app). */
function checkModel(model: Model, cap: Capacity): string | null {
  try {
    validateScenario({ capacity: cap, apps: [{ id: 'probe', model }] });
    return null;
  } catch (err) {
    if (err instanceof InputError) return err.message;
    throw err;
  }
}

function pickModel(a: AppInput, cap: Capacity, rejected: Map<string, string>): { model: Model | null; source: ModelSource; confidence: number } {
  const confidence = a.estimate?.confidence ?? 0;
  const candidates: [Model | null | undefined, ModelSource][] = [
    [a.estimate?.enoughData ? a.estimate.model : null, 'estimated'],
    [a.persisted, 'persisted'],
    [a.app.model, 'declared'],
  ];
  for (const [model, source] of candidates) {
    if (!model) continue;
    const why = checkModel(model, cap);
    if (why === null) return { model, source, confidence };
    rejected.set(a.app.id, `${source} model: ${why}`);
  }
  return { model: null, source: 'equal-share', confidence };
}

export function buildRoundScenario(nodeId: string, cap: Capacity, apps: AppInput[], prev: AllocationDoc | null, opts: RoundScenarioOptions = {}): RoundScenario {
  const n = apps.length;
  const { refX, refY } = referenceShares(cap, apps);
  const prevBundles = new Map((prev?.bundles ?? []).map((b) => [b.app, b]));
  const sources = new Map<string, { source: ModelSource; confidence: number }>();
  const rejected = new Map<string, string>();
  const picks = apps.map((a) => pickModel(a, cap, rejected));
  // explore the apps pinned for lack of a model whose telemetry flows (an app without data gains nothing);
  // alone on its node an app gets everything whatever its model
  const explorers: Explorer[] = n < 2 || !opts.explore ? [] : apps.flatMap((a, i) =>
    picks[i].source === 'equal-share' && (a.estimate?.samples ?? 0) > 0 ? [explorerOf(a, cap, refX[i], refY[i])] : []);
  let explored = opts.explore ? explorationOffsets(opts.round ?? 0, explorers, opts.explore, opts.explore.angle) : new Map<string, { dx: number; dy: number }>();
  // offsets that do not cancel (a lone explorer) trade with the apps the market allocates: with none of those on
  // the node there is nobody to trade with, and the pinned bundles would not fit the node
  let sumX = 0;
  let sumY = 0;
  for (const o of explored.values()) { sumX += o.dx; sumY += o.dy; }
  if ((Math.abs(sumX) > 1e-12 || Math.abs(sumY) > 1e-12) && !picks.some((pk) => pk.model !== null)) explored = new Map();
  const specs: AppSpec[] = [];
  for (let i = 0; i < n; i++) {
    const a = apps[i];
    const picked = picks[i];
    sources.set(a.app.id, { source: picked.source, confidence: picked.confidence });
    const spec: AppSpec = {
      id: a.app.id, weight: a.app.weight, model: picked.model ?? placeholderModel(cap),
      // whether the data plane can split the app's pages (kernel-swap apps cannot): the market convexifies only
      // those. A pinned app's model is a placeholder: a split of its curve would mean nothing (and would change
      // the app's region every round while the estimator learns it), so it is never split.
      ...(picked.model === null ? { partitionable: false } : a.app.partitionable !== undefined ? { partitionable: a.app.partitionable } : {}),
    };
    if (picked.model) {
      if (a.app.limits) spec.limits = { ...a.app.limits };
    } else {
      const off = explored.get(a.app.id) ?? { dx: 0, dy: 0 };
      const c = amountOf(refX[i] + off.dx, cap.cacheMB);
      const b = amountOf(refY[i] + off.dy, cap.bandwidthMbps);
      spec.limits = { minCacheMB: c, maxCacheMB: c, minBandwidthMbps: b, maxBandwidthMbps: b };
    }
    const cur = prevBundles.get(a.app.id);
    if (cur) spec.current = clampBundle(cur, cap);
    specs.push(spec);
  }
  const { scenario } = validateScenario({ name: `node ${nodeId}`, capacity: cap, apps: specs });
  return { scenario, sources, rejected, explored };
}

/** An app's equal share and limits in capacity shares, for exploration. */
function explorerOf(a: AppInput, cap: Capacity, refX: number, refY: number): Explorer {
  const { app, estimate } = a;
  const l = app.limits ?? {};
  const model = estimate?.model ?? null;
  const at = (dx: number, dy: number): number => throughputOf(model!, amountOf(refX + dx, cap.cacheMB), amountOf(refY + dy, cap.bandwidthMbps));
  return {
    id: app.id, rounds: estimate?.epoch ?? 0, refX, refY,
    ...(model ? { predictRatio: (dx: number, dy: number) => at(dx, dy) / at(0, 0) } : {}),
    xmin: shareOf(l.minCacheMB ?? 0, cap.cacheMB), xmax: Math.min(1, shareOf(l.maxCacheMB ?? cap.cacheMB, cap.cacheMB)),
    ymin: shareOf(l.minBandwidthMbps ?? 0, cap.bandwidthMbps), ymax: Math.min(1, shareOf(l.maxBandwidthMbps ?? cap.bandwidthMbps, cap.bandwidthMbps)),
  };
}

/**
 * Each app's reference bundle (its weighted equal share within its limits) as capacity shares, computed by the
 * market itself (buildProblem) so a pinned app sits exactly where the market measures sharing incentive.
 */
export function referenceShares(cap: Capacity, apps: Pick<AppInput, 'app'>[]): { refX: Float64Array; refY: Float64Array } {
  const model = placeholderModel(cap);
  const p = buildProblem({
    capacity: cap,
    apps: apps.map((a) => ({ id: a.app.id, weight: a.app.weight, ...(a.app.limits ? { limits: a.app.limits } : {}), model })),
  });
  return { refX: p.refX, refY: p.refY };
}

/** The bundle in force, within the node's capacity (the capacity may have shrunk since). */
function clampBundle(b: Bundle, cap: Capacity): Bundle {
  return { cacheMB: Math.min(Math.max(0, b.cacheMB), cap.cacheMB), bandwidthMbps: Math.min(Math.max(0, b.bandwidthMbps), cap.bandwidthMbps) };
}
