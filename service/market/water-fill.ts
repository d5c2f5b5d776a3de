// Weighted equal split of an amount `whole` of one resource within per-app caps: share_i = min(beta_i * t, cap_i)
// with t chosen so the shares add up to the whole (what capped apps cannot use goes to the others). If even
// every app at its cap uses less than the whole, every app gets its cap. Exact: apps in order of cap / beta,
// the level t found where the next one would stop being capped (O(n log n)).
import { assert } from '../errors.ts';

export function waterFill(beta: ArrayLike<number>, cap: ArrayLike<number>, whole: number): Float64Array {
  const n = beta.length;
  const out = new Float64Array(n);
  let sumCap = 0;
  for (let i = 0; i < n; i++) sumCap += cap[i];
  if (sumCap <= whole) {
    for (let i = 0; i < n; i++) out[i] = cap[i];
    return out;
  }
  let betaLeft = 0;
  for (let i = 0; i < n; i++) betaLeft += beta[i];
  // the level if nobody is capped; when it caps nobody, the search below would stop at its first app with it
  let t = whole / betaLeft;
  let capsNobody = true;
  for (let i = 0; i < n && capsNobody; i++) if (!(beta[i] * t <= cap[i])) capsNobody = false;
  if (!capsNobody) t = cappedLevel(beta, cap, whole, betaLeft);
  let s = 0;
  for (let i = 0; i < n; i++) { out[i] = Math.min(cap[i], beta[i] * t); s += out[i]; }
  // shares may overshoot the whole by rounding only
  if (!(s <= whole * (1 + 1e-9) + 1e-12)) assert(false, `water-fill shares add up to ${s}, more than ${whole}`);
  if (s > whole) for (let i = 0; i < n; i++) out[i] *= whole / s;
  return out;
}

/** The level t at which the shares min(beta_i * t, cap_i) add up to `whole`, some app capped at it. */
function cappedLevel(beta: ArrayLike<number>, cap: ArrayLike<number>, whole: number, betaSum: number): number {
  const n = beta.length;
  // apps by the level at which they reach their cap; those before the level are capped, the rest share
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => cap[a] * beta[b] - cap[b] * beta[a] || a - b);
  let capped = 0;
  let betaLeft = betaSum;
  let t = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    // level if every app from k on shares by weight
    t = (whole - capped) / betaLeft;
    if (beta[i] * t <= cap[i]) break;
    capped += cap[i];
    betaLeft -= beta[i];
  }
  return t;
}
