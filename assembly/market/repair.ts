// Feasibility repair (twin: service/market/twin/repair.ts): take an over-used resource back from the
// classes that lose least welfare per unit, never below an app's reference throughput nor more than
// REPAIR_ENVY below what it chose.
import { ldf, ldi, stf, sti } from './mem';
import { BLOCKED, CLASSES, FLOOR, N, REFF, WEIGHT, XMIN, YMIN, classMember, classRep, classSize } from './state';
import { perf } from './market';
import { AMOUNT_STEPS, FEAS_TOL, REPAIR_STEPS, SI_MARGIN } from './limits';
import { ln } from './ln';

// @ts-ignore: decorator
@inline function after(i: i32, onCache: bool, X: usize, Y: usize, amt: f64): f64 {
  return onCache ? perf(i, ldf(X, i) - amt, ldf(Y, i)) : perf(i, ldf(X, i), ldf(Y, i) - amt);
}

/** `loss`: the relative throughput an app may lose (REPAIR_ENVY; Infinity: down to its reference). */
export function repair(X: usize, Y: usize, F: usize, loss: f64): bool {
  for (let i = 0; i < N; i++) {
    const a = ldf(REFF, i) * (1 + SI_MARGIN);
    const b = ldf(F, i) / (1 + loss);
    stf(FLOOR, i, a > b ? a : b);
  }
  // classes that reached their floor giving a resource (bit 0 cache, bit 1 bandwidth) give no more of it
  for (let c = 0; c < CLASSES; c++) sti(BLOCKED, c, 0);
  for (let step = 0; step < REPAIR_STEPS; step++) {
    let sx: f64 = 0;
    let sy: f64 = 0;
    for (let i = 0; i < N; i++) { sx += ldf(X, i); sy += ldf(Y, i); }
    const ox = sx - 1;
    const oy = sy - 1;
    if (ox <= FEAS_TOL && oy <= FEAS_TOL) return true;
    const onCache = ox >= oy;
    const R = onCache ? X : Y;
    const RMIN = onCache ? XMIN : YMIN;
    const excess = onCache ? ox : oy;
    const small = excess < 1e-6 ? excess : 1e-6;
    const chunk = excess / 4 > small ? excess / 4 : small;
    const bit = onCache ? 1 : 2;
    let bestC = -1;
    let bestAmount: f64 = 0;
    let bestCost: f64 = Infinity;
    let bestF: f64 = 0;
    let bestFloored = false;
    for (let c = 0; c < CLASSES; c++) {
      if ((ldi(BLOCKED, c) & bit) != 0) continue;
      const i = classRep(c);
      const s = <f64>classSize(c);
      const have = ldf(R, i) - ldf(RMIN, i);
      let a = have < chunk / s ? have : chunk / s;
      if (a <= 0) { sti(BLOCKED, c, ldi(BLOCKED, c) | bit); continue; }
      const floor = ldf(FLOOR, i);
      let fa = after(i, onCache, X, Y, a);
      let floored = false;
      if (fa < floor) {
        let lo: f64 = 0;
        let hi = a;
        for (let k = 0; k < AMOUNT_STEPS; k++) {
          const mid = 0.5 * (lo + hi);
          if (after(i, onCache, X, Y, mid) >= floor) lo = mid; else hi = mid;
        }
        a = lo;
        if (a <= 0) { sti(BLOCKED, c, ldi(BLOCKED, c) | bit); continue; }
        fa = after(i, onCache, X, Y, a);
        floored = true;
      }
      const cost = (ldf(WEIGHT, i) * ln(ldf(F, i) / fa)) / a;
      if (cost < bestCost) { bestCost = cost; bestC = c; bestAmount = a; bestF = fa; bestFloored = floored; }
    }
    if (bestC < 0) return false;
    if (bestFloored) sti(BLOCKED, bestC, ldi(BLOCKED, bestC) | bit);
    const size = classSize(bestC);
    for (let k = 0; k < size; k++) {
      const j = classMember(bestC, k);
      stf(R, j, ldf(R, j) - bestAmount);
      stf(F, j, bestF);
    }
  }
  let sx: f64 = 0;
  let sy: f64 = 0;
  for (let i = 0; i < N; i++) { sx += ldf(X, i); sy += ldf(Y, i); }
  return sx - 1 <= FEAS_TOL && sy - 1 <= FEAS_TOL;
}
