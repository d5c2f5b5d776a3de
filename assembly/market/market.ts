// Demand of every app at a price, envy, and welfare: the market's shared operations
// (twin: service/market/twin/market.ts).
import { ldf, ldi, stf, sti } from './mem';
import {
  BUDGET, BXHI, BXLO, BYHI, BYLO, CLASS, CLASSES, MD, N, MODEL_OFF, REFF, RESX, RESY, SAT, SATF, TOPF, WEIGHT, XMAX, YMAX,
  classRep, classSize, classMember,
} from './state';
import { BR_F, BR_SAT, BR_X, BR_Y, bestResponse } from './best-response';
import { KIND_MRC, MRC_HEADER } from './model';
import { A_RX, A_RY, A_W, A_XM, A_YM, appRec, perfRec } from './apps';
import { ROW_WORST, rowScan, setCandidate } from './envy';
import { CLEAR_SHARE, ENVY_CAP } from './limits';
import { ln } from './ln';

// set by rowBounds(): a bundle can beat the threshold only with cache > XNEED and bandwidth > YNEED
export let SKIP_ROW = false;
export let XNEED: f64 = -Infinity;
export let YNEED: f64 = -Infinity;

/**
 * Cheap necessary conditions for app i to reach more than throughput T (to prune envy checks): the latency
 * bound needs a miss ratio, hence a cache share, beyond some point; the bandwidth bound needs bandwidth
 * beyond T * (lowest miss ratio) / pagesPerSec. SKIP_ROW when no bundle at all can.
 */
export function rowBounds(i: i32, T: f64): void {
  const off = ldi(MODEL_OFF, i);
  XNEED = -Infinity;
  YNEED = -Infinity;
  SKIP_ROW = T >= ldf(TOPF, i);
  if (SKIP_ROW || ldf(MD, off) != KIND_MRC) return;
  const n = <i32>ldf(MD, off + 1);
  const xs = off + MRC_HEADER;
  const ms = xs + n;
  const ls = ldf(MD, off + 2);
  const rs = ldf(MD, off + 3);
  const P = ldf(MD, off + 4);
  const mFloor = ldf(MD, ms + n - 1);
  if (mFloor > 0) YNEED = ((T * mFloor) / P) * (1 - 1e-12);
  if (rs <= 0) return;
  const mT = (1 / T - ls) / rs;
  if (ldf(MD, ms) < mT) return;
  for (let k = 1; k < n; k++) {
    if (ldf(MD, ms + k) < mT) {
      const m0 = ldf(MD, ms + k - 1);
      const x = ldf(MD, xs + k - 1) + ((m0 - mT) / (m0 - ldf(MD, ms + k))) * (ldf(MD, xs + k) - ldf(MD, xs + k - 1));
      XNEED = x * (1 - 1e-12) - 1e-15;
      return;
    }
  }
  SKIP_ROW = true;
}

export function clearBounds(): void {
  SKIP_ROW = false;
  XNEED = -Infinity;
  YNEED = -Infinity;
}

export let SUM_X: f64 = 0;
export let SUM_Y: f64 = 0;
export let DEMAND_CALLS: i32 = 0;

/** Throughput of app i at (x, y): model.ts throughput(), through the app's record (apps.ts). */
export function perf(i: i32, x: f64, y: f64): f64 {
  return perfRec(appRec(i), x, y);
}


/** Best response of every app at cache price `price` into (X, Y, F) and SAT; sums in SUM_X, SUM_Y. */
export function demand(price: f64, X: usize, Y: usize, F: usize): void {
  let sx: f64 = 0;
  let sy: f64 = 0;
  DEMAND_CALLS++;
  for (let c = 0; c < CLASSES; c++) {
    const i = classRep(c);
    // reservations are free: the budget buys what lies beyond them
    const b = ldf(BUDGET, i) + price * ldf(RESX, i) + (1 - price) * ldf(RESY, i);
    bestResponse(appRec(i), price, b, ldf(BXLO, i), ldf(BXHI, i), ldf(BYLO, i), ldf(BYHI, i), ldf(SATF, i), ldf(REFF, i));
    const size = classSize(c);
    for (let k = 0; k < size; k++) {
      const j = classMember(c, k);
      stf(X, j, BR_X); stf(Y, j, BR_Y); stf(F, j, BR_F); sti(SAT, j, BR_SAT);
      sx += BR_X; sy += BR_Y;
    }
  }
  SUM_X = sx;
  SUM_Y = sy;
}

/**
 * Envy of app i toward bundle (xj, yj) of app j: scaled by weights, net of reservations (j's part beyond its
 * reservation on top of i's), capped at i's maxima.
 */
export function envyOf(i: i32, j: i32, xj: f64, yj: f64, fi: f64, xi: f64 = -1, yi: f64 = -1): f64 {
  const ri = appRec(i);
  const rj = appRec(j);
  const s = load<f64>(ri, A_W) / load<f64>(rj, A_W);
  let dx = xj - load<f64>(rj, A_RX);
  if (dx < 0) dx = 0;
  let dy = yj - load<f64>(rj, A_RY);
  if (dy < 0) dy = 0;
  return envyAt(ri, i, dx, dy, s, fi, xi, yi);
}

/** envyOf() from j's net bundle (dx, dy) and the weight ratio s = w_i / w_j. */
export function envyAt(ri: usize, i: i32, dx: f64, dy: f64, s: f64, fi: f64, xi: f64, yi: f64): f64 {
  let x = load<f64>(ri, A_RX) + dx * s;
  const xm = load<f64>(ri, A_XM);
  if (x > xm) x = xm;
  let y = load<f64>(ri, A_RY) + dy * s;
  const ym = load<f64>(ri, A_YM);
  if (y > ym) y = ym;
  // no larger than i's own bundle in either resource: no envy, nothing to compute
  if (x <= xi && y <= yi) return 0;
  if (x < XNEED || y < YNEED) return 0;
  const f = perfRec(ri, x, y);
  if (!(fi > 0)) return f > 0 ? ENVY_CAP : 0;
  const e = f / fi - 1;
  return e > 0 ? (e < ENVY_CAP ? e : ENVY_CAP) : 0;
}

/** Largest envy of anyone (outside j's class) toward app j holding (xj, yj). */
export function envyToward(j: i32, xj: f64, yj: f64, F: usize): f64 {
  let worst: f64 = 0;
  const cj = ldi(CLASS, j);
  for (let i = 0; i < N; i++) {
    if (i == j || ldi(CLASS, i) == cj) continue;
    const e = envyOf(i, j, xj, yj, ldf(F, i));
    if (e > worst) worst = e;
  }
  return worst;
}

/** Largest envy over all pairs of classes (apps of one class hold identical bundles); skips rows that cannot beat it. */
export function maxEnvy(X: usize, Y: usize, F: usize): f64 {
  let worst: f64 = 0;
  for (let c = 0; c < CLASSES; c++) { const j = classRep(c); setCandidate(c, j, ldf(X, j), ldf(Y, j)); }
  for (let ci = 0; ci < CLASSES; ci++) {
    const i = classRep(ci);
    const fi = ldf(F, i);
    rowBounds(i, fi * (1 + worst));
    if (SKIP_ROW) continue;
    // envy of i toward every other class, in class order (envy.ts; the twin: one envyOf at a time)
    rowScan(i, fi, ldf(X, i), ldf(Y, i), CLASSES, ci, worst);
    worst = ROW_WORST;
  }
  clearBounds();
  return worst;
}

/** Weighted Nash welfare: sum of w_i log(normalized performance). */
export function welfare(F: usize): f64 {
  let s: f64 = 0;
  for (let i = 0; i < N; i++) s += ldf(WEIGHT, i) * ln(ldf(F, i) / ldf(REFF, i));
  return s;
}

/** True when each resource's leftover is within CLEAR_SHARE of capacity, or every app is at its maximum of it. */
export function cleared(X: usize, Y: usize): bool {
  let lx: f64 = 1;
  let ly: f64 = 1;
  let atMaxX = true;
  let atMaxY = true;
  for (let i = 0; i < N; i++) {
    lx -= ldf(X, i);
    ly -= ldf(Y, i);
    if (ldf(X, i) < ldf(XMAX, i) - 1e-9) atMaxX = false;
    if (ldf(Y, i) < ldf(YMAX, i) - 1e-9) atMaxY = false;
  }
  return (lx <= CLEAR_SHARE || atMaxX) && (ly <= CLEAR_SHARE || atMaxY);
}

/** True when every app has at least its reference throughput (within rounding) . */
export function sharingIncentive(F: usize): bool {
  for (let i = 0; i < N; i++) if (ldf(F, i) < ldf(REFF, i) * (1 - 1e-9)) return false;
  return true;
}
