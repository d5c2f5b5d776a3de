// Weighted equal split of one resource within per-app [lo, hi] bounds: share_i = clamp(beta_i * t, lo_i, hi_i)
// with t chosen so the shares add up to the whole (capacity freed by capped apps goes to the others).
// If even every app at its maximum uses less than the whole, every app gets its maximum.
import { assert } from '../errors.ts';

const BISECTION_STEPS = 200; // t is found to double precision long before this

export function waterFill(beta: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>): Float64Array {
  const n = beta.length;
  const out = new Float64Array(n);
  const total = (t: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.min(hi[i], Math.max(lo[i], beta[i] * t));
    return s;
  };
  let sumHi = 0;
  for (let i = 0; i < n; i++) sumHi += hi[i];
  if (sumHi <= 1) {
    for (let i = 0; i < n; i++) out[i] = hi[i];
    return out;
  }
  let a = 0;
  let b = 1;
  for (let k = 0; k < 64 && total(b) < 1; k++) b *= 2;
  for (let k = 0; k < BISECTION_STEPS && b - a > 1e-15 * b; k++) {
    const m = 0.5 * (a + b);
    if (total(m) < 1) a = m; else b = m;
  }
  for (let i = 0; i < n; i++) out[i] = Math.min(hi[i], Math.max(lo[i], beta[i] * b));
  // shares may overshoot 1 by rounding only
  let s = 0;
  for (let i = 0; i < n; i++) s += out[i];
  assert(s <= 1 + 1e-9, `water-fill shares add up to ${s}`);
  if (s > 1) for (let i = 0; i < n; i++) out[i] /= s;
  return out;
}
