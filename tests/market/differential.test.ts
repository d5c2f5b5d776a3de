// The WASM core and its TypeScript twin give the same allocations (within 1e-6 of capacity) for every
// policy on every example, and for the spirit policy on random scenarios.
import { describe, expect, it } from 'vitest';
import { solveScenario } from '../../service/market/solve.ts';
import { generateScenario } from '../../service/scenario/generate.ts';
import { validateScenario } from '../../service/scenario/validate.ts';
import { POLICIES, type Scenario, type SolveResult } from '../../service/scenario/types.ts';
import { engines, exampleNames, loadExample } from './helpers.ts';

function expectSame(s: Scenario, a: SolveResult, b: SolveResult, label: string): void {
  expect(a.allocations.map((x) => x.id)).toEqual(b.allocations.map((x) => x.id));
  a.allocations.forEach((x, i) => {
    const y = b.allocations[i];
    expect(Math.abs(x.cacheMB - y.cacheMB) / s.capacity.cacheMB, `${label} ${x.id} cache`).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(x.bandwidthMbps - y.bandwidthMbps) / s.capacity.bandwidthMbps, `${label} ${x.id} bandwidth`).toBeLessThanOrEqual(1e-6);
  });
  expect(a.certificate.maxEnvy).toBeCloseTo(b.certificate.maxEnvy, 6);
}

describe('WASM core vs TypeScript twin', () => {
  for (const name of exampleNames()) {
    it(`same allocations for every policy on ${name}`, async () => {
      const { wasm, ts } = await engines();
      const s = loadExample(name);
      for (const policy of POLICIES) {
        if (policy === 'ideal' && s.apps.length > 3) continue;
        const a = solveScenario(wasm, s, { policy });
        const b = solveScenario(ts, s, { policy });
        expect(a.engine).toBe('wasm');
        expect(b.engine).toBe('ts');
        expectSame(s, a, b, `${name}/${policy}`);
      }
    });
  }

  it('same spirit allocations on 60 random scenarios (2 to 64 apps, weights, limits, surfaces, noise)', async () => {
    const { wasm, ts } = await engines();
    for (let seed = 1; seed <= 60; seed++) {
      const apps = 2 + ((seed * 37) % 63);
      const s = validateScenario(generateScenario({ apps, seed, weightedShare: 0.3, limitShare: 0.3, surfaceShare: 0.2, noisy: seed % 2 === 0 })).scenario;
      expectSame(s, solveScenario(wasm, s), solveScenario(ts, s), `seed ${seed} (${apps} apps)`);
    }
  });
});
