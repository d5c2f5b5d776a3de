// Live-control options: a trust region for both resources around each app's current bundle, and
// hysteresis. Off by default; bad values rejected.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../service/errors.ts';
import { solveScenario } from '../../service/market/solve.ts';
import type { Scenario } from '../../service/scenario/types.ts';
import { engines, loadExample } from './helpers.ts';
import { buildProblem } from '../../service/market/problem.ts';

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

  it('moves every app at most the trust region per round, in both resources, until it reaches the equilibrium', async () => {
    const { wasm } = await engines();
    const s = loadExample('paper-mix');
    const n = s.apps.length;
    const target = solveScenario(wasm, s);
    let cur = s.apps.map(() => ({ cacheMB: s.capacity.cacheMB / n, bandwidthMbps: s.capacity.bandwidthMbps / n }));
    const dC = 256;
    const dB = 200;
    let rounds = 0;
    let plainSteps = 0;
    for (; rounds < 60; rounds++) {
      const r = solveScenario(wasm, withCurrent(s, (i) => cur[i]), { trustRegionCacheMB: dC, trustRegionBandwidthMbps: dB });
      expect(r.certificate.trustRegion).toBe(true);
      expect(r.certificate.sharingIncentiveViolations).toEqual([]);
      const devC = Math.max(...target.allocations.map((a, i) => Math.abs(a.cacheMB - cur[i].cacheMB)));
      const devB = Math.max(...target.allocations.map((a, i) => Math.abs(a.bandwidthMbps - cur[i].bandwidthMbps)));
      const step = r.certificate.step;
      if (step && step.fractionCache <= Math.min(1, dC / devC) * (1 + 1e-9) && step.fractionBandwidth <= Math.min(1, dB / devB) * (1 + 1e-9)) {
        // a plain step: nobody moves more than the region (a longer one is taken only to keep the sharing incentive)
        plainSteps++;
        r.allocations.forEach((a, i) => {
          expect(Math.abs(a.cacheMB - cur[i].cacheMB)).toBeLessThanOrEqual(dC + 1e-6);
          expect(Math.abs(a.bandwidthMbps - cur[i].bandwidthMbps)).toBeLessThanOrEqual(dB + 1e-6);
        });
      }
      cur = r.allocations.map((a) => ({ cacheMB: a.cacheMB, bandwidthMbps: a.bandwidthMbps }));
      if (!step) break; // reached the equilibrium
    }
    expect(plainSteps).toBeGreaterThan(0);
    expect(rounds).toBeLessThan(60);
    cur.forEach((c, i) => {
      expect(c.cacheMB).toBeCloseTo(target.allocations[i].cacheMB, 6);
      expect(c.bandwidthMbps).toBeCloseTo(target.allocations[i].bandwidthMbps, 6);
    });
  });

  it('from the equal split, live control reaches the equilibrium (no local fixed point short of it)', async () => {
    // searching only inside the region stalls on `weighted` at ~0.71 of the equilibrium's geometric mean
    const { wasm } = await engines();
    const s = loadExample('weighted');
    const p = buildProblem(s);
    const cap = s.capacity;
    let cur = s.apps.map((_, i) => ({ cacheMB: p.refX[i] * cap.cacheMB, bandwidthMbps: p.refY[i] * cap.bandwidthMbps }));
    let last = solveScenario(wasm, s);
    for (let k = 0; k < 30; k++) {
      last = solveScenario(wasm, withCurrent(s, (i) => cur[i]), { trustRegionCacheMB: 0.15 * cap.cacheMB, trustRegionBandwidthMbps: 0.15 * cap.bandwidthMbps, hysteresisShare: 0.01 });
      expect(last.certificate.sharingIncentiveViolations).toEqual([]);
      cur = last.allocations.map((a) => ({ cacheMB: a.cacheMB, bandwidthMbps: a.bandwidthMbps }));
    }
    const eq = solveScenario(wasm, s).certificate.geoMeanPerf!;
    expect(last.certificate.geoMeanPerf!).toBeGreaterThanOrEqual(0.99 * eq);
  });

  it('an app arriving without a bundle in force gets at least its equal share at once', async () => {
    const { wasm } = await engines();
    const s = loadExample('stream-vs-kvs');
    const two = solveScenario(wasm, s);
    const three: Scenario = { ...s, apps: [...s.apps.map((a, i) => ({ ...a, current: { cacheMB: two.allocations[i].cacheMB, bandwidthMbps: two.allocations[i].bandwidthMbps } })), { ...s.apps[1], id: 'new' }] };
    const r = solveScenario(wasm, three, { trustRegionCacheMB: 100, trustRegionBandwidthMbps: 100, hysteresisShare: 0.01 });
    expect(r.certificate.sharingIncentiveViolations).toEqual([]);
    expect(r.allocations[2].normalizedPerf).toBeGreaterThanOrEqual(1 - 1e-9);
  });

  it('hysteresis keeps the current allocation when the new one is within the band, and not otherwise', async () => {
    const { wasm } = await engines();
    const s = loadExample('stream-vs-kvs');
    const target = solveScenario(wasm, s);
    // current = the equilibrium nudged by 10 MB (from the stream, far above its fair share, to the key-value
    // store, at it): within a 1% band, and fair
    const near = withCurrent(s, (i) => ({ cacheMB: target.allocations[i].cacheMB + (i ? 10 : -10), bandwidthMbps: target.allocations[i].bandwidthMbps }));
    const held = solveScenario(wasm, near, { hysteresisShare: 0.01 });
    expect(held.certificate.held).toBe(true);
    held.allocations.forEach((a, i) => expect(a.cacheMB).toBeCloseTo(near.apps[i].current!.cacheMB, 6));
    // far from the equilibrium: the solve moves
    const farAway = withCurrent(s, () => ({ cacheMB: s.capacity.cacheMB / 2, bandwidthMbps: s.capacity.bandwidthMbps / 2 }));
    const moved = solveScenario(wasm, farAway, { hysteresisShare: 0.01 });
    expect(moved.certificate.held).toBeUndefined();
    expect(moved.allocations[0].cacheMB).toBeCloseTo(target.allocations[0].cacheMB, 6); // no trust region: straight there
  });

  it('hysteresis never holds bundles that leave an app below its fair share under this round\'s models', async () => {
    const { wasm } = await engines();
    const s = loadExample('identical-pair');
    // the equilibrium of two identical apps is the equal split; in force: 0.5% of the cache moved from one to
    // the other (within a 1% band), which leaves the first below its fair share
    const half = { cacheMB: s.capacity.cacheMB / 2, bandwidthMbps: s.capacity.bandwidthMbps / 2 };
    const shift = 0.005 * s.capacity.cacheMB;
    const tilted = withCurrent(s, (i) => ({ cacheMB: half.cacheMB + (i ? shift : -shift), bandwidthMbps: half.bandwidthMbps }));
    const r = solveScenario(wasm, tilted, { hysteresisShare: 0.01 });
    expect(r.certificate.held).toBeUndefined();
    expect(r.certificate.sharingIncentiveViolations).toEqual([]);
    // and an allocation in force that is fair and within the band is held, as before
    const fair = withCurrent(s, () => half);
    expect(solveScenario(wasm, fair, { hysteresisShare: 0.01 }).certificate.held).toBe(true);
  });

  it('rejects negative or non-finite live options', async () => {
    const { wasm } = await engines();
    const s = loadExample('stream-vs-kvs');
    expect(() => solveScenario(wasm, s, { trustRegionCacheMB: -1 })).toThrow(InputError);
    expect(() => solveScenario(wasm, s, { hysteresisShare: Number.NaN })).toThrow(/hysteresisShare/);
    expect(() => solveScenario(wasm, s, { hysteresisShare: 2 })).toThrow(/at most 1/);
  });
});
