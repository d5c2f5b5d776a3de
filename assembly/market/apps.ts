// Per-app records for the hot paths (model evaluation inside envy checks and best responses): what the
// TypeScript twin reads from several arrays (weight, reservation, maxima, the model's header and knots) is
// packed here into one 128-byte record per app, built once per problem by buildApps() (state.ts init()).
// Everything is copied bit for bit, and every result is computed with the twin's arithmetic: only where
// the values live and how a knot is found differ.
//
// Finding a knot: the twin bisects the curve's x values (about log2(n) dependent loads and unpredictable
// branches per evaluation). Here each mrc curve also has a bucket table over [x_0, x_{n-1}]: bucket b of
// x is round((x - x_0) * scale) (monotone in x), and table[b] = the last knot whose bucket is below b. So
// the knot sought (the last one <= x) lies in [table[b], table[b + 1]], which holds at most the knots of
// one bucket: with at least two buckets per piece, a uniform curve needs one comparison.
import { ldf, ldi } from './mem';
import { surfaceThroughput } from './model';

/** Record layout (byte offsets); i32 fields at the end. */
export const A_W: i32 = 0; // weight
export const A_RX: i32 = 8; // reservation (minimum limits)
export const A_RY: i32 = 16;
export const A_XM: i32 = 24; // maxima
export const A_YM: i32 = 32;
export const A_LS: i32 = 40; // mrc: localS, remoteS, pagesPerSec
export const A_RS: i32 = 48;
export const A_P: i32 = 56;
export const A_X0: i32 = 64; // first and last knot (x, miss ratio)
export const A_XL: i32 = 72;
export const A_M0: i32 = 80;
export const A_ML: i32 = 88;
export const A_SCALE: i32 = 96; // buckets per unit of cache share
export const A_KIND: i32 = 104; // i32: 0 mrc, 1 surface
export const A_N: i32 = 108; // i32: knots
export const A_OFF: i32 = 112; // i32: offset of the model in MD (f64 index)
export const A_BMAX: i32 = 116; // i32: last bucket
export const A_KNOTS: i32 = 120; // u32: address of the knots, (x, m) pairs
export const A_TABLE: i32 = 124; // u32: address of the bucket table (u16 entries, BMAX + 2 of them)
export const APP_BYTES: i32 = 128;

/**
 * Knot layout (32 bytes): cache share, miss ratio, and the latency term at the knot: D = localS + m remoteS
 * and L = 1 / D, computed as model.ts mrcThroughput computes them for m = m_k (so the same bits).
 */
export const K_X: i32 = 0;
export const K_M: i32 = 8;
export const K_D: i32 = 16;
export const K_L: i32 = 24;
export const KNOT_BYTES: i32 = 32;
export const KNOT_SHIFT: usize = 5;

/** Most buckets per curve (a curve of many knots gets at least one bucket per 2 pieces up to this). */
const MAX_BUCKETS: i32 = 4096;

export let APP: usize = 0;
let capApps: i32 = 0;
/** The same mrc numbers by app, side by side (column batches in envy.ts load two apps' at once). */
export let AX0: usize = 0;
export let AXL: usize = 0;
export let AM0: usize = 0;
export let AML: usize = 0;
export let ALS: usize = 0;
export let ARS: usize = 0;
export let AP: usize = 0;
let KNOTS: usize = 0;
let capKnotBytes: usize = 0;

// @ts-ignore: decorator
@inline export function appRec(i: i32): usize {
  return APP + (<usize>i << 7);
}

function bucketsFor(n: i32): i32 {
  let b: i32 = 2;
  while (b < 2 * (n - 1) && b < MAX_BUCKETS) b <<= 1;
  return b;
}

function blobBytes(n: i32): usize {
  // knots, then the table (u16, buckets + 1 entries), rounded up to 16 bytes
  const bytes = (<usize>n << KNOT_SHIFT) + ((<usize>bucketsFor(n) + 1) << 1);
  return (bytes + 31) & ~(<usize>31);
}

/** 2^52: adding it to a share in [0, 2^31) leaves that share rounded to an integer in the low bits. */
export const TWO52: f64 = 4503599627370496.0;

/**
 * Bucket of x (x_0 <= x, or NaN) in the record's table: (x - x_0) * scale rounded to an integer (by adding
 * 2^52, as the SIMD lanes in envy.ts do, bit for bit), at most the last bucket. Monotone in x.
 */
// @ts-ignore: decorator
@inline export function bucketOf(r: usize, x: f64): u32 {
  const b = <u32>reinterpret<u64>((x - load<f64>(r, A_X0)) * load<f64>(r, A_SCALE) + TWO52);
  const bmax = load<u32>(r, A_BMAX);
  return b > bmax ? bmax : b;
}

/** The last knot k in [lo, hi] with x_k <= x (x_lo <= x), by bisection: a bucket holding several knots. */
export function knotAbove(kn: usize, lo: i32, hi: i32, x: f64): i32 {
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (load<f64>(kn + (<usize>mid << KNOT_SHIFT)) <= x) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** A valid mrc record (two knots) that SIMD lanes without an entry of their own read (envy.ts). */
export const SAFE_REC: usize = safeRecord();
function safeRecord(): usize {
  const r = heap.alloc(<usize>APP_BYTES + 2 * KNOT_BYTES + 32);
  memory.fill(r, 0, <usize>APP_BYTES + 2 * KNOT_BYTES + 32);
  const kn = (r + <usize>APP_BYTES + 15) & ~(<usize>15);
  store<f64>(kn, 0, K_X); store<f64>(kn, 1, K_M); store<f64>(kn, 2, K_D); store<f64>(kn, 0.5, K_L);
  store<f64>(kn, 1, KNOT_BYTES + K_X); store<f64>(kn, 0, KNOT_BYTES + K_M); store<f64>(kn, 1, KNOT_BYTES + K_D); store<f64>(kn, 1, KNOT_BYTES + K_L);
  store<u16>(kn, 0, 2 * KNOT_BYTES); store<u16>(kn, 0, 2 * KNOT_BYTES + 2);
  store<f64>(r, 0, A_X0); store<f64>(r, 1, A_XL); store<f64>(r, 1, A_M0); store<f64>(r, 0, A_ML);
  store<f64>(r, 1, A_LS); store<f64>(r, 1, A_RS); store<f64>(r, 1, A_P); store<f64>(r, 1, A_W);
  store<u32>(r, 0, A_BMAX);
  store<u32>(r, <u32>kn, A_KNOTS);
  store<u32>(r, <u32>(kn + 2 * KNOT_BYTES), A_TABLE);
  return r;
}

/** Build the records (md: encoded models, modelOff: i32 per app, and the problem's per-app inputs). */
export function buildApps(n: i32, md: usize, modelOff: usize, weight: usize, resX: usize, resY: usize, xmax: usize, ymax: usize): void {
  if (n > capApps || APP == 0) {
    if (APP != 0) heap.free(APP);
    const count: i32 = n > 0 ? n : 1;
    APP = heap.alloc(<usize>count << 7);
    if (AX0 != 0) { heap.free(AX0); heap.free(AXL); heap.free(AM0); heap.free(AML); heap.free(ALS); heap.free(ARS); heap.free(AP); }
    // one spare: a pair of lanes may read one app beyond the last
    const bytes = <usize>(count + 1) << 3;
    AX0 = heap.alloc(bytes); AXL = heap.alloc(bytes); AM0 = heap.alloc(bytes); AML = heap.alloc(bytes);
    ALS = heap.alloc(bytes); ARS = heap.alloc(bytes); AP = heap.alloc(bytes);
    capApps = n;
  }
  let need: usize = 32;
  for (let i = 0; i < n; i++) {
    const off = ldi(modelOff, i);
    if (ldf(md, off) == 0) need += blobBytes(<i32>ldf(md, off + 1));
  }
  if (need > capKnotBytes || KNOTS == 0) {
    if (KNOTS != 0) heap.free(KNOTS);
    KNOTS = heap.alloc(need);
    capKnotBytes = need;
  }
  let at = (KNOTS + 31) & ~(<usize>31);
  for (let i = 0; i < n; i++) {
    const r = appRec(i);
    const off = ldi(modelOff, i);
    store<f64>(r, ldf(weight, i), A_W);
    store<f64>(r, ldf(resX, i), A_RX);
    store<f64>(r, ldf(resY, i), A_RY);
    store<f64>(r, ldf(xmax, i), A_XM);
    store<f64>(r, ldf(ymax, i), A_YM);
    store<i32>(r, off, A_OFF);
    if (ldf(md, off) != 0) {
      // a surface: model.ts evaluates it; its mrc fields are the safe record's, which SIMD lanes may read
      memory.copy(r + <usize>A_LS, SAFE_REC + <usize>A_LS, <usize>(A_KIND - A_LS));
      memory.copy(r + <usize>A_BMAX, SAFE_REC + <usize>A_BMAX, 12);
      store<i32>(r, 1, A_KIND);
      store<i32>(r, 2, A_N);
      continue;
    }
    const k = <i32>ldf(md, off + 1);
    const xs = off + 5;
    const ms = xs + k;
    store<i32>(r, 0, A_KIND);
    store<i32>(r, k, A_N);
    store<f64>(r, ldf(md, off + 2), A_LS);
    store<f64>(r, ldf(md, off + 3), A_RS);
    store<f64>(r, ldf(md, off + 4), A_P);
    const x0 = ldf(md, xs);
    const xl = ldf(md, xs + k - 1);
    store<f64>(r, x0, A_X0);
    store<f64>(r, xl, A_XL);
    store<f64>(r, ldf(md, ms), A_M0);
    store<f64>(r, ldf(md, ms + k - 1), A_ML);
    const buckets = bucketsFor(k);
    const span = xl - x0;
    // a curve whose knots all sit at one x (validation forbids it) still gets a finite scale
    store<f64>(r, span > 0 ? <f64>buckets / span : 0, A_SCALE);
    store<i32>(r, buckets - 1, A_BMAX);
    const kn = at;
    const tb = kn + (<usize>k << KNOT_SHIFT);
    store<u32>(r, <u32>kn, A_KNOTS);
    store<u32>(r, <u32>tb, A_TABLE);
    for (let j = 0; j < k; j++) {
      const kj = kn + (<usize>j << KNOT_SHIFT);
      const mj = ldf(md, ms + j);
      // the latency bound at the knot, as model.ts mrcThroughput computes it for m = m_j
      const d = ldf(md, off + 2) + mj * ldf(md, off + 3);
      store<f64>(kj, ldf(md, xs + j), K_X);
      store<f64>(kj, mj, K_M);
      store<f64>(kj, d, K_D);
      store<f64>(kj, 1 / d, K_L);
    }
    // table[b] = the last knot (at most k - 2, the last piece's start) whose bucket is below b, else 0
    let j = 0;
    for (let b: u32 = 0; b <= <u32>buckets; b++) {
      while (j + 1 <= k - 2 && bucketOf(r, ldf(md, xs + j + 1)) < b) j++;
      store<u16>(tb + (<usize>b << 1), <u16>j);
    }
    at += blobBytes(k);
  }
  for (let i = 0; i <= n; i++) {
    const r = i < n ? appRec(i) : SAFE_REC;
    const o = <usize>i << 3;
    store<f64>(AX0 + o, load<f64>(r, A_X0)); store<f64>(AXL + o, load<f64>(r, A_XL));
    store<f64>(AM0 + o, load<f64>(r, A_M0)); store<f64>(AML + o, load<f64>(r, A_ML));
    store<f64>(ALS + o, load<f64>(r, A_LS)); store<f64>(ARS + o, load<f64>(r, A_RS)); store<f64>(AP + o, load<f64>(r, A_P));
  }
}

/**
 * Miss ratio of app record r (an mrc model) at cache share x: the twin's missRatio(), the same arithmetic,
 * the piece found through the bucket table.
 */
// @ts-ignore: decorator
@inline export function missOf(r: usize, x: f64): f64 {
  let m: f64;
  if (x <= load<f64>(r, A_X0)) {
    m = load<f64>(r, A_M0);
  } else if (x >= load<f64>(r, A_XL)) {
    m = load<f64>(r, A_ML);
  } else {
    const kn = <usize>load<u32>(r, A_KNOTS);
    const tb = <usize>load<u32>(r, A_TABLE) + (<usize>bucketOf(r, x) << 1);
    const lo = knotAbove(kn, <i32>load<u16>(tb), <i32>load<u16>(tb, 2), x);
    const p = kn + (<usize>lo << KNOT_SHIFT);
    const x0 = load<f64>(p, K_X);
    const m0 = load<f64>(p, K_M);
    const t = (x - x0) / (load<f64>(p, KNOT_BYTES + K_X) - x0);
    m = m0 + t * (load<f64>(p, KNOT_BYTES + K_M) - m0);
  }
  return m;
}

/** Throughput of an mrc record given its miss ratio and bandwidth share (the twin's mrcThroughput). */
// @ts-ignore: decorator
@inline export function mrcPerf(r: usize, m: f64, y: f64): f64 {
  const lat = 1 / (load<f64>(r, A_LS) + m * load<f64>(r, A_RS));
  if (m <= 0) return lat;
  const bw = (load<f64>(r, A_P) * y) / m;
  return bw < lat ? bw : lat;
}

/** Throughput of app record r at (x, y): model.ts throughput(), the mrc case through the record. */
// @ts-ignore: decorator
@inline export function perfRec(r: usize, x: f64, y: f64): f64 {
  if (load<i32>(r, A_KIND) != 0) return surfaceThroughput(load<i32>(r, A_OFF), x, y);
  return mrcPerf(r, missOf(r, x), y);
}

/** Index of the first knot above x (n if none): the twin's firstKnotAbove() bisection, through the table. */
// @ts-ignore: decorator
@inline export function knotAfter(r: usize, x: f64): i32 {
  let k: i32;
  if (!(x < load<f64>(r, A_XL))) {
    k = load<i32>(r, A_N); // x at or beyond the last knot (or NaN, which the bisection also ends on n)
  } else if (x < load<f64>(r, A_X0)) {
    k = 0;
  } else {
    const tb = <usize>load<u32>(r, A_TABLE) + (<usize>bucketOf(r, x) << 1);
    k = knotAbove(<usize>load<u32>(r, A_KNOTS), <i32>load<u16>(tb), <i32>load<u16>(tb, 2), x) + 1;
  }
  return k;
}

/** Knot k's cache share and miss ratio (0 <= k < n). */
// @ts-ignore: decorator
@inline export function knotX(r: usize, k: i32): f64 {
  return load<f64>(<usize>load<u32>(r, A_KNOTS) + (<usize>k << KNOT_SHIFT), K_X);
}
// @ts-ignore: decorator
@inline export function knotM(r: usize, k: i32): f64 {
  return load<f64>(<usize>load<u32>(r, A_KNOTS) + (<usize>k << KNOT_SHIFT), K_M);
}
