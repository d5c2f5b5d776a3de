// An independent model of what the market plans on, written from the docs (docs/market.md, DESIGN.md section 3),
// sharing no code with service/market: the hull of a miss-ratio curve, the error margin and the miss-ratio
// floor, throughput in MB and Mbps, the weighted equal split, and a brute-force best response. Tests use it to
// re-derive a solve's claims from the scenario alone instead of trusting the solver's numbers.
import type { MrcModel, Scenario } from '../../service/scenario/types.ts';

export const MARGIN = 0.001;
/** The miss-ratio floor: at most 1e-4, and at most 0.2% of the latency bound (docs/market.md). */
export const floorOf = (m: MrcModel): number => Math.min(1e-4, m.remoteNs > 0 ? (0.002 * m.localNs) / m.remoteNs : 1e-4);
export const TAU = 0.004;

export type Curve = [number, number][];

/** Lower convex hull of [MB, miss] points (flat before the first point), by gift wrapping from the left. */
export function hullOf(points: readonly (readonly [number, number])[]): Curve {
  const pts: Curve = points[0][0] > 0 ? [[0, points[0][1]], ...points.map(([x, m]) => [x, m] as [number, number])] : points.map(([x, m]) => [x, m]);
  const out: Curve = [pts[0]];
  let i = 0;
  while (i < pts.length - 1) {
    // the next vertex: the point of least slope from the current one (the farthest on ties)
    let best = i + 1;
    for (let j = i + 2; j < pts.length; j++) {
      const sj = (pts[j][1] - pts[i][1]) / (pts[j][0] - pts[i][0]);
      const sb = (pts[best][1] - pts[i][1]) / (pts[best][0] - pts[i][0]);
      if (sj <= sb + 1e-15) best = j;
    }
    out.push(pts[best]);
    i = best;
  }
  return out;
}

/** Piecewise-linear miss ratio at x MB, flat beyond both ends. */
export function missAt(c: Curve, x: number): number {
  if (x <= c[0][0]) return c[0][1];
  for (let k = 1; k < c.length; k++) {
    if (x <= c[k][0]) return c[k - 1][1] + ((x - c[k - 1][0]) / (c[k][0] - c[k - 1][0])) * (c[k][1] - c[k - 1][1]);
  }
  return c[c.length - 1][1];
}

/** Accesses per second at (MB, Mbps) (DESIGN.md section 3). */
export function throughputOf(m: MrcModel, curve: Curve, cacheMB: number, mbps: number): number {
  const miss = missAt(curve, cacheMB);
  const latency = 1e9 / (m.localNs + miss * m.remoteNs);
  if (miss <= 0) return latency;
  return Math.min(latency, ((mbps * 1e6) / 8) / (miss * m.pageBytes));
}

/** The curve an app is planned on: floor, then hull when split (the margin is applied at evaluation). */
export function plannedCurve(m: MrcModel, split: boolean): Curve {
  const floored: Curve = m.mrc.map(([x, v]) => [x, Math.max(floorOf(m), v)]);
  return split ? hullOf(floored) : floored;
}

/** Planned throughput: the planned curve with the margin less of both resources. */
export function plannedThroughput(m: MrcModel, curve: Curve, cacheMB: number, mbps: number): number {
  return throughputOf(m, curve, cacheMB * (1 - MARGIN), mbps * (1 - MARGIN));
}

/** Weighted equal split of the node (no limits): each app's reference bundle. */
export function equalShares(s: Scenario): { cacheMB: number; bandwidthMbps: number }[] {
  const w = s.apps.reduce((t, a) => t + (a.weight ?? 1), 0);
  return s.apps.map((a) => ({ cacheMB: (s.capacity.cacheMB * (a.weight ?? 1)) / w, bandwidthMbps: (s.capacity.bandwidthMbps * (a.weight ?? 1)) / w }));
}

/**
 * The most throughput (capped at `cap`) an app can buy with `budget` at prices per unit share (pc for the whole
 * cache, pb for the whole bandwidth), by brute force: a dense grid over the budget line, then a golden-section
 * refinement around the best grid point and every knot of the curve.
 */
export function bruteBest(f: (c: number, b: number) => number, capMB: number, capMbps: number, pc: number, pb: number, budget: number,
  knotsMB: number[], cap: number): number {
  // a free resource (price 0) is taken whole
  if (pb === 0) return Math.min(cap, f(Math.min(capMB, (budget / pc) * capMB), capMbps));
  if (pc === 0) return Math.min(cap, f(capMB, Math.min(capMbps, (budget / pb) * capMbps)));
  const yOf = (x: number): number => Math.min(capMbps, Math.max(0, ((budget - (pc * x) / capMB) / pb) * capMbps));
  const xMax = Math.min(capMB, (budget / pc) * capMB);
  const g = (x: number): number => Math.min(cap, f(x, yOf(x)));
  let best = 0;
  let arg = 0;
  const N = 4000;
  for (let k = 0; k <= N; k++) {
    const x = (xMax * k) / N;
    const v = g(x);
    if (v > best) { best = v; arg = x; }
  }
  const refine = (lo: number, hi: number): void => {
    let a = Math.max(0, lo);
    let b = Math.min(xMax, hi);
    for (let it = 0; it < 80 && b - a > 1e-12 * capMB; it++) {
      const m1 = a + (b - a) * 0.382;
      const m2 = a + (b - a) * 0.618;
      if (g(m1) < g(m2)) a = m1; else b = m2;
    }
    best = Math.max(best, g(0.5 * (a + b)), g(a), g(b));
  };
  refine(arg - xMax / N, arg + xMax / N);
  for (const k of knotsMB) if (k >= 0 && k <= xMax) { best = Math.max(best, g(k), g(Math.min(xMax, k * (1 + 1e-9)))); refine(k - xMax / N, k + xMax / N); }
  return best;
}
