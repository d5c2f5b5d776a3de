// Feasibility repair: when the chosen side of a demand jump over-uses a resource, take the excess back from
// the classes that lose least per unit (log throughput), never pushing an app below its reference
// throughput nor more than REPAIR_ENVY below what it chose. Returns false if the excess cannot be removed
// that way (the candidate is then dropped).
import { AMOUNT_STEPS, FEAS_TOL, REPAIR_STEPS, SI_MARGIN } from './limits.ts';
import type { Market } from './market.ts';
import { ln } from './ln.ts';

/** `loss`: the relative throughput an app may lose (REPAIR_ENVY; Infinity: down to its reference). */
export function repair(m: Market, X: Float64Array, Y: Float64Array, F: Float64Array, loss: number): boolean {
  const p = m.p;
  // each app keeps its reference throughput and nearly what it chose at the market price (what it gives up
  // stays under REPAIR_ENVY, so it hardly comes to envy bundles it could have bought)
  const floorF = new Float64Array(m.n);
  for (let i = 0; i < m.n; i++) floorF[i] = Math.max(m.refF[i] * (1 + SI_MARGIN), F[i] / (1 + loss));
  // classes that reached their floor giving a resource (bit 0 cache, bit 1 bandwidth) give no more of it
  const done = new Uint8Array(m.classMembers.length);
  for (let step = 0; step < REPAIR_STEPS; step++) {
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < m.n; i++) { sx += X[i]; sy += Y[i]; }
    const ox = sx - 1;
    const oy = sy - 1;
    if (ox <= FEAS_TOL && oy <= FEAS_TOL) return true;
    const onCache = ox >= oy;
    const R = onCache ? X : Y;
    const Rmin = onCache ? p.xmin : p.ymin;
    const excess = onCache ? ox : oy;
    const chunk = Math.max(excess / 4, Math.min(excess, 1e-6));
    const bit = onCache ? 1 : 2;
    let best = -1;
    let bestAmount = 0;
    let bestCost = Infinity;
    let bestF = 0;
    let bestFloored = false;
    for (let c = 0; c < m.classMembers.length; c++) {
      if (done[c] & bit) continue;
      const members = m.classMembers[c];
      const i = members[0];
      const s = members.length;
      let a = Math.min(R[i] - Rmin[i], chunk / s);
      if (a <= 0) { done[c] |= bit; continue; }
      const floor = floorF[i];
      const after = (amt: number): number => (onCache ? m.perf(i, X[i] - amt, Y[i]) : m.perf(i, X[i], Y[i] - amt));
      let fa = after(a);
      let floored = false;
      if (fa < floor) {
        // largest amount that keeps the floor
        let lo = 0;
        let hi = a;
        for (let k = 0; k < AMOUNT_STEPS; k++) {
          const mid = 0.5 * (lo + hi);
          if (after(mid) >= floor) lo = mid; else hi = mid;
        }
        a = lo;
        if (a <= 0) { done[c] |= bit; continue; }
        fa = after(a);
        floored = true;
      }
      const cost = (p.weights[i] * ln(F[i] / fa)) / a; // welfare lost per unit share, per member
      if (cost < bestCost) { bestCost = cost; best = i; bestAmount = a; bestF = fa; bestFloored = floored; }
    }
    if (best < 0) return false;
    if (bestFloored) done[m.classIndex[best]] |= bit;
    for (const j of m.classMembers.find((mm) => mm[0] === best)!) {
      if (onCache) X[j] -= bestAmount; else Y[j] -= bestAmount;
      F[j] = bestF;
    }
  }
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < m.n; i++) { sx += X[i]; sy += Y[i]; }
  return sx - 1 <= FEAS_TOL && sy - 1 <= FEAS_TOL;
}
