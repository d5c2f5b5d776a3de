// Live-control options of a solve (DESIGN.md section 4), used by the control loop; a what-if solve uses none.
//
//  - trust region: each round moves every app's bundle at most a given distance from the bundle in force, for
//    BOTH resources (the reference moved only cache, so bandwidth swung wildly). It is a limit on the step,
//    not on the search: the market still finds the equilibrium of the whole node, and the allocation moves
//    toward it. (Searching only inside the region is the reference's mistake: from the equal split it stalls
//    at a local fixed point, e.g. at 0.71 of the equilibrium's geometric mean on `weighted`, while far better
//    fair allocations exist.) The step is a convex combination of the bundles in force and the equilibrium,
//    so it is feasible and within every limit; it is made longer than the region only when an app would
//    otherwise fall below its reference throughput on the way (the sharing incentive holds every round).
//  - hysteresis: when no app's bundle in the equilibrium differs from the one in force by more than a
//    threshold, the allocation in force is kept (no flapping between nearly equal allocations).
import { InputError } from '../errors.ts';
import { shareOf } from '../units.ts';
import type { Engine } from './engine.ts';
import type { Problem } from './problem.ts';

export interface LiveOptions {
  /** largest change of an app's cache per solve, MB (off when undefined) */
  trustRegionCacheMB?: number;
  /** largest change of an app's bandwidth per solve, Mbps (off when undefined) */
  trustRegionBandwidthMbps?: number;
  /** keep the current allocation when no bundle moves by more than this share of capacity (off when undefined) */
  hysteresisShare?: number;
}

/** The step doubles at most this many times when a shorter one would leave an app below its reference. */
const STEP_DOUBLINGS = 12;
/** Below the reference by more than this (relative) counts as a violation (as in the certificate). */
const SI_TOL = 1e-9;

export function checkLiveOptions(o: LiveOptions): void {
  for (const k of ['trustRegionCacheMB', 'trustRegionBandwidthMbps', 'hysteresisShare'] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new InputError(k, `must be a finite number >= 0, got ${v}`);
  }
  if (o.hysteresisShare !== undefined && o.hysteresisShare > 1) {
    throw new InputError('hysteresisShare', `is a share of capacity, at most 1; got ${o.hysteresisShare}`);
  }
}

export const trustRegionOn = (o: LiveOptions): boolean =>
  o.trustRegionCacheMB !== undefined || o.trustRegionBandwidthMbps !== undefined;

/**
 * The bundles in force as a starting point: every app's `current` clamped into its limits (an app without
 * one starts at its minimum), or null when they do not fit the node (then the allocation jumps).
 */
export function startingPoint(p: Problem): { x: Float64Array; y: Float64Array } | null {
  const x = new Float64Array(p.n);
  const y = new Float64Array(p.n);
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < p.n; i++) {
    const cx = Number.isNaN(p.curX[i]) ? p.xmin[i] : p.curX[i];
    const cy = Number.isNaN(p.curY[i]) ? p.ymin[i] : p.curY[i];
    x[i] = Math.min(p.xmax[i], Math.max(p.xmin[i], cx));
    y[i] = Math.min(p.ymax[i], Math.max(p.ymin[i], cy));
    sx += x[i];
    sy += y[i];
  }
  return sx <= 1 + 1e-9 && sy <= 1 + 1e-9 ? { x, y } : null;
}

/**
 * The next allocation from (cx, cy) toward the equilibrium (tx, ty): per resource, the fraction of the way
 * that moves no app more than the trust region; doubled until every app keeps its reference throughput.
 */
export function stepToward(p: Problem, engine: Engine, cx: Float64Array, cy: Float64Array, tx: Float64Array, ty: Float64Array,
  o: LiveOptions): { x: Float64Array; y: Float64Array; fractionCache: number; fractionBandwidth: number } {
  const dx = o.trustRegionCacheMB === undefined ? Infinity : shareOf(o.trustRegionCacheMB, p.capacity.cacheMB);
  const dy = o.trustRegionBandwidthMbps === undefined ? Infinity : shareOf(o.trustRegionBandwidthMbps, p.capacity.bandwidthMbps);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < p.n; i++) {
    mx = Math.max(mx, Math.abs(tx[i] - cx[i]));
    my = Math.max(my, Math.abs(ty[i] - cy[i]));
  }
  let ax = mx > dx ? dx / mx : 1;
  let ay = my > dy ? dy / my : 1;
  const x = new Float64Array(p.n);
  const y = new Float64Array(p.n);
  for (let k = 0; k <= STEP_DOUBLINGS; k++) {
    let fair = true;
    for (let i = 0; i < p.n; i++) {
      x[i] = ax >= 1 ? tx[i] : cx[i] + ax * (tx[i] - cx[i]);
      y[i] = ay >= 1 ? ty[i] : cy[i] + ay * (ty[i] - cy[i]);
      if (fair && engine.perf(i, x[i], y[i]) < engine.refPerf(i) * (1 - SI_TOL)) fair = false;
    }
    if (fair || (ax >= 1 && ay >= 1)) break;
    ax = Math.min(1, 2 * ax);
    ay = Math.min(1, 2 * ay);
  }
  return { x, y, fractionCache: ax, fractionBandwidth: ay };
}

/** True when the equilibrium is within the hysteresis band of the bundles in force for every app. */
export function withinHysteresis(cx: Float64Array, cy: Float64Array, x: Float64Array, y: Float64Array, h: number): boolean {
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i] - cx[i]) > h || Math.abs(y[i] - cy[i]) > h) return false;
  }
  return true;
}
