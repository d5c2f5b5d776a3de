// The arithmetic behind `spirit experiment live`'s figures: windows into per-app figures, settling, spreads
// and verdicts, operation latency quantiles, the --policies list.
import { describe, expect, it } from 'vitest';
import type { AllocationDoc } from '../../service/bus/types.ts';
import { opLatencyBucket, opLatencyQuantileUs, OP_LATENCY_BUCKETS } from '../../service/node/ipc.ts';
import { isSettled, measureApps, settleAfter, spread, verdict } from '../../service/experiments/live/measure.ts';
import { parseLivePolicies } from '../../service/experiments/live/policies.ts';
import type { Window } from '../../service/experiments/live/stack.ts';

const CAP = { cacheMB: 100, bandwidthMbps: 1000 };

function doc(timeMs: number, bundles: [string, number, number][]): AllocationDoc {
  return {
    node: 'n', epoch: timeMs, timeMs, replica: 'r', policy: 'spirit', elapsedMs: 0, certificate: { cleared: true, iterations: 0, leftoverCacheMB: 0, leftoverBandwidthMbps: 0, maxEnvy: 0, sharingIncentiveViolations: [] },
    bundles: bundles.map(([app, cacheMB, bandwidthMbps]) => ({ app, cacheMB, bandwidthMbps, normalizedPerf: 1, source: 'estimated' as const, confidence: 1 })),
  };
}

function win(app: string, timeMs: number, ops: number, lat: number[] = []): Window {
  const counts = new Array<number>(OP_LATENCY_BUCKETS).fill(0);
  for (const us of lat) counts[opLatencyBucket(us)]++;
  return {
    rec: { app, node: 'n', timeMs, cacheMB: 10, bandwidthMbps: 100, throughputOpsPerSec: ops, missRatio: 0.5, pageTrafficBytesPerSec: 1_000_000, residentBytes: 1 << 20 },
    opLatencyCounts: counts,
  };
}

describe('live experiment figures', () => {
  it('per-app figures come only from the windows inside the stretch, latencies merged before the quantile', () => {
    const ws = [win('a', 100, 999), win('a', 200, 10, [5, 5, 5]), win('a', 300, 30, [5, 3000]), win('b', 250, 7), win('a', 400, 999)];
    const f = measureApps(ws, ['a', 'b', 'c'], 150, 300);
    expect(f.a.opsPerSec).toBe(20);
    expect(f.a.windows).toBe(2);
    expect(f.a.p99OpUs).toBe(4096);  // 3000 us lies in the 2048..4096 bucket
    expect(f.a.trafficMbps).toBe(8);
    expect(f.b.opsPerSec).toBe(7);
    expect(f.c.windows).toBe(0);
    expect(Number.isNaN(f.c.opsPerSec)).toBe(true);
  });

  it('latency buckets: under 1 us, then powers of two, the last one open', () => {
    expect(opLatencyBucket(0.2)).toBe(0);
    expect(opLatencyBucket(1)).toBe(1);
    expect(opLatencyBucket(1.9)).toBe(1);
    expect(opLatencyBucket(2)).toBe(2);
    expect(opLatencyBucket(1e12)).toBe(OP_LATENCY_BUCKETS - 1);
    expect(opLatencyQuantileUs([], 0.99)).toBe(0);
    const c = new Array<number>(OP_LATENCY_BUCKETS).fill(0);
    c[3] = 98;
    c[10] = 2;
    expect(opLatencyQuantileUs(c, 0.5)).toBe(8);
    expect(opLatencyQuantileUs(c, 0.99)).toBe(1024);
  });

  it('settled: the last rounds within the tolerance of the last; after a change, the rounds until it stays near where it ends', () => {
    const still = [doc(1, [['a', 50, 500], ['b', 50, 500]]), doc(2, [['a', 50.5, 500], ['b', 49.5, 500]]), doc(3, [['a', 50, 505], ['b', 50, 495]])];
    expect(isSettled(still, CAP, 3, 0.02)).toBe(true);
    expect(isSettled(still, CAP, 4, 0.02)).toBe(false);
    expect(isSettled([...still, doc(4, [['a', 60, 500], ['b', 40, 500]])], CAP, 3, 0.02)).toBe(false);
    const walk = [10, 20, 30, 38, 40, 40, 40, 40, 40, 40].map((x, i) => doc(1000 + i * 500, [['a', x, 500], ['b', 100 - x, 500]]));
    // settles at 40: within 5 MiB (5% of 100) from the 4th round after the change on
    expect(settleAfter(walk, 999, 10_000, CAP, 0.05)).toEqual({ rounds: 4, seconds: 1.5 });
    expect(settleAfter(walk, 20_000, 30_000, CAP, 0.05)).toBeNull();
    const flapping = [10, 90, 10, 90, 10, 90].map((x, i) => doc(1000 + i * 500, [['a', x, 500], ['b', 100 - x, 500]]));
    expect(settleAfter(flapping, 999, 10_000, CAP, 0.05)).toBeNull();
  });

  it('spreads and verdicts: a range that crosses 1 is no gain', () => {
    expect(spread([1.3, 1.1, 1.2])).toEqual({ median: 1.2, min: 1.1, max: 1.3 });
    expect(spread([1, 2, 3, 4]).median).toBe(2.5);
    expect(Number.isNaN(spread([NaN]).median)).toBe(true);
    expect(verdict({ median: 1.2, min: 1.1, max: 1.3 })).toBe('gain');
    expect(verdict({ median: 1.2, min: 0.98, max: 1.3 })).toBe('no gain');
    expect(verdict({ median: 0.9, min: 0.8, max: 0.95 })).toBe('loss');
  });

  it('--policies: known names, static always measured, bad names and repeats refused', () => {
    expect(parseLivePolicies(undefined, ['static', 'spirit'])).toEqual(['static', 'spirit']);
    expect(parseLivePolicies('spirit, drf', [])).toEqual(['static', 'spirit', 'drf']);
    expect(() => parseLivePolicies('spirit,spirit', [])).toThrow(/'spirit' is given twice/);
    expect(() => parseLivePolicies('best', [])).toThrow(/'best' is not a policy/);
    expect(() => parseLivePolicies(' , ', [])).toThrow(/names no policy/);
  });
});
