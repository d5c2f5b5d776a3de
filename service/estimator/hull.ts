// The lower convex hull of a miss-ratio curve: what an app split by hash into two partitions of the right
// sizes (Talus) misses at each cache size (the split's miss ratio is model.ts splitMissRatio). The dashboard
// draws both the curve and its hull.
import { assert } from '../errors.ts';

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
