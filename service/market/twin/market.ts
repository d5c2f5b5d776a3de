// Shared state of one spirit solve in the TypeScript twin: the problem, reference throughput, and the
// demand of every app at a price.
import type { Problem } from '../problem.ts';
import { bestResponse, type Bundle } from './best-response.ts';
import { ENVY_CAP, SATIATION_TAU } from './limits.ts';
import { throughput } from './model.ts';

export class Market {
  readonly n: number;
  /** throughput of each app at its reference bundle */
  readonly refF: Float64Array;
  /** throughput at which each app counts as satiated */
  readonly satF: Float64Array;
  /** budgets of this round (start at the problem's; satiated apps' unspent money is passed on) */
  readonly budget: Float64Array;
  /** 1 for apps satiated in the last demand() */
  readonly sat: Uint8Array;
  /** members of each class, and each app's class */
  readonly classMembers: number[][];
  /** index into classMembers of each app's class */
  readonly classIndex: Int32Array;
  private readonly br: Bundle = { x: 0, y: 0, f: 0, sat: 0 };

  constructor(readonly p: Problem) {
    this.n = p.n;
    this.refF = new Float64Array(p.n);
    this.satF = new Float64Array(p.n);
    this.budget = p.budget.slice();
    this.sat = new Uint8Array(p.n);
    for (let i = 0; i < p.n; i++) {
      this.refF[i] = this.perf(i, p.refX[i], p.refY[i]);
      this.satF[i] = Math.max((1 - SATIATION_TAU) * this.perf(i, p.xmax[i], p.ymax[i]), this.refF[i]);
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

  /** Best response of every app at cache price `price`; returns [sum x, sum y]. */
  demand(price: number, X: Float64Array, Y: Float64Array, F: Float64Array): [number, number] {
    const p = this.p;
    let sx = 0;
    let sy = 0;
    for (const members of this.classMembers) {
      const i = members[0];
      const r = bestResponse(p.models, p.modelOff[i], price, this.budget[i], p.xmin[i], p.xmax[i], p.ymin[i], p.ymax[i], this.satF[i], this.br);
      for (const j of members) {
        X[j] = r.x; Y[j] = r.y; F[j] = r.f; this.sat[j] = r.sat;
        sx += r.x; sy += r.y;
      }
    }
    return [sx, sy];
  }

  /** Envy of app i toward bundle (x, y) of app j: throughput_i of it, scaled by weights and clamped to i's maxima. */
  envyOf(i: number, j: number, xj: number, yj: number, fi: number): number {
    const p = this.p;
    const s = p.weights[i] / p.weights[j];
    const x = Math.min(xj * s, p.xmax[i]);
    const y = Math.min(yj * s, p.ymax[i]);
    const f = this.perf(i, x, y);
    if (!(fi > 0)) return f > 0 ? ENVY_CAP : 0;
    const e = f / fi - 1;
    return e > 0 ? (e < ENVY_CAP ? e : ENVY_CAP) : 0;
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

  /** Largest envy over all pairs (apps of one class hold identical bundles, so they never envy each other). */
  maxEnvy(X: Float64Array, Y: Float64Array, F: Float64Array): number {
    let worst = 0;
    for (const mi of this.classMembers) {
      const i = mi[0];
      for (const mj of this.classMembers) {
        if (mj === mi) continue;
        const j = mj[0];
        const e = this.envyOf(i, j, X[j], Y[j], F[i]);
        if (e > worst) worst = e;
      }
    }
    return worst;
  }

  /** Weighted Nash welfare: sum of w_i * log(normalized performance). */
  welfare(F: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.p.weights[i] * Math.log(F[i] / this.refF[i]);
    return s;
  }
}
