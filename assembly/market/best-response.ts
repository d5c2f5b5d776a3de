// Best response of one app at prices (p, q = 1 - p) with budget b inside its box of limits: the bundle of
// highest throughput it can afford, and among those the cheapest one. The algorithm is explained in
// service/market/twin/best-response.ts, its line-by-line twin. Results go to BR_X, BR_Y, BR_F, BR_SAT.
// An app is given by its record (apps.ts): the mrc model's numbers and knots are read from there, knots
// found through its bucket table; a surface is read from MD as in the twin.
import { ldf } from './mem';
import { MD } from './state';
import { SURFACE_HEADER, surfaceThroughput, throughput } from './model';
import {
  A_KIND, A_LS, A_M0, A_ML, A_N, A_OFF, A_P, A_RS, A_KNOTS, KNOT_BYTES, KNOT_SHIFT, K_D, K_L, K_M, K_X, knotAfter, mrcPerf, perfRec,
} from './apps';
import { SATIATION_TOL } from './limits';

/** Relative slack under a cheapest-bundle target, so a target at the top of the curve stays reachable. */
const TARGET_ROUNDING: f64 = 1e-12;
const BISECT_Y_STEPS: i32 = 60;
const SURFACE_COST_SAMPLES: i32 = 16;

export let BR_X: f64 = 0;
export let BR_Y: f64 = 0;
export let BR_F: f64 = 0;
export let BR_SAT: i32 = 0;

export function bestResponse(r: usize, p: f64, b: f64, xmin: f64, xmax: f64, ymin: f64, ymax: f64, satTarget: f64, refF: f64): void {
  const q = 1 - p;
  BR_SAT = 0;
  if (p * xmin + q * ymin >= b) {
    BR_X = xmin; BR_Y = ymin; BR_F = perfRec(r, xmin, ymin);
    return;
  }
  const xAtYmax = (b - q * ymax) / p;
  if (xAtYmax >= xmax) {
    BR_X = xmax; BR_Y = ymax; BR_F = perfRec(r, xmax, ymax);
    cheapest(r, p, b, xmin, xmax, ymin, ymax, satTarget, refF);
    return;
  }
  const xa = xAtYmax > xmin ? xAtYmax : xmin;
  const xbRaw = (b - q * ymin) / p;
  const xb = xbRaw < xmax ? xbRaw : xmax;
  if (load<i32>(r, A_KIND) == 0) {
    mrcLineMax(r, p, 1 / q, b, xa, xb, ymin, ymax);
    if (BR_F < satTarget && !mrcHasSlack(r, BR_X, BR_Y, xmin, ymin)) return;
  } else {
    surfaceLineMax(load<i32>(r, A_OFF), p, q, 1 / q, b, xa, xb, ymin, ymax);
  }
  cheapest(r, p, b, xmin, xb, ymin, ymax, satTarget, refF);
}

/**
 * The best bundle of an mrc app on its budget line inside its box, with no tie-breaking toward cheaper
 * bundles: the demand of an app that is not satiated (equilibrium.ts). Twin: lineBest(); q = 1 - p given apart.
 */
export function lineBest(r: usize, p: f64, q: f64, b: f64, xmin: f64, xmax: f64, ymin: f64, ymax: f64): void {
  BR_SAT = 0;
  if (p * xmin + q * ymin >= b) {
    BR_X = xmin; BR_Y = ymin; BR_F = perfRec(r, xmin, ymin);
    return;
  }
  const xAtYmax = (b - q * ymax) / p;
  if (xAtYmax >= xmax) {
    BR_X = xmax; BR_Y = ymax; BR_F = perfRec(r, xmax, ymax);
    return;
  }
  const xbRaw = (b - q * ymin) / p;
  mrcLineMax(r, p, 1 / q, b, xAtYmax > xmin ? xAtYmax : xmin, xbRaw < xmax ? xbRaw : xmax, ymin, ymax);
}

function mrcHasSlack(r: usize, x: f64, y: f64, xmin: f64, ymin: f64): bool {
  const n = load<i32>(r, A_N);
  const kn = <usize>load<u32>(r, A_KNOTS);
  const k = knotAfter(r, x);
  const m = missAt(r, kn, n, k, x);
  if (m <= 0) return true;
  const lat = 1 / (load<f64>(r, A_LS) + m * load<f64>(r, A_RS));
  if (y > ymin && (load<f64>(r, A_P) * y) / m > lat * (1 + 1e-12)) return true;
  if (x <= xmin) return false;
  let j = k - 1;
  if (j >= 0 && j < n && kx(kn, j) >= x) j--;
  if (j < 0) return load<f64>(r, A_M0) == m;
  return km(kn, j) == m;
}

/** Knot j's cache share and miss ratio in the knots at kn (apps.ts: (x, m) pairs). */
// @ts-ignore: decorator
@inline function kx(kn: usize, j: i32): f64 {
  return load<f64>(kn + (<usize>j << KNOT_SHIFT), K_X);
}
// @ts-ignore: decorator
@inline function km(kn: usize, j: i32): f64 {
  return load<f64>(kn + (<usize>j << KNOT_SHIFT), K_M);
}

// @ts-ignore: decorator
@inline function yOnLine(p: f64, iq: f64, b: f64, x: f64, ymin: f64, ymax: f64): f64 {
  const y = (b - p * x) * iq;
  return y < ymin ? ymin : y > ymax ? ymax : y;
}

/** Miss ratio at x knowing x lies in the piece ending at knot k (k = the first knot above x). */
// @ts-ignore: decorator
@inline function missAt(r: usize, kn: usize, n: i32, k: i32, x: f64): f64 {
  let m: f64;
  if (k <= 0) {
    m = load<f64>(r, A_M0);
  } else if (k >= n) {
    m = load<f64>(r, A_ML);
  } else {
    const p = kn + (<usize>(k - 1) << KNOT_SHIFT);
    const x0 = load<f64>(p, K_X);
    const m0 = load<f64>(p, K_M);
    const t = (x - x0) / (load<f64>(p, KNOT_BYTES + K_X) - x0);
    m = m0 + t * (load<f64>(p, KNOT_BYTES + K_M) - m0);
  }
  return m;
}

function mrcLineMax(r: usize, p: f64, iq: f64, b: f64, xa: f64, xb: f64, ymin: f64, ymax: f64): void {
  const n = load<i32>(r, A_N);
  const kn = <usize>load<u32>(r, A_KNOTS);
  const ls = load<f64>(r, A_LS);
  const rs = load<f64>(r, A_RS);
  const P = load<f64>(r, A_P);
  let k = knotAfter(r, xa);
  let u = xa;
  let mu = missAt(r, kn, n, k, xa);
  let gu = mu - P * ((b - p * u) * iq) * (ls + mu * rs);
  let bestX = xa;
  let yu = yOnLine(p, iq, b, xa, ymin, ymax); // y at u (the twin computes it anew where it needs it)
  let bestF = mrcPerf(r, mu, yu);
  // bounds on all that lies right of u: the miss ratio is at least its value at xb and bandwidth at most y(u)
  const mEnd = missAt(r, kn, n, knotAfter(r, xb), xb);
  const latMax = 1 / (ls + mEnd * rs);
  while (true) {
    if (latMax * (1 + 1e-12) <= bestF) break;
    if (mEnd > 0 && P * yu * (1 + 1e-12) <= bestF * mEnd) break;
    // the piece [u, v]; at a knot, ls + m rs and its inverse come from the knot (apps.ts: the same bits)
    let v = xb;
    let mv: f64;
    let dv: f64;
    let lv: f64 = 0;
    const atKnot = k < n && kx(kn, k) < xb;
    if (atKnot) {
      const kp = kn + (<usize>k << KNOT_SHIFT);
      v = load<f64>(kp, K_X); mv = load<f64>(kp, K_M); dv = load<f64>(kp, K_D); lv = load<f64>(kp, K_L);
    } else {
      mv = missAt(r, kn, n, k, xb);
      dv = ls + mv * rs;
    }
    const yRaw = (b - p * v) * iq;
    const gv = mv - P * yRaw * dv;
    const yv = yRaw < ymin ? ymin : yRaw > ymax ? ymax : yRaw;
    if (v > u) {
      if (bestF * dv < 1 + 1e-12 && (mv <= 0 || P * yv > bestF * mv * (1 - 1e-12))) {
        // mrcThroughput(mv, yv)
        const lat = atKnot ? lv : 1 / dv;
        let fv = lat;
        if (!(mv <= 0)) { const bw = (P * yv) / mv; fv = bw < lat ? bw : lat; }
        if (fv > bestF) { bestF = fv; bestX = v; }
      }
      if (gu < 0 && gv > 0) {
        const c = mrcCrossing(p, iq, b, ls, rs, P, u, mu, v, mv);
        if (c > u && c < v) {
          const mc = mu + ((mv - mu) * (c - u)) / (v - u);
          const fc = mrcPerf(r, mc, yOnLine(p, iq, b, c, ymin, ymax));
          if (fc > bestF) { bestF = fc; bestX = c; }
        }
      }
    }
    if (v >= xb) break;
    u = v;
    mu = mv;
    gu = gv;
    yu = yv;
    k++;
  }
  BR_X = bestX;
  BR_Y = yOnLine(p, iq, b, bestX, ymin, ymax);
  BR_F = bestF;
}

function mrcCrossing(p: f64, iq: f64, b: f64, ls: f64, rs: f64, P: f64, u: f64, mu: f64, v: f64, mv: f64): f64 {
  const s = (mv - mu) / (v - u);
  const al = mu - s * u;
  const ga = b * iq;
  const de = -p * iq;
  const a2 = -P * de * rs * s;
  const a1 = s - P * (ga * rs * s + de * ls + de * rs * al);
  const a0 = al - P * (ga * ls + ga * rs * al);
  let x: f64 = -1;
  const scale = Math.abs(a1) + Math.abs(a0) + 1e-300;
  if (Math.abs(a2) * (v > 1 ? v : 1) <= 1e-14 * scale) {
    if (a1 != 0) x = -a0 / a1;
  } else {
    const disc = a1 * a1 - 4 * a2 * a0;
    if (disc >= 0) {
      const sq = Math.sqrt(disc);
      const h = -0.5 * (a1 + (a1 >= 0 ? sq : -sq));
      const r1 = h / a2;
      const r2 = h != 0 ? a0 / h : r1;
      const tol = 1e-12 * (v - u);
      x = r1 >= u - tol && r1 <= v + tol ? r1 : r2;
    }
  }
  if (!(x >= u && x <= v)) {
    let lo = u;
    let hi = v;
    for (let i = 0; i < 60; i++) {
      const mid = 0.5 * (lo + hi);
      const mm = mu + ((mv - mu) * (mid - u)) / (v - u);
      const g = mm - P * ((b - p * mid) * iq) * (ls + mm * rs);
      if (g < 0) lo = mid; else hi = mid;
    }
    x = lo;
  }
  return x;
}

function surfaceLineMax(off: i32, p: f64, q: f64, iq: f64, b: f64, xa: f64, xb: f64, ymin: f64, ymax: f64): void {
  const nx = <i32>ldf(MD, off + 1);
  const ny = <i32>ldf(MD, off + 2);
  const xs = off + SURFACE_HEADER;
  const ys = xs + nx;
  let bestX = xa;
  let bestF = surfaceThroughput(off, xa, yOnLine(p, iq, b, xa, ymin, ymax));
  let i = 0;
  let j = ny - 1;
  let u = xa;
  for (let guard = 0; guard < nx + ny + 2; guard++) {
    let nextGrid = Infinity;
    while (i < nx && ldf(MD, xs + i) <= u) i++;
    if (i < nx) nextGrid = ldf(MD, xs + i);
    let nextCross = Infinity;
    while (j >= 0 && (b - q * ldf(MD, ys + j)) / p <= u) j--;
    if (j >= 0) nextCross = (b - q * ldf(MD, ys + j)) / p;
    let v = nextGrid < nextCross ? nextGrid : nextCross;
    if (v > xb) v = xb;
    if (v > u) {
      const fv = surfaceThroughput(off, v, yOnLine(p, iq, b, v, ymin, ymax));
      if (fv > bestF) { bestF = fv; bestX = v; }
      const h = (v - u) * 0.25;
      const m0 = u + h;
      const m1 = u + 2 * h;
      const m2 = u + 3 * h;
      const f0 = surfaceThroughput(off, m0, yOnLine(p, iq, b, m0, ymin, ymax));
      const f1 = surfaceThroughput(off, m1, yOnLine(p, iq, b, m1, ymin, ymax));
      const f2 = surfaceThroughput(off, m2, yOnLine(p, iq, b, m2, ymin, ymax));
      const curv = f0 - 2 * f1 + f2;
      if (curv < 0) {
        const x = m1 + (h * (f0 - f2)) / (2 * curv);
        if (x > u && x < v) {
          const fx = surfaceThroughput(off, x, yOnLine(p, iq, b, x, ymin, ymax));
          if (fx > bestF) { bestF = fx; bestX = x; }
        }
      }
    }
    if (v >= xb) break;
    u = v;
  }
  BR_X = bestX;
  BR_Y = yOnLine(p, iq, b, bestX, ymin, ymax);
  BR_F = bestF;
}

function cheapest(r: usize, p: f64, b: f64, xmin: f64, xHi: f64, ymin: f64, ymax: f64, satTarget: f64, refF: f64): void {
  const q = 1 - p;
  const fStar = BR_F;
  let target = fStar * (1 - SATIATION_TOL);
  if (target < refF && fStar >= refF) target = refF;
  if (fStar >= satTarget) { target = satTarget; BR_SAT = 1; }
  // a hair under the target, so that one at the very top of the curve stays reachable after rounding (twin)
  target *= 1 - TARGET_ROUNDING;
  let cx = BR_X;
  let cy = BR_Y;
  let cost = p * cx + q * cy;
  const budget = b * (1 + 1e-12);
  if (load<i32>(r, A_KIND) == 0) {
    const n = load<i32>(r, A_N);
    const kn = <usize>load<u32>(r, A_KNOTS);
    const ls = load<f64>(r, A_LS);
    const rs = load<f64>(r, A_RS);
    const P = load<f64>(r, A_P);
    const mLat: f64 = rs > 0 ? (1 / target - ls) / rs : 2;
    const mYmin = (P * ymin) / target;
    const tP = target / P;
    let k = knotAfter(r, xmin);
    let u = xmin;
    let mu = missAt(r, kn, n, k, xmin);
    for (let guard = 0; guard <= n + 1; guard++) {
      if (mu <= mLat) {
        let y = tP * mu;
        if (y < ymin) y = ymin;
        if (y <= ymax) {
          const c = p * u + q * y;
          if (c <= budget && (c < cost - 1e-15 || (c <= cost + 1e-15 && u < cx))) { cost = c; cx = u; cy = y; }
        }
      }
      if (mu <= mYmin) break;
      let v = xHi;
      let mv: f64;
      if (k < n && kx(kn, k) < xHi) { v = kx(kn, k); mv = km(kn, k); } else mv = missAt(r, kn, n, k, xHi);
      if (v > u && mu != mv) {
        for (let t = 0; t < 2; t++) {
          const mt = t == 0 ? mLat : mYmin;
          if ((mt < mu && mt > mv) || (mt > mu && mt < mv)) {
            const x = u + ((mu - mt) / (mu - mv)) * (v - u);
            if (mt <= mLat) {
              let y = tP * mt;
              if (y < ymin) y = ymin;
              if (y <= ymax) {
                const c = p * x + q * y;
                if (c <= budget && (c < cost - 1e-15 || (c <= cost + 1e-15 && x < cx))) { cost = c; cx = x; cy = y; }
              }
            }
          }
        }
      }
      if (v <= u && u >= xHi) break;
      if (v >= xHi) {
        if (u < xHi) { u = xHi; mu = mv; continue; }
        break;
      }
      u = v;
      mu = mv;
      k++;
    }
  } else {
    const off = load<i32>(r, A_OFF);
    const nx = <i32>ldf(MD, off + 1);
    const xs = off + SURFACE_HEADER;
    for (let i = 0; i < nx; i++) {
      const x0 = i == 0 ? xmin : ldf(MD, xs + i - 1);
      const x1 = ldf(MD, xs + i) < xHi ? ldf(MD, xs + i) : xHi;
      if (x1 < xmin) continue;
      const lo = x0 > xmin ? x0 : xmin;
      for (let s = 0; s <= SURFACE_COST_SAMPLES; s++) {
        const x = lo + ((x1 - lo) * <f64>s) / <f64>SURFACE_COST_SAMPLES;
        const y = minYFor(off, x, target, ymin, ymax);
        if (y < 0) continue;
        const c = p * x + q * y;
        if (c <= budget && (c < cost - 1e-15 || (c <= cost + 1e-15 && x < cx))) { cost = c; cx = x; cy = y; }
      }
      if (x1 >= xHi) break;
    }
  }
  BR_X = cx;
  BR_Y = cy;
  BR_F = perfRec(r, cx, cy);
}

export function minYFor(off: i32, x: f64, target: f64, ymin: f64, ymax: f64): f64 {
  if (throughput(off, x, ymax) < target) return -1;
  if (throughput(off, x, ymin) >= target) return ymin;
  let lo = ymin;
  let hi = ymax;
  for (let k = 0; k < BISECT_Y_STEPS && hi - lo > 1e-15; k++) {
    const mid = 0.5 * (lo + hi);
    if (throughput(off, x, mid) >= target) hi = mid; else lo = mid;
  }
  return hi;
}
