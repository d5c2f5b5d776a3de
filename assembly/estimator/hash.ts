// The page hash shared by spatial sampling and the page table. service/estimator/hash.ts is its TypeScript twin;
// both must give the same bits, or sampled curves would differ between WASM and TypeScript.

/** Seed mixed into the high word, so that page numbers differing only in the high word hash apart. */
export const HI_SEED: u32 = 0x9e3779b9;
/** Sampling keeps a page iff (hash >>> SAMPLE_SHIFT) < threshold: 24-bit values, threshold = rate * 2^24. */
export const SAMPLE_SHIFT: u32 = 8;
/** Seed of the second hash that feeds the HyperLogLog sketch (must not reuse the sampling bits). */
export const HLL_SEED: u32 = 0x7feb352d;
/** Multiplier for the table slot (Fibonacci hashing of the page hash: uses all bits of it). */
export const SLOT_MUL: u32 = 0x9e3779b1;

// murmur3's 32-bit finalizer: a bijection with full avalanche.
// @ts-ignore: decorator
@inline export function mix32(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x85ebca6b;
  x ^= x >>> 13;
  x *= 0xc2b2ae35;
  x ^= x >>> 16;
  return x;
}

// @ts-ignore: decorator
@inline export function pageHash(key: u64): u32 {
  return mix32(<u32>key ^ mix32(<u32>(key >>> 32) ^ HI_SEED));
}

// Four lanes of mix32 at once.
// @ts-ignore: decorator
@inline export function mix32x4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x85ebca6b));
  x = v128.xor(x, i32x4.shr_u(x, 13));
  x = i32x4.mul(x, i32x4.splat(0xc2b2ae35));
  x = v128.xor(x, i32x4.shr_u(x, 16));
  return x;
}
