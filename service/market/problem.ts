// A scenario turned into the market's input: flat typed arrays in capacity shares, read by both the WASM
// core and the TypeScript twin. Budgets, limits and the reference bundles (the weighted equal split that
// every app must do at least as well as) are computed here, once.
import { InputError } from '../errors.ts';
import type { Capacity, Scenario } from '../scenario/types.ts';
import { amountOf, shareOf } from '../units.ts';
import { CURVE_MARGIN_SHARE, MISS_RATIO_FLOOR, missFloorOf, planCurve, planned, plannedIsConvex } from './convex.ts';
import { encodeMrc, encodeSurface, encodedLength } from './encoding.ts';
import { waterFill } from './water-fill.ts';

export interface Problem {
  n: number;
  capacity: Capacity;
  ids: string[];
  weights: Float64Array;
  /** budget of each app in the market; prices are normalized so p_cache + p_bandwidth = 1 */
  budget: Float64Array;
  /** the box each app's bundle must lie in (its limits, narrowed by a trust region in live control) */
  xmin: Float64Array; xmax: Float64Array; ymin: Float64Array; ymax: Float64Array;
  /**
   * reservations: the apps' minimum limits. A reservation is granted outside the market: it is free, the
   * market divides the rest, and bundles are compared (envy) net of reservations.
   */
  resX: Float64Array; resY: Float64Array;
  /** reference bundle: reservation + weighted equal split of the rest within the caps (static policy) */
  refX: Float64Array; refY: Float64Array;
  /** allocation in force (NaN where the scenario gives none) */
  curX: Float64Array; curY: Float64Array;
  models: Float64Array;
  modelOff: Int32Array;
  /** identity class of each app (computeClasses) */
  classId: Int32Array;
  /** the error margin every model is planned with (convex.ts CURVE_MARGIN_SHARE) */
  margin: number;
  /** 1 for each app planned on the convex hull of its curve (its encoded curve is the hull: partitionsAt) */
  partitioned: Uint8Array;
  /** some app is planned on its convex hull */
  convexified: boolean;
  /** every app is planned on a convex miss-ratio curve */
  convex: boolean;
  /**
   * each app's share of the rest (its reference beyond its reservation) is proportional to its weight in both
   * resources (no maximum binds in the weighted split): budgets worth those shares are then proportional to
   * weights at every price, so an equilibrium is envy-free. With `convex`, the exact equilibrium applies.
   */
  proportional: boolean;
}

export interface BuildOptions {
  /** plan partitionable apps on the convex hulls of their curves (default true; `spirit solve --no-convexify`) */
  convexify?: boolean;
  /** the curve error margin (default CURVE_MARGIN_SHARE; 0 evaluates models exactly as given) */
  margin?: number;
  /** the cap on the least miss ratio planned with (default MISS_RATIO_FLOOR, see convex.ts missFloorOf; 0
   *  evaluates models exactly as given) */
  missFloor?: number;
}

/** An app the data plane can split: an mrc model, unless the scenario says it cannot be. */
export const isPartitionable = (a: Scenario['apps'][number]): boolean => a.model.type === 'mrc' && a.partitionable !== false;

export function buildProblem(s: Scenario, o: BuildOptions = {}): Problem {
  // (plain loops, no closures: this runs on every uncached POST /v1/solve, where a closure made per call, and
  // the name tsx gives it, cost more than the arithmetic)
  const n = s.apps.length;
  const apps = s.apps;
  const cap = s.capacity;
  const margin = o.margin ?? CURVE_MARGIN_SHARE;
  const convexify = o.convexify ?? true;
  const floor = o.missFloor ?? MISS_RATIO_FLOOR;
  const ids: string[] = new Array(n);
  for (let i = 0; i < n; i++) ids[i] = apps[i].id;
  const p: Problem = {
    n, capacity: { ...cap }, ids,
    weights: new Float64Array(n), budget: new Float64Array(n), xmin: new Float64Array(n), xmax: new Float64Array(n),
    ymin: new Float64Array(n), ymax: new Float64Array(n), resX: new Float64Array(n), resY: new Float64Array(n),
    refX: new Float64Array(n), refY: new Float64Array(n), curX: new Float64Array(n), curY: new Float64Array(n),
    models: new Float64Array(0), modelOff: new Int32Array(n), classId: new Int32Array(n),
    margin, partitioned: new Uint8Array(n), convexified: false, convex: true, proportional: true,
  };
  // each curve planned (convex.ts) and encoded; a hull may add a point, so the buffer has room for one more
  let bound = 0;
  for (let i = 0; i < n; i++) {
    const m = apps[i].model;
    bound += encodedLength(m, m.type === 'mrc' ? m.mrc.length + 1 : undefined);
  }
  const models = new Float64Array(bound);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const a = apps[i];
    p.modelOff[i] = off;
    if (a.model.type === 'surface') {
      p.convex = false;
      off = encodeSurface(a.model, cap, margin, models, off);
      continue;
    }
    const hull = convexify && isPartitionable(a);
    const k = planCurve(a.model.mrc, cap.cacheMB, margin, missFloorOf(a.model.localNs, a.model.remoteNs, floor), hull);
    if (hull) { p.partitioned[i] = 1; p.convexified = true; } else if (!plannedIsConvex()) p.convex = false;
    off = encodeMrc(a.model, cap, margin, planned.x, planned.m, k, models, off);
  }
  p.models = models.subarray(0, off);
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += apps[i].weight ?? 1;
  const beta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = apps[i];
    const l = a.limits;
    p.weights[i] = a.weight ?? 1;
    beta[i] = p.weights[i] / wsum;
    p.xmin[i] = Math.min(1, shareOf(l?.minCacheMB ?? 0, cap.cacheMB));
    p.xmax[i] = Math.min(1, shareOf(l?.maxCacheMB ?? cap.cacheMB, cap.cacheMB));
    p.ymin[i] = Math.min(1, shareOf(l?.minBandwidthMbps ?? 0, cap.bandwidthMbps));
    p.ymax[i] = Math.min(1, shareOf(l?.maxBandwidthMbps ?? cap.bandwidthMbps, cap.bandwidthMbps));
    p.curX[i] = a.current ? shareOf(a.current.cacheMB, cap.cacheMB) : NaN;
    p.curY[i] = a.current ? shareOf(a.current.bandwidthMbps, cap.bandwidthMbps) : NaN;
  }
  p.resX.set(p.xmin);
  p.resY.set(p.ymin);
  let freeX = 1;
  let freeY = 1;
  for (let i = 0; i < n; i++) { freeX -= p.resX[i]; freeY -= p.resY[i]; }
  // room above each reservation (refX, refY serve as scratch until they are set below)
  for (let i = 0; i < n; i++) { p.refX[i] = p.xmax[i] - p.resX[i]; p.refY[i] = p.ymax[i] - p.resY[i]; }
  const shareX = waterFill(beta, p.refX, Math.max(0, freeX));
  const shareY = waterFill(beta, p.refY, Math.max(0, freeY));
  for (let i = 0; i < n; i++) {
    p.refX[i] = p.resX[i] + shareX[i];
    p.refY[i] = p.resY[i] + shareY[i];
    // the app's share of the rest must be affordable at every price (p_c + p_b = 1): a budget of the larger
    // of its two shares is exactly that. Without limits it is the weight share.
    p.budget[i] = Math.max(shareX[i], shareY[i]);
  }
  // (an app pinned at its minima in both resources takes no part: it holds its reservation, envies nobody's
  // bundle beyond it, and nobody envies its empty one)
  p.proportional = proportionalTo(p, beta, shareX) && proportionalTo(p, beta, shareY);
  p.classId = computeClasses(p);
  return p;
}

/** An app that takes part in the market: its box is not a single point at its minima. */
const isFree = (p: Problem, i: number): boolean => p.xmax[i] > p.xmin[i] || p.ymax[i] > p.ymin[i];

/** True when the shares of the apps that take part (isFree) are proportional to beta (within rounding). */
function proportionalTo(p: Problem, beta: Float64Array, share: Float64Array): boolean {
  let t = NaN;
  for (let i = 0; i < p.n; i++) {
    if (!isFree(p, i)) continue;
    if (t !== t) t = share[i] / beta[i];
    if (Math.abs(share[i] / beta[i] - t) > 1e-12 * (t > 1 ? t : 1)) return false;
  }
  return true;
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
 * Class of each app: apps with the same model, budget, weight, box and reservation share a class, and the
 * market treats a class as one (so identical apps always get identical bundles). Call again after changing
 * boxes. Apps are bucketed by a hash of their numbers, then compared exactly.
 */
export function computeClasses(p: Problem): Int32Array {
  const out = new Int32Array(p.n);
  // classes by hash: the first app of each class stands for it; apps with the same hash are compared exactly
  const reps: number[] = [];
  const repHash: number[] = [];
  const buckets = p.n > SMALL_CLASS_SCAN ? new Map<number, number[]>() : null; // hash -> representatives
  let classes = 0;
  for (let i = 0; i < p.n; i++) {
    const h = classHash(p, i);
    let c = -1;
    if (buckets) {
      const list = buckets.get(h);
      if (list) for (const r of list) if (sameClass(p, r, i)) { c = out[r]; break; }
      if (c < 0) { if (list) list.push(i); else buckets.set(h, [i]); }
    } else {
      for (let k = 0; k < reps.length; k++) if (repHash[k] === h && sameClass(p, reps[k], i)) { c = out[reps[k]]; break; }
      if (c < 0) { reps.push(i); repHash.push(h); }
    }
    if (c < 0) c = classes++;
    out[i] = c;
  }
  return out;
}

/** Up to this many apps, classes are found by a scan over their representatives (no map). */
const SMALL_CLASS_SCAN = 16;

const modelEnd = (p: Problem, i: number): number => (i + 1 < p.n ? p.modelOff[i + 1] : p.models.length);

/** The numbers two apps of one class share: the same fields as classHash. */
function sameClass(p: Problem, a: number, b: number): boolean {
  if (p.weights[a] !== p.weights[b] || p.budget[a] !== p.budget[b] || p.xmin[a] !== p.xmin[b] || p.xmax[a] !== p.xmax[b] ||
    p.ymin[a] !== p.ymin[b] || p.ymax[a] !== p.ymax[b] || p.resX[a] !== p.resX[b] || p.resY[a] !== p.resY[b]) return false;
  const la = modelEnd(p, a) - p.modelOff[a];
  if (la !== modelEnd(p, b) - p.modelOff[b]) return false;
  for (let k = 0; k < la; k++) if (p.models[p.modelOff[a] + k] !== p.models[p.modelOff[b] + k]) return false;
  return true;
}

const hashBits = new Float64Array(1);
const hashWords = new Uint32Array(hashBits.buffer);

/** FNV-1a over the bits of a number, continuing from `h`. */
function mixBits(h: number, v: number): number {
  hashBits[0] = v;
  h = Math.imul(h ^ hashWords[0], 0x01000193);
  return Math.imul(h ^ hashWords[1], 0x01000193);
}

function classHash(p: Problem, i: number): number {
  let h = 0x811c9dc5;
  h = mixBits(h, p.weights[i]); h = mixBits(h, p.budget[i]); h = mixBits(h, p.xmin[i]); h = mixBits(h, p.xmax[i]);
  h = mixBits(h, p.ymin[i]); h = mixBits(h, p.ymax[i]); h = mixBits(h, p.resX[i]); h = mixBits(h, p.resY[i]);
  const end = modelEnd(p, i);
  for (let k = p.modelOff[i]; k < end; k++) h = mixBits(h, p.models[k]);
  return h;
}
