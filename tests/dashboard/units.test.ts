// The plain functions behind the dashboard: the bounded history of rounds (attribution of measurements,
// markers, bounds), registry differences as events, the lower convex hull and partitioned miss ratios, and
// the telemetry windows a round carries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AllocationDoc, AppRecord, NodeRecord } from '../../service/bus/types.ts';
import { History } from '../../service/control/history.ts';
import { HISTORY_ROUNDS, MAX_MEASURED_WINDOWS_PER_APP } from '../../service/control/limits.ts';
import { MeasuredWindows } from '../../service/control/measured.ts';
import { diffRegistry } from '../../service/control/registry-events.ts';
import { lowerConvexHull } from '../../service/estimator/hull.ts';
import { missRatioAt, splitMissRatio } from '../../service/estimator/model.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';

function doc(epoch: number, bundles: [string, number, number][], extra: Partial<AllocationDoc> & { held?: boolean; step?: boolean } = {}): AllocationDoc {
  const { held, step, ...rest } = extra;
  return {
    node: 'n', epoch, timeMs: 1000 * epoch, replica: 'r', policy: 'spirit',
    bundles: bundles.map(([app, cacheMB, bandwidthMbps]) => ({ app, cacheMB, bandwidthMbps, normalizedPerf: 1.5, source: 'declared', confidence: 0, referenceOpsPerSec: 1000 })),
    prices: { cache: 0.5, bandwidth: 0.5 },
    certificate: {
      cleared: true, iterations: 1, leftoverCacheMB: 0, leftoverBandwidthMbps: 0, maxEnvy: 0, sharingIncentiveViolations: [],
      ...(held ? { held: true } : {}), ...(step ? { step: { fractionCache: 0.3, fractionBandwidth: 0.3 } } : {}),
    },
    elapsedMs: 0.1, ...rest,
  };
}

const measured = (throughputOpsPerSec: number) => ({
  records: 4, fromMs: 0, toMs: 1, throughputOpsPerSec, missRatio: 0.2, pageTrafficBytesPerSec: 1e6, cacheMB: 10, bandwidthMbps: 20,
});

describe('history of rounds', () => {
  it('stores a measurement on the round whose bundle it was measured under, normalized by that round\'s reference', () => {
    const h = new History();
    h.record(doc(1, [['a', 10, 20], ['b', 30, 40]]));
    const next = doc(2, [['a', 12, 18], ['b', 28, 42]]);
    next.bundles[0].measured = measured(1800);
    h.record(next);
    const [r1, r2] = h.rounds('n');
    expect(r1.bundles[0].measured?.throughputOpsPerSec).toBe(1800);
    expect(r1.bundles[0].measuredNormalized).toBeCloseTo(1.8, 12);
    expect(r1.bundles[1].measured).toBeUndefined();
    expect(r2.bundles[0].measured).toBeUndefined(); // its own period has not been measured yet
  });

  it('does not attribute across a gap in epochs, and ignores rounds at or below the newest', () => {
    const h = new History();
    h.record(doc(1, [['a', 10, 20]]));
    const later = doc(3, [['a', 10, 20]]);
    later.bundles[0].measured = measured(500);
    h.record(later);
    h.record(doc(2, [['a', 99, 99]]));
    h.record(doc(3, [['a', 99, 99]]));
    const rounds = h.rounds('n');
    expect(rounds.map((r) => r.epoch)).toEqual([1, 3]);
    expect(rounds[0].bundles[0].measured).toBeUndefined();
    expect(rounds[1].bundles[0].cacheMB).toBe(10);
  });

  it('marks rounds: first and moved ones changed, a partial step, held, and unchanged ones null', () => {
    const h = new History();
    h.record(doc(1, [['a', 10, 20]]));
    h.record(doc(2, [['a', 10, 20]], { held: true }));
    h.record(doc(3, [['a', 12, 20]], { step: true }));
    h.record(doc(4, [['a', 14, 20]]));
    h.record(doc(5, [['a', 14, 20]]));
    h.record(doc(6, [['a', 14, 20], ['b', 1, 1]]));
    expect(h.rounds('n').map((r) => r.marker)).toEqual(['changed', 'held', 'step', 'changed', null, 'changed']);
    expect(h.rounds('n')[2].step).toEqual({ fractionCache: 0.3, fractionBandwidth: 0.3 });
  });

  it('keeps at most maxRounds per node (HISTORY_ROUNDS by default), the newest', () => {
    const h = new History();
    expect(h.maxRounds).toBe(HISTORY_ROUNDS);
    for (let e = 1; e <= HISTORY_ROUNDS + 40; e++) h.record(doc(e, [['a', e, 1]]));
    const rounds = h.rounds('n');
    expect(rounds.length).toBe(HISTORY_ROUNDS);
    expect(rounds[0].epoch).toBe(41);
    expect(h.bundles).toBe(HISTORY_ROUNDS);
    expect(h.rounds('n', HISTORY_ROUNDS + 30).map((r) => r.epoch)).toEqual(Array.from({ length: 11 }, (_, i) => HISTORY_ROUNDS + 30 + i));
  });

  it('bounds the bundles of all nodes together: the longest history loses its oldest rounds first', () => {
    const h = new History(100, 30);
    for (let e = 1; e <= 20; e++) h.record({ ...doc(e, [['a', 1, 1], ['b', 1, 1]]), node: 'big' });
    expect(h.bundles).toBeLessThanOrEqual(30);
    for (let e = 1; e <= 5; e++) h.record({ ...doc(e, [['c', 1, 1]]), node: 'small' });
    expect(h.bundles).toBeLessThanOrEqual(30);
    expect(h.rounds('small').length).toBe(5);
    expect(h.rounds('big').at(-1)?.epoch).toBe(20);
    h.forget('big');
    expect(h.bundles).toBe(5);
    expect(h.rounds('big')).toEqual([]);
  });

  it('hands out copies: a caller cannot change what is kept', () => {
    const h = new History();
    h.record(doc(1, [['a', 10, 20]]));
    h.rounds('n')[0].bundles[0].cacheMB = 999;
    expect(h.rounds('n')[0].bundles[0].cacheMB).toBe(10);
  });
});

describe('registry events', () => {
  const node = (id: string, updatedMs = 1): NodeRecord => ({ id, capacity: { cacheMB: 10, bandwidthMbps: 10 }, createdMs: 1, updatedMs });
  const app = (id: string, n: string, updatedMs = 1): AppRecord => ({
    id, node: n, weight: 1, createdMs: 1, updatedMs, model: { type: 'mrc', mrc: [[0, 1], [10, 0]], pageBytes: 4096, localNs: 100, remoteNs: 1000 },
  });

  it('registered, updated, moved and deleted, in an order a client can apply', () => {
    const before = { nodes: [node('n1'), node('n2')], apps: [app('a', 'n1'), app('b', 'n1'), app('c', 'n2')] };
    const after = { nodes: [node('n1', 2), node('n3')], apps: [app('a', 'n1'), app('b', 'n3', 2), app('d', 'n3')] };
    const evs = diffRegistry(before, after);
    expect(evs.map((e) => `${e.kind} ${e.change} ${e.id} @${e.node}`)).toEqual([
      'node updated n1 @n1', 'node registered n3 @n3', 'app updated b @n3', 'app registered d @n3', 'app deleted c @n2', 'node deleted n2 @n2',
    ]);
    const d = evs.find((e) => e.id === 'd')!;
    expect(d.record).toMatchObject({ id: 'd', node: 'n3', declaredModel: true });
    expect(d.record).not.toHaveProperty('model');
    expect(diffRegistry(after, after)).toEqual([]);
  });
});

describe('lower convex hull and partitions', () => {
  const cliff: [number, number][] = [[0, 1], [100, 0.95], [200, 0.9], [210, 0.05], [400, 0.05]];

  it('bridges a cliff: the hull of a step-shaped curve goes straight from the start to the foot of the cliff', () => {
    expect(lowerConvexHull(cliff)).toEqual([[0, 1], [210, 0.05], [400, 0.05]]);
    expect(lowerConvexHull([[0, 1], [10, 0.5], [20, 0.25]])).toEqual([[0, 1], [10, 0.5], [20, 0.25]]); // already convex
  });

  it('is convex, never above the curve, and touches it at its ends (random non-increasing curves)', () => {
    const curve = fc.array(fc.tuple(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 0.2, noNaN: true })), { minLength: 1, maxLength: 40 })
      .map((steps) => {
        let c = 0, m = 1;
        return [[0, 1] as [number, number], ...steps.map(([dc, dm]) => { c += dc; m = Math.max(0, m - dm); return [c, m] as [number, number]; })];
      });
    fc.assert(fc.property(curve, (pts) => {
      const hull = lowerConvexHull(pts);
      expect(hull[0]).toEqual(pts[0]);
      expect(hull.at(-1)).toEqual(pts.at(-1));
      for (const [c, m] of pts) expect(missRatioAt(hull, c)).toBeLessThanOrEqual(m + 1e-12);
      for (let i = 2; i < hull.length; i++) {
        const s1 = (hull[i - 1][1] - hull[i - 2][1]) / (hull[i - 1][0] - hull[i - 2][0]);
        const s2 = (hull[i][1] - hull[i - 1][1]) / (hull[i][0] - hull[i - 1][0]);
        expect(s2).toBeGreaterThan(s1 - 1e-12);
      }
    }), { numRuns: 200 });
  });

  it('two partitions at the ends of a hull segment see the hull, one whole partition sees the curve', () => {
    // 105 MB on the hull segment from (0, 1) to (210, 0.05): a share s = 0.5 of the pages holds 105 MB (as if
    // the whole app had 210 MB), the other half holds nothing
    const parts = [{ accessShare: 0.5, cacheMB: 105 }, { accessShare: 0.5, cacheMB: 0 }];
    expect(splitMissRatio(cliff, parts)).toBeCloseTo(missRatioAt(lowerConvexHull(cliff), 105), 12);
    expect(splitMissRatio(cliff, parts)).toBeLessThan(missRatioAt(cliff, 105));
    expect(splitMissRatio(cliff, [{ accessShare: 1, cacheMB: 105 }])).toBe(missRatioAt(cliff, 105));
  });
});

describe('measured windows', () => {
  const rec = (app: string, node: string, timeMs: number, throughputOpsPerSec: number, missRatio: number, cacheMB = 10, bandwidthMbps = 20): TelemetryRecord => ({
    app, node, timeMs, cacheMB, bandwidthMbps, throughputOpsPerSec, missRatio, pageTrafficBytesPerSec: 1000 * missRatio, residentBytes: 0,
  });
  const inForce = { cacheMB: 10, bandwidthMbps: 20 };

  it('means of the records under the bundle in force since the last take; a take closes the window', () => {
    const w = new MeasuredWindows();
    w.add(rec('a', 'n', 1, 100, 0.2));
    w.add(rec('a', 'n', 3, 300, 0.4));
    w.add(rec('a', 'n', 2, 200, 0.3, 9.999)); // a daemon rounds cache down to whole pages: the same bundle
    expect(w.take('n', 'a', inForce)).toEqual({
      records: 3, fromMs: 1, toMs: 3, throughputOpsPerSec: 200, missRatio: expect.closeTo(0.3, 12), pageTrafficBytesPerSec: expect.closeTo(300, 9), cacheMB: 10, bandwidthMbps: 20,
    });
    expect(w.take('n', 'a', inForce)).toBeUndefined();
  });

  it('records measured under another bundle (late after a change) are not mixed in', () => {
    const w = new MeasuredWindows();
    w.add(rec('a', 'n', 1, 999, 0.9, 50, 20)); // under the bundle before
    w.add(rec('a', 'n', 2, 100, 0.2));
    w.add(rec('a', 'n', 3, 999, 0.9, 10, 80));
    expect(w.take('n', 'a', inForce)).toMatchObject({ records: 1, throughputOpsPerSec: 100 });
    w.add(rec('a', 'n', 4, 999, 0.9, 50, 20));
    expect(w.take('n', 'a', inForce)).toBeUndefined();
    w.add(rec('a', 'n', 5, 100, 0.2));
    expect(w.take('n', 'a', undefined)).toBeUndefined(); // nothing known in force (the first round)
  });

  it('an app that moved to another node starts a new window; apps that left are pruned; windows per app are bounded', () => {
    const w = new MeasuredWindows();
    w.add(rec('a', 'n1', 1, 100, 0.2));
    w.add(rec('a', 'n2', 2, 50, 0.2));
    expect(w.take('n2', 'a', inForce)?.throughputOpsPerSec).toBe(50);
    w.add(rec('b', 'n', 1, 1, 0));
    w.add(rec('c', 'n', 1, 1, 0));
    w.prune(new Set(['c']));
    expect(w.size).toBe(1);
    expect(w.take('n', 'b', inForce)).toBeUndefined();
    for (let i = 0; i < 3 * MAX_MEASURED_WINDOWS_PER_APP; i++) w.add(rec('d', 'n', i, 1, 0, 100 + 10 * i));
    w.add(rec('d', 'n', 99, 7, 0));
    expect(w.take('n', 'd', inForce)?.throughputOpsPerSec).toBe(7); // the newest windows are kept
  });
});
