// Seeded page-access trace generators: Zipf of any skew, uniform, sequential scans, loops, mixes and phase
// changes. A trace is a BigUint64Array of page numbers (the `spirit mrc` file format in memory). The same
// (spec, length, seed) always gives the same trace, on every machine, so tests and benchmarks share them.
import { endianness } from 'node:os';
import { InputError, assert } from '../errors.ts';
import { Rng } from './rng.ts';
import { MAX_GENERATED_ACCESSES, MAX_GENERATOR_PAGES, MAX_TRACE_PARTS } from './limits.ts';

export type TraceSpec =
  /** page of rank k (1-based) drawn with probability proportional to 1 / k^skew; ranks shuffled over ids */
  | { kind: 'zipf'; pages: number; skew: number; base?: number }
  /** every page equally likely */
  | { kind: 'uniform'; pages: number; base?: number }
  /** base, base+1, ..., base+pages-1, then again from base (a sequential scan that wraps) */
  | { kind: 'scan'; pages: number; base?: number }
  /** the same seeded random order of `pages` pages, repeated (a loop over a shuffled working set) */
  | { kind: 'loop'; pages: number; base?: number }
  /** each access comes from one part chosen with probability weight / sum(weights) */
  | { kind: 'mix'; parts: { spec: TraceSpec; weight: number }[] }
  /** the parts one after another, each getting weight / sum(weights) of the accesses */
  | { kind: 'phases'; parts: { spec: TraceSpec; weight: number }[] };

/** One stream of page numbers (as exact doubles, < 2^53). */
interface PageStream {
  next(): number;
}

const TWO32 = 4294967296;

function checkPages(where: string, pages: unknown, base: unknown): void {
  if (typeof pages !== 'number' || !Number.isInteger(pages) || pages < 1 || pages > MAX_GENERATOR_PAGES) {
    throw new InputError(`${where}.pages`, `must be an integer in [1, ${MAX_GENERATOR_PAGES}], got ${String(pages)}`);
  }
  if (base !== undefined && (typeof base !== 'number' || !Number.isInteger(base) || base < 0 || base + pages > Number.MAX_SAFE_INTEGER)) {
    throw new InputError(`${where}.base`, `must be a non-negative integer with base + pages <= 2^53 - 1, got ${String(base)}`);
  }
}

/** A seeded permutation of [0, n) (Fisher-Yates). */
function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function zipfStream(pages: number, skew: number, base: number, rng: Rng): PageStream {
  const cdf = new Float64Array(pages);
  let acc = 0;
  for (let k = 0; k < pages; k++) {
    acc += 1 / Math.pow(k + 1, skew);
    cdf[k] = acc;
  }
  const perm = permutation(pages, rng);
  return {
    next(): number {
      const u = rng.next() * acc;
      let lo = 0;
      let hi = pages - 1;
      while (lo < hi) { // first rank whose cumulative weight exceeds u (bounded: log2(pages) steps)
        const mid = (lo + hi) >>> 1;
        if (cdf[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      return base + perm[lo];
    },
  };
}

function partsOf(where: string, parts: unknown): { spec: TraceSpec; weight: number }[] {
  if (!Array.isArray(parts) || parts.length === 0 || parts.length > MAX_TRACE_PARTS) {
    throw new InputError(`${where}.parts`, `must be a non-empty array of at most ${MAX_TRACE_PARTS} parts`);
  }
  parts.forEach((p: { weight?: unknown }, i) => {
    if (typeof p?.weight !== 'number' || !Number.isFinite(p.weight) || p.weight <= 0) {
      throw new InputError(`${where}.parts[${i}].weight`, `must be a positive finite number, got ${String(p?.weight)}`);
    }
  });
  return parts as { spec: TraceSpec; weight: number }[];
}

function streamOf(spec: TraceSpec, rng: Rng, where: string): PageStream {
  switch (spec?.kind) {
    case 'zipf': {
      checkPages(where, spec.pages, spec.base);
      if (typeof spec.skew !== 'number' || !Number.isFinite(spec.skew) || spec.skew < 0 || spec.skew > 10) {
        throw new InputError(`${where}.skew`, `must be a number in [0, 10], got ${String(spec.skew)}`);
      }
      return zipfStream(spec.pages, spec.skew, spec.base ?? 0, rng);
    }
    case 'uniform': {
      checkPages(where, spec.pages, spec.base);
      const base = spec.base ?? 0;
      return { next: () => base + rng.int(spec.pages) };
    }
    case 'scan': {
      checkPages(where, spec.pages, spec.base);
      const base = spec.base ?? 0;
      let i = 0;
      return { next: () => { const p = base + i; i = i + 1 === spec.pages ? 0 : i + 1; return p; } };
    }
    case 'loop': {
      checkPages(where, spec.pages, spec.base);
      const base = spec.base ?? 0;
      const perm = permutation(spec.pages, rng);
      let i = 0;
      return { next: () => { const p = base + perm[i]; i = i + 1 === spec.pages ? 0 : i + 1; return p; } };
    }
    case 'mix': {
      const parts = partsOf(where, spec.parts);
      const streams = parts.map((p, i) => streamOf(p.spec, rng, `${where}.parts[${i}].spec`));
      const total = parts.reduce((s, p) => s + p.weight, 0);
      const cum = parts.map((_, i) => parts.slice(0, i + 1).reduce((s, p) => s + p.weight, 0) / total);
      return {
        next(): number {
          const u = rng.next();
          let k = 0;
          while (k < cum.length - 1 && u >= cum[k]) k++;
          return streams[k].next();
        },
      };
    }
    default:
      throw new InputError(`${where}.kind`, `unknown trace kind '${String((spec as { kind?: unknown })?.kind)}'; expected zipf, uniform, scan, loop, mix or phases`);
  }
}

function fill(out: Uint32Array, from: number, to: number, stream: PageStream): void {
  for (let i = from; i < to; i++) {
    const p = stream.next();
    const hi = Math.floor(p / TWO32);
    out[2 * i] = p - hi * TWO32;
    out[2 * i + 1] = hi;
  }
}

/** `length` accesses of `spec`, reproducible from `seed`. */
export function generateTrace(spec: TraceSpec, length: number, seed: number): BigUint64Array {
  assert(endianness() === 'LE', 'traces are little-endian u64; this machine is big-endian');
  if (!Number.isInteger(length) || length < 1 || length > MAX_GENERATED_ACCESSES) {
    throw new InputError('trace.length', `must be an integer in [1, ${MAX_GENERATED_ACCESSES}], got ${String(length)}`);
  }
  if (!Number.isInteger(seed)) throw new InputError('trace.seed', `must be an integer, got ${String(seed)}`);
  const trace = new BigUint64Array(length);
  const words = new Uint32Array(trace.buffer);
  const rng = new Rng(seed);
  if (spec?.kind === 'phases') {
    const parts = partsOf('trace.spec', spec.parts);
    const total = parts.reduce((s, p) => s + p.weight, 0);
    let at = 0;
    let cum = 0;
    parts.forEach((p, i) => {
      cum += p.weight;
      const end = i === parts.length - 1 ? length : Math.round((cum / total) * length);
      fill(words, at, end, streamOf(p.spec, rng, `trace.spec.parts[${i}].spec`));
      at = end;
    });
  } else {
    fill(words, 0, length, streamOf(spec, rng, 'trace.spec'));
  }
  return trace;
}

/** Number of distinct pages in a trace (for tests and benchmark reports). */
export function distinctPages(trace: BigUint64Array): number {
  const words = new Uint32Array(trace.buffer, trace.byteOffset, trace.length * 2);
  const seen = new Set<number>();
  for (let i = 0; i < trace.length; i++) seen.add(words[2 * i + 1] * TWO32 + words[2 * i]);
  return seen.size;
}
