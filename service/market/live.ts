// Live-control options of a solve (DESIGN.md section 4), used by the control loop; a what-if solve uses none.
//  - trust region: each app's new bundle stays within a distance of its current one, for BOTH resources
//    (the reference moved only cache, so bandwidth swung wildly). The box always includes the app's reference
//    bundle, so the sharing incentive holds in every round, not only at the end of a transition.
//  - hysteresis: when no app's bundle would move by more than a threshold, the current allocation is kept
//    (no flapping between nearly equal allocations).
import { InputError } from '../errors.ts';
import { shareOf } from '../units.ts';
import { computeClasses, type Problem } from './problem.ts';

export interface LiveOptions {
  /** largest change of an app's cache per solve, MB (off when undefined) */
  trustRegionCacheMB?: number;
  /** largest change of an app's bandwidth per solve, Mbps (off when undefined) */
  trustRegionBandwidthMbps?: number;
  /** keep the current allocation when no bundle moves by more than this share of capacity (off when undefined) */
  hysteresisShare?: number;
}

export function checkLiveOptions(o: LiveOptions): void {
  for (const k of ['trustRegionCacheMB', 'trustRegionBandwidthMbps', 'hysteresisShare'] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new InputError(k, `must be a finite number >= 0, got ${v}`);
  }
  if (o.hysteresisShare !== undefined && o.hysteresisShare > 1) {
    throw new InputError('hysteresisShare', `is a share of capacity, at most 1; got ${o.hysteresisShare}`);
  }
}

/** Narrow each app's box to its trust region (apps without a current bundle keep their limits). */
export function applyTrustRegion(p: Problem, o: LiveOptions): boolean {
  const dx = o.trustRegionCacheMB === undefined ? Infinity : shareOf(o.trustRegionCacheMB, p.capacity.cacheMB);
  const dy = o.trustRegionBandwidthMbps === undefined ? Infinity : shareOf(o.trustRegionBandwidthMbps, p.capacity.bandwidthMbps);
  if (dx === Infinity && dy === Infinity) return false;
  let changed = false;
  for (let i = 0; i < p.n; i++) {
    if (Number.isNaN(p.curX[i])) continue;
    const box = (cur: number, ref: number, d: number, lo: number, hi: number): [number, number] => {
      if (d === Infinity) return [lo, hi];
      return [Math.max(lo, Math.min(cur, ref) - d), Math.min(hi, Math.max(cur, ref) + d)];
    };
    [p.xmin[i], p.xmax[i]] = box(p.curX[i], p.refX[i], dx, p.xmin[i], p.xmax[i]);
    [p.ymin[i], p.ymax[i]] = box(p.curY[i], p.refY[i], dy, p.ymin[i], p.ymax[i]);
    changed = true;
  }
  if (changed) p.classId = computeClasses(p);
  return changed;
}

/** True when the solved allocation is within the hysteresis band of the current one for every app. */
export function withinHysteresis(p: Problem, x: Float64Array, y: Float64Array, h: number): boolean {
  for (let i = 0; i < p.n; i++) {
    if (Number.isNaN(p.curX[i])) return false;
    if (Math.abs(x[i] - p.curX[i]) > h || Math.abs(y[i] - p.curY[i]) > h) return false;
  }
  return true;
}
