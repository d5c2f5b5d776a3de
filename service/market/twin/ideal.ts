// The ideal policy's search (small N only): every allocation on a grid that uses the whole node, then finer
// grids around the best; the best by weighted Nash welfare among those with the sharing incentive and envy
// at most envyMax.
import { assert } from '../../errors.ts';
import type { Market } from './market.ts';
import { ln } from './ln.ts';

export const IDEAL_MAX_APPS = 3;
const REFINE_LEVELS = 8; // each halves the step: 2^-8 of the coarse grid
const SI_TOL = 1e-9;

export function idealSearch(m: Market, gridSteps: number, envyMax: number):
  { x: Float64Array; y: Float64Array; found: boolean; evaluated: number } {
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
    // coarse: x and y coordinates of the first k apps on the grid, sums at most 1
    const half = Math.ceil(gridSteps / 2);
    grid(new Array<number>(2 * k).fill(half * h), half, h, (v) => {
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < k; i++) { sx += v[i]; sy += v[k + i]; }
      if (sx <= 1 + 1e-12 && sy <= 1 + 1e-12) score(v.slice(0, k), v.slice(k));
    });
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
