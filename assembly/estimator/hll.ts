// HyperLogLog sketch of the distinct pages seen (all of them, not only the sampled ones): the estimate that
// corrects the sampling rate (kappa, see mrc.ts). 2^18 one-byte registers, standard error 1.04 / 512 = 0.2%.
// With decay it covers the last one to two half-lives: two register sets that rotate every half-life.
import { HLL_SEED, mix32 } from './hash';

const HLL_BITS: u32 = 18;
const HLL_M: i32 = 1 << 18;

let curP: usize = 0; // registers of the current window (all time without decay)
let prevP: usize = 0; // registers of the previous window (decay only)
let windowAccesses: f64 = 0.0;
let winStartCur: u32 = 0; // tick at which the current window started
let winStartPrev: u32 = 0;

export function hllAlloc(): void {
  curP = heap.alloc(<usize>HLL_M);
  prevP = heap.alloc(<usize>HLL_M);
}

export function hllClear(): void {
  memory.fill(curP, 0, <usize>HLL_M);
  memory.fill(prevP, 0, <usize>HLL_M);
  windowAccesses = 0.0;
  winStartCur = 0;
  winStartPrev = 0;
}

// @ts-ignore: decorator
@inline export function hllAdd(h: u32): void {
  const g = mix32(h ^ HLL_SEED); // independent of the sampling bits of h
  const p = curP + <usize>(g >>> (32 - HLL_BITS));
  const rank = <u8>(clz<u32>((g << HLL_BITS) | (1 << (HLL_BITS - 1))) + 1);
  if (rank > load<u8>(p)) store<u8>(p, rank);
}

/** With decay, windows rotate every half-life (accesses); `tick` is the sampled-access clock. */
export function hllRotate(represented: f64, halfLife: f64, tick: u32): void {
  if (halfLife <= 0) return;
  windowAccesses += represented;
  if (windowAccesses < halfLife) return;
  const t = prevP; prevP = curP; curP = t;
  memory.fill(curP, 0, <usize>HLL_M);
  windowAccesses = 0.0;
  winStartPrev = winStartCur;
  winStartCur = tick;
}

/** Tick at which the sketch's window (both register sets) starts. */
export function hllWindowStart(): u32 { return winStartPrev; }

/** Estimate of the distinct pages in the window (linear counting for small counts). */
export function hllEstimate(): f64 {
  let sum: f64 = 0.0;
  let zeros: i32 = 0;
  for (let j = 0; j < HLL_M; j++) {
    const a = load<u8>(curP + <usize>j);
    const b = load<u8>(prevP + <usize>j);
    const r = a > b ? a : b;
    if (r == 0) zeros++;
    sum += 1.0 / <f64>(<u64>1 << <u64>r);
  }
  const m = <f64>HLL_M;
  let e = (0.7213 / (1.0 + 1.079 / m)) * m * m / sum;
  if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / <f64>zeros);
  return e;
}
