// The plain TypeScript twin of the WASM fitting kernel (assembly/estimator/fit.ts): the same robust
// Levenberg-Marquardt, step for step, over the same columns. It is the benchmark's baseline and the
// differential-test oracle. Read the WASM file for the algorithm's comments.
import { FIT_LM_FTOL, FIT_LM_STEPS, FIT_OUTER_ROUNDS } from './limits.ts';

const SATURATED = 0.9;
const LAT_MARGIN = 1.2;
const HINGE_SCALES = 3;
const MIN_SCALE = 0.01;
const MAD_TO_SIGMA = 1.4826;
const HUBER_K = 1.345;
const TUKEY_K = 4.685;
const HUBER_ROUNDS = 2;
const INIT_ROUNDS = 5;
const OUTER_ROUNDS = FIT_OUTER_ROUNDS; // the WASM kernel has the same bounds (assembly/estimator/fit.ts)
const LM_STEPS = FIT_LM_STEPS;

/** Kernel input: one column per quantity, all of length n (units: m ratio, bw and tr bytes/s, x ops/s, s ns). */
export interface FitColumns {
  m: Float64Array;
  bw: Float64Array;
  x: Float64Array;
  tr: Float64Array;
  w: Float64Array;
  /** measured stall per miss (ns, excluding token waits); 0 = not measured */
  s: Float64Array;
  /** measured wait for bandwidth tokens per miss (ns); < 0 = not measured */
  q: Float64Array;
}

export interface FitPrior {
  logL0: number;
  logR0: number;
  logP0: number;
  sigma: number;
  /** most precision (1/sigma^2 in log space) all stall observations together may give ln remoteNs */
  stallCap: number;
}

export interface FitKernelResult {
  a: number;
  c: number;
  p: number;
  /** posterior covariance of (a, c, p), upper triangle: 00, 01, 02, 11, 12, 22 */
  cov: [number, number, number, number, number, number];
  sR: number;
  sQ: number;
  steps: number;
  nThroughput: number;
  nTraffic: number;
  nLatencyInit: number;
  nSaturated: number;
  /** robust scale of the stall residuals, samples with a stall, and the share of their precision used (<= 1) */
  sS: number;
  nStall: number;
  stallFactor: number;
  /** robust scale of the identity residuals (saturated samples with stall and token wait) and their count */
  sI: number;
  nIdentity: number;
  /** robust weights of the throughput, traffic and stall residuals (0 = rejected as an outlier) */
  u: Float64Array;
  v: Float64Array;
  vs: Float64Array;
  /** leverage of each throughput residual at the solution (hat-matrix diagonal; 0 without one) */
  h: Float64Array;
  vi: Float64Array;
}

function robustWeight(t: number, huber: boolean): number {
  const at = Math.abs(t);
  if (huber) return at <= HUBER_K ? 1 : HUBER_K / at;
  if (at >= TUKEY_K) return 0;
  const z = t / TUKEY_K;
  return (1 - z * z) * (1 - z * z);
}

class Kernel {
  readonly u: Float64Array;
  readonly v: Float64Array;
  readonly vs: Float64Array;
  readonly h: Float64Array;
  readonly vi: Float64Array;
  private readonly lns: Float64Array;
  private readonly stot: Float64Array;
  private readonly lnx: Float64Array;
  private readonly lnbw: Float64Array;
  private readonly z: Float64Array;
  readonly sat: Uint8Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  private readonly priorPrec: number;
  sR = 1;
  sQ = 1;
  sS = 1;
  sI = 1;
  /** share of the stall observations' precision used: caps their total at prior.stallCap */
  fS = 1;
  theta = [0, 0, 0];
  private A = [0, 0, 0, 0, 0, 0];
  private g = [0, 0, 0];
  private d = [0, 0, 0];
  private L = 0;
  private R = 0;
  private readonly lnNs: number;

  constructor(private readonly c: FitColumns, private readonly n: number, private readonly prior: FitPrior, private readonly nsPerSec: number) {
    this.u = new Float64Array(n);
    this.v = new Float64Array(n);
    this.vs = new Float64Array(n);
    this.h = new Float64Array(n);
    this.lns = new Float64Array(n);
    this.vi = new Float64Array(n);
    this.stot = new Float64Array(n);
    this.lnx = new Float64Array(n);
    this.lnbw = new Float64Array(n);
    this.z = new Float64Array(n);
    this.sat = new Uint8Array(n);
    this.s1 = new Float64Array(n);
    this.s2 = new Float64Array(n);
    this.priorPrec = 1 / (prior.sigma * prior.sigma);
    this.lnNs = Math.log(nsPerSec);
    for (let i = 0; i < n; i++) {
      const x = c.x[i], m = c.m[i], bw = c.bw[i], tr = c.tr[i];
      this.lnx[i] = x > 0 ? Math.log(x) : 0;
      this.lnbw[i] = m > 0 && bw > 0 ? Math.log(bw) - Math.log(m) : 0;
      this.z[i] = this.hasQ(i) ? Math.log(tr) - Math.log(x) - Math.log(m) : 0;
      this.sat[i] = m > 0 && bw > 0 && tr >= SATURATED * bw ? 1 : 0;
      this.lns[i] = this.hasS(i) ? Math.log(c.s[i]) : 0;
      this.stot[i] = c.s[i] + Math.max(0, c.q[i]);
    }
  }

  hasI(i: number): boolean {
    return this.hasX(i) && this.sat[i] === 1 && this.hasS(i) && this.c.q[i] >= 0 && this.c.m[i] > 0;
  }

  private identity(i: number): number {
    const D = this.L + this.c.m[i] * this.stot[i];
    this.d[0] = this.L / D; this.d[1] = 0; this.d[2] = 0;
    return this.lnx[i] - this.lnNs + Math.log(D);
  }

  hasS(i: number): boolean {
    return this.c.s[i] > 0 && this.c.w[i] > 0;
  }

  hasX(i: number): boolean {
    const c = this.c;
    return c.x[i] > 0 && c.w[i] > 0 && (c.m[i] <= 0 || c.bw[i] > 0);
  }

  hasQ(i: number): boolean {
    const c = this.c;
    return c.tr[i] > 0 && c.x[i] > 0 && c.m[i] > 0 && c.w[i] > 0;
  }

  /** Twin of assembly/estimator/fit.ts weightedMedian: quickselect, three-way partition, same pivots and sums. */
  private weightedMedian(k: number): number {
    const s1 = this.s1, s2 = this.s2;
    const swap = (i: number, j: number): void => {
      const v = s1[i], w = s2[i];
      s1[i] = s1[j]; s2[i] = s2[j];
      s1[j] = v; s2[j] = w;
    };
    let total = 0;
    for (let i = 0; i < k; i++) total += s2[i];
    const half = 0.5 * total;
    let lo = 0, hi = k - 1;
    let below = 0;
    while (lo < hi) {
      const mid = lo + ((hi - lo) >> 1);
      const x = s1[lo], y = s1[mid], z = s1[hi];
      const pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
      let lt = lo, i = lo, gt = hi;
      let wLess = 0, wEqual = 0;
      while (i <= gt) {
        const v = s1[i];
        if (v < pivot) { wLess += s2[i]; swap(lt, i); lt++; i++; }
        else if (v > pivot) { swap(i, gt); gt--; }
        else { wEqual += s2[i]; i++; }
      }
      if (lt > lo && below + wLess >= half) { hi = lt - 1; continue; }
      if (below + wLess + wEqual >= half) return pivot;
      below += wLess + wEqual;
      lo = gt + 1;
    }
    return s1[lo < k ? lo : k - 1];
  }


  private at(a: number, c: number): void {
    this.L = Math.exp(a);
    this.R = Math.exp(c);
  }

  private residual(i: number, p: number): number {
    const m = this.c.m[i];
    const L = this.L, R = this.R;
    const D = L + m * R;
    const lnLat = this.lnNs - Math.log(D);
    if (m > 0) {
      const lnBw = this.lnbw[i] - p;
      if (lnBw < lnLat || this.sat[i]) {
        this.d[0] = 0; this.d[1] = 0; this.d[2] = 1;
        return this.lnx[i] - lnBw;
      }
    }
    this.d[0] = L / D; this.d[1] = (m * R) / D; this.d[2] = 0;
    return this.lnx[i] - lnLat;
  }

  private hinge(i: number): number {
    const m = this.c.m[i];
    const L = this.L, R = this.R;
    const D = L + m * R;
    const h = this.lnx[i] - HINGE_SCALES * this.sR - (this.lnNs - Math.log(D));
    this.d[0] = L / D; this.d[1] = (m * R) / D; this.d[2] = 0;
    if (h > 0) return h;
    this.d[0] = 0; this.d[1] = 0;
    return 0;
  }

  private objective(a: number, c: number, p: number): number {
    let f = 0;
    const wr = 1 / (this.sR * this.sR), wq = 1 / (this.sQ * this.sQ), ws = this.fS / (this.sS * this.sS), wi = 1 / (this.sI * this.sI);
    const w = this.c.w;
    this.at(a, c);
    for (let i = 0; i < this.n; i++) {
      if (this.hasX(i)) { const r = this.residual(i, p); f += w[i] * this.u[i] * wr * r * r; }
      if (this.hasX(i) && this.sat[i]) { const h = this.hinge(i); f += w[i] * wr * h * h; }
      if (this.hasQ(i)) { const q = this.z[i] - p; f += w[i] * this.v[i] * wq * q * q; }
      if (this.hasS(i)) { const t = this.lns[i] - c; f += w[i] * this.vs[i] * ws * t * t; }
      if (this.hasI(i)) { const e = this.identity(i); f += w[i] * this.vi[i] * wi * e * e; }
    }
    const e0 = a - this.prior.logL0, e1 = c - this.prior.logR0, e2 = p - this.prior.logP0;
    return f + this.priorPrec * (e0 * e0 + e1 * e1 + e2 * e2);
  }

  normalEquations(a: number, c: number, p: number, hinges: boolean): void {
    const pp = this.priorPrec;
    let A00 = pp, A01 = 0, A02 = 0, A11 = pp, A12 = 0, A22 = pp;
    let g0 = pp * (a - this.prior.logL0), g1 = pp * (c - this.prior.logR0), g2 = pp * (p - this.prior.logP0);
    const wr = 1 / (this.sR * this.sR), wq = 1 / (this.sQ * this.sQ), ws = this.fS / (this.sS * this.sS), wi = 1 / (this.sI * this.sI);
    const w = this.c.w;
    this.at(a, c);
    for (let i = 0; i < this.n; i++) {
      if (this.hasX(i)) {
        const r = this.residual(i, p);
        const d = this.d;
        const W = w[i] * this.u[i] * wr;
        A00 += W * d[0] * d[0]; A01 += W * d[0] * d[1]; A02 += W * d[0] * d[2];
        A11 += W * d[1] * d[1]; A12 += W * d[1] * d[2]; A22 += W * d[2] * d[2];
        g0 += W * d[0] * r; g1 += W * d[1] * r; g2 += W * d[2] * r;
      }
      if (hinges && this.hasX(i) && this.sat[i]) {
        const h = this.hinge(i);
        const d = this.d;
        const W = w[i] * wr;
        A00 += W * d[0] * d[0]; A01 += W * d[0] * d[1]; A11 += W * d[1] * d[1];
        g0 += W * d[0] * h; g1 += W * d[1] * h;
      }
      if (this.hasQ(i)) {
        const W = w[i] * this.v[i] * wq;
        A22 += W;
        g2 -= W * (this.z[i] - p);
      }
      if (this.hasS(i)) { // t = ln s - c: dt/dc = -1
        const W = w[i] * this.vs[i] * ws;
        A11 += W;
        g1 -= W * (this.lns[i] - c);
      }
      if (this.hasI(i)) {
        const e = this.identity(i);
        const W = w[i] * this.vi[i] * wi;
        A00 += W * this.d[0] * this.d[0];
        g0 += W * this.d[0] * e;
      }
    }
    this.A = [A00, A01, A02, A11, A12, A22];
    this.g = [g0, g1, g2];
  }

  private solveDamped(lambda: number): void {
    const [A00, A01, A02, A11, A12, A22] = this.A;
    const [g0, g1, g2] = this.g;
    const l00 = Math.sqrt(A00 * (1 + lambda));
    const l10 = A01 / l00, l20 = A02 / l00;
    const l11 = Math.sqrt(A11 * (1 + lambda) - l10 * l10);
    const l21 = (A12 - l20 * l10) / l11;
    const l22 = Math.sqrt(A22 * (1 + lambda) - l20 * l20 - l21 * l21);
    const y0 = -g0 / l00;
    const y1 = (-g1 - l10 * y0) / l11;
    const y2 = (-g2 - l20 * y0 - l21 * y1) / l22;
    const d2 = y2 / l22;
    const d1 = (y1 - l21 * d2) / l11;
    const d0 = (y0 - l10 * d1 - l20 * d2) / l00;
    this.d = [d0, d1, d2];
  }

  levenbergMarquardt(): number {
    let [a, c, p] = this.theta;
    let f = this.objective(a, c, p);
    let lambda = 1e-3;
    let steps = 0;
    let stale = true; // a rejected step leaves (a, c, p), and so the normal equations, as they were
    for (; steps < LM_STEPS; steps++) {
      if (stale) this.normalEquations(a, c, p, true);
      this.solveDamped(lambda);
      const [d0, d1, d2] = this.d;
      const na = a + d0, nc = c + d1, np = p + d2;
      const step = Math.max(Math.abs(d0), Math.max(Math.abs(d1), Math.abs(d2)));
      const nf = this.objective(na, nc, np);
      stale = nf <= f;
      if (nf <= f) {
        const gain = f - nf;
        a = na; c = nc; p = np; f = nf;
        lambda = Math.max(lambda * 0.1, 1e-12);
        if (step < 1e-10 || gain <= FIT_LM_FTOL * f) break;
      } else {
        lambda *= 10;
        if (lambda > 1e10) break;
      }
    }
    this.theta = [a, c, p];
    return steps;
  }

  reweight(huber: boolean): void {
    const [a, c, p] = this.theta;
    const w = this.c.w;
    this.at(a, c);
    let k = 0;
    for (let i = 0; i < this.n; i++) if (this.hasX(i)) { this.s1[k] = Math.abs(this.residual(i, p)); this.s2[k] = w[i]; k++; }
    this.sR = k > 0 ? Math.max(MIN_SCALE, MAD_TO_SIGMA * this.weightedMedian(k)) : 1;
    k = 0;
    for (let i = 0; i < this.n; i++) if (this.hasQ(i)) { this.s1[k] = Math.abs(this.z[i] - p); this.s2[k] = w[i]; k++; }
    this.sQ = k > 0 ? Math.max(MIN_SCALE, MAD_TO_SIGMA * this.weightedMedian(k)) : 1;
    k = 0;
    for (let i = 0; i < this.n; i++) if (this.hasS(i)) { this.s1[k] = Math.abs(this.lns[i] - c); this.s2[k] = w[i]; k++; }
    this.sS = k > 0 ? Math.max(MIN_SCALE, MAD_TO_SIGMA * this.weightedMedian(k)) : 1;
    k = 0;
    for (let i = 0; i < this.n; i++) if (this.hasI(i)) { this.s1[k] = Math.abs(this.identity(i)); this.s2[k] = w[i]; k++; }
    this.sI = k > 0 ? Math.max(MIN_SCALE, MAD_TO_SIGMA * this.weightedMedian(k)) : 1;
    let stallPrec = 0;
    for (let i = 0; i < this.n; i++) {
      this.u[i] = this.hasX(i) ? robustWeight(this.residual(i, p) / this.sR, huber) : 0;
      this.v[i] = this.hasQ(i) ? robustWeight((this.z[i] - p) / this.sQ, huber) : 0;
      this.vs[i] = this.hasS(i) ? robustWeight((this.lns[i] - c) / this.sS, huber) : 0;
      this.vi[i] = this.hasI(i) ? robustWeight(this.identity(i) / this.sI, huber) : 0;
      stallPrec += w[i] * this.vs[i];
    }
    stallPrec /= this.sS * this.sS;
    this.fS = stallPrec > this.prior.stallCap ? this.prior.stallCap / stallPrec : 1;
  }

  /** Initial ln R from the measured stalls (weighted median), and ln L from the latency-bound samples given it. */
  initFromStall(P: number, regressed: boolean): number {
    const { x, m, w } = this.c;
    let k = 0;
    for (let i = 0; i < this.n; i++) if (this.hasS(i)) { this.s1[k] = this.lns[i]; this.s2[k] = w[i]; k++; }
    if (k === 0 || regressed) return k;
    const R = Math.exp(this.weightedMedian(k));
    this.theta[1] = Math.log(R);
    k = 0;
    for (let i = 0; i < this.n; i++) if (this.isLatencyBound(i, P)) { this.s1[k] = this.nsPerSec / x[i] - m[i] * R; this.s2[k] = w[i]; k++; }
    if (k > 0) {
      const L = this.weightedMedian(k);
      let y = 0;
      for (let i = 0; i < this.n; i++) if (this.isLatencyBound(i, P)) y = Math.max(y, this.nsPerSec / x[i]);
      this.theta[0] = Math.log(Math.max(L, 0.01 * y));
    }
    return k;
  }

  /** Initial ln L from the identity samples when no sample is latency-bound: weighted median of ns/x - m (s + Q). */
  initFromIdentity(): void {
    const { x, m, w } = this.c;
    let k = 0;
    for (let i = 0; i < this.n; i++) if (this.hasI(i)) { this.s1[k] = this.nsPerSec / x[i]; this.s2[k] = w[i]; k++; }
    if (k === 0) return;
    const yMed = this.weightedMedian(k);
    k = 0;
    for (let i = 0; i < this.n; i++) if (this.hasI(i)) { this.s1[k] = this.nsPerSec / x[i] - m[i] * this.stot[i]; this.s2[k] = w[i]; k++; }
    this.theta[0] = Math.log(Math.max(this.weightedMedian(k), 0.01 * yMed));
  }

  /** Leverage of each throughput residual: W_i J_i^T cov J_i at the solution (cov from the last normal equations). */
  leverage(cov: FitKernelResult['cov']): void {
    const [c00, c01, c02, c11, c12, c22] = cov;
    const [a, c, p] = this.theta;
    const wr = 1 / (this.sR * this.sR);
    this.at(a, c);
    for (let i = 0; i < this.n; i++) {
      if (!this.hasX(i)) { this.h[i] = 0; continue; }
      this.residual(i, p);
      const [d0, d1, d2] = this.d;
      const q = d0 * (c00 * d0 + c01 * d1 + c02 * d2) + d1 * (c01 * d0 + c11 * d1 + c12 * d2) + d2 * (c02 * d0 + c12 * d1 + c22 * d2);
      this.h[i] = this.c.w[i] * this.u[i] * wr * q;
    }
  }

  initPageBytes(): number {
    let k = 0;
    for (let i = 0; i < this.n; i++) if (this.hasQ(i)) { this.s1[k] = this.z[i]; this.s2[k] = this.c.w[i]; k++; }
    return k > 0 ? this.weightedMedian(k) : this.prior.logP0;
  }

  private isLatencyBound(i: number, P: number): boolean {
    if (!this.hasX(i) || this.sat[i]) return false;
    const m = this.c.m[i];
    return m <= 0 || this.c.bw[i] / (m * P) >= LAT_MARGIN * this.c.x[i];
  }

  initLatency(P: number): number {
    const { x, m, w } = this.c;
    const ns = this.nsPerSec, v = this.v;
    let count = 0;
    for (let i = 0; i < this.n; i++) { const lb = this.isLatencyBound(i, P); v[i] = lb ? 1 : 0; if (lb) count++; }
    let L = Math.exp(this.prior.logL0), R = Math.exp(this.prior.logR0);
    if (count === 0) { this.theta[0] = this.prior.logL0; this.theta[1] = this.prior.logR0; this.initFromStall(P, false); this.initFromIdentity(); return 0; }
    let k = 0;
    for (let i = 0; i < this.n; i++) if (v[i] > 0) { this.s1[k] = ns / x[i]; this.s2[k] = w[i]; k++; }
    const yMed = this.weightedMedian(k);
    let regressed = false;
    for (let round = 0; round < INIT_ROUNDS && count >= 2; round++) {
      let S0 = 0, S1 = 0, S2 = 0, T0 = 0, T1 = 0;
      for (let i = 0; i < this.n; i++) {
        const rho = v[i];
        if (rho <= 0) continue;
        const y = ns / x[i], mi = m[i];
        const om = (w[i] * rho) / (y * y);
        S0 += om; S1 += om * mi; S2 += om * mi * mi; T0 += om * y; T1 += om * mi * y;
      }
      const det = S0 * S2 - S1 * S1;
      if (!(det > 1e-9 * S0 * S2)) break;
      L = (S2 * T0 - S1 * T1) / det;
      R = (S0 * T1 - S1 * T0) / det;
      regressed = true;
      k = 0;
      for (let i = 0; i < this.n; i++) {
        if (!this.isLatencyBound(i, P)) continue;
        const y = ns / x[i];
        this.s1[k] = Math.abs((y - L - m[i] * R) / y); this.s2[k] = w[i]; k++;
      }
      const s = Math.max(MIN_SCALE, MAD_TO_SIGMA * this.weightedMedian(k));
      for (let i = 0; i < this.n; i++) {
        if (!this.isLatencyBound(i, P)) continue;
        const y = ns / x[i];
        v[i] = robustWeight((y - L - m[i] * R) / (y * s), round < 3);
      }
    }
    if (!regressed) {
      k = 0;
      for (let i = 0; i < this.n; i++) {
        if (!this.isLatencyBound(i, P)) continue;
        this.s1[k] = ns / x[i] / (Math.exp(this.prior.logL0) + m[i] * Math.exp(this.prior.logR0)); this.s2[k] = w[i]; k++;
      }
      const scale = this.weightedMedian(k);
      L = scale * Math.exp(this.prior.logL0);
      R = scale * Math.exp(this.prior.logR0);
    }
    L = Math.max(L, 0.01 * yMed);
    R = Math.max(R, 1e-6 * yMed);
    this.theta[0] = Math.log(L);
    this.theta[1] = Math.log(R);
    this.initFromStall(P, regressed);
    return count;
  }

  covariance(): FitKernelResult['cov'] {
    const [A00, A01, A02, A11, A12, A22] = this.A;
    const c00 = A11 * A22 - A12 * A12, c01 = A02 * A12 - A01 * A22, c02 = A01 * A12 - A02 * A11;
    const c11 = A00 * A22 - A02 * A02, c12 = A01 * A02 - A00 * A12, c22 = A00 * A11 - A01 * A01;
    const inv = 1 / (A00 * c00 + A01 * c01 + A02 * c02);
    return [c00 * inv, c01 * inv, c02 * inv, c11 * inv, c12 * inv, c22 * inv];
  }
}

/** The fit, in TypeScript. */
export function fitKernelTs(cols: FitColumns, n: number, prior: FitPrior, nsPerSec: number): FitKernelResult {
  const k = new Kernel(cols, n, prior, nsPerSec);
  k.theta[2] = k.initPageBytes();
  const nLat = k.initLatency(Math.exp(k.theta[2]));
  let steps = 0;
  for (let round = 0; round < OUTER_ROUNDS; round++) {
    k.reweight(round < HUBER_ROUNDS);
    const before = k.theta.slice();
    steps += k.levenbergMarquardt();
    const change = Math.max(...k.theta.map((t, j) => Math.abs(t - before[j])));
    if (round >= HUBER_ROUNDS && change < 1e-7) break;
  }
  k.normalEquations(k.theta[0], k.theta[1], k.theta[2], false);
  const cov = k.covariance();
  k.leverage(cov);
  let nX = 0, nQ = 0, nSat = 0, nS = 0, nI = 0;
  for (let i = 0; i < n; i++) {
    if (k.hasX(i)) nX++; if (k.hasQ(i)) nQ++; if (k.hasX(i) && k.sat[i]) nSat++; if (k.hasS(i)) nS++; if (k.hasI(i)) nI++;
  }
  return {
    a: k.theta[0], c: k.theta[1], p: k.theta[2], cov, sR: k.sR, sQ: k.sQ, steps,
    nThroughput: nX, nTraffic: nQ, nLatencyInit: nLat, nSaturated: nSat, sS: k.sS, nStall: nS, stallFactor: k.fS, sI: k.sI, nIdentity: nI,
    u: k.u, v: k.v, vs: k.vs, h: k.h, vi: k.vi,
  };
}
