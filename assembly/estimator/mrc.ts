// Miss-ratio curve of an LRU cache from a stream of page accesses, one engine per WASM instance.
//
// Exact LRU stack distances: a page table (open addressing, linear probing) maps page -> time of its last
// access; a bitset over times marks the live "last access" times, and a Fenwick tree over 512-time blocks of
// the bitset (inside a block: hardware popcount) counts them, so the stack depth of a re-referenced page
// (1 + live pages touched after it) costs O(log(times / 512)). Times are renumbered in place when they run
// out, so all state is bounded.
//
// Sampling (SHARDS, Waldspurger et al., FAST'15): a page is kept iff (hash >>> 8) < threshold; depths are
// scaled by 1/rate, weights are 1/rate, and the surplus or deficit of sampled weight against the accesses
// really seen goes to distance 0 (SHARDS_adj). Fixed memory: when more than capPages pages are sampled, the
// threshold drops to the largest sampling value in the set and those pages leave (maxheap.ts).
//
// Rate correction: the sampled page set is itself a random draw (1500 pages at 1% of 150k pages is off by
// ~2.6% either way), which scales every distance. A HyperLogLog sketch over all pages (hll.ts) estimates the
// distinct pages n, and kappa = sampled pages / (rate * n) corrects distances and weights at curve time
// (kappa = 1 when exact or when the input was presampled elsewhere).
//
// Decay (optional): the weight of new accesses grows by 2^(n / halfLife), which ages old ones out; pages not
// touched for STALE_HALF_LIVES half-lives are dropped at compaction so dead phases do not hold the sample set.
//
// Distances go to a histogram (hist.ts). Layout of a table entry (16 bytes): page u64 @0, time+1 u32 @8
// (0 = empty slot), hash u32 @12. service/estimator/mrc-twin.ts is the TypeScript twin of these files: same
// algorithm, same results.
import { SAMPLE_SHIFT, SLOT_MUL, mix32x4, pageHash, HI_SEED } from './hash';
import { hllAdd, hllAlloc, hllClear, hllEstimate, hllRotate, hllWindowStart } from './hll';
import {
  maxheapAlloc, maxheapAppend, maxheapClear, maxheapify, maxheapPop, maxheapPush, maxheapSize, maxheapTopHash,
  maxheapTopKey, maxheapTopValue,
} from './maxheap';
import { histAdd, histAlloc, histBinWidth, histClear, histCursorStart, histHitsBelow, histScale, histSpan } from './hist';

const ENTRY: usize = 16;
const MIN_TABLE_BITS: i32 = 10;
/** Times per table slot: with the table at most half full, compaction comes after >= 3/4 of the times. */
const TIME_PER_SLOT: i32 = 2;
/** The table grows 4x at a time: fewer copies, and freed smaller blocks waste at most 1/3 of the heap. */
const GROW_BITS: i32 = 2;
/** Times per Fenwick block: 512 = 8 words = one cache line, counted with hardware popcount. */
const BLOCK_SHIFT: i32 = 9;
const SAMPLE_SPACE: f64 = 16777216.0; // 2^24 sampling values
/** Decay rescales all weights when the growing scale passes 2^64 (far from f64 overflow). */
const RESCALE_AT: f64 = 18446744073709551616.0;
/** A page untouched for this many half-lives weighs < 1/256: dropping it costs nothing measurable. */
const STALE_HALF_LIVES: f64 = 8.0;
/** Below this many sampled pages kappa is too noisy to correct anything. */
const KAPPA_MIN_PAGES: i32 = 32;
/** Kept accesses whose table slots are loaded together, one group ahead: that many misses in flight. */
const PREFETCH_GROUP: i32 = 16;
/** Accesses filtered, then applied, at a time: input and kept list (16 KiB each) stay in L1. */
const BLOCK: i32 = 2048;

// ---- state (one engine per instance) ----
let tableP: usize = 0;
let tableBits: i32 = 0;
let maxTableBits: i32 = 0;
let live: i32 = 0;
let capPages: i32 = 0;
let timeCap: i32 = 0; // TIME_PER_SLOT x table slots: compaction every >= 3/4 timeCap sampled accesses
let now: i32 = 0;
let bitsP: usize = 0; // u64 words, timeCap / 64 of them
let fenP: usize = 0; // i32 Fenwick tree over block popcounts, 1-based, nBlocks + 1 entries
let nWords: i32 = 0;
let nBlocks: i32 = 0; // blocks of BLOCK_WORDS words (one cache line): the Fenwick tree stays in L1
let committed: i32 = 0; // blocks [0, committed) are in the Fenwick tree; invariant committed == now >>> BLOCK_SHIFT
let slotP: usize = 0; // u32 table slot of the page whose last access is time t
let stampP: usize = 0; // u32 tick of that access (staleness, so decay only; survives renumbering)
let threshold: u32 = 0;
let initialThreshold: u32 = 0;
let rate: f64 = 1.0;
let invRate: f64 = 1.0;
let inputWeight: f64 = 1.0; // accesses one input page stands for (1 / rate of presampled input)
let halfLife: f64 = 0.0; // accesses; 0 = no decay
let wScale: f64 = 1.0;
let totalW: f64 = 0.0; // decayed weight of all accesses
let sampledW: f64 = 0.0; // decayed weight of sampled accesses (each 1 / rate)
let accesses: f64 = 0.0;
let sampledAccesses: f64 = 0.0;
let tick: u32 = 0;
let inputP: usize = 0;
let inputCap: i32 = 0;
let keptP: usize = 0; // (u32 index, u32 hash) of the accesses of the current batch that passed the filter
let prefetchSink: u32 = 0; // keeps the prefetching loads alive
let outP: usize = 0;
let outCap: i32 = 0;
let hllOn: bool = false; // off for presampled input: the sketch would only see the sample
let hllSeeded: bool = false; // at rate 1 the sketch waits: the first eviction seeds it from the (complete) sample

// @ts-ignore: decorator
@inline function entryAt(i: u32): usize { return tableP + (<usize>i << 4); }
// @ts-ignore: decorator
@inline function homeOf(h: u32): u32 { return (h * SLOT_MUL) >>> (32 - tableBits); }

function zalloc(bytes: usize): usize {
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** Sets up the engine; returns the input buffer pointer (inCap u64 pages). */
export function mrcInit(cap: i32, thresholdT: u32, inWeight: f64, halfLifeAccesses: f64, inCap: i32, curveCap: i32): usize {
  capPages = cap;
  maxTableBits = MIN_TABLE_BITS;
  while ((1 << (maxTableBits - 1)) <= cap) maxTableBits++; // half the table > cap: room for cap + 1 pages
  initialThreshold = thresholdT;
  inputWeight = inWeight;
  halfLife = halfLifeAccesses;
  inputCap = inCap;
  inputP = heap.alloc(<usize>inCap << 3);
  keptP = heap.alloc(<usize>inCap << 3);
  outCap = curveCap;
  outP = heap.alloc(<usize>curveCap << 4);
  histAlloc();
  hllOn = inWeight == 1.0;
  hllAlloc();
  allocTables(MIN_TABLE_BITS);
  mrcReset();
  return inputP;
}

function allocTables(bits: i32): void {
  tableBits = bits;
  timeCap = TIME_PER_SLOT << bits;
  nWords = timeCap >> 6;
  nBlocks = timeCap >> BLOCK_SHIFT;
  tableP = zalloc(<usize>1 << <usize>(bits + 4));
  slotP = heap.alloc(<usize>timeCap << 2);
  stampP = halfLife > 0 ? heap.alloc(<usize>timeCap << 2) : 0;
  bitsP = zalloc(<usize>nWords << 3);
  fenP = zalloc(<usize>(nBlocks + 1) << 2);
  maxheapAlloc(1 << (bits - 1)); // half the slots: > capPages
}

function freeTables(): void {
  heap.free(tableP);
  heap.free(slotP);
  if (stampP != 0) heap.free(stampP);
  heap.free(bitsP);
  heap.free(fenP);
}

/** Forgets everything seen (keeps the memory). */
export function mrcReset(): void {
  memory.fill(tableP, 0, <usize>1 << <usize>(tableBits + 4));
  memory.fill(bitsP, 0, <usize>nWords << 3);
  memory.fill(fenP, 0, <usize>(nBlocks + 1) << 2);
  histClear();
  live = 0; now = 0; committed = 0; tick = 0;
  maxheapClear();
  threshold = initialThreshold;
  rate = <f64>threshold / SAMPLE_SPACE;
  invRate = SAMPLE_SPACE / <f64>threshold;
  wScale = 1.0; totalW = 0.0; sampledW = 0.0; accesses = 0.0; sampledAccesses = 0.0;
  hllClear();
  hllSeeded = <f64>threshold < SAMPLE_SPACE;
}

// ---- Fenwick tree over block popcounts; inside a block, hardware popcount ----
// @ts-ignore: decorator
@inline function fenAdd(block: i32, delta: i32): void {
  let j = block + 1;
  while (j <= nBlocks) {
    const p = fenP + (<usize>j << 2);
    store<i32>(p, load<i32>(p) + delta);
    j += j & -j;
  }
}

/** Live times <= t. */
// @ts-ignore: decorator
@inline function prefixIncl(t: i32): i32 {
  const block = t >>> BLOCK_SHIFT;
  let s: i32 = 0;
  let j = block;
  while (j > 0) {
    s += load<i32>(fenP + (<usize>j << 2));
    j &= j - 1;
  }
  const wi = t >>> 6;
  for (let w = block << (BLOCK_SHIFT - 6); w < wi; w++) s += <i32>popcnt<u64>(load<u64>(bitsP + (<usize>w << 3)));
  const word = load<u64>(bitsP + (<usize>wi << 3));
  return s + <i32>popcnt<u64>(word & (<u64>-1 >>> <u64>(63 - (t & 63))));
}

// @ts-ignore: decorator
@inline function clearTime(t: i32): void {
  const p = bitsP + (<usize>(t >>> 6) << 3);
  store<u64>(p, load<u64>(p) & ~(<u64>1 << <u64>(t & 63)));
  if ((t >>> BLOCK_SHIFT) < committed) fenAdd(t >>> BLOCK_SHIFT, -1);
}

/** Live times in block b. */
function blockCount(b: i32): i32 {
  let s: i32 = 0;
  const w0 = b << (BLOCK_SHIFT - 6);
  for (let w = w0; w < w0 + (1 << (BLOCK_SHIFT - 6)); w++) s += <i32>popcnt<u64>(load<u64>(bitsP + (<usize>w << 3)));
  return s;
}

/** Gives the page in slot i the time `now`. */
// @ts-ignore: decorator
@inline function stampNow(i: u32): void {
  store<u32>(entryAt(i), <u32>now + 1, 8);
  store<u32>(slotP + (<usize>now << 2), i);
  if (stampP != 0) store<u32>(stampP + (<usize>now << 2), tick); // stamps only matter for staleness
  const p = bitsP + (<usize>(now >>> 6) << 3);
  store<u64>(p, load<u64>(p) | (<u64>1 << <u64>(now & 63)));
  now++;
  if ((now & ((1 << BLOCK_SHIFT) - 1)) == 0) {
    fenAdd(committed, blockCount(committed));
    committed++;
  }
}

// ---- page table ----
/** Removes the page (present in the table). */
function removePage(key: u64, h: u32): void {
  const mask: u32 = (1 << tableBits) - 1;
  let j = homeOf(h);
  while (load<u64>(entryAt(j)) != key || load<u32>(entryAt(j), 8) == 0) j = (j + 1) & mask; // present: ends
  clearTime(<i32>load<u32>(entryAt(j), 8) - 1);
  removeSlot(j);
}

/**
 * Empties table slot j with backward-shift deletion, keeping probe chains intact; a moved entry's time
 * points at its new slot (whatever numbering its time is in, see compact()).
 */
function removeSlot(j: u32): void {
  const mask: u32 = (1 << tableBits) - 1;
  live--;
  let k = j;
  for (;;) { // bounded: the table is at most half full, so an empty slot comes
    k = (k + 1) & mask;
    const e = entryAt(k);
    const tp1 = load<u32>(e, 8);
    if (tp1 == 0) break;
    const home = homeOf(load<u32>(e, 12));
    if (((k - home) & mask) >= ((k - j) & mask)) {
      memory.copy(entryAt(j), e, ENTRY);
      store<u32>(slotP + (<usize>(tp1 - 1) << 2), j);
      j = k;
    }
  }
  store<u32>(entryAt(j), 0, 8);
}

/** Lowers the threshold until at most capPages pages are sampled (SHARDS fixed-size). */
function evictOverflow(): void {
  if (hllOn && !hllSeeded) { // every page seen so far is still in the set: the sketch starts from them
    const slots: u32 = 1 << tableBits;
    for (let j: u32 = 0; j < slots; j++) if (load<u32>(entryAt(j), 8) != 0) hllAdd(load<u32>(entryAt(j), 12));
    hllSeeded = true;
  }
  while (live > capPages && maxheapSize() > 0) { // each round removes >= 1 page
    threshold = maxheapTopValue();
    while (maxheapSize() > 0 && maxheapTopValue() >= threshold) {
      const h = maxheapTopHash();
      const key = maxheapTopKey();
      maxheapPop();
      removePage(key, h);
    }
  }
  if (threshold == 0) threshold = 1; // keep the rate positive (needs 2^24-way hash ties: never in practice)
  rate = <f64>threshold / SAMPLE_SPACE;
  invRate = SAMPLE_SPACE / <f64>threshold;
}

/**
 * Renumbers the live pages' times 0..live-1 (in order), into tables of 2^bits slots, dropping pages untouched
 * for STALE_HALF_LIVES half-lives when decay is on. Called when times run out or the table must grow.
 */
function rebuild(bits: i32): void {
  const oTable = tableP, oSlot = slotP, oStamp = stampP, oBits = bitsP, oFen = fenP;
  const oNow = now;
  const staleTicks: f64 = halfLife > 0 ? STALE_HALF_LIVES * halfLife * rate : 4294967296.0;
  allocTables(bits);
  const mask: u32 = (1 << tableBits) - 1;
  let k: i32 = 0;
  const words = (oNow + 63) >>> 6;
  for (let wi = 0; wi < words; wi++) {
    let word = load<u64>(oBits + (<usize>wi << 3));
    while (word != 0) { // one round per live page
      const t = (wi << 6) + <i32>ctz<u64>(word);
      word &= word - 1;
      const st = oStamp != 0 ? load<u32>(oStamp + (<usize>t << 2)) : 0;
      if (oStamp != 0 && <f64>(tick - st) > staleTicks) continue;
      const src = oTable + (<usize>load<u32>(oSlot + (<usize>t << 2)) << 4);
      const key = load<u64>(src);
      const h = load<u32>(src, 12);
      let j = homeOf(h);
      while (load<u32>(entryAt(j), 8) != 0) j = (j + 1) & mask;
      const e = entryAt(j);
      store<u64>(e, key);
      store<u32>(e, <u32>k + 1, 8);
      store<u32>(e, h, 12);
      store<u32>(slotP + (<usize>k << 2), j);
      if (stampP != 0) store<u32>(stampP + (<usize>k << 2), st);
      const bp = bitsP + (<usize>(k >>> 6) << 3);
      store<u64>(bp, load<u64>(bp) | (<u64>1 << <u64>(k & 63)));
      maxheapAppend(h, key);
      k++;
    }
  }
  heap.free(oTable); heap.free(oSlot); if (oStamp != 0) heap.free(oStamp); heap.free(oBits); heap.free(oFen);
  live = k; now = k;
  committed = k >>> BLOCK_SHIFT;
  buildFenwick();
  maxheapify();
}

/**
 * Renumbers the live pages' times 0..live-1 in place (same table), dropping pages untouched for
 * STALE_HALF_LIVES half-lives when decay is on: O(times / 64 + live), no allocation, so memory stays flat.
 * Times already renumbered (k) and times not yet read (t > k) never collide in the slot array.
 */
function compact(): void {
  const staleTicks: f64 = stampP != 0 ? STALE_HALF_LIVES * halfLife * rate : 4294967296.0;
  let k: i32 = 0;
  let dropped = false;
  const words = (now + 63) >>> 6;
  for (let wi = 0; wi < words; wi++) {
    let word = load<u64>(bitsP + (<usize>wi << 3));
    while (word != 0) { // one round per live page
      const t = (wi << 6) + <i32>ctz<u64>(word);
      word &= word - 1;
      const slot = load<u32>(slotP + (<usize>t << 2));
      if (stampP != 0) {
        const st = load<u32>(stampP + (<usize>t << 2));
        if (<f64>(tick - st) > staleTicks) { removeSlot(slot); dropped = true; continue; }
        store<u32>(stampP + (<usize>k << 2), st);
      }
      store<u32>(slotP + (<usize>k << 2), slot);
      store<u32>(entryAt(slot), <u32>k + 1, 8);
      k++;
    }
  }
  memory.fill(bitsP, 0, <usize>nWords << 3);
  memory.fill(bitsP, 0xff, <usize>(k >>> 6) << 3);
  if ((k & 63) != 0) store<u64>(bitsP + (<usize>(k >>> 6) << 3), (<u64>1 << <u64>(k & 63)) - 1);
  now = k;
  committed = k >>> BLOCK_SHIFT;
  buildFenwick();
  if (dropped) rebuildHeap();
}

/** The heap of all pages in the table, from scratch (after pages left other than through it). */
function rebuildHeap(): void {
  maxheapClear();
  const slots: u32 = 1 << tableBits;
  for (let j: u32 = 0; j < slots; j++) {
    const e = entryAt(j);
    if (load<u32>(e, 8) != 0) maxheapAppend(load<u32>(e, 12), load<u64>(e));
  }
  maxheapify();
}

/** Linear-time Fenwick build over the committed blocks. */
function buildFenwick(): void {
  memory.fill(fenP, 0, <usize>(nBlocks + 1) << 2);
  for (let j = 1; j <= nBlocks; j++) {
    const p = fenP + (<usize>j << 2);
    if (j - 1 < committed) store<i32>(p, load<i32>(p) + blockCount(j - 1));
    const parent = j + (j & -j);
    if (parent <= nBlocks) store<i32>(fenP + (<usize>parent << 2), load<i32>(fenP + (<usize>parent << 2)) + load<i32>(p));
  }
}

/** Records a reuse at sampled stack depth `depth` with weight w. */
// @ts-ignore: decorator
@inline function record(depth: i32, w: f64): void {
  histAdd((<f64>depth - 0.5) * invRate - 0.5, w); // unbiased scaled distance (exactly depth - 1 at rate 1)
}

/** One access to a page whose hash passed the sampling filter (re-checked: the threshold may have dropped). */
function touch(key: u64, h: u32): void {
  if ((h >>> SAMPLE_SHIFT) >= threshold) return;
  sampledAccesses += 1.0;
  tick++;
  if (now == timeCap) compact();
  const w = wScale * invRate; // one sampled access stands for 1 / rate accesses
  sampledW += w;
  const mask: u32 = (1 << tableBits) - 1;
  let i = homeOf(h);
  for (;;) { // bounded: the table is at most half full
    const e = entryAt(i);
    const tp1 = load<u32>(e, 8);
    if (tp1 == 0) break;
    if (load<u64>(e) == key) {
      const t0 = <i32>tp1 - 1;
      record(live - prefixIncl(t0) + 1, w);
      clearTime(t0);
      stampNow(i);
      return;
    }
    i = (i + 1) & mask;
  }
  // a page not in the sample set: a cold miss (weight stays out of the histogram)
  if (live + 1 > (1 << (tableBits - 1)) && tableBits < maxTableBits) {
    rebuild(tableBits + GROW_BITS < maxTableBits ? tableBits + GROW_BITS : maxTableBits);
    i = homeOf(h);
    const m2: u32 = (1 << tableBits) - 1;
    while (load<u32>(entryAt(i), 8) != 0) i = (i + 1) & m2;
  }
  const e = entryAt(i);
  store<u64>(e, key);
  store<u32>(e, h, 12);
  live++;
  maxheapPush(h, key);
  stampNow(i);
  if (live > capPages) evictOverflow();
}

function applyDecay(represented: f64): void {
  if (halfLife <= 0) return;
  wScale *= Math.exp(represented * (Math.LN2 / halfLife));
  if (wScale > RESCALE_AT) {
    const f = 1.0 / wScale;
    histScale(f);
    totalW *= f;
    sampledW *= f;
    wScale = 1.0;
  }
}

/**
 * Processes n pages from the input buffer (n <= inputCap), which stand for `represented` accesses (n, or
 * n / rate for presampled input, or what the sender counted) in two passes: the sampling filter (SIMD, four
 * hashes at a time, feeding the HyperLogLog sketch) collects the kept accesses; then each kept access is
 * applied while the table slots of the next PREFETCH_GROUP are loaded, so that cache misses overlap
 * (WASM has no prefetch instruction; a load whose value is kept does the same).
 */
export function mrcAdd(n: i32, represented: f64): void {
  totalW += represented * wScale;
  accesses += represented;
  for (let from = 0; from < n; from += BLOCK) { // blocks keep the input and the kept list in L1
    const to = from + BLOCK < n ? from + BLOCK : n;
    const sketched = hllOn && hllSeeded;
    const kept = filter(from, to, sketched);
    prefetchGroup(0, kept);
    for (let g = 0; g < kept; g += PREFETCH_GROUP) {
      prefetchGroup(g + PREFETCH_GROUP, kept); // the next group's slots load while this group is applied
      const end = g + PREFETCH_GROUP < kept ? g + PREFETCH_GROUP : kept;
      for (let j = g; j < end; j++) {
        const i = load<u32>(keptP + (<usize>j << 3));
        const h = load<u32>(keptP + (<usize>j << 3), 4);
        touch(load<u64>(inputP + (<usize>i << 3)), h);
        if (hllSeeded && !sketched) hllAdd(h); // seeded within this block (at rate 1 every access was kept)
      }
    }
  }
  applyDecay(represented);
  hllRotate(represented, halfLife, tick);
}

/**
 * Loads the table slots of kept accesses [from, from + PREFETCH_GROUP) back to back, so that their cache
 * misses are in flight together (a load whose value is kept stands in for a prefetch instruction).
 */
function prefetchGroup(from: i32, kept: i32): void {
  const end = from + PREFETCH_GROUP < kept ? from + PREFETCH_GROUP : kept;
  let sink: u32 = 0;
  for (let a = from; a < end; a++) sink += load<u32>(entryAt(homeOf(load<u32>(keptP + (<usize>a << 3), 4))), 8);
  prefetchSink += sink;
}

/** Writes (index, hash) of the accesses that pass the sampling filter to keptP; returns how many. */
function filter(from: i32, to: i32, sketched: bool): i32 {
  let k = 0;
  let i = from;
  const seed = i32x4.splat(<i32>HI_SEED);
  const tv = i32x4.splat(<i32>threshold);
  for (; i + 4 <= to; i += 4) {
    const p = inputP + (<usize>i << 3);
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const lo = v128.shuffle<i32>(a, b, 0, 2, 4, 6);
    const hi = v128.shuffle<i32>(a, b, 1, 3, 5, 7);
    const h = mix32x4(v128.xor(lo, mix32x4(v128.xor(hi, seed))));
    if (sketched) {
      hllAdd(<u32>i32x4.extract_lane(h, 0));
      hllAdd(<u32>i32x4.extract_lane(h, 1));
      hllAdd(<u32>i32x4.extract_lane(h, 2));
      hllAdd(<u32>i32x4.extract_lane(h, 3));
    }
    const keep = i32x4.bitmask(i32x4.lt_u(i32x4.shr_u(h, SAMPLE_SHIFT), tv));
    if (keep == 0) continue;
    if (keep & 1) { keepAt(k, i, <u32>i32x4.extract_lane(h, 0)); k++; }
    if (keep & 2) { keepAt(k, i + 1, <u32>i32x4.extract_lane(h, 1)); k++; }
    if (keep & 4) { keepAt(k, i + 2, <u32>i32x4.extract_lane(h, 2)); k++; }
    if (keep & 8) { keepAt(k, i + 3, <u32>i32x4.extract_lane(h, 3)); k++; }
  }
  for (; i < to; i++) {
    const h = pageHash(load<u64>(inputP + (<usize>i << 3)));
    if (sketched) hllAdd(h);
    if ((h >>> SAMPLE_SHIFT) < threshold) { keepAt(k, i, h); k++; }
  }
  return k;
}

// @ts-ignore: decorator
@inline function keepAt(k: i32, i: i32, h: u32): void {
  const q = keptP + (<usize>k << 3);
  store<u32>(q, <u32>i);
  store<u32>(q, h, 4);
}

/** HyperLogLog estimate of the distinct pages in the sketch's window (both windows with decay). */
export function mrcDistinctEstimate(): f64 { return hllEstimate(); }

/** Live sampled pages touched within the sketch's window. */
function recentSamplePages(): i32 {
  if (halfLife <= 0) return live;
  const span = tick - hllWindowStart();
  let k: i32 = 0;
  for (let t = 0; t < now; t++) {
    const word = load<u64>(bitsP + (<usize>(t >>> 6) << 3));
    if ((word >>> <u64>(t & 63)) & 1) { if (tick - load<u32>(stampP + (<usize>t << 2)) <= span) k++; }
  }
  return k;
}

/** Sampled pages over the pages expected at this rate: the correction applied to distances and weights. */
export function mrcKappa(): f64 {
  if (!hllOn || <f64>threshold >= SAMPLE_SPACE) return 1.0;
  const k = recentSamplePages();
  if (k < KAPPA_MIN_PAGES) return 1.0;
  const kappa = <f64>k / (rate * hllEstimate());
  return kappa < 0.5 ? 0.5 : kappa > 2.0 ? 2.0 : kappa;
}

let cursorKappa: f64 = 1.0;

function cursorStart(): void {
  histCursorStart();
  cursorKappa = mrcKappa();
}

/**
 * Miss ratio at a cache of c pages (c not below the previous query's): the sampled weight that does not hit
 * (reuse distance >= c, or cold) over all accesses' weight, which puts the SHARDS_adj correction at distance
 * 0. A distance measured on the sample is kappa times too long; inside a bin the hits are interpolated.
 */
function missAt(c: f64): f64 {
  if (c <= 0 || totalW <= 0) return 1.0;
  const m = (sampledW - histHitsBelow(c * cursorKappa)) / (cursorKappa * totalW);
  return m < 0 ? 0.0 : m > 1 ? 1.0 : m;
}

/**
 * Writes up to `points` (cachePages f64, missRatio f64) pairs to the output buffer at cache sizes
 * i * maxPages / (points - 1) rounded to whole histogram bins (so that at rate 1 every point is exact),
 * strictly increasing; returns how many.
 */
export function mrcCurve(points: i32, maxPages: f64): i32 {
  let n = 0;
  let last: f64 = -1.0;
  cursorStart();
  for (let i = 0; i < points && n < outCap; i++) {
    const w = histBinWidth();
    const c = Math.round(<f64>i * maxPages / <f64>(points - 1) / w) * w;
    if (c <= last) continue;
    last = c;
    store<f64>(outP + (<usize>n << 4), c);
    store<f64>(outP + (<usize>n << 4), missAt(c), 8);
    n++;
  }
  return n;
}

/** Replaces n ascending cache sizes (pages, f64) in the output buffer by the miss ratios there. */
export function mrcAt(n: i32): void {
  cursorStart();
  for (let i = 0; i < n && i < 2 * outCap; i++) {
    const p = outP + (<usize>i << 3);
    store<f64>(p, missAt(load<f64>(p)));
  }
}

/** Smallest cache (pages) beyond which the curve is flat: the largest reuse distance with weight. */
export function mrcSpanPages(): f64 {
  const kappa = mrcKappa();
  const span = histSpan(totalW * 1e-9);
  if (span > 0) return Math.ceil(span / kappa);
  const est = Math.ceil(<f64>live / (rate * kappa));
  return est < 1.0 ? 1.0 : est;
}

export function mrcOutPtr(): usize { return outP; }
export function mrcAccesses(): f64 { return accesses; }
export function mrcSampledAccesses(): f64 { return sampledAccesses; }
export function mrcRate(): f64 { return rate; }
export function mrcLivePages(): i32 { return live; }
export function mrcBinWidth(): f64 { return histBinWidth(); }
/** Not meaningful: read so that the prefetching loads cannot be optimized away. */
export function mrcPrefetchSink(): u32 { return prefetchSink; }
