// The candidate pool: the best POOL_SLOTS allocations found so far (by welfare), each with its price.
// Ties in welfare keep insertion order (a sequence number), like a stable sort.
import { copyF, ldf, ldi, stf, sti } from './mem';
import { N, POOL, POOL_ORDER, POOL_PRICE, POOL_SRC, POOL_WELFARE } from './state';
import { POOL_SLOTS } from './limits';

let count: i32 = 0;
let seq: i32 = 0;
const seqs = new StaticArray<i32>(POOL_SLOTS);

export function poolReset(): void {
  count = 0;
  seq = 0;
}

export function poolCount(): i32 {
  return count;
}

// @ts-ignore: decorator
@inline export function slotX(s: i32): usize {
  return POOL + ((<usize>s * 3 * <usize>N) << 3);
}
// @ts-ignore: decorator
@inline export function slotY(s: i32): usize {
  return slotX(s) + (<usize>N << 3);
}
// @ts-ignore: decorator
@inline export function slotF(s: i32): usize {
  return slotX(s) + (<usize>N << 4);
}
export function slotPrice(s: i32): f64 {
  return ldf(POOL_PRICE, s);
}
export function slotWelfare(s: i32): f64 {
  return ldf(POOL_WELFARE, s);
}
export function slotSrc(s: i32): i32 {
  return ldi(POOL_SRC, s);
}

/** Keep (X, Y, F) if the pool has room or it beats the worst kept; returns the slot or -1. */
export function poolAdd(X: usize, Y: usize, F: usize, price: f64, welfare: f64, src: i32): i32 {
  let s = -1;
  if (count < POOL_SLOTS) {
    s = count++;
  } else {
    let worst = 0;
    for (let k = 1; k < POOL_SLOTS; k++) {
      const wk = ldf(POOL_WELFARE, k);
      const ww = ldf(POOL_WELFARE, worst);
      if (wk < ww || (wk == ww && unchecked(seqs[k]) > unchecked(seqs[worst]))) worst = k;
    }
    if (welfare <= ldf(POOL_WELFARE, worst)) return -1;
    s = worst;
  }
  copyF(slotX(s), X, N);
  copyF(slotY(s), Y, N);
  copyF(slotF(s), F, N);
  stf(POOL_PRICE, s, price);
  stf(POOL_WELFARE, s, welfare);
  sti(POOL_SRC, s, src);
  unchecked(seqs[s] = seq);
  seq++;
  return s;
}

/** Slots ordered by welfare, best first (ties: earlier first), into POOL_ORDER; returns the count. */
export function poolSort(): i32 {
  for (let k = 0; k < count; k++) sti(POOL_ORDER, k, k);
  for (let k = 1; k < count; k++) {
    const s = ldi(POOL_ORDER, k);
    const w = ldf(POOL_WELFARE, s);
    let j = k - 1;
    while (j >= 0) {
      const t = ldi(POOL_ORDER, j);
      const wt = ldf(POOL_WELFARE, t);
      if (wt > w || (wt == w && unchecked(seqs[t]) < unchecked(seqs[s]))) break;
      sti(POOL_ORDER, j + 1, t);
      j--;
    }
    sti(POOL_ORDER, j + 1, s);
  }
  return count;
}

export function poolOrder(k: i32): i32 {
  return ldi(POOL_ORDER, k);
}
