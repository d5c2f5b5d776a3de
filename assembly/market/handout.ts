// Surplus hand-out (twin: service/market/twin/handout.ts): capacity left idle goes to the classes that gain
// most from it, each gift as large as it can be without raising anyone's envy of the receiver above the
// target (or above the envy they already had).
import { ldf, ldi, stf, sti } from './mem';
import { BEFORE, BLOCKED, CLASS, CLASSES, CLS_A, CLS_F, N, WEIGHT, XMAX, YMAX, classMember, classRep, classSize } from './state';
import { perf } from './market';
import { columnEnvy, giftCheck, giftPrepare } from './envy';
import { ENVY_TARGET, HANDOUT_REFINE, LEFTOVER_TOL, T_HANDOUT_ROUNDS, T_HANDOUT_STEPS, T_HANDOUT_TRIES } from './limits';
import { ln } from './ln';

/** True when giving app j the bundle (x, y) keeps every other class's envy of j within its allowance. */
// @ts-ignore: decorator
@inline function giftOk(j: i32, x: f64, y: f64, X: usize, Y: usize, F: usize): bool {
  // the twin: envyOf(i, j, x, y, F[i], X[i], Y[i]) > max(BEFORE[i], ENVY_TARGET) for any i outside j's
  // class; envy.ts giftCheck, with what giftPrepare kept for j's search
  return giftCheck(x, y, X, Y, F, BEFORE, N, ENVY_TARGET);
}

/** Rank classes (in CLS_A, best first) by gain in CLS_F; only the first `want` need be exact. */
function rank(count: i32, want: i32): void {
  if (want >= count) {
    for (let k = 1; k < count; k++) {
      const c = ldi(CLS_A, k);
      const g = ldf(CLS_F, k);
      let j = k - 1;
      while (j >= 0) {
        const gj = ldf(CLS_F, j);
        if (gj > g || (gj == g && ldi(CLS_A, j) < c)) break;
        sti(CLS_A, j + 1, ldi(CLS_A, j));
        stf(CLS_F, j + 1, gj);
        j--;
      }
      sti(CLS_A, j + 1, c);
      stf(CLS_F, j + 1, g);
    }
    return;
  }
  // partial selection: the best `want` to the front, in order
  for (let k = 0; k < want; k++) {
    let b = k;
    for (let j = k + 1; j < count; j++) {
      const gj = ldf(CLS_F, j);
      const gb = ldf(CLS_F, b);
      if (gj > gb || (gj == gb && ldi(CLS_A, j) < ldi(CLS_A, b))) b = j;
    }
    if (b != k) {
      const c = ldi(CLS_A, k); const g = ldf(CLS_F, k);
      sti(CLS_A, k, ldi(CLS_A, b)); stf(CLS_F, k, ldf(CLS_F, b));
      sti(CLS_A, b, c); stf(CLS_F, b, g);
    }
  }
}

export function handOut(X: usize, Y: usize, F: usize): void {
  // classes that could take nothing of a resource (bit 0 cache, bit 1 bandwidth): later rounds try others
  for (let c = 0; c < CLASSES; c++) sti(BLOCKED, c, 0);
  for (let round = 0; round < T_HANDOUT_ROUNDS; round++) {
    let progress = false;
    for (let r = 0; r < 2; r++) {
      const onCache = r == 0;
      const R = onCache ? X : Y;
      const RMAX = onCache ? XMAX : YMAX;
      let left: f64 = 1;
      for (let i = 0; i < N; i++) left -= ldf(R, i);
      if (left <= LEFTOVER_TOL) continue;
      let count = 0;
      const bit = onCache ? 1 : 2;
      for (let c = 0; c < CLASSES; c++) {
        if ((ldi(BLOCKED, c) & bit) != 0) continue;
        const i = classRep(c);
        const s = <f64>classSize(c);
        const room0 = ldf(RMAX, i) - ldf(R, i);
        const a = room0 < left / s ? room0 : left / s;
        if (a <= 0) continue;
        const fa = onCache ? perf(i, ldf(X, i) + a, ldf(Y, i)) : perf(i, ldf(X, i), ldf(Y, i) + a);
        sti(CLS_A, count, c);
        stf(CLS_F, count, ldf(WEIGHT, i) * ln(fa / ldf(F, i)) * s);
        count++;
      }
      const tries = count < T_HANDOUT_TRIES ? count : T_HANDOUT_TRIES;
      rank(count, tries);
      for (let r2 = 0; r2 < tries && left > LEFTOVER_TOL; r2++) {
        const c = ldi(CLS_A, r2);
        const i = classRep(c);
        const size = classSize(c);
        const s = <f64>size;
        const room0 = ldf(RMAX, i) - ldf(R, i);
        const room = room0 < left / s ? room0 : left / s;
        if (room <= 0) continue;
        const xi = ldf(X, i);
        const yi = ldf(Y, i);
        // nobody's envy of the receiver may rise above the target, or above what it already was
        columnEnvy(i, xi, yi, X, Y, F, 0, N, BEFORE, -1, CLASS);
        giftPrepare(i, F, BEFORE, CLASS, N, ENVY_TARGET);
        let a = room;
        if (!giftOk(i, onCache ? xi + a : xi, onCache ? yi : yi + a, X, Y, F)) {
          // halve until a gift fits, then bisect between the last two amounts
          let lo: f64 = 0;
          let hi = room;
          for (let k = 0; k < T_HANDOUT_STEPS; k++) {
            const half = 0.5 * hi;
            if (giftOk(i, onCache ? xi + half : xi, onCache ? yi : yi + half, X, Y, F)) { lo = half; break; }
            hi = half;
          }
          if (lo > 0) {
            for (let k = 0; k < HANDOUT_REFINE; k++) {
              const mid = 0.5 * (lo + hi);
              if (giftOk(i, onCache ? xi + mid : xi, onCache ? yi : yi + mid, X, Y, F)) lo = mid; else hi = mid;
            }
          }
          a = lo;
        }
        if (a <= LEFTOVER_TOL / s) { sti(BLOCKED, c, ldi(BLOCKED, c) | bit); progress = true; continue; }
        const fa = onCache ? perf(i, xi + a, yi) : perf(i, xi, yi + a);
        for (let k = 0; k < size; k++) {
          const j = classMember(c, k);
          if (onCache) stf(X, j, ldf(X, j) + a); else stf(Y, j, ldf(Y, j) + a);
          stf(F, j, fa);
        }
        left -= a * s;
        progress = true;
        if (a < room) sti(BLOCKED, c, ldi(BLOCKED, c) | bit);
      }
    }
    if (!progress) break;
  }
}
