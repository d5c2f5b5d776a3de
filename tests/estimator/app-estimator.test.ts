// The per-app estimator as the control loop drives it: records in, endEpoch() per round, current() out.
// Promises: a switch from scan-like to KV-like behaviour is flagged within two epochs and the refit uses only
// recent samples; a steady app raises no drift; too little data keeps the app at its equal share; bad
// records are rejected with the field named, leaving the state untouched.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../service/errors.ts';
import { AppEstimator, type DriftEvent } from '../../service/estimator/app-estimator.ts';
import { isSampledPage } from '../../service/estimator/hash.ts';
import { missRatioAt, type MrcModel } from '../../service/estimator/model.ts';
import { randomAllocations, syntheticTelemetry } from '../../service/estimator/synthetic.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';
import { generateTrace } from '../../service/traces/generators.ts';
import { KV_MODEL, SCAN_MODEL } from './helpers.ts';

const RANGE = { cacheMB: [0, 4096] as [number, number], bandwidthMbps: [1000, 20_000] as [number, number] };
const PER_EPOCH = 10;
const PERIOD_MS = 1000;

/** Runs epochs of synthetic telemetry; model(e) is the app's true model in epoch e. */
function run(est: AppEstimator, epochs: number, model: (e: number) => MrcModel, seed: number, from = 0): (DriftEvent | null)[] {
  const events: (DriftEvent | null)[] = [];
  for (let e = from; e < from + epochs; e++) {
    const records = syntheticTelemetry(model(e), randomAllocations(PER_EPOCH, RANGE, seed * 1000 + e), {
      seed: seed * 7919 + e, app: est.appId, startMs: 1_700_000_000_000 + e * PER_EPOCH * PERIOD_MS, periodMs: PERIOD_MS,
    });
    records.forEach((r) => est.ingest(r));
    events.push(est.endEpoch());
  }
  return events;
}

describe('AppEstimator drift', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`detects a switch from scan-like to KV-like within two epochs and refits from recent samples (seed ${seed})`, () => {
      const est = new AppEstimator('app-1');
      const before = run(est, 12, () => SCAN_MODEL, seed);
      expect(before.every((e) => e === null)).toBe(true);
      const after = run(est, 6, () => KV_MODEL, seed, 12);
      const first = after.findIndex((e) => e !== null);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThanOrEqual(1); // flagged at the end of the first or second epoch after the switch
      const event = after[first]!;
      expect(event.app).toBe('app-1');
      expect(event.error).toBeGreaterThan(event.threshold);
      expect(event.previousError).toBeGreaterThan(event.threshold);
      expect(event.samplesKept).toBeLessThanOrEqual(2 * PER_EPOCH);
      expect(after.filter((e) => e !== null).length).toBe(1); // once refit, it stays quiet
      const now = est.current();
      expect(now.enoughData).toBe(true);
      expect(Math.abs(now.model!.remoteNs / KV_MODEL.remoteNs - 1)).toBeLessThan(0.1);
      expect(Math.abs(now.model!.localNs / KV_MODEL.localNs - 1)).toBeLessThan(0.1);
      expect(now.lastEpochError!).toBeLessThan(0.2);
    });
  }

  it('raises no drift for a steady app over 40 epochs, even with settling outliers', () => {
    for (const seed of [1, 2, 3]) {
      const est = new AppEstimator('steady');
      const events: (DriftEvent | null)[] = [];
      for (let e = 0; e < 40; e++) {
        const recs = syntheticTelemetry(KV_MODEL, randomAllocations(PER_EPOCH, RANGE, seed * 100 + e), {
          seed: seed * 31 + e, app: 'steady', startMs: e * PER_EPOCH * PERIOD_MS, outliers: { fraction: 0.1, factor: 0.4 },
        });
        recs.forEach((r) => est.ingest(r));
        events.push(est.endEpoch());
      }
      expect(events.filter((e) => e !== null)).toEqual([]);
      expect(est.current().enoughData).toBe(true);
      expect(est.current().samples).toBeLessThanOrEqual(512);
    }
  });
});

describe('AppEstimator data sufficiency and curve sources', () => {
  it('before enough data: no model or low confidence, enoughData false; then true', () => {
    const est = new AppEstimator('a');
    expect(est.current()).toMatchObject({ model: null, confidence: 0, enoughData: false, mrcSource: 'none' });
    expect(est.endEpoch()).toBeNull(); // an empty epoch is fine
    const recs = syntheticTelemetry(KV_MODEL, randomAllocations(40, RANGE, 1), { seed: 1, app: 'a' });
    est.ingest(recs[0]);
    est.ingest(recs[1]);
    est.endEpoch();
    const early = est.current();
    expect(early.enoughData).toBe(false);
    expect(early.confidence).toBeLessThan(0.5);
    expect(Number.isFinite(early.confidence) && Number.isFinite(early.residual)).toBe(true);
    recs.slice(2).forEach((r) => est.ingest(r));
    est.endEpoch();
    expect(est.current().enoughData).toBe(true);
    expect(est.current().mrcSource).toBe('measured');
  });

  it('uses the curve a daemon sends (record.mrc) as is', () => {
    const est = new AppEstimator('a');
    const recs = syntheticTelemetry(KV_MODEL, randomAllocations(30, RANGE, 2), { seed: 2, app: 'a' });
    recs.forEach((r) => est.ingest({ ...r, mrc: KV_MODEL.mrc }));
    est.endEpoch();
    const c = est.current();
    expect(c.mrcSource).toBe('telemetry');
    expect(c.model!.mrc).toEqual(KV_MODEL.mrc);
    expect(c.enoughData).toBe(true);
  });

  it('reads its model through the split a record states (record.partitions): split periods predicted right, kept out of the measured curve', () => {
    // a scan with a cliff at 1000 MiB, split at the hull point halfway: the period misses 0.5, the curve at 500 MiB 1
    const model: MrcModel = { ...SCAN_MODEL, mrc: [[0, 1], [999, 1], [1000, 0.001], [4096, 0.001]] };
    const half = [{ accessShare: 0.5, cacheMB: 0 }, { accessShare: 0.5, cacheMB: 500 }];
    const allocations = Array.from({ length: 20 }, (_, i) => (i % 2 ? { cacheMB: 500, bandwidthMbps: 4000, partitions: half } : { cacheMB: 300 + 40 * i, bandwidthMbps: 4000 }));
    const recs = syntheticTelemetry(model, allocations, { seed: 5, app: 'a' });
    expect(recs[1].partitions).toEqual(half);
    expect(recs[1].missRatio).toBeGreaterThan(0.4);
    expect(recs[1].missRatio).toBeLessThan(0.6);
    const est = new AppEstimator('a');
    recs.forEach((r) => est.ingest({ ...r, mrc: model.mrc }));
    est.endEpoch();
    recs.forEach((r, i) => est.ingest({ ...r, timeMs: r.timeMs + 100_000 + i, mrc: model.mrc }));
    est.endEpoch();
    // read at 500 MiB unsplit, the split periods would be off by a factor ~2 (ln 2 = 0.69)
    expect(est.current().lastEpochError!).toBeLessThan(0.15);
    // without the daemon's curve, the measured curve is taken from the unsplit periods only: still 1 below the cliff
    const measured = new AppEstimator('b');
    recs.forEach((r) => measured.ingest({ ...r, app: 'b' }));
    measured.endEpoch();
    expect(measured.current().mrcSource).toBe('measured');
    expect(missRatioAt(measured.current().model!.mrc, 500)).toBeGreaterThan(0.9);
    // a bad split is refused, naming the field, and leaves the estimator as it was
    const samples = measured.current().samples;
    const bad = { ...recs[0], app: 'b', timeMs: recs[19].timeMs + 1 };
    expect(() => measured.ingest({ ...bad, partitions: [{ accessShare: 0.5, cacheMB: 1 }, { accessShare: 0.6, cacheMB: 1 }] })).toThrow(/record\.partitions: accessShare must sum to 1/);
    expect(() => measured.ingest({ ...bad, partitions: [{ accessShare: 1, cacheMB: Number.NaN }] })).toThrow(/record\.partitions\[0\]\.cacheMB/);
    expect(() => measured.ingest({ ...bad, partitions: [] })).toThrow(/record\.partitions/);
    measured.endEpoch();
    expect(measured.current().samples).toBe(samples);
  });

  it('builds the curve from sampled pages a daemon sends (record.sampledPages at record.sampleRate)', () => {
    const est = new AppEstimator('a');
    const model: MrcModel = { ...KV_MODEL, mrc: [[0, 1], [300, 1], [400, 0.01], [4096, 0.01]] };
    const trace = Array.from(generateTrace({ kind: 'loop', pages: 90_000 }, 3_000_000, 3), Number); // ~352 MiB loop
    const recs = syntheticTelemetry(model, randomAllocations(30, RANGE, 3), { seed: 3, app: 'a' });
    recs.forEach((r, i) => { // 100k accesses per 1 s record: the estimator counts them from the throughput
      const pages = trace.slice(i * 100_000, (i + 1) * 100_000).filter((p) => isSampledPage(p, 0.02));
      est.ingest({ ...r, throughputOpsPerSec: 100_000, sampledPages: pages, sampleRate: 0.02 } as TelemetryRecord);
    });
    est.endEpoch();
    const c = est.current();
    expect(c.mrcSource).toBe('sampled-pages');
    const curve = c.model!.mrc;
    expect(missRatioAt(curve, 300)).toBeGreaterThan(0.95); // the loop does not fit in 300 MiB
    expect(missRatioAt(curve, 400)).toBeLessThan(0.1); // and fits in 400 MiB
    est.dispose();
  });
});

describe('AppEstimator bad records', () => {
  const good = syntheticTelemetry(KV_MODEL, randomAllocations(2, RANGE, 1), { seed: 1, app: 'a', startMs: 5000 });
  const cases: [string, Partial<TelemetryRecord> & Record<string, unknown>, RegExp][] = [
    ['another app', { app: 'b' }, /record.app: is 'b', but this is the estimator of 'a'/],
    ['a NaN throughput', { throughputOpsPerSec: Number.NaN }, /record.throughputOpsPerSec: must be a finite number, got NaN/],
    ['a negative bandwidth', { bandwidthMbps: -5 }, /record.bandwidthMbps: must be >= 0/],
    ['a miss ratio of 2', { missRatio: 2 }, /record.missRatio: must be <= 1/],
    ['a record older than the last', { timeMs: 1000 }, /record.timeMs: 1000 is earlier than the previous record's/],
    ['a rising curve', { mrc: [[0, 0.2], [5, 0.4]] }, /record.mrc\[1\]\[1\]/],
    ['a negative sampled page', { sampledPages: [1, -2] }, /record.sampledPages\[1\]/],
    ['a sample rate of 0', { sampledPages: [1], sampleRate: 0 }, /record.sampleRate/],
  ];
  for (const [what, patch, message] of cases) {
    it(`rejects ${what}, naming the field, and keeps its state`, () => {
      const est = new AppEstimator('a');
      est.ingest(good[0]);
      const bad = { ...good[1], ...patch } as TelemetryRecord;
      expect(() => est.ingest(bad)).toThrow(InputError);
      expect(() => est.ingest(bad)).toThrow(message);
      expect(est.current().samples).toBe(1); // only the good record
      est.ingest({ ...good[1] }); // and the estimator still takes good records
      expect(est.current().samples).toBe(2);
    });
  }

  it('rejects bad options', () => {
    expect(() => new AppEstimator('')).toThrow(/appId/);
    expect(() => new AppEstimator('a', { driftThreshold: 0 })).toThrow(/driftThreshold: must be > 0/);
    expect(() => new AppEstimator('a', { maxSamples: 1 })).toThrow(/maxSamples/);
    expect(() => new AppEstimator('a', { minConfidence: 2 })).toThrow(/minConfidence/);
    expect(() => new AppEstimator('a', { carry: 'yes' as unknown as boolean })).toThrow(/carry: must be true or false, got/);
  });
});

describe('AppEstimator refits only when it has to', () => {
  /** One epoch of KV telemetry with the daemon's curve moved by `stretch`; `scale` multiplies the throughputs. */
  function epoch(est: AppEstimator, e: number, stretch: number, scale = 1): [number, number][] {
    const curve = KV_MODEL.mrc.map(([c, m]) => [c * stretch, m] as [number, number]);
    const records = syntheticTelemetry({ ...KV_MODEL, mrc: curve }, randomAllocations(PER_EPOCH, RANGE, 500 + e), {
      seed: 900 + e, app: est.appId, startMs: 1_700_000_000_000 + e * PER_EPOCH * PERIOD_MS, periodMs: PERIOD_MS,
    });
    for (const r of records) est.ingest({ ...r, throughputOpsPerSec: r.throughputOpsPerSec * scale, mrc: curve });
    est.endEpoch();
    return curve;
  }

  it('carries a trusted fit that keeps predicting well over to the newest curve, for at most 5 epochs in a row', () => {
    const est = new AppEstimator('app-c');
    const carried: number[] = [];
    for (let e = 0; e < 40; e++) {
      const curve = epoch(est, e, 1 + 0.005 * e);
      const cur = est.current();
      carried.push(cur.carriedEpochs);
      expect(cur.model!.mrc).toEqual(curve); // the market always plans on the newest curve, carried or refitted
      if (!cur.enoughData) expect(cur.carriedEpochs).toBe(0); // while it learns, every epoch is refitted
    }
    expect(Math.max(...carried)).toBeLessThanOrEqual(5);
    for (let e = 1; e < carried.length; e++) if (carried[e] > 0) expect(carried[e]).toBe(carried[e - 1] + 1);
    // a steady app is refitted about one epoch in six, not every epoch
    expect(carried.slice(10).filter((c) => c > 0).length).toBeGreaterThanOrEqual(15);
  });

  it('spreads the forced refits of apps that started together over the epochs', () => {
    const ests = Array.from({ length: 12 }, (_, i) => new AppEstimator(`node-7.app-${i}`));
    const refitsByEpoch: number[] = [];
    for (let e = 0; e < 40; e++) {
      ests.forEach((est) => epoch(est, e, 1));
      if (e >= 16) refitsByEpoch.push(ests.filter((est) => est.current().carriedEpochs === 0).length);
    }
    // steady apps refit about one epoch in six each; together they never all land on one epoch
    expect(refitsByEpoch.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Math.max(...refitsByEpoch)).toBeLessThanOrEqual(6);
  });

  it('refits at once when an epoch is mispredicted by more than half the drift threshold, short of drift', () => {
    const est = new AppEstimator('app-d');
    let e = 0;
    for (; e < 30 && est.current().carriedEpochs === 0; e++) epoch(est, e, 1);
    expect(est.current().carriedEpochs).toBeGreaterThan(0);
    epoch(est, e, 1, 0.86); // 15% slower: |ln 0.86| = 0.15, above 0.1 and below the 0.2 drift threshold
    const cur = est.current();
    expect(cur.lastEpochError!).toBeGreaterThan(0.1);
    expect(cur.lastEpochError!).toBeLessThan(0.2);
    expect(cur.carriedEpochs).toBe(0);
  });
});
