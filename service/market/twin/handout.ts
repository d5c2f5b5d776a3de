// Surplus hand-out: capacity left idle after the market is given to the classes that gain most from it,
// each gift as large as it can be without making anyone envy the receiver beyond the envy target (or beyond
// the envy that one already had). Gifts only add, so feasibility and the sharing incentive are kept.
import { ENVY_TARGET, HANDOUT_REFINE, LEFTOVER_TOL, tuning } from './limits.ts';
import type { Market } from './market.ts';
import { ln } from './ln.ts';

export function handOut(m: Market, X: Float64Array, Y: Float64Array, F: Float64Array): void {
  const p = m.p;
  const t = tuning(m.n);
  const before = new Float64Array(m.n);
  // classes that could take nothing of a resource: later rounds try the next ones instead
  const blocked = new Uint8Array(2 * m.classMembers.length);
  for (let round = 0; round < t.handoutRounds; round++) {
    let progress = false;
    for (const onCache of [true, false]) {
      const R = onCache ? X : Y;
      const Rmax = onCache ? p.xmax : p.ymax;
      let left = 1;
      for (let i = 0; i < m.n; i++) left -= R[i];
      if (left <= LEFTOVER_TOL) continue;
      // rank classes by the welfare gain of their share of all that is left
      const ranked: { c: number; gain: number }[] = [];
      const res = onCache ? 0 : 1;
      m.classMembers.forEach((members, c) => {
        if (blocked[2 * c + res]) return;
        const i = members[0];
        const a = Math.min(Rmax[i] - R[i], left / members.length);
        if (a <= 0) return;
        const fa = onCache ? m.perf(i, X[i] + a, Y[i]) : m.perf(i, X[i], Y[i] + a);
        ranked.push({ c, gain: p.weights[i] * ln(fa / F[i]) * members.length });
      });
      ranked.sort((u, v) => v.gain - u.gain || u.c - v.c);
      const tries = Math.min(ranked.length, t.handoutTries);
      for (let r = 0; r < tries && left > LEFTOVER_TOL; r++) {
        const members = m.classMembers[ranked[r].c];
        const i = members[0];
        const s = members.length;
        const room = Math.min(Rmax[i] - R[i], left / s);
        if (room <= 0) continue;
        const xi = X[i];
        const yi = Y[i];
        // nobody's envy of the receiver may rise above the target, or above what it already was
        for (let k = 0; k < m.n; k++) before[k] = m.envyOf(k, i, xi, yi, F[k], X[k], Y[k]);
        const ok = (a: number): boolean =>
          giftOk(m, i, onCache ? xi + a : xi, onCache ? yi : yi + a, X, Y, F, before);
        let a = room;
        if (!ok(a)) {
          // halve until a gift fits, then bisect between the last two amounts
          let lo = 0;
          let hi = room;
          for (let k = 0; k < t.handoutSteps; k++) {
            const half = 0.5 * hi;
            if (ok(half)) { lo = half; break; }
            hi = half;
          }
          if (lo > 0) {
            for (let k = 0; k < HANDOUT_REFINE; k++) {
              const mid = 0.5 * (lo + hi);
              if (ok(mid)) lo = mid; else hi = mid;
            }
          }
          a = lo;
        }
        if (a <= LEFTOVER_TOL / s) { blocked[2 * ranked[r].c + res] = 1; progress = true; continue; }
        const fa = onCache ? m.perf(i, xi + a, yi) : m.perf(i, xi, yi + a);
        for (const j of members) {
          if (onCache) X[j] += a; else Y[j] += a;
          F[j] = fa;
        }
        left -= a * s;
        progress = true;
        // envy capped the gift: more for this class later would be capped the same way
        if (a < room) blocked[2 * ranked[r].c + res] = 1;
      }
    }
    if (!progress) break;
  }
}

/** True when giving app j the bundle (x, y) keeps every other class's envy of j within its allowance. */
function giftOk(m: Market, j: number, x: number, y: number, X: Float64Array, Y: Float64Array, F: Float64Array,
  before: Float64Array): boolean {
  const cj = m.p.classId[j];
  for (let i = 0; i < m.n; i++) {
    if (i === j || m.p.classId[i] === cj) continue;
    const allowed = before[i] > ENVY_TARGET ? before[i] : ENVY_TARGET;
    if (m.envyOf(i, j, x, y, F[i], X[i], Y[i]) > allowed) return false;
  }
  return true;
}
