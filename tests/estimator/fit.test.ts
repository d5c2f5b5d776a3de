// Fitting the `mrc` model to telemetry: synthetic records from known models with 5% multiplicative noise.
// Promises: parameters within 5%, throughput within 5% MAPE at unseen bundles, robust to settling samples,
// low confidence (never NaN, never a crash) with too little or uninformative data, clear errors for bad input.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../service/errors.ts';
import { fitModel, type FitSample } from '../../service/estimator/fit.ts';
import { throughputOf, type MrcModel } from '../../service/estimator/model.ts';
import { randomAllocations, syntheticTelemetry } from '../../service/estimator/synthetic.ts';
import { validateScenario } from '../../service/scenario/validate.ts';
import { KV_MODEL, MIXED_MODEL, SCAN_MODEL } from './helpers.ts';

const RANGE = { cacheMB: [0, 4096] as [number, number], bandwidthMbps: [1000, 20_000] as [number, number] };
const MODELS: [string, MrcModel][] = [['scan-like', SCAN_MODEL], ['KV-like', KV_MODEL], ['mixed', MIXED_MODEL]];
const SEEDS = [1, 2, 3, 4, 5];

function relErr(a: number, b: number): number {
  return Math.abs(a / b - 1);
}

function mape(fitted: MrcModel, truth: MrcModel, seed: number): number {
  const unseen = randomAllocations(300, RANGE, 10_000 + seed);
  return unseen.reduce((s, a) => s + relErr(throughputOf(fitted, a.cacheMB, a.bandwidthMbps), throughputOf(truth, a.cacheMB, a.bandwidthMbps)), 0) / unseen.length;
}

describe('fitModel on synthetic telemetry (5% multiplicative noise)', () => {
  for (const [name, truth] of MODELS) {
    for (const outliers of [undefined, { fraction: 0.1, factor: 0.4 }]) {
      const label = outliers ? 'with 10% settling samples at 40% throughput' : 'clean';
      it(`${name}, ${label}: localNs, remoteNs, pageBytes within 5%; MAPE <= 5% at unseen bundles`, () => {
        for (const seed of SEEDS) {
          const records = syntheticTelemetry(truth, randomAllocations(200, RANGE, seed), { seed: 100 + seed, outliers });
          const r = fitModel(records, truth.mrc);
          expect(relErr(r.model.localNs, truth.localNs), `localNs, seed ${seed}`).toBeLessThanOrEqual(0.05);
          expect(relErr(r.model.remoteNs, truth.remoteNs), `remoteNs, seed ${seed}`).toBeLessThanOrEqual(0.05);
          expect(relErr(r.model.pageBytes, truth.pageBytes), `pageBytes, seed ${seed}`).toBeLessThanOrEqual(0.05);
          expect(mape(r.model, truth, seed), `MAPE, seed ${seed}`).toBeLessThanOrEqual(0.05);
          expect(r.confidence).toBeGreaterThan(0.7);
          expect(r.residual).toBeLessThan(0.1);
          if (outliers) expect(r.outliers).toBeGreaterThanOrEqual(10); // ~20 injected, most of them rejected
        }
      });
    }
  }

  it('the fitted model is a valid scenario model that the market accepts unchanged', () => {
    const records = syntheticTelemetry(KV_MODEL, randomAllocations(60, RANGE, 1), { seed: 2 });
    const { model } = fitModel(records, KV_MODEL.mrc);
    const scenario = { capacity: { cacheMB: 4096, bandwidthMbps: 10_000 }, apps: [{ id: 'kv', model }, { id: 'other', model: SCAN_MODEL }] };
    const parsed = validateScenario(JSON.parse(JSON.stringify(scenario)), { strict: true });
    expect(parsed.scenario.apps[0].model).toEqual(model);
    expect(model.localNs).toBeGreaterThan(0);
    expect(model.remoteNs).toBeGreaterThanOrEqual(0);
    expect(model.pageBytes).toBeGreaterThan(0);
  });

  it('the WASM kernel and its TypeScript twin give the same fit', () => {
    for (const [, truth] of MODELS) {
      const records = syntheticTelemetry(truth, randomAllocations(120, RANGE, 7), { seed: 8, outliers: { fraction: 0.1, factor: 0.5 } });
      const w = fitModel(records, truth.mrc, { engine: 'wasm' });
      const t = fitModel(records, truth.mrc, { engine: 'ts' });
      expect(relErr(w.model.localNs, t.model.localNs)).toBeLessThan(1e-9);
      expect(relErr(w.model.remoteNs, t.model.remoteNs)).toBeLessThan(1e-9);
      expect(relErr(w.model.pageBytes, t.model.pageBytes)).toBeLessThan(1e-9);
      expect(Math.abs(w.confidence - t.confidence)).toBeLessThan(1e-9);
      expect(w.outliers).toBe(t.outliers);
    }
  });

  it('EWMA weighting: after a change, the recent samples win', () => {
    const old = syntheticTelemetry(SCAN_MODEL, randomAllocations(100, RANGE, 1), { seed: 1, startMs: 0 });
    const recent = syntheticTelemetry(KV_MODEL, randomAllocations(100, RANGE, 2), { seed: 2, startMs: 1_000_000 });
    const r = fitModel([...old, ...recent], KV_MODEL.mrc, { halfLifeMs: 30_000 });
    expect(relErr(r.model.remoteNs, KV_MODEL.remoteNs)).toBeLessThan(0.05);
    expect(relErr(r.model.localNs, KV_MODEL.localNs)).toBeLessThan(0.05);
  });
});

describe('fitModel with too little or uninformative data', () => {
  it('one, two or three samples: a valid model, finite numbers, low confidence', () => {
    const records = syntheticTelemetry(KV_MODEL, randomAllocations(3, RANGE, 1), { seed: 1 });
    for (const n of [1, 2, 3]) {
      const r = fitModel(records.slice(0, n), KV_MODEL.mrc);
      for (const v of [r.model.localNs, r.model.remoteNs, r.model.pageBytes, r.confidence, r.residual, r.predictionSigma]) {
        expect(Number.isFinite(v)).toBe(true);
      }
      expect(r.confidence).toBeLessThan(0.35);
      expect(r.samplesUsed).toBe(n);
    }
  });

  it('every sample bandwidth-bound: pageBytes is found, but latency is unknown and the confidence says so', () => {
    const narrow = { cacheMB: [0, 4096] as [number, number], bandwidthMbps: [50, 200] as [number, number] };
    const records = syntheticTelemetry(KV_MODEL, randomAllocations(200, narrow, 3).filter((a) => a.cacheMB < 2500), { seed: 4 });
    const r = fitModel(records, KV_MODEL.mrc);
    expect(r.bandwidthBoundSamples).toBeGreaterThan(0.9 * r.samplesUsed);
    expect(relErr(r.model.pageBytes, KV_MODEL.pageBytes)).toBeLessThan(0.05);
    expect(r.relativeSigma.remoteNs).toBeGreaterThan(0.5);
    expect(r.confidence).toBeLessThan(0.2);
    // still consistent with what it saw: the observed bundles are predicted well
    expect(r.residual).toBeLessThan(0.1);
  });

  it('all samples at one allocation: localNs and remoteNs cannot be told apart, so the confidence is low far from it', () => {
    const records = syntheticTelemetry(KV_MODEL, Array.from({ length: 50 }, () => ({ cacheMB: 500, bandwidthMbps: 20_000 })), { seed: 5 });
    const far = fitModel(records, KV_MODEL.mrc, { region: { cacheMB: RANGE.cacheMB, bandwidthMbps: RANGE.bandwidthMbps } });
    expect(far.confidence).toBeLessThan(0.3);
    expect(Number.isFinite(far.model.localNs) && Number.isFinite(far.model.remoteNs)).toBe(true);
    // near it (the default region: the recent samples' box, widened by 25%) what was seen is what will be seen
    const near = fitModel(records, KV_MODEL.mrc);
    expect(near.region.cacheMB[0]).toBeCloseTo(375, 6);
    expect(near.region.cacheMB[1]).toBeCloseTo(625, 6);
    expect(near.predictionSigma).toBeLessThan(far.predictionSigma);
    const truth = throughputOf(KV_MODEL, 600, 20_000);
    expect(relErr(throughputOf(near.model, 600, 20_000), truth)).toBeLessThan(0.05);
  });

  it('samples without throughput (an idle app) are ignored, not divided by', () => {
    const records: FitSample[] = syntheticTelemetry(KV_MODEL, randomAllocations(30, RANGE, 6), { seed: 6 });
    const idle = records.map((r) => ({ ...r, throughputOpsPerSec: 0, pageTrafficBytesPerSec: 0 }));
    const r = fitModel(idle, KV_MODEL.mrc);
    expect(r.samplesUsed).toBe(0);
    expect(r.confidence).toBe(0);
    expect(Number.isFinite(r.model.localNs)).toBe(true);
  });
});

describe('fitModel bad input', () => {
  const good = syntheticTelemetry(KV_MODEL, randomAllocations(5, RANGE, 1), { seed: 1 });
  const withField = (i: number, field: string, value: unknown): FitSample[] =>
    good.map((s, k) => (k === i ? { ...s, [field]: value } : s));
  const cases: [string, () => unknown, RegExp][] = [
    ['an empty sample list', () => fitModel([], KV_MODEL.mrc), /samples: is empty/],
    ['not an array', () => fitModel('x' as never, KV_MODEL.mrc), /samples: must be an array/],
    ['a NaN throughput', () => fitModel(withField(2, 'throughputOpsPerSec', Number.NaN), KV_MODEL.mrc), /samples\[2\].throughputOpsPerSec: must be a finite number, got NaN/],
    ['a negative cache size', () => fitModel(withField(1, 'cacheMB', -1), KV_MODEL.mrc), /samples\[1\].cacheMB: must be >= 0/],
    ['a miss ratio above 1', () => fitModel(withField(0, 'missRatio', 1.5), KV_MODEL.mrc), /samples\[0\].missRatio: must be <= 1/],
    ['a missing field', () => fitModel(withField(3, 'pageTrafficBytesPerSec', undefined), KV_MODEL.mrc), /samples\[3\].pageTrafficBytesPerSec: .*missing/],
    ['unsorted times', () => fitModel(withField(3, 'timeMs', 0), KV_MODEL.mrc), /samples\[3\].timeMs: 0 is earlier than samples\[2\].timeMs/],
    ['a curve with one point', () => fitModel(good, [[0, 1]]), /mrc: needs at least 2 points/],
    ['a rising curve', () => fitModel(good, [[0, 0.5], [10, 0.7]]), /mrc\[1\]\[1\]: .* non-increasing/],
    ['a curve with repeated cache sizes', () => fitModel(good, [[0, 1], [0, 0.5]]), /mrc\[1\]\[0\]: .* strictly increasing/],
    ['a negative half-life', () => fitModel(good, KV_MODEL.mrc, { halfLifeMs: -1 }), /halfLifeMs: must be >= 0/],
    ['an unknown engine', () => fitModel(good, KV_MODEL.mrc, { engine: 'gpu' as never }), /engine: must be 'wasm' or 'ts'/],
  ];
  for (const [what, call, message] of cases) {
    it(`rejects ${what} with an InputError naming the field`, () => {
      expect(call).toThrow(InputError);
      expect(call).toThrow(message);
    });
  }
});
