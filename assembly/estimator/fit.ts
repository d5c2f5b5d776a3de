// Fits the `mrc` performance model's parameters to telemetry (DESIGN.md sections 3 and 5):
//   throughput = min( nsPerSec / (L + m * R) ,  bw / (m * P) )      (bw in bytes/s, m the measured miss ratio)
//   traffic    = throughput * m * P
// Parameters in log space (a = ln L, c = ln R, p = ln P, all positive), residuals in log space (noise is
// multiplicative). Levenberg-Marquardt inside an IRLS loop: Huber weights first, then Tukey's biweight, with
// the scale from the weighted MAD, so samples taken while an allocation settled cannot drag the fit. A weak
// prior (sigma in log space) keeps unidentifiable directions finite; the posterior covariance reports them.
// Identifiability: a sample whose page traffic reaches the bandwidth limit (>= SATURATED of it) is
// bandwidth-bound: its throughput speaks only to P, and to L and R only as a lower bound (a hinge: the
// latency-bound rate is at least what was observed). The hinge is left out of the covariance, so when every
// sample is saturated, L and R keep the prior's width and the confidence says so.
// Measured stalls: a sample may carry the data plane's stall per miss (ns, token waits excluded), a direct
// observation of R: residual ln s - c with its own robust scale and weights. Their total precision is capped
// (stallCap), so a biased stall measurement cannot outweigh what throughput says about R.
// Identity: a saturated sample that also carries the token wait per miss Q tells L, because every access
// costs L plus, for a miss, the whole stall: throughput = nsPerSec / (L + m (s + Q)). Its residual (own robust
// scale and weights) is what pins L when the app is never latency-bound.
// service/estimator/fit-twin.ts is the TypeScript twin of this file.

const SATURATED: f64 = 0.9; // traffic >= 90% of the bandwidth limit: the token bucket is the bottleneck
const LAT_MARGIN: f64 = 1.2;
const HINGE_SCALES: f64 = 3.0; // the hinge ignores shortfalls within 3 robust scales (throughput noise) // a sample is latency-bound for the initial guess if bw/(m P) >= 1.2 * throughput
const MIN_SCALE: f64 = 0.01; // robust scale floor (1% in log space): exact data must not divide by zero
const MAD_TO_SIGMA: f64 = 1.4826;
const HUBER_K: f64 = 1.345;
const TUKEY_K: f64 = 4.685;
const HUBER_ROUNDS: i32 = 2;
const OUTER_ROUNDS: i32 = 8;
const LM_STEPS: i32 = 40;
const INIT_ROUNDS: i32 = 5;
// an accepted step that lowers the objective by less than this share of it ends the round: the objective has a
// kink where a sample turns bandwidth-bound, along which LM would otherwise crawl with steps of 1e-5..1e-9
// (~170 steps a fit, most of them rejected, for parameters that moved by parts per million)
const LM_FTOL: f64 = 1e-10;

// input block (f64 columns of length cap): m, bw, x, tr, w; then robust weights u, v; then scratch
let blockP: usize = 0;
let blockCap: i32 = 0;
let stride: i32 = 0; // column length of the current fit
let resP: usize = 0; // results, see fitResultPtr

// per-fit state
let N: i32 = 0;
let nsPerSec: f64 = 1e9;
let prior0: f64 = 0.0; let prior1: f64 = 0.0; let prior2: f64 = 0.0;
let priorPrec: f64 = 0.0;
let sR: f64 = 1.0; let sQ: f64 = 1.0; let sS: f64 = 1.0;
let sI: f64 = 1.0;
let fS: f64 = 1.0; // share of the stall observations' precision used (caps their total at stallCap)
let stallCap: f64 = 0.0;
// normal equations (symmetric 3x3) and gradient
let A00: f64 = 0; let A01: f64 = 0; let A02: f64 = 0; let A11: f64 = 0; let A12: f64 = 0; let A22: f64 = 0;
let g0: f64 = 0; let g1: f64 = 0; let g2: f64 = 0;
let d0: f64 = 0; let d1: f64 = 0; let d2: f64 = 0;
let curL: f64 = 0; let curR: f64 = 0; let lnNs: f64 = 0; // exp(a), exp(c) of the point being evaluated

// @ts-ignore: decorator
@inline function col(k: i32, i: i32): usize { return blockP + ((<usize>k * <usize>stride + <usize>i) << 3); }
// @ts-ignore: decorator
@inline function get(k: i32, i: i32): f64 { return load<f64>(col(k, i)); }
// @ts-ignore: decorator
@inline function put(k: i32, i: i32, v: f64): void { store<f64>(col(k, i), v); }

const C_M = 0; const C_BW = 1; const C_X = 2; const C_TR = 3; const C_W = 4; const C_ST = 5; const C_TW = 6;
const C_U = 7; const C_V = 8; const C_VS = 9; const C_H = 10; const C_VI = 11;
const C_LNX = 12; const C_LNBW = 13; const C_Z = 14; const C_S1 = 15; const C_S2 = 16; const C_SAT = 17; const C_LNS = 18;
const C_STOT = 19;
const COLS = 20;

/** Room for n samples; returns the input block (columns m, bw, x, tr, w, stall, token wait (< 0: none) of n f64 each, stride n). */
export function fitReserve(n: i32): usize {
  if (resP == 0) resP = heap.alloc(32 << 3);
  if (n > blockCap) {
    if (blockP != 0) heap.free(blockP);
    blockP = heap.alloc(<usize>COLS * <usize>n << 3);
    blockCap = n;
  }
  stride = n;
  return blockP;
}

/**
 * Result layout (f64): a, c, p, cov00, cov01, cov02, cov11, cov12, cov22, sR, sQ, steps, nThroughput, nTraffic,
 * nLatencyInit, nSaturated, sS, nStall, stallFactor, sI, nIdentity. Output columns after the inputs: u, v, vs
 * (robust weights of the throughput, traffic and stall residuals), h (leverage of each throughput residual), vi
 * (robust weights of the identity residuals).
 */
export function fitResultPtr(): usize { return resP; }

/** Swaps entries i and j of the (value, weight) pairs in S1/S2. */
// @ts-ignore: decorator
@inline function swapPairs(i: i32, j: i32): void {
  const v = get(C_S1, i), w = get(C_S2, i);
  put(C_S1, i, get(C_S1, j)); put(C_S2, i, get(C_S2, j));
  put(C_S1, j, v); put(C_S2, j, w);
}

/**
 * Weighted median of the first k (value, weight) pairs in S1/S2: the smallest value v whose pairs of value <= v
 * weigh at least half of the total (what sorting and taking the first value whose cumulative weight reaches
 * half gives). Quickselect with a three-way partition: expected O(k), where the sort it replaced was ~k^1.3 and
 * a fifth of a fit's time. Reorders the pairs. service/estimator/fit-twin.ts weightedMedian is its twin.
 */
function weightedMedian(k: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < k; i++) total += get(C_S2, i);
  const half = 0.5 * total;
  let lo = 0, hi = k - 1;
  let below: f64 = 0; // weight of the pairs left of lo (all smaller than every value in lo..hi)
  while (lo < hi) { // each pass removes at least the pivot's pairs from lo..hi
    const mid = lo + ((hi - lo) >> 1);
    const x = get(C_S1, lo), y = get(C_S1, mid), z = get(C_S1, hi);
    const pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    // [lo, lt): < pivot; [lt, i): == pivot; (gt, hi]: > pivot
    let lt = lo, i = lo, gt = hi;
    let wLess: f64 = 0, wEqual: f64 = 0;
    while (i <= gt) {
      const v = get(C_S1, i);
      if (v < pivot) { wLess += get(C_S2, i); swapPairs(lt, i); lt++; i++; }
      else if (v > pivot) { swapPairs(i, gt); gt--; }
      else { wEqual += get(C_S2, i); i++; }
    }
    if (lt > lo && below + wLess >= half) { hi = lt - 1; continue; }
    if (below + wLess + wEqual >= half) return pivot;
    below += wLess + wEqual;
    lo = gt + 1;
  }
  return get(C_S1, lo < k ? lo : k - 1);
}

// @ts-ignore: decorator
@inline function hasX(i: i32): bool {
  // a throughput residual needs a positive throughput, a weight, and a finite bandwidth ceiling or no misses
  return get(C_X, i) > 0 && get(C_W, i) > 0 && (get(C_M, i) <= 0 || get(C_BW, i) > 0);
}
// @ts-ignore: decorator
@inline function hasQ(i: i32): bool {
  return get(C_TR, i) > 0 && get(C_X, i) > 0 && get(C_M, i) > 0 && get(C_W, i) > 0;
}
// @ts-ignore: decorator
@inline function hasS(i: i32): bool {
  return get(C_ST, i) > 0 && get(C_W, i) > 0;
}
// @ts-ignore: decorator
@inline function hasI(i: i32): bool {
  return hasX(i) && get(C_SAT, i) > 0 && hasS(i) && get(C_TW, i) >= 0 && get(C_M, i) > 0;
}

/** Identity residual ln x - ln(nsPerSec / (L + m (s + Q))) at the point set by at(); its gradient to d0..d2. */
function identity(i: i32): f64 {
  const D = curL + get(C_M, i) * get(C_STOT, i);
  d0 = curL / D; d1 = 0; d2 = 0;
  return get(C_LNX, i) - lnNs + Math.log(D);
}

/** Sets the point at which residual() and hinge() evaluate (one exp each, not one per sample). */
function at(a: f64, c: f64): void {
  curL = Math.exp(a);
  curR = Math.exp(c);
}

/** Throughput residual ln x - ln f at the point set by at(), and its gradient (written to d0..d2). */
function residual(i: i32, p: f64): f64 {
  const m = get(C_M, i);
  const L = curL;
  const R = curR;
  const D = L + m * R;
  const lnLat = lnNs - Math.log(D);
  if (m > 0) {
    const lnBw = get(C_LNBW, i) - p;
    if (lnBw < lnLat || get(C_SAT, i) > 0) {
      d0 = 0; d1 = 0; d2 = 1;
      return get(C_LNX, i) - lnBw;
    }
  }
  d0 = L / D; d1 = m * R / D; d2 = 0;
  return get(C_LNX, i) - lnLat;
}

/** Hinge of a saturated sample: how far the latency-bound rate falls below the observed throughput (>= 0). */
function hinge(i: i32): f64 {
  const m = get(C_M, i);
  const L = curL;
  const R = curR;
  const D = L + m * R;
  const h = get(C_LNX, i) - HINGE_SCALES * sR - (lnNs - Math.log(D));
  d0 = L / D; d1 = m * R / D; d2 = 0;
  if (h > 0) return h;
  d0 = 0; d1 = 0;
  return 0.0;
}

/** Objective at (a, c, p) with the current robust weights and scales. */
function objective(a: f64, c: f64, p: f64): f64 {
  let f: f64 = 0;
  const wr = 1.0 / (sR * sR);
  const wq = 1.0 / (sQ * sQ);
  const ws = fS / (sS * sS);
  const wi = 1.0 / (sI * sI);
  at(a, c);
  for (let i = 0; i < N; i++) {
    if (hasX(i)) { const r = residual(i, p); f += get(C_W, i) * get(C_U, i) * wr * r * r; }
    if (hasX(i) && get(C_SAT, i) > 0) { const h = hinge(i); f += get(C_W, i) * wr * h * h; }
    if (hasQ(i)) { const q = get(C_Z, i) - p; f += get(C_W, i) * get(C_V, i) * wq * q * q; }
    if (hasS(i)) { const t = get(C_LNS, i) - c; f += get(C_W, i) * get(C_VS, i) * ws * t * t; }
    if (hasI(i)) { const e = identity(i); f += get(C_W, i) * get(C_VI, i) * wi * e * e; }
  }
  const e0 = a - prior0, e1 = c - prior1, e2 = p - prior2;
  return f + priorPrec * (e0 * e0 + e1 * e1 + e2 * e2);
}

/** Normal equations J^T W J + prior and gradient J^T W r + prior at (a, c, p); hinges only for the steps. */
function normalEquations(a: f64, c: f64, p: f64, hinges: bool): void {
  A00 = priorPrec; A01 = 0; A02 = 0; A11 = priorPrec; A12 = 0; A22 = priorPrec;
  g0 = priorPrec * (a - prior0); g1 = priorPrec * (c - prior1); g2 = priorPrec * (p - prior2);
  const wr = 1.0 / (sR * sR);
  const wq = 1.0 / (sQ * sQ);
  const ws = fS / (sS * sS);
  const wi = 1.0 / (sI * sI);
  at(a, c);
  for (let i = 0; i < N; i++) {
    if (hasX(i)) {
      const r = residual(i, p);
      const W = get(C_W, i) * get(C_U, i) * wr;
      A00 += W * d0 * d0; A01 += W * d0 * d1; A02 += W * d0 * d2;
      A11 += W * d1 * d1; A12 += W * d1 * d2; A22 += W * d2 * d2;
      g0 += W * d0 * r; g1 += W * d1 * r; g2 += W * d2 * r;
    }
    if (hinges && hasX(i) && get(C_SAT, i) > 0) {
      const h = hinge(i);
      const W = get(C_W, i) * wr;
      A00 += W * d0 * d0; A01 += W * d0 * d1; A11 += W * d1 * d1;
      g0 += W * d0 * h; g1 += W * d1 * h;
    }
    if (hasQ(i)) { // q = z - p: dq/dp = -1
      const W = get(C_W, i) * get(C_V, i) * wq;
      A22 += W;
      g2 -= W * (get(C_Z, i) - p);
    }
    if (hasS(i)) { // t = ln s - c: dt/dc = -1
      const W = get(C_W, i) * get(C_VS, i) * ws;
      A11 += W;
      g1 -= W * (get(C_LNS, i) - c);
    }
    if (hasI(i)) {
      const e = identity(i);
      const W = get(C_W, i) * get(C_VI, i) * wi;
      A00 += W * d0 * d0;
      g0 += W * d0 * e;
    }
  }
}

/** Solves (A + lambda diag(A)) d = -g by Cholesky (A is positive definite thanks to the prior). */
function solveDamped(lambda: f64): void {
  const a00 = A00 * (1 + lambda), a11 = A11 * (1 + lambda), a22 = A22 * (1 + lambda);
  const l00 = Math.sqrt(a00);
  const l10 = A01 / l00, l20 = A02 / l00;
  const l11 = Math.sqrt(a11 - l10 * l10);
  const l21 = (A12 - l20 * l10) / l11;
  const l22 = Math.sqrt(a22 - l20 * l20 - l21 * l21);
  const y0 = -g0 / l00;
  const y1 = (-g1 - l10 * y0) / l11;
  const y2 = (-g2 - l20 * y0 - l21 * y1) / l22;
  d2 = y2 / l22;
  d1 = (y1 - l21 * d2) / l11;
  d0 = (y0 - l10 * d1 - l20 * d2) / l00;
}

/** Levenberg-Marquardt from the parameters in the result block; writes them back; returns steps taken. */
function levenbergMarquardt(): i32 {
  let a = load<f64>(resP), c = load<f64>(resP, 8), p = load<f64>(resP, 16);
  let f = objective(a, c, p);
  let lambda: f64 = 1e-3;
  let steps = 0;
  let stale = true; // a rejected step leaves (a, c, p), and so the normal equations, as they were
  for (; steps < LM_STEPS; steps++) {
    if (stale) normalEquations(a, c, p, true);
    solveDamped(lambda);
    const na = a + d0, nc = c + d1, np = p + d2;
    const step = Math.max(Math.abs(d0), Math.max(Math.abs(d1), Math.abs(d2)));
    const nf = objective(na, nc, np);
    stale = nf <= f;
    if (nf <= f) {
      const gain = f - nf;
      a = na; c = nc; p = np; f = nf;
      lambda = Math.max(lambda * 0.1, 1e-12);
      if (step < 1e-10 || gain <= LM_FTOL * f) break;
    } else {
      lambda *= 10;
      if (lambda > 1e10) break;
    }
  }
  store<f64>(resP, a); store<f64>(resP, c, 8); store<f64>(resP, p, 16);
  return steps;
}

/** Robust weights for residuals in column `from` (computed by caller into S1) with scale s. */
// @ts-ignore: decorator
@inline function robustWeight(t: f64, huber: bool): f64 {
  const at = Math.abs(t);
  if (huber) return at <= HUBER_K ? 1.0 : HUBER_K / at;
  if (at >= TUKEY_K) return 0.0;
  const z = t / TUKEY_K;
  return (1 - z * z) * (1 - z * z);
}

/** Re-estimates the scales from the current residuals and sets the robust weights u (throughput) and v (traffic). */
function reweight(huber: bool): void {
  const p = load<f64>(resP, 16);
  at(load<f64>(resP), load<f64>(resP, 8));
  let k = 0;
  for (let i = 0; i < N; i++) if (hasX(i)) { put(C_S1, k, Math.abs(residual(i, p))); put(C_S2, k, get(C_W, i)); k++; }
  sR = k > 0 ? Math.max(MIN_SCALE, MAD_TO_SIGMA * weightedMedian(k)) : 1.0;
  k = 0;
  for (let i = 0; i < N; i++) if (hasQ(i)) { put(C_S1, k, Math.abs(get(C_Z, i) - p)); put(C_S2, k, get(C_W, i)); k++; }
  sQ = k > 0 ? Math.max(MIN_SCALE, MAD_TO_SIGMA * weightedMedian(k)) : 1.0;
  const c = load<f64>(resP, 8);
  k = 0;
  for (let i = 0; i < N; i++) if (hasS(i)) { put(C_S1, k, Math.abs(get(C_LNS, i) - c)); put(C_S2, k, get(C_W, i)); k++; }
  sS = k > 0 ? Math.max(MIN_SCALE, MAD_TO_SIGMA * weightedMedian(k)) : 1.0;
  k = 0;
  for (let i = 0; i < N; i++) if (hasI(i)) { put(C_S1, k, Math.abs(identity(i))); put(C_S2, k, get(C_W, i)); k++; }
  sI = k > 0 ? Math.max(MIN_SCALE, MAD_TO_SIGMA * weightedMedian(k)) : 1.0;
  let stallPrec: f64 = 0;
  for (let i = 0; i < N; i++) {
    put(C_U, i, hasX(i) ? robustWeight(residual(i, p) / sR, huber) : 0.0);
    put(C_V, i, hasQ(i) ? robustWeight((get(C_Z, i) - p) / sQ, huber) : 0.0);
    put(C_VS, i, hasS(i) ? robustWeight((get(C_LNS, i) - c) / sS, huber) : 0.0);
    put(C_VI, i, hasI(i) ? robustWeight(identity(i) / sI, huber) : 0.0);
    stallPrec += get(C_W, i) * get(C_VS, i);
  }
  stallPrec /= sS * sS;
  fS = stallPrec > stallCap ? stallCap / stallPrec : 1.0;
}

/** Initial ln R from the measured stalls (weighted median), and ln L from the latency-bound samples given it. */
function initFromStall(P: f64, regressed: bool): i32 {
  let k = 0;
  for (let i = 0; i < N; i++) if (hasS(i)) { put(C_S1, k, get(C_LNS, i)); put(C_S2, k, get(C_W, i)); k++; }
  if (k == 0 || regressed) return k;
  const R = Math.exp(weightedMedian(k));
  store<f64>(resP, Math.log(R), 8);
  k = 0;
  for (let i = 0; i < N; i++) if (isLatencyBound(i, P)) { put(C_S1, k, nsPerSec / get(C_X, i) - get(C_M, i) * R); put(C_S2, k, get(C_W, i)); k++; }
  if (k > 0) {
    const L = weightedMedian(k);
    let y: f64 = 0;
    for (let i = 0; i < N; i++) if (isLatencyBound(i, P)) y = Math.max(y, nsPerSec / get(C_X, i));
    store<f64>(resP, Math.log(Math.max(L, 0.01 * y)));
  }
  return k;
}

/** Initial ln L from the identity samples when no sample is latency-bound: weighted median of ns/x - m (s + Q). */
function initFromIdentity(): void {
  let k = 0;
  for (let i = 0; i < N; i++) if (hasI(i)) { put(C_S1, k, nsPerSec / get(C_X, i)); put(C_S2, k, get(C_W, i)); k++; }
  if (k == 0) return;
  const yMed = weightedMedian(k);
  k = 0;
  for (let i = 0; i < N; i++) if (hasI(i)) { put(C_S1, k, nsPerSec / get(C_X, i) - get(C_M, i) * get(C_STOT, i)); put(C_S2, k, get(C_W, i)); k++; }
  store<f64>(resP, Math.log(Math.max(weightedMedian(k), 0.01 * yMed)));
}

/** Leverage of each throughput residual, W_i J_i^T cov J_i at the solution (cov from the result block), into h. */
function leverage(): void {
  const c00 = load<f64>(resP, 24), c01 = load<f64>(resP, 32), c02 = load<f64>(resP, 40);
  const c11 = load<f64>(resP, 48), c12 = load<f64>(resP, 56), c22 = load<f64>(resP, 64);
  const p = load<f64>(resP, 16);
  const wr = 1.0 / (sR * sR);
  at(load<f64>(resP), load<f64>(resP, 8));
  for (let i = 0; i < N; i++) {
    if (!hasX(i)) { put(C_H, i, 0.0); continue; }
    residual(i, p);
    const q = d0 * (c00 * d0 + c01 * d1 + c02 * d2) + d1 * (c01 * d0 + c11 * d1 + c12 * d2) + d2 * (c02 * d0 + c12 * d1 + c22 * d2);
    put(C_H, i, get(C_W, i) * get(C_U, i) * wr * q);
  }
}

/** Initial ln P: weighted median of ln(traffic / (throughput * m)), or the prior without traffic data. */
function initPageBytes(): f64 {
  let k = 0;
  for (let i = 0; i < N; i++) if (hasQ(i)) { put(C_S1, k, get(C_Z, i)); put(C_S2, k, get(C_W, i)); k++; }
  return k > 0 ? weightedMedian(k) : prior2;
}

// @ts-ignore: decorator
@inline function isLatencyBound(i: i32, P: f64): bool {
  if (!hasX(i) || get(C_SAT, i) > 0) return false;
  const m = get(C_M, i);
  return m <= 0 || get(C_BW, i) / (m * P) >= LAT_MARGIN * get(C_X, i);
}

/**
 * Initial L and R: robust regression of ns per access (nsPerSec / x) on m over the latency-bound samples,
 * in relative error (IRLS: least squares, Huber, then Tukey). Without spread in m, the prior's L:R ratio is
 * scaled to the data; without latency-bound samples, the prior. Writes a, c to the result block.
 */
function initLatency(P: f64): i32 {
  let count = 0;
  for (let i = 0; i < N; i++) { const lb = isLatencyBound(i, P); put(C_V, i, lb ? 1.0 : 0.0); if (lb) count++; }
  let L = Math.exp(prior0), R = Math.exp(prior1);
  if (count == 0) { store<f64>(resP, prior0); store<f64>(resP, prior1, 8); initFromStall(P, false); initFromIdentity(); return 0; }
  let k = 0;
  for (let i = 0; i < N; i++) if (get(C_V, i) > 0) { put(C_S1, k, nsPerSec / get(C_X, i)); put(C_S2, k, get(C_W, i)); k++; }
  const yMed = weightedMedian(k);
  let regressed = false;
  for (let round = 0; round < INIT_ROUNDS && count >= 2; round++) {
    let S0: f64 = 0, S1: f64 = 0, S2: f64 = 0, T0: f64 = 0, T1: f64 = 0;
    for (let i = 0; i < N; i++) {
      const rho = get(C_V, i);
      if (rho <= 0) continue;
      const y = nsPerSec / get(C_X, i), m = get(C_M, i);
      const om = get(C_W, i) * rho / (y * y);
      S0 += om; S1 += om * m; S2 += om * m * m; T0 += om * y; T1 += om * m * y;
    }
    const det = S0 * S2 - S1 * S1;
    if (!(det > 1e-9 * S0 * S2)) break; // no spread in m: L and R are not separable
    L = (S2 * T0 - S1 * T1) / det;
    R = (S0 * T1 - S1 * T0) / det;
    regressed = true;
    k = 0;
    for (let i = 0; i < N; i++) {
      if (!isLatencyBound(i, P)) continue;
      const y = nsPerSec / get(C_X, i);
      put(C_S1, k, Math.abs((y - L - get(C_M, i) * R) / y)); put(C_S2, k, get(C_W, i)); k++;
    }
    const s = Math.max(MIN_SCALE, MAD_TO_SIGMA * weightedMedian(k));
    for (let i = 0; i < N; i++) {
      if (!isLatencyBound(i, P)) continue;
      const y = nsPerSec / get(C_X, i);
      put(C_V, i, robustWeight((y - L - get(C_M, i) * R) / (y * s), round < 3));
    }
  }
  if (!regressed) { // scale the prior's L and R to the data
    k = 0;
    for (let i = 0; i < N; i++) {
      if (!isLatencyBound(i, P)) continue;
      put(C_S1, k, (nsPerSec / get(C_X, i)) / (Math.exp(prior0) + get(C_M, i) * Math.exp(prior1))); put(C_S2, k, get(C_W, i)); k++;
    }
    const scale = weightedMedian(k);
    L = scale * Math.exp(prior0);
    R = scale * Math.exp(prior1);
  }
  L = Math.max(L, 0.01 * yMed); // the regression can go non-positive when L is a small part of every sample
  R = Math.max(R, 1e-6 * yMed);
  store<f64>(resP, Math.log(L));
  store<f64>(resP, Math.log(R), 8);
  initFromStall(P, regressed);
  return count;
}

/** Writes the inverse of the (undamped) normal matrix, the posterior covariance in log space, to the results. */
function covariance(): void {
  const c00 = A11 * A22 - A12 * A12, c01 = A02 * A12 - A01 * A22, c02 = A01 * A12 - A02 * A11;
  const c11 = A00 * A22 - A02 * A02, c12 = A01 * A02 - A00 * A12, c22 = A00 * A11 - A01 * A01;
  const inv = 1.0 / (A00 * c00 + A01 * c01 + A02 * c02);
  store<f64>(resP, c00 * inv, 24); store<f64>(resP, c01 * inv, 32); store<f64>(resP, c02 * inv, 40);
  store<f64>(resP, c11 * inv, 48); store<f64>(resP, c12 * inv, 56); store<f64>(resP, c22 * inv, 64);
}

/**
 * Fits n samples from the input block. Prior: ln L0, ln R0, ln P0 with sigma in log space. Returns the LM
 * steps taken; the results are at fitResultPtr(), the robust weights in columns u (throughput), v (traffic).
 */
export function fitRun(n: i32, logL0: f64, logR0: f64, logP0: f64, priorSigma: f64, nsPerSecond: f64, stallPrecisionCap: f64): i32 {
  N = n; nsPerSec = nsPerSecond; lnNs = Math.log(nsPerSecond);
  prior0 = logL0; prior1 = logR0; prior2 = logP0;
  priorPrec = 1.0 / (priorSigma * priorSigma);
  stallCap = stallPrecisionCap;
  sR = 1.0; sQ = 1.0; sS = 1.0; sI = 1.0; fS = 1.0;
  for (let i = 0; i < N; i++) {
    const x = get(C_X, i), m = get(C_M, i), bw = get(C_BW, i), tr = get(C_TR, i);
    put(C_LNX, i, x > 0 ? Math.log(x) : 0.0);
    put(C_LNBW, i, m > 0 && bw > 0 ? Math.log(bw) - Math.log(m) : 0.0);
    put(C_Z, i, hasQ(i) ? Math.log(tr) - Math.log(x) - Math.log(m) : 0.0);
    put(C_SAT, i, m > 0 && bw > 0 && tr >= SATURATED * bw ? 1.0 : 0.0);
    put(C_LNS, i, hasS(i) ? Math.log(get(C_ST, i)) : 0.0);
    put(C_STOT, i, get(C_ST, i) + Math.max(0.0, get(C_TW, i)));
    put(C_VI, i, 0.0);
  }
  const p = initPageBytes();
  store<f64>(resP, p, 16);
  const nLat = initLatency(Math.exp(p));
  let steps = 0;
  for (let round = 0; round < OUTER_ROUNDS; round++) {
    reweight(round < HUBER_ROUNDS);
    const a0 = load<f64>(resP), c0 = load<f64>(resP, 8), p0 = load<f64>(resP, 16);
    steps += levenbergMarquardt();
    const change = Math.max(Math.abs(load<f64>(resP) - a0), Math.max(Math.abs(load<f64>(resP, 8) - c0), Math.abs(load<f64>(resP, 16) - p0)));
    if (round >= HUBER_ROUNDS && change < 1e-7) break;
  }
  normalEquations(load<f64>(resP), load<f64>(resP, 8), load<f64>(resP, 16), false);
  covariance();
  leverage();
  let nX = 0, nQ = 0, nSat = 0, nS = 0, nI = 0;
  for (let i = 0; i < N; i++) {
    if (hasX(i)) nX++; if (hasQ(i)) nQ++; if (hasX(i) && get(C_SAT, i) > 0) nSat++; if (hasS(i)) nS++; if (hasI(i)) nI++;
  }
  store<f64>(resP, <f64>nSat, 120);
  store<f64>(resP, sS, 128); store<f64>(resP, <f64>nS, 136); store<f64>(resP, fS, 144);
  store<f64>(resP, sI, 152); store<f64>(resP, <f64>nI, 160);
  store<f64>(resP, sR, 72); store<f64>(resP, sQ, 80); store<f64>(resP, <f64>steps, 88);
  store<f64>(resP, <f64>nX, 96); store<f64>(resP, <f64>nQ, 104); store<f64>(resP, <f64>nLat, 112);
  return steps;
}
