// Surplus hand-out: capacity left idle after the market is given to the classes that gain most from it,
// each gift as large as it can be without making anyone envy the receiver beyond the envy target (or beyond
// the envy they already had). Gifts only add, so feasibility and the sharing incentive are kept.
import { AMOUNT_STEPS, ENVY_TARGET, HANDOUT_ROUNDS, LARGE_N, LEFTOVER_TOL } from './limits.ts';
import type { Market } from './market.ts';

const MAX_TRIES_LARGE = 16; // classes tried per resource and round when there are many apps

export function handOut(m: Market, X: Float64Array, Y: Float64Array, F: Float64Array): void {
  const p = m.p;
  for (let round = 0; round < HANDOUT_ROUNDS; round++) {
    let progress = false;
    for (const onCache of [true, false]) {
      const R = onCache ? X : Y;
      const Rmax = onCache ? p.xmax : p.ymax;
      let left = 1;
      for (let i = 0; i < m.n; i++) left -= R[i];
      if (left <= LEFTOVER_TOL) continue;
      // rank classes by the welfare gain of their share of all that is left
      const ranked: { c: number; gain: number }[] = [];
      m.classMembers.forEach((members, c) => {
        const i = members[0];
        const a = Math.min(Rmax[i] - R[i], left / members.length);
        if (a <= 0) return;
        const fa = onCache ? m.perf(i, X[i] + a, Y[i]) : m.perf(i, X[i], Y[i] + a);
        ranked.push({ c, gain: p.weights[i] * Math.log(fa / F[i]) * members.length });
      });
      ranked.sort((u, v) => v.gain - u.gain || u.c - v.c);
      const tries = m.n > LARGE_N ? Math.min(ranked.length, MAX_TRIES_LARGE) : ranked.length;
      for (let t = 0; t < tries && left > LEFTOVER_TOL; t++) {
        const members = m.classMembers[ranked[t].c];
        const i = members[0];
        const s = members.length;
        const room = Math.min(Rmax[i] - R[i], left / s);
        if (room <= 0) continue;
        const xi = X[i];
        const yi = Y[i];
        const before = m.envyToward(i, xi, yi, X, Y, F);
        const allowed = Math.max(ENVY_TARGET, before);
        const ok = (a: number): boolean =>
          m.envyToward(i, onCache ? xi + a : xi, onCache ? yi : yi + a, X, Y, F) <= allowed;
        let a = room;
        if (!ok(a)) {
          let lo = 0;
          let hi = room;
          for (let k = 0; k < AMOUNT_STEPS; k++) {
            const mid = 0.5 * (lo + hi);
            if (ok(mid)) lo = mid; else hi = mid;
          }
          a = lo;
        }
        if (a <= LEFTOVER_TOL / s) continue;
        const fa = onCache ? m.perf(i, xi + a, yi) : m.perf(i, xi, yi + a);
        for (const j of members) {
          if (onCache) X[j] += a; else Y[j] += a;
          F[j] = fa;
        }
        left -= a * s;
        progress = true;
      }
    }
    if (!progress) break;
  }
}
