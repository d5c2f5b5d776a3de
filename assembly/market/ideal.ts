// The ideal policy's search (twin: service/market/twin/ideal.ts): every allocation on a grid that uses the
// whole node, then finer grids around the best; the best weighted Nash welfare with the sharing incentive
// and envy at most envyMax. Small N only (the free coordinates are x and y of all apps but the last).
import { ldf, ldi, stf } from './mem';
import { F, MD, MODEL_OFF, N, OUT_X, OUT_Y, REFF, WEIGHT, X, XMAX, XMIN, Y, YMAX, YMIN } from './state';
import { maxEnvy, perf } from './market';
import { missRatio } from './model';
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

// ---- the knot search: the ideal search made to find cliffs -------------------------------------------------
// An allocation where an app sits just past a cliff of its curve (a scan that fits, a store whose misses reach
// their floor) is often the best fair one, and a uniform grid sees it only by luck. Here each free app's cache
// takes the values of a coarse grid and every vertex of its curve's lower convex hull (where stopping is
// efficient), and the last free app also each value that puts the last app on one of its vertices; bandwidth
// takes a coarse grid; then the ideal refinement runs around the best. Small N only (twin: knotSearch).

/** Candidate cache values per free app: value, and whether it is the last app's vertex (a complement). */
const KNOT_CANDIDATES: i32 = 160;
const kVal = new StaticArray<f64>(2 * KNOT_CANDIDATES);
const kComp = new StaticArray<i32>(2 * KNOT_CANDIDATES);
const kCount = new StaticArray<i32>(2);
/** Hull vertices taken per curve at most (the largest drops first would need a sort; the first ones are kept). */
const KNOT_VERTICES: i32 = 64;
const hullX = new StaticArray<f64>(KNOT_VERTICES + 1);
const hullM = new StaticArray<f64>(KNOT_VERTICES + 1);

/** Vertices of the lower convex hull of app i's mrc curve into hullX (count returned; 0 for a surface). */
function hullVertices(i: i32): i32 {
  const off = ldi(MODEL_OFF, i);
  if (ldf(MD, off) != 0) return 0;
  const k = <i32>ldf(MD, off + 1);
  const xs = off + 5;
  const ms = xs + k;
  let h = 0;
  for (let j = 0; j < k; j++) {
    const x = ldf(MD, xs + j);
    const m = ldf(MD, ms + j);
    while (h >= 2 && (unchecked(hullX[h - 1]) - unchecked(hullX[h - 2])) * (m - unchecked(hullM[h - 2])) -
      (unchecked(hullM[h - 1]) - unchecked(hullM[h - 2])) * (x - unchecked(hullX[h - 2])) <= 0) h--;
    if (h > KNOT_VERTICES) break;
    unchecked(hullX[h] = x);
    unchecked(hullM[h] = m);
    h++;
  }
  return h < KNOT_VERTICES ? h : KNOT_VERTICES;
}

function addCandidate(a: i32, v: f64, comp: i32): void {
  const c = unchecked(kCount[a]);
  if (c >= KNOT_CANDIDATES) return;
  unchecked(kVal[a * KNOT_CANDIDATES + c] = v);
  unchecked(kComp[a * KNOT_CANDIDATES + c] = comp);
  unchecked(kCount[a] = c + 1);
}

/** Bandwidth given above the least that reaches an app's equal-share throughput (relative): rounding. */
const FAIR_BANDWIDTH_MARGIN: f64 = 1e-9;
const needY = new StaticArray<f64>(4);

/**
 * With the caches in coord[0..k) (the last app taking the rest), each app's bandwidth need into needY; returns
 * their total. By need (`fair` false): what makes an app's bandwidth bound reach its latency bound at its cache
 * (an mrc model; a surface: nothing). For the sharing incentive (`fair`): the least that reaches its
 * equal-share throughput at its cache (a hair more, for rounding); Infinity if an app is a surface or cannot
 * reach it. Twin: bandwidthNeeds.
 */
function bandwidthNeeds(k: i32, fair: bool): f64 {
  let rx: f64 = 1;
  for (let i = 0; i < k; i++) rx -= unchecked(coord[i]);
  let total: f64 = 0;
  for (let i = 0; i <= k; i++) {
    const x = i < k ? unchecked(coord[i]) : rx;
    const off = ldi(MODEL_OFF, i);
    let need: f64 = 0;
    if (fair) {
      if (ldf(MD, off) != 0) return Infinity;
      const m = missRatio(off, x);
      if (1 / (ldf(MD, off + 2) + m * ldf(MD, off + 3)) < ldf(REFF, i)) return Infinity;
      need = ((ldf(REFF, i) * m) / ldf(MD, off + 4)) * (1 + FAIR_BANDWIDTH_MARGIN);
    } else if (ldf(MD, off) == 0) {
      const m = missRatio(off, x);
      need = m > 0 ? (m / (ldf(MD, off + 2) + m * ldf(MD, off + 3))) / ldf(MD, off + 4) : 0;
    }
    unchecked(needY[i] = need);
    total += need;
  }
  return total;
}

/** Bandwidth of the free apps: each its need, the rest (1 - total) by weight among all k + 1 apps; scored. */
function needsAndRestByWeight(k: i32, total: f64): void {
  let wsum: f64 = 0;
  for (let i = 0; i <= k; i++) wsum += ldf(WEIGHT, i);
  for (let i = 0; i < k; i++) unchecked(coord[k + i] = unchecked(needY[i]) + ((1 - total) * ldf(WEIGHT, i)) / wsum);
  score(k);
}

/** Bandwidth by need, the rest by weight (twin: byNeed). */
function needBandwidth(k: i32): void {
  const total = bandwidthNeeds(k, false);
  if (total > 1) return;
  needsAndRestByWeight(k, total);
}

/**
 * Bandwidth for the sharing incentive: each app its fair need, then the rest by weight, all of it to one free
 * app, or none (twin: byFairShare). Nothing if an app is a surface or cannot reach its equal-share throughput.
 */
function fairBandwidth(k: i32): void {
  const total = bandwidthNeeds(k, true);
  if (total > 1) return;
  needsAndRestByWeight(k, total);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < k; i++) unchecked(coord[k + i] = unchecked(needY[i]) + (i == j ? 1 - total : 0));
    score(k);
  }
  for (let i = 0; i < k; i++) unchecked(coord[k + i] = unchecked(needY[i]));
  score(k);
}

/** Runs the knot search; the best allocation goes to OUT_X/OUT_Y. Returns 1 if one was found. */
export function knotSearch(gridSteps: i32, ySteps: i32, envyMax: f64): i32 {
  if (N < 2 || N > IDEAL_MAX_APPS || gridSteps < 1 || ySteps < 1) return 0;
  best = -Infinity;
  envyLimit = envyMax;
  IDEAL_EVALUATED = 0;
  const k = N - 1;
  const h = 1.0 / <f64>gridSteps;
  for (let a = 0; a < k; a++) {
    unchecked(kCount[a] = 0);
    for (let g = 0; g <= gridSteps; g++) addCandidate(a, <f64>g * h, 0);
    const v = hullVertices(a);
    // a hair past each vertex, so the app is on the vertex's right (the side of fewer misses)
    for (let j = 0; j < v; j++) addCandidate(a, unchecked(hullX[j]) * (1 + 1e-9), 0);
  }
  const v = hullVertices(N - 1);
  for (let j = 0; j < v; j++) addCandidate(k - 1, unchecked(hullX[j]) * (1 + 1e-9), 1);
  const hy = 1.0 / <f64>ySteps;
  if (k == 1) {
    for (let c = 0; c < unchecked(kCount[0]); c++) {
      const x = unchecked(kVal[c]);
      unchecked(coord[0] = unchecked(kComp[c]) != 0 ? 1 - x : x);
      for (let g = 0; g <= ySteps; g++) { unchecked(coord[1] = <f64>g * hy); score(1); }
      needBandwidth(1);
      fairBandwidth(1);
    }
  } else {
    for (let c0 = 0; c0 < unchecked(kCount[0]); c0++) {
      const x0 = unchecked(kVal[c0]);
      for (let c1 = 0; c1 < unchecked(kCount[1]); c1++) {
        const v1 = unchecked(kVal[KNOT_CANDIDATES + c1]);
        const x1 = unchecked(kComp[KNOT_CANDIDATES + c1]) != 0 ? 1 - x0 - v1 : v1;
        if (x1 < 0 || x0 + x1 > 1 + 1e-12) continue;
        unchecked(coord[0] = x0);
        unchecked(coord[1] = x1);
        for (let g0 = 0; g0 <= ySteps; g0++) {
          unchecked(coord[2] = <f64>g0 * hy);
          for (let g1 = 0; g0 + g1 <= ySteps; g1++) { unchecked(coord[3] = <f64>g1 * hy); score(2); }
        }
        needBandwidth(2);
        fairBandwidth(2);
      }
    }
  }
  // refine around the best, as the ideal search does
  let step = h;
  for (let level = 0; level < IDEAL_REFINE_LEVELS && best > -Infinity; level++) {
    step /= 2;
    for (let i = 0; i < k; i++) { unchecked(center[i] = ldf(OUT_X, i)); unchecked(center[k + i] = ldf(OUT_Y, i)); }
    grid(k, 2, step, false);
  }
  return best > -Infinity ? 1 : 0;
}
