// The lower convex hull of a miss-ratio curve, and the miss ratio an app sees through hash partitions. An app
// whose pages are split by hash into partitions (Talus) behaves, in partition k holding a share s_k of its
// pages and c_k of cache, like the whole app with c_k / s_k of cache: its miss ratio is sum s_k m(c_k / s_k),
// which for the right split of two partitions lies on the lower convex hull of m. The dashboard draws both.
import { assert } from '../errors.ts';
import { missRatioAt } from './model.ts';

type Pt = readonly [number, number];

/** The lower convex hull of a curve whose x strictly increase (Andrew's monotone chain, lower half). */
export function lowerConvexHull(curve: readonly Pt[]): [number, number][] {
  const hull: [number, number][] = [];
  for (let i = 0; i < curve.length; i++) { // bounded: the curve's points (MAX_MODEL_POINTS)
    const p = curve[i];
    if (i > 0) assert(p[0] > curve[i - 1][0], 'curve x values strictly increase');
    while (hull.length >= 2 && cross(hull[hull.length - 2], hull[hull.length - 1], p) <= 0) hull.pop();
    hull.push([p[0], p[1]]);
  }
  return hull;
}

/** > 0 when o -> a -> b turns left (counter-clockwise). */
function cross(o: Pt, a: Pt, b: Pt): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** The miss ratio of an app split into partitions (shares of its pages and their caches) on curve m. */
export function partitionedMissRatio(curve: readonly Pt[], partitions: readonly { accessShare: number; cacheMB: number }[]): number {
  let m = 0;
  for (const p of partitions) if (p.accessShare > 0) m += p.accessShare * missRatioAt(curve, p.cacheMB / p.accessShare);
  return m;
}
