// Weighted equal split of an amount `whole` of one resource within per-app caps: share_i = min(beta_i * t, cap_i)
// with t chosen so the shares add up to the whole (what capped apps cannot use goes to the others). If even
// every app at its cap uses less than the whole, every app gets its cap.
import { assert } from '../errors.ts';

const BISECTION_STEPS = 200; // t is found to double precision long before this

export function waterFill(beta: ArrayLike<number>, cap: ArrayLike<number>, whole: number): Float64Array {
  const n = beta.length;
  const out = new Float64Array(n);
  const total = (t: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.min(cap[i], beta[i] * t);
    return s;
  };
  let sumCap = 0;
  for (let i = 0; i < n; i++) sumCap += cap[i];
  if (sumCap <= whole) {
    for (let i = 0; i < n; i++) out[i] = cap[i];
    return out;
  }
  let a = 0;
  let b = 1;
  for (let k = 0; k < 64 && total(b) < whole; k++) b *= 2;
  for (let k = 0; k < BISECTION_STEPS && b - a > 1e-15 * b; k++) {
    const m = 0.5 * (a + b);
    if (total(m) < whole) a = m; else b = m;
  }
  for (let i = 0; i < n; i++) out[i] = Math.min(cap[i], beta[i] * b);
  // shares may overshoot the whole by rounding only
  let s = 0;
  for (let i = 0; i < n; i++) s += out[i];
  assert(s <= whole + 1e-9, `water-fill shares add up to ${s}, more than ${whole}`);
  if (s > whole) for (let i = 0; i < n; i++) out[i] *= whole / s;
  return out;
}
