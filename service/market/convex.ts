// The curves the market plans on: an error margin on every model, and the lower convex hull of the miss-ratio
// curve of every app whose pages the data plane can split (Talus: two hash partitions realize any point of
// the hull). Pure functions on [x, missRatio] points; problem.ts applies them before encoding.
import { assert } from '../errors.ts';

/**
 * Every model is planned as if the app had this share less of both resources than it is given: the bundle an
 * app gets must still deliver what was promised when its curve is off by a little (a knot 0.1% further right,
 * 0.1% less bandwidth than measured). Planning on f((1 - margin) x, (1 - margin) y) means no bundle sits on
 * the exact edge of an estimated curve (a knot, a cliff top, 0 Mbps at the point where misses reach 0).
 */
export const CURVE_MARGIN_SHARE = 0.001;

/**
 * No app is planned with fewer misses than this. A curve that reaches 0 misses is an estimate (a real app
 * still misses on its first touches), and at exactly 0 misses an app would need no bandwidth at all: its
 * throughput would jump from the bandwidth bound to the latency bound at one knot, the very edge an estimated
 * curve must never be optimized to. With the floor, throughput is continuous, and every app keeps a trickle
 * of bandwidth (one page per 10^4 accesses).
 */
export const MISS_RATIO_FLOOR = 1e-4;

export type CurvePoint = readonly [x: number, missRatio: number];

/** The curve with its miss ratio raised to at least `floor` (keeps a convex curve convex). */
export function withFloor(points: readonly CurvePoint[], floor = MISS_RATIO_FLOOR): CurvePoint[] {
  return points.map(([x, m]) => [x, m < floor ? floor : m] as const);
}

/** Knots moved right by 1 / (1 - margin): the curve seen with `margin` less cache. */
export function withMargin(points: readonly CurvePoint[], margin = CURVE_MARGIN_SHARE): CurvePoint[] {
  const s = 1 / (1 - margin);
  return points.map(([x, m]) => [x * s, m] as const);
}

/**
 * The lower convex hull of a non-increasing piecewise-linear curve, as its vertices (x strictly increasing).
 * The curve is flat left of its first point (the model format says so), so a first point at x > 0 is
 * joined by (0, m_0): a partition holding no cache realizes it. Collinear points are dropped.
 */
export function lowerHull(points: readonly CurvePoint[]): CurvePoint[] {
  assert(points.length >= 1, 'a curve has at least one point');
  const src: CurvePoint[] = points[0][0] > 0 ? [[0, points[0][1]], ...points] : [...points];
  const hull: CurvePoint[] = [];
  for (const c of src) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      // b lies on or above the chord a-c: not a vertex of the lower hull
      const cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
      if (cross <= 0) hull.pop(); else break;
    }
    hull.push(c);
  }
  return hull;
}

/** True when the curve (flat before its first point) already is its own lower convex hull. */
export function isConvex(points: readonly CurvePoint[], tol = 1e-12): boolean {
  const hull = lowerHull(points);
  return points.every(([x, m]) => Math.abs(missOn(hull, x) - m) <= tol);
}

/** Miss ratio of a piecewise-linear curve at x (flat beyond both ends). */
export function missOn(curve: readonly CurvePoint[], x: number): number {
  const n = curve.length;
  if (x <= curve[0][0]) return curve[0][1];
  if (x >= curve[n - 1][0]) return curve[n - 1][1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (curve[mid][0] <= x) lo = mid; else hi = mid;
  }
  const [x0, m0] = curve[lo];
  const [x1, m1] = curve[hi];
  return m0 + ((x - x0) / (x1 - x0)) * (m1 - m0);
}

export interface PartitionShare {
  /** share of the app's pages (by hash) the partition sees */
  accessShare: number;
  /** cache the partition holds, in the hull's x unit */
  cache: number;
}

/** Sizes closer than this (relative to the segment) to a hull vertex are the vertex: one partition. */
const VERTEX_SNAP = 1e-9;

/**
 * The split that makes an app holding `x` of cache miss like its hull at x: on the hull segment [s1, s2]
 * around x, a partition seeing r = (s2 - x) / (s2 - s1) of the pages with r * s1 of cache and one seeing
 * 1 - r with (1 - r) * s2 (Talus: a partition seeing share r with r * s behaves like the whole app in s).
 * At a vertex, or beyond the hull's ends, one partition holds everything.
 */
export function partitionsAt(hull: readonly CurvePoint[], x: number): PartitionShare[] {
  const n = hull.length;
  if (n < 2 || x <= hull[0][0] || x >= hull[n - 1][0]) return [{ accessShare: 1, cache: x }];
  let k = 1;
  while (k < n - 1 && hull[k][0] < x) k++;
  const s1 = hull[k - 1][0];
  const s2 = hull[k][0];
  const r = (s2 - x) / (s2 - s1);
  if (r <= VERTEX_SNAP || r >= 1 - VERTEX_SNAP) return [{ accessShare: 1, cache: x }];
  return [{ accessShare: r, cache: r * s1 }, { accessShare: 1 - r, cache: x - r * s1 }];
}
