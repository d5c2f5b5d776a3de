// The ideal policy's search (twin: service/market/twin/ideal.ts): every allocation on a grid that uses the
// whole node, then finer grids around the best; the best weighted Nash welfare with the sharing incentive
// and envy at most envyMax. Small N only (the free coordinates are x and y of all apps but the last).
import { ldf, stf } from './mem';
import { F, N, OUT_X, OUT_Y, REFF, WEIGHT, X, XMAX, XMIN, Y, YMAX, YMIN } from './state';
import { maxEnvy, perf } from './market';
import { IDEAL_MAX_APPS, IDEAL_REFINE_LEVELS } from './limits';
import { ln } from './ln';

const SI_TOL: f64 = 1e-9;
const coord = new StaticArray<f64>(4);
const center = new StaticArray<f64>(4);
const idx = new StaticArray<i32>(4);
let best: f64 = -Infinity;
let envyLimit: f64 = 0;
export let IDEAL_EVALUATED: i32 = 0;

function score(k: i32): void {
  let rx: f64 = 1;
  let ry: f64 = 1;
  for (let i = 0; i < k; i++) {
    const xi = unchecked(coord[i]);
    const yi = unchecked(coord[k + i]);
    if (xi < ldf(XMIN, i) || xi > ldf(XMAX, i) || yi < ldf(YMIN, i) || yi > ldf(YMAX, i)) return;
    stf(X, i, xi); stf(Y, i, yi); rx -= xi; ry -= yi;
  }
  const l = N - 1;
  if (rx < ldf(XMIN, l) - 1e-12 || ry < ldf(YMIN, l) - 1e-12) return;
  let lx = rx > 0 ? rx : 0;
  if (lx > ldf(XMAX, l)) lx = ldf(XMAX, l);
  let ly = ry > 0 ? ry : 0;
  if (ly > ldf(YMAX, l)) ly = ldf(YMAX, l);
  stf(X, l, lx);
  stf(Y, l, ly);
  IDEAL_EVALUATED++;
  let w: f64 = 0;
  for (let i = 0; i < N; i++) {
    const f = perf(i, ldf(X, i), ldf(Y, i));
    stf(F, i, f);
    if (f < ldf(REFF, i) * (1 - SI_TOL)) return;
    w += ldf(WEIGHT, i) * ln(f / ldf(REFF, i));
  }
  if (w <= best) return;
  if (maxEnvy(X, Y, F) > envyLimit) return;
  best = w;
  for (let i = 0; i < N; i++) { stf(OUT_X, i, ldf(X, i)); stf(OUT_Y, i, ldf(Y, i)); }
}

/** All points center + step * {-radius..radius}^(2k) within [0, 1] (first coordinate fastest). */
function grid(k: i32, radius: i32, step: f64, coarse: bool): void {
  const len = 2 * k;
  for (let d = 0; d < len; d++) unchecked(idx[d] = -radius);
  while (true) {
    let ok = true;
    for (let d = 0; d < len; d++) {
      let v = unchecked(center[d]) + <f64>unchecked(idx[d]) * step;
      if (v < -1e-12 || v > 1 + 1e-12) ok = false;
      v = v < 0 ? 0 : v > 1 ? 1 : v;
      unchecked(coord[d] = v);
    }
    if (ok) {
      if (coarse) {
        let sx: f64 = 0;
        let sy: f64 = 0;
        for (let i = 0; i < k; i++) { sx += unchecked(coord[i]); sy += unchecked(coord[k + i]); }
        if (sx <= 1 + 1e-12 && sy <= 1 + 1e-12) score(k);
      } else {
        score(k);
      }
    }
    let d = 0;
    while (d < len) {
      const nv = unchecked(idx[d]) + 1;
      if (nv > radius) { unchecked(idx[d] = -radius); d++; } else { unchecked(idx[d] = nv); break; }
    }
    if (d == len) return;
  }
}

/** Runs the search; the best allocation goes to OUT_X/OUT_Y. Returns 1 if one was found. */
export function idealSearch(gridSteps: i32, envyMax: f64): i32 {
  // the coordinate buffers hold 2 (IDEAL_MAX_APPS - 1) values: more apps is a caller's bug, refused here
  if (N < 1 || N > IDEAL_MAX_APPS || gridSteps < 1) return 0;
  best = -Infinity;
  envyLimit = envyMax;
  IDEAL_EVALUATED = 0;
  const k = N - 1;
  if (k == 0) {
    score(0);
  } else {
    const h = 1.0 / <f64>gridSteps;
    const half = (gridSteps + 1) >> 1;
    for (let d = 0; d < 2 * k; d++) unchecked(center[d] = <f64>half * h);
    grid(k, half, h, true);
    let step = h;
    for (let level = 0; level < IDEAL_REFINE_LEVELS && best > -Infinity; level++) {
      step /= 2;
      for (let i = 0; i < k; i++) { unchecked(center[i] = ldf(OUT_X, i)); unchecked(center[k + i] = ldf(OUT_Y, i)); }
      grid(k, 2, step, false);
    }
  }
  return best > -Infinity ? 1 : 0;
}
