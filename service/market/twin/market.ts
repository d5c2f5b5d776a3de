// Shared state of one spirit solve in the TypeScript twin: the problem, reference throughput, and the
// demand of every app at a price.
import type { Problem } from '../problem.ts';
import { bestResponse, type Bundle } from './best-response.ts';
import { KIND_MRC, MRC_HEADER } from '../encoding.ts';
import { CLEAR_SHARE, ENVY_CAP, SATIATION_TAU } from './limits.ts';
import { throughput } from './model.ts';
import { ln } from './ln.ts';

export class Market {
  readonly n: number;
  /** throughput of each app at its reference bundle */
  readonly refF: Float64Array;
  /** throughput at which each app counts as satiated */
  readonly satF: Float64Array;
  /** the most throughput each app can reach (at its maxima): no bundle makes it envy beyond topF/F - 1 */
  readonly topF: Float64Array;
  /** budgets of this round (start at the problem's; satiated apps' unspent money is passed on) */
  readonly budget: Float64Array;
  /** 1 for apps satiated in the last demand() */
  readonly sat: Uint8Array;
  /** the box each app's demand is searched in: its limits, or a single point once it is pinned */
  readonly xlo: Float64Array;
  readonly xhi: Float64Array;
  readonly ylo: Float64Array;
  readonly yhi: Float64Array;
  /** members of each class, and each app's class */
  readonly classMembers: number[][];
  /** index into classMembers of each app's class */
  readonly classIndex: Int32Array;
  private readonly br: Bundle = { x: 0, y: 0, f: 0, sat: 0 };

  constructor(readonly p: Problem) {
    this.n = p.n;
    this.refF = new Float64Array(p.n);
    this.satF = new Float64Array(p.n);
    this.topF = new Float64Array(p.n);
    this.budget = p.budget.slice();
    this.sat = new Uint8Array(p.n);
    this.xlo = p.xmin.slice();
    this.xhi = p.xmax.slice();
    this.ylo = p.ymin.slice();
    this.yhi = p.ymax.slice();
    for (let i = 0; i < p.n; i++) {
      this.refF[i] = this.perf(i, p.refX[i], p.refY[i]);
      this.topF[i] = this.perf(i, p.xmax[i], p.ymax[i]);
      this.satF[i] = Math.max((1 - SATIATION_TAU) * this.topF[i], this.refF[i]);
    }
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < p.n; i++) {
      const c = p.classId[i];
      const list = byClass.get(c);
      if (list) list.push(i); else byClass.set(c, [i]);
    }
    this.classMembers = [...byClass.values()];
    this.classIndex = new Int32Array(p.n);
    this.classMembers.forEach((members, c) => { for (const i of members) this.classIndex[i] = c; });
  }

  perf(i: number, x: number, y: number): number {
    return throughput(this.p.models, this.p.modelOff[i], x, y);
  }

  /** Every app back to its own limits and budget. */
  resetBoxes(): void {
    this.xlo.set(this.p.xmin); this.xhi.set(this.p.xmax); this.ylo.set(this.p.ymin); this.yhi.set(this.p.ymax);
    this.budget.set(this.p.budget);
  }

  /** Best response of every app at cache price `price`; returns [sum x, sum y]. */
  demand(price: number, X: Float64Array, Y: Float64Array, F: Float64Array): [number, number] {
    const p = this.p;
    let sx = 0;
    let sy = 0;
    for (const members of this.classMembers) {
      const i = members[0];
      const r = bestResponse(p.models, p.modelOff[i], price, this.budget[i] + price * p.resX[i] + (1 - price) * p.resY[i],
        this.xlo[i], this.xhi[i], this.ylo[i], this.yhi[i], this.satF[i], this.refF[i], this.br);
      for (const j of members) {
        X[j] = r.x; Y[j] = r.y; F[j] = r.f; this.sat[j] = r.sat;
        sx += r.x; sy += r.y;
      }
    }
    return [sx, sy];
  }

  /**
   * Envy of app i toward bundle (xj, yj) of app j: i's throughput with j's bundle scaled by their weights,
   * relative to i's own throughput. Bundles are compared net of reservations (j's part beyond its
   * reservation, on top of i's reservation) and capped at i's maxima, which i may never exceed.
   * (xi, yi) is i's own bundle: when j's, so scaled, is no larger in either resource, there is no envy and
   * no throughput needs computing.
   */
  envyOf(i: number, j: number, xj: number, yj: number, fi: number, xi = -1, yi = -1): number {
    const p = this.p;
    const s = p.weights[i] / p.weights[j];
    const dx = xj - p.resX[j];
    const dy = yj - p.resY[j];
    const x = Math.min(p.resX[i] + (dx > 0 ? dx : 0) * s, p.xmax[i]);
    const y = Math.min(p.resY[i] + (dy > 0 ? dy : 0) * s, p.ymax[i]);
    if (x <= xi && y <= yi) return 0;
    if (x < this.xNeed || y < this.yNeed) return 0;
    const f = this.perf(i, x, y);
    if (!(fi > 0)) return f > 0 ? ENVY_CAP : 0;
    const e = f / fi - 1;
    return e > 0 ? (e < ENVY_CAP ? e : ENVY_CAP) : 0;
  }

  /** Set by rowBounds(): a bundle can beat the threshold only with cache > xNeed and bandwidth > yNeed. */
  skipRow = false;
  xNeed = -Infinity;
  yNeed = -Infinity;

  /**
   * Cheap necessary conditions for app i to reach more than throughput T (to prune envy checks): the
   * latency bound needs a miss ratio, hence a cache share, beyond some point; the bandwidth bound needs
   * bandwidth beyond T * (lowest miss ratio) / pagesPerSec. skipRow when no bundle at all can.
   */
  rowBounds(i: number, T: number): void {
    const md = this.p.models;
    const off = this.p.modelOff[i];
    this.xNeed = -Infinity;
    this.yNeed = -Infinity;
    this.skipRow = T >= this.topF[i];
    if (this.skipRow || md[off] !== KIND_MRC) return;
    const n = md[off + 1];
    const xs = off + MRC_HEADER;
    const ms = xs + n;
    const ls = md[off + 2];
    const rs = md[off + 3];
    const P = md[off + 4];
    const mFloor = md[ms + n - 1];
    if (mFloor > 0) this.yNeed = ((T * mFloor) / P) * (1 - 1e-12);
    if (rs <= 0) return;
    const mT = (1 / T - ls) / rs; // the latency bound beats T only with a miss ratio under mT
    if (md[ms] < mT) return;
    for (let k = 1; k < n; k++) {
      if (md[ms + k] < mT) {
        const m0 = md[ms + k - 1];
        const x = md[xs + k - 1] + ((m0 - mT) / (m0 - md[ms + k])) * (md[xs + k] - md[xs + k - 1]);
        this.xNeed = x * (1 - 1e-12) - 1e-15;
        return;
      }
    }
    this.skipRow = true;
  }

  clearBounds(): void {
    this.skipRow = false;
    this.xNeed = -Infinity;
    this.yNeed = -Infinity;
  }

  /** Largest envy of anyone toward app j holding (xj, yj). */
  envyToward(j: number, xj: number, yj: number, X: Float64Array, Y: Float64Array, F: Float64Array): number {
    let worst = 0;
    const cj = this.p.classId[j];
    for (let i = 0; i < this.n; i++) {
      if (i === j || this.p.classId[i] === cj) continue;
      const e = this.envyOf(i, j, xj, yj, F[i]);
      if (e > worst) worst = e;
    }
    void X; void Y;
    return worst;
  }

  /** Largest envy of app i toward anyone. */
  envyFrom(i: number, X: Float64Array, Y: Float64Array, fi: number): number {
    let worst = 0;
    for (let j = 0; j < this.n; j++) {
      if (j === i) continue;
      const e = this.envyOf(i, j, X[j], Y[j], fi);
      if (e > worst) worst = e;
    }
    return worst;
  }

  /**
   * Largest envy over all pairs (apps of one class hold identical bundles, so they never envy each other).
   * A row whose app cannot gain more than `worst` with any bundle at all is skipped.
   */
  maxEnvy(X: Float64Array, Y: Float64Array, F: Float64Array): number {
    let worst = 0;
    for (const mi of this.classMembers) {
      const i = mi[0];
      this.rowBounds(i, F[i] * (1 + worst));
      if (this.skipRow) continue;
      for (const mj of this.classMembers) {
        if (mj === mi) continue;
        const j = mj[0];
        const e = this.envyOf(i, j, X[j], Y[j], F[i], X[i], Y[i]);
        if (e > worst) { worst = e; this.rowBounds(i, F[i] * (1 + worst)); }
      }
    }
    this.clearBounds();
    return worst;
  }

  /** True when each resource's leftover is within CLEAR_SHARE of capacity, or every app is at its maximum of it. */
  cleared(X: Float64Array, Y: Float64Array): boolean {
    const p = this.p;
    let lx = 1;
    let ly = 1;
    let atMaxX = true;
    let atMaxY = true;
    for (let i = 0; i < this.n; i++) {
      lx -= X[i];
      ly -= Y[i];
      if (X[i] < p.xmax[i] - 1e-9) atMaxX = false;
      if (Y[i] < p.ymax[i] - 1e-9) atMaxY = false;
    }
    return (lx <= CLEAR_SHARE || atMaxX) && (ly <= CLEAR_SHARE || atMaxY);
  }

  /** True when every app has at least its reference throughput (within rounding). */
  sharingIncentive(F: Float64Array): boolean {
    for (let i = 0; i < this.n; i++) if (F[i] < this.refF[i] * (1 - 1e-9)) return false;
    return true;
  }

  /** Weighted Nash welfare: sum of w_i * log(normalized performance). */
  welfare(F: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.p.weights[i] * ln(F[i] / this.refF[i]);
    return s;
  }
}
