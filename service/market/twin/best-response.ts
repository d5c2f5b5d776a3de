// Best response of one app at prices (p, q = 1 - p) with budget b inside its box of limits: the bundle of
// highest throughput it can afford, and among those (a satiated app may have many) the cheapest one.
//
// Exact, not sampled. Along the budget line y = (b - p x) / q throughput is simple between breakpoints:
//  - mrc: m(x) is linear on each piece; the latency-bound term rises with x and the bandwidth-bound term is
//    monotone on a piece, so the optimum is a breakpoint or the point where the two terms cross (a root of a
//    quadratic, solved in closed form);
//  - surface: bilinear in a cell, so quadratic along the line: a breakpoint or the quadratic's peak.
// Written without closures or allocation: assembly/market/best-response.ts is the same code line by line.
import { KIND_MRC, MRC_HEADER, SURFACE_HEADER } from '../encoding.ts';
import { mrcThroughput, surfaceThroughput, throughput } from './model.ts';

/** Relative slack under the best throughput within which bundles count as equally good (then cheapest wins). */
export const SATIATION_TOL = 1e-9;
/** Relative slack under a cheapest-bundle target, so a target at the top of the curve stays reachable. */
const TARGET_ROUNDING = 1e-12;
const BISECT_Y_STEPS = 60; // bisection for the smallest sufficient bandwidth on a surface (double precision)
const SURFACE_COST_SAMPLES = 16; // samples per cache cell when searching the cheapest bundle on a surface

export interface Bundle { x: number; y: number; f: number; /** 1 when the app is satiated (see satTarget) */ sat: number }

/**
 * `satTarget`: throughput at which the app counts as satiated (within a small tolerance of the best it can
 * ever reach, and not below its reference). A satiated app takes the cheapest bundle reaching satTarget
 * rather than chasing negligible gains; the market passes its unspent budget on to the others.
 */
export function bestResponse(md: Float64Array, off: number, p: number, b: number,
  xmin: number, xmax: number, ymin: number, ymax: number, satTarget: number, refF: number, out: Bundle): Bundle {
  const q = 1 - p;
  out.sat = 0;
  // cannot afford more than the minimum bundle: the limits force it
  if (p * xmin + q * ymin >= b) {
    out.x = xmin; out.y = ymin; out.f = throughput(md, off, xmin, ymin);
    return out;
  }
  const xAtYmax = (b - q * ymax) / p;
  if (xAtYmax >= xmax) {
    // the whole box is affordable
    out.x = xmax; out.y = ymax; out.f = throughput(md, off, xmax, ymax);
    return cheapest(md, off, p, b, xmin, xmax, ymin, ymax, satTarget, refF, out);
  }
  const xa = xAtYmax > xmin ? xAtYmax : xmin;
  const xbRaw = (b - q * ymin) / p;
  const xb = xbRaw < xmax ? xbRaw : xmax;
  if (md[off] === KIND_MRC) {
    mrcLineMax(md, off, p, 1 / q, b, xa, xb, ymin, ymax, out);
    // a cheaper bundle as good exists only if the app is satiated, latency-bound with bandwidth to spare,
    // or on a flat piece of its curve (less cache, same miss ratio)
    if (out.f < satTarget && !mrcHasSlack(md, off, out.x, out.y, xmin, ymin)) return out;
  } else {
    surfaceLineMax(md, off, p, q, 1 / q, b, xa, xb, ymin, ymax, out);
  }
  return cheapest(md, off, p, b, xmin, xb, ymin, ymax, satTarget, refF, out);
}

/**
 * The best bundle of an mrc model on its budget line (p x + q y = b) inside the box, with no tie-breaking
 * toward cheaper bundles: the demand of an app that is not satiated (equilibrium.ts), which spends its whole
 * budget because its throughput rises in some direction everywhere below satiation. q (= 1 - p) is given
 * apart so that a price near 1 keeps its full relative precision.
 */
export function lineBest(md: Float64Array, off: number, p: number, q: number, b: number,
  xmin: number, xmax: number, ymin: number, ymax: number, out: Bundle): Bundle {
  out.sat = 0;
  if (p * xmin + q * ymin >= b) {
    out.x = xmin; out.y = ymin; out.f = throughput(md, off, xmin, ymin);
    return out;
  }
  const xAtYmax = (b - q * ymax) / p;
  if (xAtYmax >= xmax) {
    out.x = xmax; out.y = ymax; out.f = throughput(md, off, xmax, ymax);
    return out;
  }
  const xbRaw = (b - q * ymin) / p;
  mrcLineMax(md, off, p, 1 / q, b, xAtYmax > xmin ? xAtYmax : xmin, xbRaw < xmax ? xbRaw : xmax, ymin, ymax, out);
  return out;
}

/** True when an mrc model at (x, y) keeps its throughput with less cache or less bandwidth. */
function mrcHasSlack(md: Float64Array, off: number, x: number, y: number, xmin: number, ymin: number): boolean {
  const n = md[off + 1];
  const xs = off + MRC_HEADER;
  const ms = xs + n;
  const k = firstKnotAbove(md, xs, n, x);
  const m = missAt(md, xs, ms, n, k, x);
  if (m <= 0) return true;
  const lat = 1 / (md[off + 2] + m * md[off + 3]);
  if (y > ymin && (md[off + 4] * y) / m > lat * (1 + 1e-12)) return true;
  if (x <= xmin) return false;
  // the piece on the left of x: flat when its two ends have the same miss ratio
  let j = k - 1;
  if (j >= 0 && j < n && md[xs + j] >= x) j--;
  if (j < 0) return md[ms] === m;
  return md[ms + j] === m;
}

/** y on the budget line at x (iq = 1 / q), clamped to [ymin, ymax]. */
const yOnLine = (p: number, iq: number, b: number, x: number, ymin: number, ymax: number): number => {
  const y = (b - p * x) * iq;
  return y < ymin ? ymin : y > ymax ? ymax : y;
};

/** Index k of the first knot with x_k > x (n if none). */
function firstKnotAbove(md: Float64Array, xs: number, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (md[xs + mid] > x) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/** Miss ratio at x knowing x lies in the piece ending at knot k (k = first knot above x). */
function missAt(md: Float64Array, xs: number, ms: number, n: number, k: number, x: number): number {
  if (k <= 0) return md[ms];
  if (k >= n) return md[ms + n - 1];
  const x0 = md[xs + k - 1];
  const t = (x - x0) / (md[xs + k] - x0);
  return md[ms + k - 1] + t * (md[ms + k] - md[ms + k - 1]);
}

/** Best point of an mrc model on the budget line for x in [xa, xb]; writes out.x, out.y, out.f. */
function mrcLineMax(md: Float64Array, off: number, p: number, iq: number, b: number, xa: number, xb: number,
  ymin: number, ymax: number, out: Bundle): void {
  const n = md[off + 1];
  const xs = off + MRC_HEADER;
  const ms = xs + n;
  const ls = md[off + 2];
  const rs = md[off + 3];
  const P = md[off + 4];
  let k = firstKnotAbove(md, xs, n, xa);
  let u = xa;
  let mu = missAt(md, xs, ms, n, k, xa);
  // g < 0: latency-bound, g > 0: bandwidth-bound (on the unclamped line); carried from piece to piece
  let gu = mu - P * ((b - p * u) * iq) * (ls + mu * rs);
  let bestX = xa;
  let bestF = mrcThroughput(md, off, mu, yOnLine(p, iq, b, xa, ymin, ymax));
  // bounds on all that lies right of u: the miss ratio is at least its value at xb and bandwidth at most y(u)
  const mEnd = missAt(md, xs, ms, n, firstKnotAbove(md, xs, n, xb), xb);
  const latMax = 1 / (ls + mEnd * rs);
  for (;;) {
    if (latMax * (1 + 1e-12) <= bestF) break;
    if (mEnd > 0 && P * yOnLine(p, iq, b, u, ymin, ymax) * (1 + 1e-12) <= bestF * mEnd) break;
    // the piece [u, v]: up to the next knot or xb
    let v = xb;
    let mv: number;
    if (k < n && md[xs + k] < xb) { v = md[xs + k]; mv = md[ms + k]; } else mv = missAt(md, xs, ms, n, k, xb);
    const gv = mv - P * ((b - p * v) * iq) * (ls + mv * rs);
    if (v > u) {
      // the end of the piece can beat bestF only if both bounds can: tested without dividing (with a
      // margin far above rounding), the exact throughput computed only then
      const yv = yOnLine(p, iq, b, v, ymin, ymax);
      if (bestF * (ls + mv * rs) < 1 + 1e-12 && (mv <= 0 || P * yv > bestF * mv * (1 - 1e-12))) {
        const fv = mrcThroughput(md, off, mv, yv);
        if (fv > bestF) { bestF = fv; bestX = v; }
      }
      if (gu < 0 && gv > 0) {
        const c = mrcCrossing(p, iq, b, ls, rs, P, u, mu, v, mv);
        if (c > u && c < v) {
          const mc = mu + ((mv - mu) * (c - u)) / (v - u);
          const fc = mrcThroughput(md, off, mc, yOnLine(p, iq, b, c, ymin, ymax));
          if (fc > bestF) { bestF = fc; bestX = c; }
        }
      }
    }
    if (v >= xb) break;
    u = v;
    mu = mv;
    gu = gv;
    k++;
  }
  out.x = bestX;
  out.y = yOnLine(p, iq, b, bestX, ymin, ymax);
  out.f = bestF;
}

/**
 * On the piece [u, v] of the budget line (miss ratio linear from mu to mv), latency-bound at u and
 * bandwidth-bound at v, the point where the two terms cross: the root of the quadratic
 * g(x) = m - P y (ls + m rs), in closed form (bisection if rounding puts it outside [u, v]).
 */
function mrcCrossing(p: number, iq: number, b: number, ls: number, rs: number, P: number,
  u: number, mu: number, v: number, mv: number): number {
  // m(x) = al + s x, y(x) = ga + de x
  const s = (mv - mu) / (v - u);
  const al = mu - s * u;
  const ga = b * iq;
  const de = -p * iq;
  const a2 = -P * de * rs * s;
  const a1 = s - P * (ga * rs * s + de * ls + de * rs * al);
  const a0 = al - P * (ga * ls + ga * rs * al);
  let x = -1;
  const scale = Math.abs(a1) + Math.abs(a0) + 1e-300;
  if (Math.abs(a2) * (v > 1 ? v : 1) <= 1e-14 * scale) {
    if (a1 !== 0) x = -a0 / a1;
  } else {
    const disc = a1 * a1 - 4 * a2 * a0;
    if (disc >= 0) {
      const sq = Math.sqrt(disc);
      const h = -0.5 * (a1 + (a1 >= 0 ? sq : -sq));
      const r1 = h / a2;
      const r2 = h !== 0 ? a0 / h : r1;
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

/** Best point of a surface on the budget line for x in [xa, xb]: breakpoints and each cell's peak. */
function surfaceLineMax(md: Float64Array, off: number, p: number, q: number, iq: number, b: number, xa: number,
  xb: number, ymin: number, ymax: number, out: Bundle): void {
  const nx = md[off + 1];
  const ny = md[off + 2];
  const xs = off + SURFACE_HEADER;
  const ys = xs + nx;
  let bestX = xa;
  let bestF = surfaceThroughput(md, off, xa, yOnLine(p, iq, b, xa, ymin, ymax));
  // breakpoints in increasing x: grid x values (ascending i) merged with the x where the line crosses a grid
  // y value (y falls as x rises, so descending j)
  let i = 0;
  let j = ny - 1;
  let u = xa;
  for (let guard = 0; guard < nx + ny + 2; guard++) {
    let nextGrid = Infinity;
    while (i < nx && md[xs + i] <= u) i++;
    if (i < nx) nextGrid = md[xs + i];
    let nextCross = Infinity;
    while (j >= 0 && (b - q * md[ys + j]) / p <= u) j--;
    if (j >= 0) nextCross = (b - q * md[ys + j]) / p;
    let v = nextGrid < nextCross ? nextGrid : nextCross;
    if (v > xb) v = xb;
    if (v > u) {
      const fv = surfaceThroughput(md, off, v, yOnLine(p, iq, b, v, ymin, ymax));
      if (fv > bestF) { bestF = fv; bestX = v; }
      // along the line inside one cell f is quadratic in x: its peak from three samples
      const h = (v - u) * 0.25;
      const m0 = u + h;
      const m1 = u + 2 * h;
      const m2 = u + 3 * h;
      const f0 = surfaceThroughput(md, off, m0, yOnLine(p, iq, b, m0, ymin, ymax));
      const f1 = surfaceThroughput(md, off, m1, yOnLine(p, iq, b, m1, ymin, ymax));
      const f2 = surfaceThroughput(md, off, m2, yOnLine(p, iq, b, m2, ymin, ymax));
      const curv = f0 - 2 * f1 + f2;
      if (curv < 0) {
        const x = m1 + (h * (f0 - f2)) / (2 * curv);
        if (x > u && x < v) {
          const fx = surfaceThroughput(md, off, x, yOnLine(p, iq, b, x, ymin, ymax));
          if (fx > bestF) { bestF = fx; bestX = x; }
        }
      }
    }
    if (v >= xb) break;
    u = v;
  }
  out.x = bestX;
  out.y = yOnLine(p, iq, b, bestX, ymin, ymax);
  out.f = bestF;
}

/**
 * Given out = a best point (throughput fStar), replace it by the cheapest bundle with cache share in
 * [xmin, xHi] whose throughput is within SATIATION_TOL of fStar (but not under refF), or reaches satTarget
 * when fStar does (then out.sat = 1).
 */
function cheapest(md: Float64Array, off: number, p: number, b: number, xmin: number, xHi: number,
  ymin: number, ymax: number, satTarget: number, refF: number, out: Bundle): Bundle {
  const q = 1 - p;
  const fStar = out.f;
  let target = fStar * (1 - SATIATION_TOL);
  // the slack never takes an app below its reference throughput
  if (target < refF && fStar >= refF) target = refF;
  if (fStar >= satTarget) { target = satTarget; out.sat = 1; }
  // a target at the very top of the curve (the throughput at the maxima, where the miss ratio reaches its
  // floor) must stay reachable after rounding: a hair under it
  target *= 1 - TARGET_ROUNDING;
  let cx = out.x;
  let cy = out.y;
  let cost = p * cx + q * cy;
  const budget = b * (1 + 1e-12);
  if (md[off] === KIND_MRC) {
    const n = md[off + 1];
    const xs = off + MRC_HEADER;
    const ms = xs + n;
    const ls = md[off + 2];
    const rs = md[off + 3];
    const P = md[off + 4];
    const mLat = rs > 0 ? (1 / target - ls) / rs : 2; // largest miss ratio whose latency bound reaches the target
    const mYmin = (P * ymin) / target; // miss ratio at which ymin alone carries the target
    const tP = target / P; // bandwidth share needed per unit of miss ratio
    // candidates: xmin, xHi, the knots between, and on each piece the x where m crosses mLat or mYmin
    let k = firstKnotAbove(md, xs, n, xmin);
    let u = xmin;
    let mu = missAt(md, xs, ms, n, k, xmin);
    for (let guard = 0; guard <= n + 1; guard++) {
      // candidate at u
      if (mu <= mLat) {
        let y = tP * mu;
        if (y < ymin) y = ymin;
        if (y <= ymax) {
          const c = p * u + q * y;
          if (c <= budget && (c < cost - 1e-15 || (c <= cost + 1e-15 && u < cx))) { cost = c; cx = u; cy = y; }
        }
      }
      // from here on the minimum bandwidth carries the target, and more cache only costs more
      if (mu <= mYmin) break;
      let v = xHi;
      let mv: number;
      if (k < n && md[xs + k] < xHi) { v = md[xs + k]; mv = md[ms + k]; } else mv = missAt(md, xs, ms, n, k, xHi);
      if (v > u && mu !== mv) {
        for (let t = 0; t < 2; t++) {
          const mt = t === 0 ? mLat : mYmin;
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
    const nx = md[off + 1];
    const xs = off + SURFACE_HEADER;
    for (let i = 0; i < nx; i++) {
      const x0 = i === 0 ? xmin : md[xs + i - 1];
      const x1 = md[xs + i] < xHi ? md[xs + i] : xHi;
      if (x1 < xmin) continue;
      const lo = x0 > xmin ? x0 : xmin;
      for (let s = 0; s <= SURFACE_COST_SAMPLES; s++) {
        const x = lo + ((x1 - lo) * s) / SURFACE_COST_SAMPLES;
        const y = minYFor(md, off, x, target, ymin, ymax);
        if (y < 0) continue;
        const c = p * x + q * y;
        if (c <= budget && (c < cost - 1e-15 || (c <= cost + 1e-15 && x < cx))) { cost = c; cx = x; cy = y; }
      }
      if (x1 >= xHi) break;
    }
  }
  out.x = cx;
  out.y = cy;
  out.f = throughput(md, off, cx, cy);
  return out;
}

/** Smallest y in [ymin, ymax] with throughput(x, y) >= target, or -1 if even ymax falls short. */
export function minYFor(md: Float64Array, off: number, x: number, target: number, ymin: number, ymax: number): number {
  if (throughput(md, off, x, ymax) < target) return -1;
  if (throughput(md, off, x, ymin) >= target) return ymin;
  let lo = ymin;
  let hi = ymax;
  for (let k = 0; k < BISECT_Y_STEPS && hi - lo > 1e-15; k++) {
    const mid = 0.5 * (lo + hi);
    if (throughput(md, off, x, mid) >= target) hi = mid; else lo = mid;
  }
  return hi;
}
