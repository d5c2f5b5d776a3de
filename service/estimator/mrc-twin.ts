// The plain TypeScript twin of the WASM MRC engine (assembly/estimator/mrc.ts): the same algorithm (SHARDS
// sampling, page table, Fenwick tree over the time bitset, fixed-size eviction, decay), written the way one
// would write it in TypeScript with typed arrays. It is the benchmark's baseline and the differential-test
// oracle: fed the same batches, it gives the same curve. Read the WASM file for the algorithm's comments.
import { assert } from '../errors.ts';
import { HLL_SEED, SAMPLE_SHIFT, SAMPLE_SPACE, SLOT_MUL, mix32, pageHashWords } from './hash.ts';
import { INPUT_CHUNK_PAGES } from './limits.ts';

export const NBINS = 1 << 15;
const MIN_TABLE_BITS = 10;
const TIME_PER_SLOT = 2;
const GROW_BITS = 2;
const RESCALE_AT = 18446744073709551616;
const STALE_HALF_LIVES = 8;
const HLL_BITS = 18;
const HLL_M = 1 << HLL_BITS;
const KAPPA_MIN_PAGES = 32;

export interface MrcEngineConfig {
  /** most sampled pages kept (fixed-size SHARDS) */
  capPages: number;
  /** initial sampling threshold, 1..2^24 */
  threshold: number;
  /** accesses one input page stands for (1 / rate of presampled input) */
  inputWeight: number;
  /** decay half-life in accesses; 0 = none */
  halfLifeAccesses: number;
}

function popcnt32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export class MrcTwin {
  private readonly cap: number;
  private readonly maxTableBits: number;
  private readonly initialThreshold: number;
  private readonly inputWeight: number;
  private readonly halfLife: number;
  private tableBits = 0;
  private timeCap = 0;
  private slots = 0;
  private nWords = 0;
  private table = new Uint32Array(0); // [lo, hi, time + 1 (0 = empty), hash] per slot
  private slot = new Uint32Array(0);
  private stamp = new Uint32Array(0);
  private bits = new Uint32Array(0);
  private fen = new Int32Array(0);
  private heapH = new Uint32Array(0);
  private heapLo = new Uint32Array(0);
  private heapHi = new Uint32Array(0);
  private readonly hist = new Float64Array(NBINS);
  private live = 0;
  private now = 0;
  private committed = 0;
  private heapN = 0;
  private binWidth = 1;
  private threshold = 0;
  private rate = 1;
  private invRate = 1;
  private invBinWidth = 1;
  private readonly hllOn: boolean;
  private hllSeeded = false;
  private hllCur = new Uint8Array(HLL_M);
  private hllPrev = new Uint8Array(HLL_M);
  private hllWindowAccesses = 0;
  private winStartCur = 0;
  private winStartPrev = 0;
  private wScale = 1;
  private totalW = 0;
  private sampledW = 0;
  private tick = 0;
  accesses = 0;
  sampledAccesses = 0;

  constructor(cfg: MrcEngineConfig) {
    this.cap = cfg.capPages;
    let bits = MIN_TABLE_BITS;
    while (2 ** (bits - 1) <= cfg.capPages) bits++;
    this.maxTableBits = bits;
    this.initialThreshold = cfg.threshold;
    this.inputWeight = cfg.inputWeight;
    this.halfLife = cfg.halfLifeAccesses;
    this.hllOn = cfg.inputWeight === 1;
    this.allocTables(MIN_TABLE_BITS);
    this.reset();
  }

  get sampleRate(): number { return this.rate; }
  get livePages(): number { return this.live; }

  private allocTables(bits: number): void {
    this.tableBits = bits;
    this.slots = 2 ** bits;
    this.timeCap = TIME_PER_SLOT * this.slots;
    this.nWords = this.timeCap >>> 5;
    this.table = new Uint32Array(this.slots * 4);
    this.slot = new Uint32Array(this.timeCap);
    this.stamp = new Uint32Array(this.timeCap);
    this.bits = new Uint32Array(this.nWords);
    this.fen = new Int32Array(this.nWords + 1);
    this.heapH = new Uint32Array(this.slots >>> 1);
    this.heapLo = new Uint32Array(this.slots >>> 1);
    this.heapHi = new Uint32Array(this.slots >>> 1);
  }

  reset(): void {
    this.table.fill(0);
    this.bits.fill(0);
    this.fen.fill(0);
    this.hist.fill(0);
    this.live = this.now = this.committed = this.heapN = this.tick = 0;
    this.binWidth = 1;
    this.invBinWidth = 1;
    this.threshold = this.initialThreshold;
    this.rate = this.threshold / SAMPLE_SPACE;
    this.invRate = SAMPLE_SPACE / this.threshold;
    this.wScale = 1;
    this.totalW = this.sampledW = this.accesses = this.sampledAccesses = 0;
    this.hllCur.fill(0);
    this.hllPrev.fill(0);
    this.hllWindowAccesses = this.winStartCur = this.winStartPrev = 0;
    this.hllSeeded = this.threshold < SAMPLE_SPACE;
  }

  private home(h: number): number {
    return Math.imul(h, SLOT_MUL) >>> (32 - this.tableBits);
  }

  private fenAdd(word: number, delta: number): void {
    for (let j = word + 1; j <= this.nWords; j += j & -j) this.fen[j] += delta;
  }

  private prefixIncl(t: number): number {
    const wi = t >>> 5;
    let s = 0;
    for (let j = wi; j > 0; j &= j - 1) s += this.fen[j];
    return s + popcnt32(this.bits[wi] & (0xffffffff >>> (31 - (t & 31))));
  }

  private clearTime(t: number): void {
    const wi = t >>> 5;
    this.bits[wi] &= ~(1 << (t & 31));
    if (wi < this.committed) this.fenAdd(wi, -1);
  }

  private stampNow(i: number): void {
    const now = this.now;
    this.table[4 * i + 2] = now + 1;
    this.slot[now] = i;
    if (this.halfLife > 0) this.stamp[now] = this.tick;
    this.bits[now >>> 5] |= 1 << (now & 31);
    this.now = now + 1;
    if ((this.now & 31) === 0) {
      this.fenAdd(this.committed, popcnt32(this.bits[this.committed]));
      this.committed++;
    }
  }

  private hv(i: number): number { return this.heapH[i] >>> SAMPLE_SHIFT; }

  private heapSet(i: number, h: number, lo: number, hi: number): void {
    this.heapH[i] = h;
    this.heapLo[i] = lo;
    this.heapHi[i] = hi;
  }

  private siftUp(i: number): void {
    const h = this.heapH[i], lo = this.heapLo[i], hi = this.heapHi[i];
    const v = h >>> SAMPLE_SHIFT;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.hv(parent) >= v) break;
      this.heapSet(i, this.heapH[parent], this.heapLo[parent], this.heapHi[parent]);
      i = parent;
    }
    this.heapSet(i, h, lo, hi);
  }

  private siftDown(i: number): void {
    const h = this.heapH[i], lo = this.heapLo[i], hi = this.heapHi[i];
    const v = h >>> SAMPLE_SHIFT;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.heapN) break;
      if (c + 1 < this.heapN && this.hv(c + 1) > this.hv(c)) c++;
      if (this.hv(c) <= v) break;
      this.heapSet(i, this.heapH[c], this.heapLo[c], this.heapHi[c]);
      i = c;
    }
    this.heapSet(i, h, lo, hi);
  }

  private removePage(lo: number, hi: number, h: number): void {
    const t = this.table;
    const mask = this.slots - 1;
    let j = this.home(h);
    while (t[4 * j + 2] === 0 || t[4 * j] !== lo || t[4 * j + 1] !== hi) j = (j + 1) & mask;
    this.clearTime(t[4 * j + 2] - 1);
    this.removeSlot(j);
  }

  private removeSlot(j: number): void {
    const t = this.table;
    const mask = this.slots - 1;
    this.live--;
    let k = j;
    for (;;) {
      k = (k + 1) & mask;
      const tp1 = t[4 * k + 2];
      if (tp1 === 0) break;
      const home = this.home(t[4 * k + 3]);
      if (((k - home) & mask) >= ((k - j) & mask)) {
        t.copyWithin(4 * j, 4 * k, 4 * k + 4);
        this.slot[tp1 - 1] = j;
        j = k;
      }
    }
    t[4 * j + 2] = 0;
  }

  private hllAdd(h: number): void {
    const g = mix32((h ^ HLL_SEED) >>> 0);
    const rank = Math.clz32((g << HLL_BITS) | (1 << (HLL_BITS - 1))) + 1;
    const r = g >>> (32 - HLL_BITS);
    if (rank > this.hllCur[r]) this.hllCur[r] = rank;
  }

  private evictOverflow(): void {
    if (this.hllOn && !this.hllSeeded) {
      for (let j = 0; j < this.slots; j++) if (this.table[4 * j + 2] !== 0) this.hllAdd(this.table[4 * j + 3]);
      this.hllSeeded = true;
    }
    while (this.live > this.cap && this.heapN > 0) {
      this.threshold = this.hv(0);
      while (this.heapN > 0 && this.hv(0) >= this.threshold) {
        const h = this.heapH[0], lo = this.heapLo[0], hi = this.heapHi[0];
        this.heapN--;
        if (this.heapN > 0) {
          this.heapSet(0, this.heapH[this.heapN], this.heapLo[this.heapN], this.heapHi[this.heapN]);
          this.siftDown(0);
        }
        this.removePage(lo, hi, h);
      }
    }
    if (this.threshold === 0) this.threshold = 1;
    this.rate = this.threshold / SAMPLE_SPACE;
    this.invRate = SAMPLE_SPACE / this.threshold;
  }

  private rebuild(bits: number): void {
    const oTable = this.table, oSlot = this.slot, oStamp = this.stamp, oBits = this.bits;
    const oNow = this.now;
    const staleTicks = this.halfLife > 0 ? STALE_HALF_LIVES * this.halfLife * this.rate : 4294967296;
    this.allocTables(bits);
    const mask = this.slots - 1;
    const t = this.table;
    let k = 0;
    const words = (oNow + 31) >>> 5;
    for (let wi = 0; wi < words; wi++) {
      let word = oBits[wi];
      while (word !== 0) {
        const b = 31 - Math.clz32(word & -word);
        word &= word - 1;
        const tm = wi * 32 + b;
        const st = oStamp[tm];
        if (((this.tick - st) >>> 0) > staleTicks) continue;
        const src = 4 * oSlot[tm];
        const h = oTable[src + 3];
        let j = this.home(h);
        while (t[4 * j + 2] !== 0) j = (j + 1) & mask;
        t[4 * j] = oTable[src];
        t[4 * j + 1] = oTable[src + 1];
        t[4 * j + 2] = k + 1;
        t[4 * j + 3] = h;
        this.slot[k] = j;
        this.stamp[k] = st;
        this.bits[k >>> 5] |= 1 << (k & 31);
        this.heapSet(k, h, oTable[src], oTable[src + 1]);
        k++;
      }
    }
    this.live = this.now = this.heapN = k;
    this.committed = k >>> 5;
    this.buildFenwick();
    for (let i = (this.heapN >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private compact(): void {
    const stamps = this.halfLife > 0;
    const staleTicks = stamps ? STALE_HALF_LIVES * this.halfLife * this.rate : 4294967296;
    let k = 0;
    let dropped = false;
    const words = (this.now + 31) >>> 5;
    for (let wi = 0; wi < words; wi++) {
      let word = this.bits[wi];
      while (word !== 0) {
        const t = wi * 32 + (31 - Math.clz32(word & -word));
        word &= word - 1;
        const slot = this.slot[t];
        if (stamps) {
          const st = this.stamp[t];
          if (((this.tick - st) >>> 0) > staleTicks) { this.removeSlot(slot); dropped = true; continue; }
          this.stamp[k] = st;
        }
        this.slot[k] = slot;
        this.table[4 * slot + 2] = k + 1;
        k++;
      }
    }
    this.bits.fill(0);
    this.bits.fill(0xffffffff, 0, k >>> 5);
    if ((k & 31) !== 0) this.bits[k >>> 5] = (2 ** (k & 31) - 1) >>> 0;
    this.now = k;
    this.committed = k >>> 5;
    this.buildFenwick();
    if (dropped) this.rebuildHeap();
  }

  private rebuildHeap(): void {
    this.heapN = 0;
    for (let j = 0; j < this.slots; j++) {
      if (this.table[4 * j + 2] !== 0) {
        this.heapSet(this.heapN, this.table[4 * j + 3], this.table[4 * j], this.table[4 * j + 1]);
        this.heapN++;
      }
    }
    for (let i = (this.heapN >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private buildFenwick(): void {
    this.fen.fill(0);
    for (let j = 1; j <= this.nWords; j++) {
      if (j - 1 < this.committed) this.fen[j] += popcnt32(this.bits[j - 1]);
      const parent = j + (j & -j);
      if (parent <= this.nWords) this.fen[parent] += this.fen[j];
    }
  }

  private record(depth: number, w: number): void {
    const x = (depth - 0.5) * this.invRate - 0.5;
    let k = Math.floor(x * this.invBinWidth);
    while (k >= NBINS) {
      const half = NBINS >> 1;
      for (let b = 0; b < half; b++) this.hist[b] = this.hist[2 * b] + this.hist[2 * b + 1];
      this.hist.fill(0, half);
      this.binWidth *= 2;
      this.invBinWidth *= 0.5;
      k = Math.floor(x * this.invBinWidth);
    }
    this.hist[k] += w;
  }

  private touch(lo: number, hi: number, h: number): void {
    if (h >>> SAMPLE_SHIFT >= this.threshold) return;
    this.sampledAccesses += 1;
    this.tick = (this.tick + 1) >>> 0;
    if (this.now === this.timeCap) this.compact();
    const w = this.wScale * this.invRate;
    this.sampledW += w;
    let t = this.table;
    let mask = this.slots - 1;
    let i = this.home(h);
    for (;;) {
      const tp1 = t[4 * i + 2];
      if (tp1 === 0) break;
      if (t[4 * i] === lo && t[4 * i + 1] === hi) {
        const t0 = tp1 - 1;
        this.record(this.live - this.prefixIncl(t0) + 1, w);
        this.clearTime(t0);
        this.stampNow(i);
        return;
      }
      i = (i + 1) & mask;
    }
    if (this.live + 1 > this.slots >>> 1 && this.tableBits < this.maxTableBits) {
      this.rebuild(Math.min(this.tableBits + GROW_BITS, this.maxTableBits));
      t = this.table;
      mask = this.slots - 1;
      i = this.home(h);
      while (t[4 * i + 2] !== 0) i = (i + 1) & mask;
    }
    t[4 * i] = lo;
    t[4 * i + 1] = hi;
    t[4 * i + 3] = h;
    this.live++;
    this.heapSet(this.heapN, h, lo, hi);
    this.heapN++;
    this.siftUp(this.heapN - 1);
    this.stampNow(i);
    if (this.live > this.cap) this.evictOverflow();
  }

  /**
   * Pages words[2 * (from + i)] + 2^32 * words[2 * (from + i) + 1], i < n, in chunks like the WASM facade;
   * `represented` accesses in all (default n / presampled rate), spread over the chunks as the facade does.
   */
  addWords(words: Uint32Array, from: number, n: number, represented = n * this.inputWeight): void {
    for (let at = 0; at < n; at += INPUT_CHUNK_PAGES) {
      const m = Math.min(INPUT_CHUNK_PAGES, n - at);
      this.addChunk(words, from + at, m, represented * (m / n));
    }
  }

  private addChunk(words: Uint32Array, from: number, n: number, represented: number): void {
    assert(n <= INPUT_CHUNK_PAGES, 'chunk fits the staging buffer');
    this.totalW += represented * this.wScale;
    this.accesses += represented;
    const sketched = this.hllOn && this.hllSeeded;
    for (let i = from; i < from + n; i++) {
      const lo = words[2 * i], hi = words[2 * i + 1];
      const h = pageHashWords(lo, hi);
      if (sketched) this.hllAdd(h);
      if (h >>> SAMPLE_SHIFT < this.threshold) this.touch(lo, hi, h);
      if (this.hllSeeded && !sketched) this.hllAdd(h); // seeded within this batch

    }
    if (this.halfLife > 0) {
      this.wScale *= Math.exp(represented * (Math.LN2 / this.halfLife));
      if (this.wScale > RESCALE_AT) {
        const f = 1 / this.wScale;
        for (let k = 0; k < NBINS; k++) this.hist[k] *= f;
        this.totalW *= f;
        this.sampledW *= f;
        this.wScale = 1;
      }
      this.hllWindowAccesses += represented;
      if (this.hllWindowAccesses >= this.halfLife) {
        const t = this.hllPrev;
        this.hllPrev = this.hllCur;
        this.hllCur = t;
        this.hllCur.fill(0);
        this.hllWindowAccesses = 0;
        this.winStartPrev = this.winStartCur;
        this.winStartCur = this.tick;
      }
    }
  }

  distinctEstimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < HLL_M; j++) {
      const a = this.hllCur[j], b = this.hllPrev[j];
      const r = a > b ? a : b;
      if (r === 0) zeros++;
      sum += 1 / 2 ** r;
    }
    const m = HLL_M;
    let e = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
    return e;
  }

  private recentSamplePages(): number {
    if (this.halfLife <= 0) return this.live;
    const span = (this.tick - this.winStartPrev) >>> 0;
    let k = 0;
    for (let t = 0; t < this.now; t++) {
      if ((this.bits[t >>> 5] >>> (t & 31)) & 1 && ((this.tick - this.stamp[t]) >>> 0) <= span) k++;
    }
    return k;
  }

  kappa(): number {
    if (!this.hllOn || this.threshold >= SAMPLE_SPACE) return 1;
    const k = this.recentSamplePages();
    if (k < KAPPA_MIN_PAGES) return 1;
    const kappa = k / (this.rate * this.distinctEstimate());
    return kappa < 0.5 ? 0.5 : kappa > 2 ? 2 : kappa;
  }

  private missCursor(): (c: number) => number {
    let k = 0;
    let cum = 0;
    const kappa = this.kappa();
    return (c: number): number => {
      if (c <= 0 || this.totalW <= 0) return 1;
      const x = c * kappa;
      const kf = Math.floor(x / this.binWidth);
      const kEnd = kf < NBINS ? kf : NBINS;
      while (k < kEnd) cum += this.hist[k++];
      let hits = cum;
      if (kEnd < NBINS) hits += (x / this.binWidth - kf) * this.hist[kEnd];
      const m = (this.sampledW - hits) / (kappa * this.totalW);
      return m < 0 ? 0 : m > 1 ? 1 : m;
    };
  }

  /** (cachePages, missRatio) pairs, as the WASM mrcCurve. */
  curve(points: number, maxPages: number): Float64Array {
    const out: number[] = [];
    let last = -1;
    const missAt = this.missCursor();
    for (let i = 0; i < points; i++) {
      const c = Math.round((i * maxPages) / (points - 1) / this.binWidth) * this.binWidth;
      if (c <= last) continue;
      last = c;
      out.push(c, missAt(c));
    }
    return Float64Array.from(out);
  }

  /** Miss ratios at ascending cache sizes (pages), as the WASM mrcAt. */
  missRatiosAt(pagesAscending: number[]): number[] {
    const missAt = this.missCursor();
    return pagesAscending.map(missAt);
  }

  spanPages(): number {
    const floorW = this.totalW * 1e-9;
    const kappa = this.kappa();
    for (let k = NBINS - 1; k >= 0; k--) if (this.hist[k] > floorW) return Math.ceil(((k + 1) * this.binWidth) / kappa);
    const est = Math.ceil(this.live / (this.rate * kappa));
    return est < 1 ? 1 : est;
  }
}
