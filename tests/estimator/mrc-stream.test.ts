// The streaming builder as a node daemon uses it: batches in, curve out at any time, bounded WASM memory
// whatever is fed, decay that follows phase changes, presampled input, and clear errors for bad input.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../service/errors.ts';
import { isSampledPage } from '../../service/estimator/hash.ts';
import { MrcBuilder, mrcOfTrace } from '../../service/estimator/mrc.ts';
import { generateTrace } from '../../service/traces/generators.ts';
import { curveAt, curveMae } from './helpers.ts';

function feed(b: MrcBuilder, trace: BigUint64Array, batch: number): void {
  for (let i = 0; i < trace.length; i += batch) b.addPages(trace.subarray(i, i + batch));
}

describe('MrcBuilder streaming', () => {
  it('WASM memory does not grow across many batches once warm (fixed-size set, with decay, pages never seen before)', () => {
    const b = new MrcBuilder({ maxSamplePages: 4096, decay: { halfLifeAccesses: 200_000 } });
    const sizes: number[] = [];
    for (let k = 0; k < 600; k++) {
      b.addPages(generateTrace({ kind: 'uniform', pages: 50_000, base: k * 40_000 }, 10_000, k));
      if (k >= 100 && k % 50 === 0) sizes.push(b.memoryBytes);
      expect(b.samplePages).toBeLessThanOrEqual(4096);
    }
    expect(new Set(sizes).size).toBe(1);
    expect(sizes[0]).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(b.accesses).toBe(6_000_000);
    b.dispose();
  });

  it('WASM memory does not grow for an exact builder fed the same working set forever', () => {
    const b = new MrcBuilder({ sampleRate: 1 });
    const trace = generateTrace({ kind: 'zipf', pages: 30_000, skew: 0.9 }, 200_000, 4);
    feed(b, trace, 5000);
    const warm = b.memoryBytes;
    for (let round = 0; round < 30; round++) feed(b, trace, 5000); // 6M accesses, many compactions
    expect(b.memoryBytes).toBe(warm);
    expect(b.sampleRate).toBe(1);
  });

  it('batches give the same curve as one call, and the curve can be read at any time', () => {
    const trace = generateTrace({ kind: 'mix', parts: [
      { spec: { kind: 'zipf', pages: 20_000, skew: 1 }, weight: 2 }, { spec: { kind: 'loop', pages: 8000, base: 1e7 }, weight: 1 }] }, 400_000, 2);
    const whole = new MrcBuilder({ sampleRate: 0.1 });
    whole.addPages(trace);
    const parts = new MrcBuilder({ sampleRate: 0.1 });
    let early: [number, number][] = [];
    for (let i = 0; i < trace.length; i += 3333) {
      parts.addPages(Array.from(trace.subarray(i, i + 3333), Number)); // plain numbers work too
      if (i === 99_990) early = parts.curve({ points: 50 });
    }
    expect(early.length).toBeGreaterThan(2);
    expect(parts.curve({ points: 80 })).toEqual(whole.curve({ points: 80 }));
    expect(parts.accesses).toBe(trace.length);
    expect(parts.sampledAccesses).toBe(whole.sampledAccesses);
  });

  it('with decay, the curve follows a phase change; without it, the old phase stays mixed in', () => {
    const a = generateTrace({ kind: 'zipf', pages: 50_000, skew: 0.8 }, 3_000_000, 1);
    const bTrace = generateTrace({ kind: 'loop', pages: 20_000, base: 1e9 }, 3_000_000, 2);
    const ref = mrcOfTrace(bTrace, { points: 200, maxMB: 200 }).points;
    const decayed = new MrcBuilder({ decay: { halfLifeAccesses: 300_000 } });
    const kept = new MrcBuilder({});
    for (const x of [decayed, kept]) { feed(x, a, 10_000); feed(x, bTrace, 10_000); }
    const maeDecayed = curveMae(ref, curveAt(decayed, ref));
    const maeKept = curveMae(ref, curveAt(kept, ref));
    expect(maeDecayed).toBeLessThan(0.01);
    expect(maeKept).toBeGreaterThan(0.05);
    expect(decayed.samplePages).toBeLessThan(kept.samplePages); // pages of the old phase were dropped
  });

  it('presampled input (a daemon sampled with isSampledPage and counted its accesses) gives the full curve', () => {
    const trace = generateTrace({ kind: 'zipf', pages: 120_000, skew: 0.9 }, 2_000_000, 6);
    const exact = mrcOfTrace(trace, { points: 200 }).points;
    const all = Array.from(trace, Number);
    const counted = new MrcBuilder({ presampledRate: 0.05 });
    const uncounted = new MrcBuilder({ presampledRate: 0.05 });
    for (let i = 0; i < all.length; i += 100_000) { // batches as a daemon would send them
      const batch = all.slice(i, i + 100_000);
      const sampled = batch.filter((p) => isSampledPage(p, 0.05));
      counted.addPages(sampled, { accesses: batch.length });
      uncounted.addPages(sampled);
    }
    expect(counted.accesses).toBe(trace.length);
    expect(counted.sampledAccesses).toBe(uncounted.sampledAccesses); // the same hash keeps every presampled page
    expect(counted.sampleRate).toBeCloseTo(0.05, 6);
    const maeCounted = curveMae(exact, curveAt(counted, exact));
    expect(maeCounted).toBeLessThan(0.02);
    // without the true count there is no SHARDS_adj correction: worse on a skewed trace
    expect(curveMae(exact, curveAt(uncounted, exact))).toBeGreaterThan(maeCounted);
    expect(() => counted.addPages([1], { accesses: 0 })).toThrow(/accesses: must be >= 1/);
    expect(() => new MrcBuilder({}).addPages([1], { accesses: 10 })).toThrow(/only presampled input/);
  });

  it('reset forgets everything; dispose releases the instance', () => {
    const b = new MrcBuilder({});
    b.addPages([1, 2, 3, 1, 2, 3]);
    expect(b.curve({ points: 4 })[3][1]).toBeCloseTo(0.5, 12);
    b.reset();
    expect(b.accesses).toBe(0);
    expect(b.curve({ points: 3 }).every(([, m]) => m === 1)).toBe(true);
    b.addPages([7, 7]);
    expect(b.curve({ points: 2 })).toEqual([[0, 1], [1 / 256, 0.5]]);
    b.dispose();
    expect(() => b.addPages([1])).toThrow(/disposed/);
  });
});

describe('MrcBuilder bad input', () => {
  const bad: [string, unknown, RegExp][] = [
    ['a negative page', [1, -1], /pages\[1\]/],
    ['NaN', [0, 1, Number.NaN], /pages\[2\].*NaN/],
    ['a fraction', [1.5], /pages\[0\]/],
    ['a page above 2^53', [2 ** 53], /pages\[0\]/],
    ['a string', 'abc', /pages/],
    ['null', null, /pages/],
  ];
  for (const [what, pages, where] of bad) {
    it(`rejects ${what} with an InputError naming it, and keeps its state`, () => {
      const b = new MrcBuilder({});
      b.addPages([5, 6]);
      expect(() => b.addPages(pages as number[])).toThrow(InputError);
      expect(() => b.addPages(pages as number[])).toThrow(where);
      expect(b.accesses).toBe(2);
    });
  }

  const badOptions: [string, object, RegExp][] = [
    ['sampleRate 0', { sampleRate: 0 }, /sampleRate/],
    ['sampleRate 2', { sampleRate: 2 }, /sampleRate: must be <= 1/],
    ['sampleRate NaN', { sampleRate: Number.NaN }, /sampleRate.*NaN/],
    ['maxSamplePages 10', { maxSamplePages: 10 }, /maxSamplePages/],
    ['maxSamplePages 1.5', { maxSamplePages: 1000.5 }, /maxSamplePages: must be an integer/],
    ['pageBytes 100', { pageBytes: 100 }, /pageBytes/],
    ['a negative half-life', { decay: { halfLifeAccesses: -5 } }, /decay.halfLifeAccesses/],
    ['presampledRate above 1', { presampledRate: 1.5 }, /presampledRate/],
  ];
  for (const [what, opts, where] of badOptions) {
    it(`rejects options with ${what}`, () => {
      expect(() => new MrcBuilder(opts)).toThrow(InputError);
      expect(() => new MrcBuilder(opts)).toThrow(where);
    });
  }

  it('rejects bad curve requests', () => {
    const b = new MrcBuilder({});
    b.addPages([1, 2, 1]);
    expect(() => b.curve({ points: 1 })).toThrow(/points: must be >= 2/);
    expect(() => b.curve({ points: 5000 })).toThrow(/points: must be <= 4096/);
    expect(() => b.curve({ maxMB: 0 })).toThrow(/maxMB: must be > 0/);
    expect(() => b.curve({ maxMB: 0.001 })).toThrow(/less than one 4096-byte page/);
    expect(() => b.curve({ maxMB: Number.NaN })).toThrow(/maxMB.*NaN/);
  });

  it('rejects an empty one-shot trace', () => {
    expect(() => mrcOfTrace([])).toThrow(/empty/);
  });
});
