// Miss-ratio curves, streaming and one-shot: a thin typed facade over the WASM engine
// (assembly/estimator/mrc.ts). The facade validates input, owns the staging buffer inside WASM memory and
// converts pages <-> MiB (through service/units.ts); the engine does the work.
import { InputError, assert } from '../errors.ts';
import { PAGE_BYTES_DEFAULT, mibFromPages, pagesFromMiB } from '../units.ts';
import { thresholdOf } from './hash.ts';
import {
  DEFAULT_CURVE_POINTS, DEFAULT_MAX_SAMPLE_PAGES, INPUT_CHUNK_PAGES, MAX_CURVE_POINTS, MAX_PAGE_BYTES,
  MAX_SAMPLE_PAGES, MIN_PAGE_BYTES, MIN_SAMPLE_PAGES, MIN_SAMPLE_RATE, ONE_SHOT_MAX_SAMPLE_PAGES,
} from './limits.ts';
import { checkNumber, describe, optNumber } from './validate.ts';
import { newEstimatorInstance, ptr, type EstimatorExports } from './wasm.ts';
import type { MrcEngineConfig } from './mrc-twin.ts';

/** [cacheMB, missRatio] */
export type MrcPoint = [number, number];

export interface MrcBuilderOptions {
  /** spatial sampling rate in (0, 1]; 1 = exact LRU (while the pages fit maxSamplePages). Default 1. */
  sampleRate?: number;
  /** most sampled pages kept; beyond it the rate drops (fixed-size SHARDS). Default 65536. */
  maxSamplePages?: number;
  /** bytes per page, for MiB <-> pages. Default 4096. */
  pageBytes?: number;
  /** age old behaviour out: the weight of an access halves every halfLifeAccesses accesses. Default none. */
  decay?: { halfLifeAccesses: number } | null;
  /**
   * The input was already sampled at this rate with isSampledPage (service/estimator/hash.ts), e.g. by a node
   * daemon: each input page stands for 1 / presampledRate accesses, and the builder samples at
   * min(sampleRate, presampledRate) with the same hash.
   */
  presampledRate?: number;
}

export interface CurveOptions {
  /** how many points, evenly spaced in cache size from 0 (at most; duplicates after rounding to whole pages are dropped). Default 100. */
  points?: number;
  /** largest cache size of the curve; default: where the curve becomes flat (the largest reuse distance seen). */
  maxMB?: number;
}

/** Smallest half-life accepted: decay is applied once per batch of <= INPUT_CHUNK_PAGES pages. */
export const MIN_HALF_LIFE_ACCESSES = 1000;

export interface ResolvedMrcOptions extends MrcEngineConfig {
  pageBytes: number;
}

/** Validates builder options and turns them into the engine's configuration (shared with the TS twin). */
export function resolveMrcOptions(opts: MrcBuilderOptions = {}, defaultCap = DEFAULT_MAX_SAMPLE_PAGES): ResolvedMrcOptions {
  if (opts === null || typeof opts !== 'object') throw new InputError('options', `must be an object, got ${describe(opts)}`);
  const rateRule = { min: MIN_SAMPLE_RATE, max: 1 };
  const presampled = optNumber('presampledRate', opts.presampledRate, 1, rateRule);
  const sampleRate = optNumber('sampleRate', opts.sampleRate, presampled, rateRule);
  const cap = optNumber('maxSamplePages', opts.maxSamplePages, defaultCap, { integer: true, min: MIN_SAMPLE_PAGES, max: MAX_SAMPLE_PAGES });
  const pageBytes = optNumber('pageBytes', opts.pageBytes, PAGE_BYTES_DEFAULT, { integer: true, min: MIN_PAGE_BYTES, max: MAX_PAGE_BYTES });
  let halfLife = 0;
  if (opts.decay !== undefined && opts.decay !== null) {
    if (typeof opts.decay !== 'object') throw new InputError('decay', `must be { halfLifeAccesses } or null, got ${describe(opts.decay)}`);
    halfLife = checkNumber('decay.halfLifeAccesses', opts.decay.halfLifeAccesses, { min: MIN_HALF_LIFE_ACCESSES, max: 1e18 });
  }
  return {
    capPages: cap,
    threshold: thresholdOf(Math.min(sampleRate, presampled)),
    inputWeight: 1 / presampled,
    halfLifeAccesses: halfLife,
    pageBytes,
  };
}

/** Validates a batch of page numbers given as plain numbers (BigUint64Array needs no check). */
function checkPageNumbers(pages: ArrayLike<number>): void {
  for (let i = 0; i < pages.length; i++) {
    const v = pages[i];
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v))) {
      throw new InputError(`pages[${i}]`, `must be a non-negative integer page number (below 2^53; use a BigUint64Array for larger), got ${describe(v)}`);
    }
  }
}

/** Streaming miss-ratio curve of one app: feed page batches as they arrive, ask for the curve any time. */
export class MrcBuilder {
  readonly pageBytes: number;
  readonly options: ResolvedMrcOptions;
  private wasm: EstimatorExports | null;
  private readonly inPtr: number;
  private readonly outPtr: number;
  private buffer: ArrayBufferLike | null = null;
  private in64: BigUint64Array = new BigUint64Array(0);
  private in32: Uint32Array = new Uint32Array(0);

  constructor(opts: MrcBuilderOptions = {}, defaultCap = DEFAULT_MAX_SAMPLE_PAGES) {
    this.options = resolveMrcOptions(opts, defaultCap);
    this.pageBytes = this.options.pageBytes;
    const o = this.options;
    this.wasm = newEstimatorInstance();
    this.inPtr = ptr(this.wasm.mrcInit(o.capPages, o.threshold, o.inputWeight, o.halfLifeAccesses, INPUT_CHUNK_PAGES, MAX_CURVE_POINTS));
    this.outPtr = ptr(this.wasm.mrcOutPtr());
  }

  private engine(): EstimatorExports {
    if (!this.wasm) throw new Error('this MrcBuilder was disposed');
    return this.wasm;
  }

  /** Views of the staging buffer, re-created after the WASM memory grew (growth detaches the old buffer). */
  private views(w: EstimatorExports): void {
    const buffer = w.memory.buffer;
    if (this.buffer === buffer) return;
    this.buffer = buffer;
    this.in64 = new BigUint64Array(buffer, this.inPtr, INPUT_CHUNK_PAGES);
    this.in32 = new Uint32Array(buffer, this.inPtr, 2 * INPUT_CHUNK_PAGES);
  }

  /**
   * Feeds a batch of page numbers (accesses in order). Plain numbers must be integers in [0, 2^53).
   * For presampled input, `accesses` is how many accesses the batch stands for if the sender counted them
   * (then the curve is normalized by the true count, as SHARDS_adj needs); default pages / presampledRate.
   */
  addPages(pages: ArrayLike<number> | BigUint64Array, opts: { accesses?: number } = {}): void {
    const w = this.engine();
    const total = this.represented(pages, opts.accesses);
    if (pages instanceof BigUint64Array) {
      for (let at = 0; at < pages.length; at += INPUT_CHUNK_PAGES) {
        const n = Math.min(INPUT_CHUNK_PAGES, pages.length - at);
        this.views(w);
        this.in64.set(pages.subarray(at, at + n));
        w.mrcAdd(n, total * (n / pages.length));
      }
      return;
    }
    checkPageNumbers(pages); // all first, so a bad batch leaves the state untouched
    for (let at = 0; at < pages.length; at += INPUT_CHUNK_PAGES) {
      const n = Math.min(INPUT_CHUNK_PAGES, pages.length - at);
      this.views(w);
      const words = this.in32;
      for (let i = 0; i < n; i++) {
        const v = pages[at + i];
        const lo = v >>> 0; // ToUint32 is v mod 2^32 for integers
        words[2 * i] = lo;
        words[2 * i + 1] = (v - lo) / 4294967296;
      }
      w.mrcAdd(n, total * (n / pages.length));
    }
  }

  /** Accesses a batch stands for (validated). */
  private represented(pages: ArrayLike<number> | BigUint64Array, accesses: number | undefined): number {
    if (pages === null || typeof pages !== 'object' || typeof pages.length !== 'number') {
      throw new InputError('pages', `must be an array of page numbers or a BigUint64Array, got ${describe(pages)}`);
    }
    if (accesses === undefined) return pages.length * this.options.inputWeight;
    if (this.options.inputWeight === 1) throw new InputError('accesses', 'only presampled input (presampledRate < 1) stands for more accesses than its pages');
    return checkNumber('accesses', accesses, { min: pages.length });
  }

  /** Miss ratios at the given cache sizes (MiB, any order), interpolated inside histogram bins. */
  missRatiosAt(cacheMB: number[]): number[] {
    const w = this.engine();
    if (!Array.isArray(cacheMB) || cacheMB.length > 2 * MAX_CURVE_POINTS) {
      throw new InputError('cacheMB', `must be an array of at most ${2 * MAX_CURVE_POINTS} cache sizes`);
    }
    const pages = cacheMB.map((mb, i) => pagesFromMiB(checkNumber(`cacheMB[${i}]`, mb, { min: 0 }), this.pageBytes));
    const order = pages.map((_, i) => i).sort((a, b) => pages[a] - pages[b]);
    const buf = new Float64Array(w.memory.buffer, this.outPtr, pages.length);
    order.forEach((idx, k) => { buf[k] = pages[idx]; });
    w.mrcAt(pages.length);
    const res = new Float64Array(w.memory.buffer, this.outPtr, pages.length);
    const out = new Array<number>(pages.length);
    order.forEach((idx, k) => { out[idx] = res[k]; });
    return out;
  }

  /** The current curve: [cacheMB, missRatio] points, cacheMB strictly increasing from 0, missRatio non-increasing. */
  curve(opts: CurveOptions = {}): MrcPoint[] {
    const w = this.engine();
    const points = optNumber('points', opts.points, DEFAULT_CURVE_POINTS, { integer: true, min: 2, max: MAX_CURVE_POINTS });
    let maxPages = w.mrcSpanPages();
    if (opts.maxMB !== undefined) {
      const maxMB = checkNumber('maxMB', opts.maxMB, { min: 0, above: true });
      maxPages = Math.floor(pagesFromMiB(maxMB, this.pageBytes));
      if (maxPages < 1) throw new InputError('maxMB', `${maxMB} MiB is less than one ${this.pageBytes}-byte page`);
    }
    const n = w.mrcCurve(points, maxPages);
    const out = new Float64Array(w.memory.buffer, this.outPtr, 2 * n);
    const curve: MrcPoint[] = [];
    for (let i = 0; i < n; i++) curve.push([mibFromPages(out[2 * i], this.pageBytes), out[2 * i + 1]]);
    assert(curve.length >= 2 && curve[0][0] === 0 && curve[0][1] === 1, 'a curve starts at (0, 1) and has >= 2 points');
    return curve;
  }

  /** Accesses seen (for presampled input: the accesses the pages stand for). */
  get accesses(): number { return this.engine().mrcAccesses(); }
  /** Accesses that passed the sampling filter. */
  get sampledAccesses(): number { return this.engine().mrcSampledAccesses(); }
  /** The sampling rate now (it drops when the sample set is full). */
  get sampleRate(): number { return this.engine().mrcRate(); }
  /** Distinct pages in the sample set now. */
  get samplePages(): number { return this.engine().mrcLivePages(); }
  /** Bytes of WASM memory this builder holds (bounded by maxSamplePages). */
  get memoryBytes(): number { return this.engine().memory.buffer.byteLength; }

  /** Forgets everything fed so far (keeps options and memory). */
  reset(): void { this.engine().mrcReset(); }

  /** Releases the WASM instance; the builder cannot be used afterwards. */
  dispose(): void {
    this.wasm = null;
    this.buffer = null;
    this.in64 = new BigUint64Array(0);
    this.in32 = new Uint32Array(0);
  }
}

export interface TraceCurve {
  points: MrcPoint[];
  accesses: number;
  sampledAccesses: number;
  /** the final sampling rate (lower than asked if the sampled pages outgrew maxSamplePages) */
  sampleRate: number;
  pageBytes: number;
}

/** The curve of a whole trace given in chunks (e.g. read from a file). Exact up to 2^22 distinct pages by default. */
export function mrcOfChunks(chunks: Iterable<BigUint64Array | ArrayLike<number>>, opts: MrcBuilderOptions & CurveOptions = {}): TraceCurve {
  const b = new MrcBuilder(opts, ONE_SHOT_MAX_SAMPLE_PAGES);
  try {
    for (const c of chunks) b.addPages(c);
    if (b.accesses === 0) throw new InputError('pages', 'the trace is empty (no accesses)');
    return { points: b.curve(opts), accesses: b.accesses, sampledAccesses: b.sampledAccesses, sampleRate: b.sampleRate, pageBytes: b.pageBytes };
  } finally {
    b.dispose();
  }
}

/** The curve of a whole trace in memory: `spirit mrc` in a function. */
export function mrcOfTrace(pages: ArrayLike<number> | BigUint64Array, opts: MrcBuilderOptions & CurveOptions = {}): TraceCurve {
  return mrcOfChunks([pages], opts);
}
