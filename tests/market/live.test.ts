// Live-control options: a trust region for both resources around each app's current bundle, and
// hysteresis. Off by default; bad values rejected.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../service/errors.ts';
import { solveScenario } from '../../service/market/solve.ts';
import type { Scenario } from '../../service/scenario/types.ts';
import { engines, loadExample } from './helpers.ts';

function withCurrent(s: Scenario, f: (i: number) => { cacheMB: number; bandwidthMbps: number }): Scenario {
  return { ...s, apps: s.apps.map((a, i) => ({ ...a, current: f(i) })) };
}

describe('live control', () => {
  it('is off by default: a current bundle alone changes nothing', async () => {
    const { wasm } = await engines();
    const s = loadExample('paper-mix');
    const n = s.apps.length;
    const plain = solveScenario(wasm, s);
    const withCur = solveScenario(wasm, withCurrent(s, () => ({ cacheMB: s.capacity.cacheMB / n, bandwidthMbps: s.capacity.bandwidthMbps / n })));
    expect(withCur.allocations).toEqual(plain.allocations);
    expect(withCur.certificate.trustRegion).toBeUndefined();
  });

  it('keeps every app within the trust region of its current bundle in both resources (or toward its share)', async () => {
    const { wasm } = await engines();
    const s = loadExample('paper-mix');
    const n = s.apps.length;
    const cur = (i: number) => ({ cacheMB: s.capacity.cacheMB / n, bandwidthMbps: s.capacity.bandwidthMbps / n + (i % 2 ? 100 : -100) });
    const live = withCurrent(s, cur);
    const dC = 256;
    const dB = 200;
    const r = solveScenario(wasm, live, { trustRegionCacheMB: dC, trustRegionBandwidthMbps: dB });
    const free = solveScenario(wasm, s);
    expect(r.certificate.trustRegion).toBe(true);
    expect(r.certificate.sharingIncentiveViolations).toEqual([]);
    let moved = false;
    r.allocations.forEach((a, i) => {
      const c = cur(i);
      const share = { cacheMB: s.capacity.cacheMB / n, bandwidthMbps: s.capacity.bandwidthMbps / n };
      const lo = (k: 'cacheMB' | 'bandwidthMbps', d: number) => Math.min(c[k], share[k]) - d - 1e-6;
      const hi = (k: 'cacheMB' | 'bandwidthMbps', d: number) => Math.max(c[k], share[k]) + d + 1e-6;
      expect(a.cacheMB).toBeGreaterThanOrEqual(lo('cacheMB', dC));
      expect(a.cacheMB).toBeLessThanOrEqual(hi('cacheMB', dC));
      expect(a.bandwidthMbps).toBeGreaterThanOrEqual(lo('bandwidthMbps', dB));
      expect(a.bandwidthMbps).toBeLessThanOrEqual(hi('bandwidthMbps', dB));
      if (Math.abs(a.cacheMB - c.cacheMB) > 1 || Math.abs(a.bandwidthMbps - c.bandwidthMbps) > 1) moved = true;
    });
    expect(moved).toBe(true);
    // the unconstrained equilibrium moves some app further than the region allows
    const far = free.allocations.some((a, i) => Math.abs(a.cacheMB - cur(i).cacheMB) > dC + 1);
    expect(far).toBe(true);
  });

  it('hysteresis keeps the current allocation when the new one is within the band, and not otherwise', async () => {
    const { wasm } = await engines();
    const s = loadExample('stream-vs-kvs');
    const target = solveScenario(wasm, s);
    // current = the equilibrium nudged by 10 MB: within a 1% band
    const near = withCurrent(s, (i) => ({ cacheMB: target.allocations[i].cacheMB + (i ? -10 : 10), bandwidthMbps: target.allocations[i].bandwidthMbps }));
    const held = solveScenario(wasm, near, { hysteresisShare: 0.01 });
    expect(held.certificate.held).toBe(true);
    held.allocations.forEach((a, i) => expect(a.cacheMB).toBeCloseTo(near.apps[i].current!.cacheMB, 6));
    // far from the equilibrium: the solve moves
    const farAway = withCurrent(s, () => ({ cacheMB: s.capacity.cacheMB / 2, bandwidthMbps: s.capacity.bandwidthMbps / 2 }));
    const moved = solveScenario(wasm, farAway, { hysteresisShare: 0.01 });
    expect(moved.certificate.held).toBeUndefined();
    expect(moved.allocations[0].cacheMB).not.toBeCloseTo(s.capacity.cacheMB / 2, 0);
  });

  it('rejects negative or non-finite live options', async () => {
    const { wasm } = await engines();
    const s = loadExample('stream-vs-kvs');
    expect(() => solveScenario(wasm, s, { trustRegionCacheMB: -1 })).toThrow(InputError);
    expect(() => solveScenario(wasm, s, { hysteresisShare: Number.NaN })).toThrow(/hysteresisShare/);
    expect(() => solveScenario(wasm, s, { hysteresisShare: 2 })).toThrow(/at most 1/);
  });
});
