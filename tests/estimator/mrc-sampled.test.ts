// Sampled curves (SHARDS at 1%, and the fixed-size variant) against the exact curve of the same trace, on
// traces of 5M accesses over >= 100k distinct pages. The promise: MAE <= 0.01 at 1% sampling. MAE is taken
// over 1000 evenly spaced cache sizes from 0 to where the exact curve becomes flat.
import { afterEach, describe, expect, it } from 'vitest';
import { MrcBuilder } from '../../service/estimator/mrc.ts';
import { distinctPages, generateTrace, type TraceSpec } from '../../service/traces/generators.ts';
import { curveAt, curveMae } from './helpers.ts';

const ACCESSES = 5_000_000;
const POINTS = 1000;
const SEED = 1;

const FAMILIES: [string, TraceSpec][] = [
  ['Zipf 0.6 over 300k pages', { kind: 'zipf', pages: 300_000, skew: 0.6 }],
  ['Zipf 0.9 over 200k pages', { kind: 'zipf', pages: 200_000, skew: 0.9 }],
  ['Zipf 1.2 over 400k pages', { kind: 'zipf', pages: 400_000, skew: 1.2 }],
  ['sequential scan over 250k pages', { kind: 'scan', pages: 250_000 }],
  ['loop over 120k pages', { kind: 'loop', pages: 120_000 }],
  ['mix: Zipf 1.0 with a 1M-page scan', { kind: 'mix', parts: [
    { spec: { kind: 'zipf', pages: 150_000, skew: 1.0 }, weight: 4 },
    { spec: { kind: 'scan', pages: 1_000_000, base: 2 ** 40 }, weight: 1 }] }],
  ['phase changes: Zipf, then a loop, then uniform', { kind: 'phases', parts: [
    { spec: { kind: 'zipf', pages: 120_000, skew: 1.0 }, weight: 1 },
    { spec: { kind: 'loop', pages: 80_000, base: 1e9 }, weight: 1 },
    { spec: { kind: 'uniform', pages: 150_000, base: 2e9 }, weight: 1 }] }],
];

const builders: MrcBuilder[] = [];
afterEach(() => builders.splice(0).forEach((b) => b.dispose()));

function curves(spec: TraceSpec, opts: { sampleRate: number; maxSamplePages?: number }) {
  const trace = generateTrace(spec, ACCESSES, SEED);
  const exact = new MrcBuilder({ sampleRate: 1 }, 1 << 22);
  const sampled = new MrcBuilder(opts, 1 << 22);
  builders.push(exact, sampled);
  exact.addPages(trace);
  sampled.addPages(trace);
  const ref = exact.curve({ points: POINTS });
  const est = curveAt(sampled, ref);
  return { trace, exact, sampled, ref, est };
}

describe('sampled curves at 1% (SHARDS, rate-corrected)', () => {
  for (const [name, spec] of FAMILIES) {
    it(`${name}: MAE <= 0.01 against the exact curve`, () => {
      const { trace, exact, sampled, ref, est } = curves(spec, { sampleRate: 0.01 });
      expect(trace.length).toBeGreaterThanOrEqual(5_000_000);
      expect(distinctPages(trace)).toBeGreaterThanOrEqual(100_000);
      expect(exact.sampleRate).toBe(1); // the reference really is exact
      expect(sampled.sampledAccesses / sampled.accesses).toBeGreaterThan(0.005);
      expect(sampled.sampledAccesses / sampled.accesses).toBeLessThan(0.02);
      const mae = curveMae(ref, est);
      expect(mae).toBeLessThanOrEqual(0.01);
    });
  }

  // The hard case, measured rather than hidden: a loop holding a quarter of the traffic and a third of the
  // pages is sampled as a whole (about 1000 of its 100k pages, +-3%), and that error shifts every distance the
  // loop pages interleave. Over seeds 1..5 the MAE at 1% was 0.006..0.013; the fixed-size variant, which keeps
  // a larger sample, stays within the target.
  it('Zipf 0.9 interleaved with a 100k-page loop: MAE <= 0.015 at 1%, <= 0.01 with 8192 sample pages', () => {
    const spec: TraceSpec = { kind: 'mix', parts: [
      { spec: { kind: 'zipf', pages: 300_000, skew: 0.9 }, weight: 3 },
      { spec: { kind: 'loop', pages: 100_000, base: 2 ** 40 }, weight: 1 }] };
    const { trace, ref, est } = curves(spec, { sampleRate: 0.01 });
    expect(curveMae(ref, est)).toBeLessThanOrEqual(0.015);
    const fixed = new MrcBuilder({ sampleRate: 1, maxSamplePages: 8192 });
    builders.push(fixed);
    fixed.addPages(trace);
    expect(fixed.samplePages).toBeLessThanOrEqual(8192);
    expect(curveMae(ref, curveAt(fixed, ref))).toBeLessThanOrEqual(0.01);
  });
});

describe('fixed-size sampling (rate lowered as the sample set fills)', () => {
  it('keeps at most maxSamplePages pages, lowers the rate, and stays within MAE 0.01 (Zipf 0.9, 200k pages)', () => {
    const { sampled, ref, est } = curves(FAMILIES[1][1], { sampleRate: 1, maxSamplePages: 4096 });
    expect(sampled.samplePages).toBeLessThanOrEqual(4096);
    expect(sampled.samplePages).toBeGreaterThan(3000); // the set is kept nearly full
    expect(sampled.sampleRate).toBeLessThan(0.05);
    expect(sampled.sampleRate).toBeGreaterThan(0.01);
    expect(curveMae(ref, est)).toBeLessThanOrEqual(0.01);
  });

  it('starting from a 10% rate gives the same final rate as starting from 1 (the threshold only drops)', () => {
    const trace = generateTrace(FAMILIES[4][1], 1_000_000, SEED);
    const a = new MrcBuilder({ sampleRate: 1, maxSamplePages: 2000 });
    const b = new MrcBuilder({ sampleRate: 0.1, maxSamplePages: 2000 });
    builders.push(a, b);
    a.addPages(trace);
    b.addPages(trace);
    expect(a.sampleRate).toBe(b.sampleRate);
    expect(a.samplePages).toBe(b.samplePages);
    expect(a.sampleRate).toBeLessThan(0.1);
  });
});
