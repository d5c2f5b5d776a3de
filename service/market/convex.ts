// The curves the market plans on: an error margin and a miss-ratio floor on every model, and the lower convex
// hull of the miss-ratio curve of every app whose pages the data plane can split (Talus: two hash partitions
// realize any point of the hull). problem.ts plans each curve here, into flat arrays, before encoding.
import { shareOf } from '../units.ts';
import { MRC_HEADER } from './encoding.ts';

/**
 * Every model is planned as if the app had this share less of both resources than it is given: the bundle an
 * app gets must still deliver what was promised when its curve is off by a little (a knot 0.1% further right,
 * 0.1% less bandwidth than measured). Planning on f((1 - margin) x, (1 - margin) y) means no bundle sits on
 * the exact edge of an estimated curve (a knot, a cliff top).
 */
export const CURVE_MARGIN_SHARE = 0.001;

/**
 * No app is planned with fewer misses than a floor. A curve that reaches 0 misses is an estimate (a real app
 * still misses on its first touches), and at exactly 0 misses an app would need no bandwidth at all: its
 * throughput would jump from the bandwidth bound to the latency bound at one knot, the very edge an estimated
 * curve must never be optimized to. With the floor, throughput is continuous, and every app keeps a trickle
 * of bandwidth. The floor is at most MISS_RATIO_FLOOR (one page per 10^4 accesses), and small enough that it
 * costs at most MISS_FLOOR_LATENCY_SHARE of the latency bound: MISS_FLOOR_LATENCY_SHARE * localNs / remoteNs
 * (an app whose misses cost 750 local accesses each gets a floor of 2.7e-6).
 */
export const MISS_RATIO_FLOOR = 1e-4;
export const MISS_FLOOR_LATENCY_SHARE = 0.002;

/** The miss-ratio floor of an mrc model (capped at `cap`). */
export function missFloorOf(localNs: number, remoteNs: number, cap = MISS_RATIO_FLOOR): number {
  const f = remoteNs > 0 ? (MISS_FLOOR_LATENCY_SHARE * localNs) / remoteNs : cap;
  return f < cap ? f : cap;
}

/** Scratch for planning one curve (grown as needed; the curve is copied out by the caller). */
export const planned = { x: new Float64Array(64), m: new Float64Array(64), n: 0 };

/**
 * Plan the curve `points` ([cacheMB, missRatio], cacheMB strictly increasing, missRatio non-increasing) into
 * `planned`: x as a share of `cacheMB` over 1 - margin (`margin` less cache), the miss ratio never under `floor`, and when
 * `hull`, its lower convex hull (vertices only). The curve is flat left of its first point (the model format
 * says so), so for the hull a first point at x > 0 is joined by (0, m_0): a partition holding no cache
 * realizes it. Returns the number of points.
 */
export function planCurve(points: readonly (readonly [number, number])[], cacheMB: number, margin: number, floor: number, hull: boolean): number {
  const cap = points.length + 1;
  if (planned.x.length < cap) { planned.x = new Float64Array(2 * cap); planned.m = new Float64Array(2 * cap); }
  const X = planned.x;
  const M = planned.m;
  const s = 1 / (1 - margin);
  let n = 0;
  if (hull && points[0][0] > 0) { X[0] = 0; M[0] = points[0][1] < floor ? floor : points[0][1]; n = 1; }
  for (let k = 0; k < points.length; k++) {
    const x = shareOf(points[k][0], cacheMB) * s;
    const m = points[k][1] < floor ? floor : points[k][1];
    if (hull) {
      // monotone chain: drop the last vertex while it lies on or above the chord to the new point
      while (n >= 2 && (X[n - 1] - X[n - 2]) * (m - M[n - 2]) - (M[n - 1] - M[n - 2]) * (x - X[n - 2]) <= 0) n--;
    }
    X[n] = x; M[n] = m; n++;
  }
  planned.n = n;
  return n;
}

/**
 * True when the planned curve (flat before its first point) is convex: slopes never decrease, and a curve
 * starting at x > 0 is flat (a drop after the flat start would be a cliff).
 */
export function plannedIsConvex(tol = 1e-12): boolean {
  const { x: X, m: M, n } = planned;
  if (n < 2) return true;
  if (X[0] > 0 && M[n - 1] < M[0] - tol) return false;
  for (let k = 1; k + 1 < n; k++) {
    const cross = (X[k] - X[k - 1]) * (M[k + 1] - M[k - 1]) - (M[k] - M[k - 1]) * (X[k + 1] - X[k - 1]);
    if (cross < -tol * (X[k + 1] - X[k - 1])) return false;
  }
  return true;
}

export interface PartitionShare {
  /** share of the app's pages (by hash) the partition sees */
  accessShare: number;
  /** cache the partition holds, in the curve's x unit */
  cache: number;
}

/** Sizes closer than this (relative to the segment) to a hull vertex are the vertex: one partition. */
const VERTEX_SNAP = 1e-9;

/**
 * The split that makes an app holding `x` of cache miss like its hull at x. The hull is the encoded mrc
 * record at `off` in `md` (encoding.ts). On the hull segment [s1, s2] around x, a partition sees
 * r = (s2 - x) / (s2 - s1) of the pages with r * s1 of cache and one sees 1 - r with (1 - r) * s2 (Talus: a
 * partition seeing share r with r * s behaves like the whole app in s). At a vertex, or beyond the hull's
 * ends, one partition holds everything.
 */
export function partitionsAt(md: Float64Array, off: number, x: number): PartitionShare[] {
  const n = md[off + 1];
  const xs = off + MRC_HEADER;
  if (n < 2 || x <= md[xs] || x >= md[xs + n - 1]) return [{ accessShare: 1, cache: x }];
  let k = 1;
  while (k < n - 1 && md[xs + k] < x) k++;
  const s1 = md[xs + k - 1];
  const s2 = md[xs + k];
  const r = (s2 - x) / (s2 - s1);
  if (r <= VERTEX_SNAP || r >= 1 - VERTEX_SNAP) return [{ accessShare: 1, cache: x }];
  return [{ accessShare: r, cache: r * s1 }, { accessShare: 1 - r, cache: x - r * s1 }];
}
