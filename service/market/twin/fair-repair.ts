// Fairness repair: turns an allocation of high welfare that is not yet fair (an app below its reference, or
// envy above the target) into a fair one, by moving resources from the better-off app to the worse-off, each
// move the smallest that fixes the worst violation with the least welfare lost. Returns true when the
// result has the sharing incentive and envy within the target.
import { AMOUNT_STEPS, ENVY_TARGET, FAIR_STEPS, SI_MARGIN } from './limits.ts';

/** Below the reference by more than this (relative) counts as a violation to repair. */
const SI_SLACK = 1e-12;
import type { Market } from './market.ts';

export function fairRepair(m: Market, X: Float64Array, Y: Float64Array, F: Float64Array): boolean {
  const p = m.p;
  const n = m.n;
  const classOf = (i: number): number[] => m.classMembers[m.classIndex[i]];
  for (let step = 0; step < FAIR_STEPS; step++) {
    // the worst sharing-incentive violation, else the worst envy
    let to = -1;
    let from = -1;
    let worstSi = 1 - SI_SLACK;
    for (let i = 0; i < n; i++) {
      const r = F[i] / m.refF[i];
      if (r < worstSi) { worstSi = r; to = i; }
    }
    let siMode = to >= 0;
    if (siMode) {
      // donor: the app with the most normalized performance to spare
      let best = 1;
      for (let j = 0; j < n; j++) {
        if (m.p.classId[j] === m.p.classId[to]) continue;
        const r = F[j] / m.refF[j];
        if (r > best) { best = r; from = j; }
      }
      if (from < 0) return false;
    } else {
      let worst = ENVY_TARGET;
      for (const mi of m.classMembers) {
        const i = mi[0];
        for (const mj of m.classMembers) {
          if (mj === mi) continue;
          const j = mj[0];
          const e = m.envyOf(i, j, X[j], Y[j], F[i]);
          if (e > worst) { worst = e; to = i; from = j; }
        }
      }
      if (to < 0) return true;
    }
    const giver = classOf(from);
    const taker = classOf(to);
    const share = giver.length / taker.length; // what each taker gets per unit each giver gives
    const fixed = (d: number, onCache: boolean): { ok: boolean; fFrom: number; fTo: number } => {
      const xf = onCache ? X[from] - d : X[from];
      const yf = onCache ? Y[from] : Y[from] - d;
      const xt = onCache ? Math.min(X[to] + d * share, p.xmax[to]) : X[to];
      const yt = onCache ? Y[to] : Math.min(Y[to] + d * share, p.ymax[to]);
      const fFrom = m.perf(from, xf, yf);
      const fTo = m.perf(to, xt, yt);
      const ok = siMode ? fTo >= m.refF[to] : m.envyOf(to, from, xf, yf, fTo) <= ENVY_TARGET;
      return { ok, fFrom, fTo };
    };
    let bestR = -1;
    let bestD = 0;
    let bestLoss = Infinity;
    let bestOk = false;
    for (const onCache of [true, false]) {
      const have = onCache ? X[from] - p.xmin[from] : Y[from] - p.ymin[from];
      const room = onCache ? (p.xmax[to] - X[to]) / share : (p.ymax[to] - Y[to]) / share;
      // the giver keeps its own reference throughput
      let dMax = Math.min(have, Math.max(room, 0));
      if (dMax <= 0) continue;
      const floor = m.refF[from] * (1 + SI_MARGIN);
      if (fixed(dMax, onCache).fFrom < floor) {
        let lo = 0;
        let hi = dMax;
        for (let k = 0; k < AMOUNT_STEPS; k++) {
          const mid = 0.5 * (lo + hi);
          if (fixed(mid, onCache).fFrom >= floor) lo = mid; else hi = mid;
        }
        dMax = lo;
      }
      if (dMax <= 0) continue;
      let d = dMax;
      const okAtMax = fixed(dMax, onCache).ok;
      if (okAtMax) {
        let lo = 0;
        let hi = dMax;
        for (let k = 0; k < AMOUNT_STEPS; k++) {
          const mid = 0.5 * (lo + hi);
          if (fixed(mid, onCache).ok) hi = mid; else lo = mid;
        }
        d = hi;
      }
      const r = fixed(d, onCache);
      const loss = p.weights[from] * giver.length * Math.log(F[from] / r.fFrom) - p.weights[to] * taker.length * Math.log(r.fTo / F[to]);
      // prefer a move that fixes the violation; among those, the least welfare lost
      if ((okAtMax && !bestOk) || (okAtMax === bestOk && loss < bestLoss)) {
        bestOk = okAtMax; bestLoss = loss; bestR = onCache ? 0 : 1; bestD = d;
      }
    }
    if (bestR < 0) return false;
    const onCache = bestR === 0;
    const r = fixed(bestD, onCache);
    for (const j of giver) {
      if (onCache) X[j] -= bestD; else Y[j] -= bestD;
      F[j] = r.fFrom;
    }
    for (const j of taker) {
      if (onCache) X[j] = Math.min(X[j] + bestD * share, p.xmax[j]); else Y[j] = Math.min(Y[j] + bestD * share, p.ymax[j]);
      F[j] = r.fTo;
    }
    siMode = false;
  }
  return false;
}
