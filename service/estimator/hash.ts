// The page hash (TypeScript twin of assembly/estimator/hash.ts; both must give the same bits). Spatial
// sampling keeps page p iff (hash(p) >>> 8) < round(rate * 2^24). Node daemons that sample pages before
// sending them use isSampledPage, so the service's builder sees a consistent sample.

export const HI_SEED = 0x9e3779b9;
export const SAMPLE_SHIFT = 8;
export const SLOT_MUL = 0x9e3779b1;
/** Seed of the second hash that feeds the HyperLogLog sketch (independent of the sampling bits). */
export const HLL_SEED = 0x7feb352d;
export const SAMPLE_SPACE = 16777216; // 2^24 sampling values
const TWO32 = 4294967296;

/** murmur3's 32-bit finalizer. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of the page whose number is hi * 2^32 + lo. */
export function pageHashWords(lo: number, hi: number): number {
  return mix32((lo ^ mix32((hi ^ HI_SEED) >>> 0)) >>> 0);
}

export function pageHash(page: number | bigint): number {
  if (typeof page === 'bigint') return pageHashWords(Number(page & 0xffffffffn), Number((page >> 32n) & 0xffffffffn));
  const hi = Math.floor(page / TWO32);
  return pageHashWords(page - hi * TWO32, hi);
}

/** The sampling threshold of a rate in (0, 1]. */
export function thresholdOf(rate: number): number {
  return Math.max(1, Math.min(SAMPLE_SPACE, Math.round(rate * SAMPLE_SPACE)));
}

/** Whether spatial sampling at `rate` keeps this page (the same test the builder applies). */
export function isSampledPage(page: number | bigint, rate: number): boolean {
  return pageHash(page) >>> SAMPLE_SHIFT < thresholdOf(rate);
}
