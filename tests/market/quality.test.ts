// Quality on the shipped examples: spirit's geometric-mean normalized performance is at least that of every
// baseline that is itself fair (no app below its share, no envy), within 5% of ideal where ideal runs, and
// better than the published reference on the three cases the issue names.
import { describe, expect, it } from 'vitest';
import { solveScenario } from '../../service/market/solve.ts';
import type { SolveResult } from '../../service/scenario/types.ts';
import { engines, exampleNames, loadExample } from './helpers.ts';

const fair = (r: SolveResult): boolean => r.certificate.sharingIncentiveViolations.length === 0 && r.certificate.maxEnvy <= 0.01;
const gm = (r: SolveResult): number => r.certificate.geoMeanPerf ?? NaN;

describe('quality against the baselines and the reference', () => {
  for (const name of exampleNames()) {
    it(`spirit beats every fair baseline on ${name}, and is within 5% of ideal where it runs`, async () => {
      const { wasm } = await engines();
      const s = loadExample(name);
      const spirit = solveScenario(wasm, s);
      expect(fair(spirit)).toBe(true);
      for (const policy of ['static', 'drf', 'harvest', 'trade'] as const) {
        const b = solveScenario(wasm, s, { policy });
        // a baseline may score higher only by leaving an app below its share or envious
        if (gm(b) > gm(spirit) * (1 + 1e-9)) expect(fair(b), `${policy} beats spirit on ${name} while fair`).toBe(false);
      }
      if (s.apps.length <= 3) {
        const ideal = solveScenario(wasm, s, { policy: 'ideal' });
        expect(gm(spirit)).toBeGreaterThanOrEqual(0.95 * gm(ideal));
      }
    });
  }

  it('stream-vs-kvs: above the reference 1.74 with no bandwidth idle', async () => {
    const { wasm } = await engines();
    const s = loadExample('stream-vs-kvs');
    const r = solveScenario(wasm, s);
    expect(gm(r)).toBeGreaterThan(1.74);
    expect(r.certificate.leftoverBandwidthMbps / s.capacity.bandwidthMbps).toBeLessThanOrEqual(0.005);
  });

  it('paper-mix: above the reference 1.67 with no cache idle and nobody much better off with another bundle', async () => {
    const { wasm } = await engines();
    const s = loadExample('paper-mix');
    const r = solveScenario(wasm, s);
    expect(gm(r)).toBeGreaterThan(1.67);
    expect(r.certificate.leftoverCacheMB / s.capacity.cacheMB).toBeLessThanOrEqual(0.005);
    expect(r.certificate.maxEnvy).toBeLessThanOrEqual(0.01); // the reference left an app ~50x better off elsewhere
  });

  it('many-48: no app below its fair share (the reference had 10)', async () => {
    const { wasm } = await engines();
    const r = solveScenario(wasm, loadExample('many-48'));
    expect(r.certificate.sharingIncentiveViolations).toEqual([]);
    expect(gm(r)).toBeGreaterThan(1);
  });

  it('an app pinned at its equal share (min = max, as the control loop does for apps it cannot model yet) leaves the market working for the others', async () => {
    const { wasm } = await engines();
    const base = loadExample('paper-mix');
    const n = base.apps.length;
    const share = { cacheMB: base.capacity.cacheMB / n, bandwidthMbps: base.capacity.bandwidthMbps / n };
    for (let k = 0; k < n; k++) {
      const s = { ...base, apps: base.apps.map((a, i) => (i === k ? { ...a, limits: { minCacheMB: share.cacheMB, maxCacheMB: share.cacheMB, minBandwidthMbps: share.bandwidthMbps, maxBandwidthMbps: share.bandwidthMbps } } : a)) };
      const r = solveScenario(wasm, s);
      expect(r.allocations[k].cacheMB).toBeCloseTo(share.cacheMB, 6);
      expect(r.allocations[k].bandwidthMbps).toBeCloseTo(share.bandwidthMbps, 6);
      expect(r.certificate.sharingIncentiveViolations).toEqual([]);
      expect(r.certificate.maxEnvy).toBeLessThanOrEqual(0.01);
      expect(gm(r), `pinned ${base.apps[k].id}`).toBeGreaterThan(1.3); // the market, not the static fallback
    }
  });
});
