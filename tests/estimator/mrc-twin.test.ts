// Differential test: the WASM engine and its TypeScript twin (the benchmark's baseline) implement the same
// algorithm, so fed the same batches they must give the same curve, bit for bit, in every mode.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MrcBuilder, resolveMrcOptions, type MrcBuilderOptions } from '../../service/estimator/mrc.ts';
import { MrcTwin } from '../../service/estimator/mrc-twin.ts';
import { generateTrace, type TraceSpec } from '../../service/traces/generators.ts';
import { mibFromPages } from '../../service/units.ts';

const TRACE: TraceSpec = { kind: 'phases', parts: [
  { spec: { kind: 'zipf', pages: 40_000, skew: 0.9 }, weight: 2 },
  { spec: { kind: 'loop', pages: 25_000, base: 2 ** 45 }, weight: 1 },
  { spec: { kind: 'mix', parts: [
    { spec: { kind: 'uniform', pages: 30_000, base: 7e9 }, weight: 1 },
    { spec: { kind: 'scan', pages: 90_000, base: 9e9 }, weight: 1 }] }, weight: 1 }] };

function both(opts: MrcBuilderOptions, trace: BigUint64Array, batches: number[]): { wasm: MrcBuilder; twin: MrcTwin } {
  const wasm = new MrcBuilder(opts);
  const twin = new MrcTwin(resolveMrcOptions(opts));
  const words = new Uint32Array(trace.buffer, trace.byteOffset, trace.length * 2);
  let at = 0;
  for (let k = 0; at < trace.length; k++) {
    const n = Math.min(batches[k % batches.length], trace.length - at);
    wasm.addPages(trace.subarray(at, at + n));
    twin.addWords(words, at, n);
    at += n;
  }
  return { wasm, twin };
}

/** Bit for bit, except with decay: exp() of AssemblyScript's and V8's libraries may differ in the last bit. */
function expectSameCurve(wasm: MrcBuilder, twin: MrcTwin, points: number, bitExact = true): void {
  const span = twin.spanPages();
  const w = wasm.curve({ points });
  const t = twin.curve(points, span);
  expect(w.length).toBe(t.length / 2);
  w.forEach(([mb, m], i) => {
    expect(mb).toBe(mibFromPages(t[2 * i]));
    if (bitExact) expect(m).toBe(t[2 * i + 1]);
    else expect(Math.abs(m - t[2 * i + 1])).toBeLessThan(1e-12);
  });
  expect(wasm.sampleRate).toBe(twin.sampleRate);
  expect(wasm.samplePages).toBe(twin.livePages);
  expect(wasm.sampledAccesses).toBe(twin.sampledAccesses);
  expect(wasm.accesses).toBe(twin.accesses);
}

const MODES: [string, MrcBuilderOptions][] = [
  ['exact', { sampleRate: 1, maxSamplePages: 1 << 20 }],
  ['1% sampling', { sampleRate: 0.01 }],
  ['fixed-size from rate 1', { sampleRate: 1, maxSamplePages: 3000 }],
  ['fixed-size from 20% with decay', { sampleRate: 0.2, maxSamplePages: 2500, decay: { halfLifeAccesses: 150_000 } }],
  ['presampled input', { presampledRate: 0.25, maxSamplePages: 4096 }],
];

describe('WASM engine and TypeScript twin agree', () => {
  const trace = generateTrace(TRACE, 1_200_000, 9);
  for (const [name, opts] of MODES) {
    it(`${name}: identical curves, rates and counters`, () => {
      const { wasm, twin } = both(opts, trace, [16384, 777, 40_000, 1]);
      expectSameCurve(wasm, twin, 257, !opts.decay);
      wasm.dispose();
    });
  }

  it('agree on random traces, options and batch sizes (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 4000 }),
      fc.constantFrom(1, 0.5, 0.1),
      fc.constantFrom(64, 100, 1 << 16),
      fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 5 }),
      (pages, rate, cap, batches) => {
        const trace = BigUint64Array.from(pages, (p) => BigInt(p) * 4097n);
        const { wasm, twin } = both({ sampleRate: rate, maxSamplePages: cap }, trace, batches);
        expectSameCurve(wasm, twin, 50);
        wasm.dispose();
      },
    ), { numRuns: 60, seed: 17 });
  });
});
