// The ideal policy's search (small N only): every allocation on a grid that uses the whole node, then finer
// grids around the best; the best by weighted Nash welfare among those with the sharing incentive and envy
// at most envyMax.
import { assert } from '../../errors.ts';
import type { Market } from './market.ts';
import { ln } from './ln.ts';
import { KIND_MRC, MRC_HEADER } from '../encoding.ts';
import { missRatio } from './model.ts';

export const IDEAL_MAX_APPS = 3;
const REFINE_LEVELS = 8; // each halves the step: 2^-8 of the coarse grid
const SI_TOL = 1e-9;

export interface SearchResult { x: Float64Array; y: Float64Array; found: boolean; evaluated: number }

export function idealSearch(m: Market, gridSteps: number, envyMax: number): SearchResult {
  return search(m, gridSteps, envyMax, null);
}

/**
 * The knot search (twin of assembly/market/ideal.ts knotSearch): the ideal search made to find cliffs. Each
 * free app's cache takes the values of a coarse grid and every vertex of its curve's lower convex hull (a hair
 * past it), and the last free app also each value that puts the last app on one of its vertices; bandwidth
 * takes a coarse grid of `ySteps`; then the ideal refinement runs around the best.
 */
export function knotSearch(m: Market, gridSteps: number, ySteps: number, envyMax: number): SearchResult {
  return search(m, gridSteps, envyMax, ySteps);
}

const KNOT_CANDIDATES = 160;
/** Bandwidth given above the least that reaches an app's equal-share throughput (relative): rounding. */
const FAIR_BANDWIDTH_MARGIN = 1e-9;
const KNOT_VERTICES = 64;

/** Vertices of the lower convex hull of app i's mrc curve (none for a surface), as ideal.ts computes them. */
function hullVertices(m: Market, i: number): number[] {
  const md = m.p.models;
  const off = m.p.modelOff[i];
  if (md[off] !== KIND_MRC) return [];
  const k = md[off + 1];
  const xs: number[] = [];
  const ms: number[] = [];
  for (let j = 0; j < k; j++) {
    const x = md[off + MRC_HEADER + j];
    const v = md[off + MRC_HEADER + k + j];
    let h = xs.length;
    while (h >= 2 && (xs[h - 1] - xs[h - 2]) * (v - ms[h - 2]) - (ms[h - 1] - ms[h - 2]) * (x - xs[h - 2]) <= 0) { xs.pop(); ms.pop(); h--; }
    if (h > KNOT_VERTICES) break;
    xs.push(x);
    ms.push(v);
  }
  return xs.slice(0, KNOT_VERTICES);
}

function search(m: Market, gridSteps: number, envyMax: number, knotYSteps: number | null): SearchResult {
  const n = m.n;
  assert(n >= 1 && n <= IDEAL_MAX_APPS, `ideal search takes 1..${IDEAL_MAX_APPS} apps, got ${n}`);
  const p = m.p;
  const X = new Float64Array(n);
  const Y = new Float64Array(n);
  const F = new Float64Array(n);
  const bx = new Float64Array(n);
  const by = new Float64Array(n);
  let best = -Infinity;
  let evaluated = 0;

  // free coordinates: x_0..x_{n-2}, y_0..y_{n-2}; the last app takes the rest (clamped to its maximum)
  const score = (xs: number[], ys: number[]): void => {
    let rx = 1;
    let ry = 1;
    for (let i = 0; i < n - 1; i++) {
      if (xs[i] < p.xmin[i] || xs[i] > p.xmax[i] || ys[i] < p.ymin[i] || ys[i] > p.ymax[i]) return;
      X[i] = xs[i]; Y[i] = ys[i]; rx -= xs[i]; ry -= ys[i];
    }
    const l = n - 1;
    if (rx < p.xmin[l] - 1e-12 || ry < p.ymin[l] - 1e-12) return;
    X[l] = Math.min(Math.max(rx, 0), p.xmax[l]);
    Y[l] = Math.min(Math.max(ry, 0), p.ymax[l]);
    evaluated++;
    let w = 0;
    for (let i = 0; i < n; i++) {
      F[i] = m.perf(i, X[i], Y[i]);
      if (F[i] < m.refF[i] * (1 - SI_TOL)) return;
      w += p.weights[i] * ln(F[i] / m.refF[i]);
    }
    if (w <= best) return;
    if (m.maxEnvy(X, Y, F) > envyMax) return;
    best = w;
    bx.set(X);
    by.set(Y);
  };

  const k = n - 1;
  if (k === 0) {
    score([], []);
  } else {
    const h = 1 / gridSteps;
    const grid = (center: number[], radius: number, step: number, visit: (v: number[]) => void): void => {
      // all points center + step * {-radius..radius}^len, within [0, 1]
      const len = center.length;
      const idx = new Array<number>(len).fill(-radius);
      const v = new Array<number>(len);
      for (;;) {
        let ok = true;
        for (let d = 0; d < len; d++) {
          v[d] = center[d] + idx[d] * step;
          if (v[d] < -1e-12 || v[d] > 1 + 1e-12) ok = false;
          v[d] = Math.min(1, Math.max(0, v[d]));
        }
        if (ok) visit(v);
        let d = 0;
        while (d < len && ++idx[d] > radius) { idx[d] = -radius; d++; }
        if (d === len) return;
      }
    };
    if (knotYSteps === null) {
      // coarse: x and y coordinates of the first k apps on the grid, sums at most 1
      const half = Math.ceil(gridSteps / 2);
      grid(new Array<number>(2 * k).fill(half * h), half, h, (v) => {
        let sx = 0;
        let sy = 0;
        for (let i = 0; i < k; i++) { sx += v[i]; sy += v[k + i]; }
        if (sx <= 1 + 1e-12 && sy <= 1 + 1e-12) score(v.slice(0, k), v.slice(k));
      });
    } else {
      // candidates: [value, complement of the last app's vertex] per free app
      const cand: [number, boolean][][] = [];
      for (let a = 0; a < k; a++) {
        const list: [number, boolean][] = [];
        for (let g = 0; g <= gridSteps; g++) list.push([g * h, false]);
        for (const v of hullVertices(m, a)) list.push([v * (1 + 1e-9), false]);
        cand.push(list);
      }
      for (const v of hullVertices(m, n - 1)) cand[k - 1].push([v * (1 + 1e-9), true]);
      for (const list of cand) list.splice(KNOT_CANDIDATES);
      const hy = 1 / knotYSteps;
      // each app's bandwidth need at the caches xs (the last app taking the rest), and their total. By need
      // (`fair` false): what makes an app's bandwidth bound reach its latency bound at its cache (an mrc model;
      // a surface: nothing). For the sharing incentive: the least that reaches its equal-share throughput at
      // its cache (a hair more, for rounding); null if an app is a surface or cannot reach it. (WASM:
      // bandwidthNeeds)
      const bandwidthNeeds = (xs: number[], fair: boolean): { need: number[]; total: number } | null => {
        let rx = 1;
        for (const x of xs) rx -= x;
        const need: number[] = [];
        let total = 0;
        for (let i = 0; i <= k; i++) {
          const x = i < k ? xs[i] : rx;
          const off = p.modelOff[i];
          let v = 0;
          if (fair) {
            if (p.models[off] !== KIND_MRC) return null;
            const mr = missRatio(p.models, off, x);
            if (1 / (p.models[off + 2] + mr * p.models[off + 3]) < m.refF[i]) return null;
            v = ((m.refF[i] * mr) / p.models[off + 4]) * (1 + FAIR_BANDWIDTH_MARGIN);
          } else if (p.models[off] === KIND_MRC) {
            const mr = missRatio(p.models, off, x);
            v = mr > 0 ? (mr / (p.models[off + 2] + mr * p.models[off + 3])) / p.models[off + 4] : 0;
          }
          need.push(v);
          total += v;
        }
        return { need, total };
      };
      // the free apps' bandwidth: each its need, the rest by weight among all k + 1 apps
      const restByWeight = (need: number[], total: number): number[] => {
        let wsum = 0;
        for (let i = 0; i <= k; i++) wsum += p.weights[i];
        return need.slice(0, k).map((v, i) => v + ((1 - total) * p.weights[i]) / wsum);
      };
      const byNeed = (xs: number[]): void => {
        const n = bandwidthNeeds(xs, false);
        if (!n || n.total > 1) return;
        score(xs, restByWeight(n.need, n.total));
      };
      // for the sharing incentive: the rest by weight, or all of it to one app, or none (WASM: fairBandwidth)
      const byFairShare = (xs: number[]): void => {
        const n = bandwidthNeeds(xs, true);
        if (!n || n.total > 1) return;
        const { need, total } = n;
        score(xs, restByWeight(need, total));
        for (let j = 0; j < k; j++) score(xs, xs.map((_, i) => need[i] + (i === j ? 1 - total : 0)));
        score(xs, xs.map((_, i) => need[i]));
      };
      if (k === 1) {
        for (const [v, comp] of cand[0]) {
          for (let g = 0; g <= knotYSteps; g++) score([comp ? 1 - v : v], [g * hy]);
          byNeed([comp ? 1 - v : v]);
          byFairShare([comp ? 1 - v : v]);
        }
      } else {
        for (const [x0] of cand[0]) {
          for (const [v1, comp] of cand[1]) {
            const x1 = comp ? 1 - x0 - v1 : v1;
            if (x1 < 0 || x0 + x1 > 1 + 1e-12) continue;
            for (let g0 = 0; g0 <= knotYSteps; g0++) {
              for (let g1 = 0; g0 + g1 <= knotYSteps; g1++) score([x0, x1], [g0 * hy, g1 * hy]);
            }
            byNeed([x0, x1]);
            byFairShare([x0, x1]);
          }
        }
      }
    }
    // refine around the best found so far
    let step = h;
    for (let level = 0; level < REFINE_LEVELS && best > -Infinity; level++) {
      step /= 2;
      const center = [...Array.from(bx.subarray(0, k)), ...Array.from(by.subarray(0, k))];
      grid(center, 2, step, (v) => score(v.slice(0, k), v.slice(k)));
    }
  }
  return { x: bx, y: by, found: best > -Infinity, evaluated };
}
