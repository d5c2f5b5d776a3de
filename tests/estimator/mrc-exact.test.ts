// Exact curves (rate 1) against plain LRU simulations: the promise is MAE <= 0.001; the engine is exact, so
// every point must match to rounding.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mrcOfTrace } from '../../service/estimator/mrc.ts';
import { generateTrace, type TraceSpec } from '../../service/traces/generators.ts';
import { curveMae, lruCacheSim, lruStackSim, pagesOf } from './helpers.ts';

const SMALL: [string, TraceSpec][] = [
  ['zipf 0.8', { kind: 'zipf', pages: 3000, skew: 0.8 }],
  ['zipf 1.3', { kind: 'zipf', pages: 5000, skew: 1.3 }],
  ['uniform', { kind: 'uniform', pages: 2000 }],
  ['scan', { kind: 'scan', pages: 2500 }],
  ['loop', { kind: 'loop', pages: 1800 }],
  ['mix with 64-bit page numbers', { kind: 'mix', parts: [
    { spec: { kind: 'zipf', pages: 2000, skew: 1.0, base: 2 ** 44 }, weight: 3 },
    { spec: { kind: 'scan', pages: 1500, base: 2 ** 52 }, weight: 1 }] }],
  ['phases', { kind: 'phases', parts: [
    { spec: { kind: 'loop', pages: 1200 }, weight: 1 },
    { spec: { kind: 'zipf', pages: 4000, skew: 0.9, base: 1e6 }, weight: 1 }] }],
];

describe('exact LRU curves (rate 1)', () => {
  for (const [name, spec] of SMALL) {
    it(`${name}: matches a plain LRU cache simulation at every point (MAE <= 0.001)`, () => {
      const trace = generateTrace(spec, 40_000, 11);
      const r = mrcOfTrace(trace, { sampleRate: 1, points: 60 });
      expect(r.accesses).toBe(trace.length);
      expect(r.sampledAccesses).toBe(trace.length);
      expect(r.sampleRate).toBe(1);
      const sim = lruCacheSim(trace, r.points.map(([mb]) => pagesOf(mb)));
      const simCurve = r.points.map(([mb], i) => [mb, sim[i]] as [number, number]);
      expect(curveMae(r.points, simCurve)).toBeLessThanOrEqual(0.001);
      r.points.forEach(([, m], i) => expect(m).toBeCloseTo(sim[i], 12));
    });
  }

  it('matches Mattson stack simulation at every cache size for random small traces (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 400 }),
      (pages) => {
        const distinct = new Set(pages).size;
        const r = mrcOfTrace(pages, { points: distinct + 1, maxMB: distinct / 256 });
        const ref = lruStackSim(pages, distinct);
        expect(r.points.length).toBe(distinct + 1);
        r.points.forEach(([mb, m]) => expect(m).toBeCloseTo(ref[pagesOf(mb)], 12));
      },
    ), { numRuns: 150, seed: 5 });
  });

  it('stays exact at scale: 1M accesses over 60k pages against an LRU cache simulation at 8 sizes', () => {
    const trace = generateTrace({ kind: 'mix', parts: [
      { spec: { kind: 'zipf', pages: 50_000, skew: 0.9 }, weight: 4 },
      { spec: { kind: 'loop', pages: 10_000, base: 2 ** 33 }, weight: 1 }] }, 1_000_000, 3);
    const r = mrcOfTrace(trace, { points: 8 });
    const sim = lruCacheSim(trace, r.points.map(([mb]) => pagesOf(mb)));
    r.points.forEach(([, m], i) => expect(m).toBeCloseTo(sim[i], 12));
    expect(r.points[r.points.length - 1][1]).toBeLessThan(r.points[1][1]); // the curve does fall
  });

  it('gives a valid curve: starts at (0, 1), cacheMB strictly increasing, missRatio non-increasing in [0, 1]', () => {
    const r = mrcOfTrace(generateTrace({ kind: 'zipf', pages: 500, skew: 1 }, 20_000, 1), { points: 300 });
    expect(r.points[0]).toEqual([0, 1]);
    for (let i = 1; i < r.points.length; i++) {
      expect(r.points[i][0]).toBeGreaterThan(r.points[i - 1][0]);
      expect(r.points[i][1]).toBeLessThanOrEqual(r.points[i - 1][1]);
      expect(r.points[i][1]).toBeGreaterThanOrEqual(0);
    }
    // 500 distinct pages: at most 501 distinct whole-page sizes, so 300 points fit, and the last one is where it is flat
    expect(r.points[r.points.length - 1][1]).toBeCloseTo(500 / 20_000, 12);
  });
});
