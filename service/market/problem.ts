// A scenario turned into the market's input: flat typed arrays in capacity shares, read by both the WASM
// core and the TypeScript twin. Budgets, limits and the reference bundles (the weighted equal split that
// every app must do at least as well as) are computed here, once.
import { InputError } from '../errors.ts';
import type { Capacity, Scenario } from '../scenario/types.ts';
import { amountOf, shareOf } from '../units.ts';
import { encodeModel, encodedLength } from './encoding.ts';
import { waterFill } from './water-fill.ts';

export interface Problem {
  n: number;
  capacity: Capacity;
  ids: string[];
  weights: Float64Array;
  /** budget of each app in the market; prices are normalized so p_cache + p_bandwidth = 1 */
  budget: Float64Array;
  xmin: Float64Array; xmax: Float64Array; ymin: Float64Array; ymax: Float64Array;
  /** reference bundle: the weighted equal split within the limits (the static policy's allocation) */
  refX: Float64Array; refY: Float64Array;
  /** allocation in force (NaN where the scenario gives none) */
  curX: Float64Array; curY: Float64Array;
  models: Float64Array;
  modelOff: Int32Array;
  /** identity class of each app (computeClasses) */
  classId: Int32Array;
}

export function buildProblem(s: Scenario): Problem {
  const n = s.apps.length;
  const cap = s.capacity;
  const f = () => new Float64Array(n);
  const p: Problem = {
    n, capacity: { ...cap }, ids: s.apps.map((a) => a.id),
    weights: f(), budget: f(), xmin: f(), xmax: f(), ymin: f(), ymax: f(), refX: f(), refY: f(), curX: f(), curY: f(),
    models: new Float64Array(s.apps.reduce((t, a) => t + encodedLength(a.model), 0)),
    modelOff: new Int32Array(n), classId: new Int32Array(n),
  };
  let wsum = 0;
  for (const a of s.apps) wsum += a.weight ?? 1;
  let off = 0;
  s.apps.forEach((a, i) => {
    const l = a.limits ?? {};
    p.weights[i] = a.weight ?? 1;
    p.xmin[i] = Math.min(1, shareOf(l.minCacheMB ?? 0, cap.cacheMB));
    p.xmax[i] = Math.min(1, shareOf(l.maxCacheMB ?? cap.cacheMB, cap.cacheMB));
    p.ymin[i] = Math.min(1, shareOf(l.minBandwidthMbps ?? 0, cap.bandwidthMbps));
    p.ymax[i] = Math.min(1, shareOf(l.maxBandwidthMbps ?? cap.bandwidthMbps, cap.bandwidthMbps));
    p.curX[i] = a.current ? shareOf(a.current.cacheMB, cap.cacheMB) : NaN;
    p.curY[i] = a.current ? shareOf(a.current.bandwidthMbps, cap.bandwidthMbps) : NaN;
    p.modelOff[i] = off;
    off = encodeModel(a.model, cap, p.models, off);
  });
  const beta = p.weights.map((w) => w / wsum);
  p.refX.set(waterFill(beta, p.xmin, p.xmax));
  p.refY.set(waterFill(beta, p.ymin, p.ymax));
  // The reference bundle must be affordable at every price (p_c + p_b = 1): a budget of max(refX, refY)
  // is exactly that. Without limits it is the weight share.
  for (let i = 0; i < n; i++) p.budget[i] = Math.max(p.refX[i], p.refY[i]);
  p.classId = computeClasses(p);
  return p;
}

/** Throughput at the reference bundle must be positive, or normalized performance has no meaning. */
export function checkReferencePerf(p: Problem, refPerf: Float64Array): void {
  for (let i = 0; i < p.n; i++) {
    if (!(refPerf[i] > 0)) {
      throw new InputError(`apps[${i}].model`,
        `app '${p.ids[i]}' has zero throughput at its weighted equal share (${round(amountOf(p.refX[i], p.capacity.cacheMB))} MB, ` +
        `${round(amountOf(p.refY[i], p.capacity.bandwidthMbps))} Mbps), so its normalized performance is undefined`);
    }
  }
}

const round = (v: number): number => Math.round(v * 100) / 100;

/**
 * Class of each app: apps with the same model, budget, weight and box of limits share a class, and the market
 * treats a class as one (so identical apps always get identical bundles). Call again after changing boxes.
 */
export function computeClasses(p: Problem): Int32Array {
  const keys = new Map<string, number>();
  const out = new Int32Array(p.n);
  for (let i = 0; i < p.n; i++) {
    const end = i + 1 < p.n ? p.modelOff[i + 1] : p.models.length;
    const parts: number[] = [p.weights[i], p.budget[i], p.xmin[i], p.xmax[i], p.ymin[i], p.ymax[i]];
    for (let k = p.modelOff[i]; k < end; k++) parts.push(p.models[k]);
    const key = parts.join(',');
    let c = keys.get(key);
    if (c === undefined) { c = keys.size; keys.set(key, c); }
    out[i] = c;
  }
  return out;
}
