// The exact best response against brute force: on its budget line no sampled bundle does better, it never
// overspends, it stays in its box, and a satiated app takes the cheapest satiating bundle.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildProblem } from '../../service/market/problem.ts';
import { bestResponse, type Bundle } from '../../service/market/twin/best-response.ts';
import { throughput } from '../../service/market/twin/model.ts';
import { generateScenario } from '../../service/scenario/generate.ts';
import { validateScenario } from '../../service/scenario/validate.ts';

describe('best response', () => {
  it('is at least as good as a dense search of the budget set, and affordable, on random apps and prices', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.double({ min: 0.02, max: 0.98, noNaN: true }),
      fc.double({ min: 0.02, max: 0.6, noNaN: true }), (seed, price, budget) => {
        const s = validateScenario(generateScenario({ apps: 4, seed, surfaceShare: 0.3, limitShare: 0.5 })).scenario;
        const p = buildProblem(s);
        const out: Bundle = { x: 0, y: 0, f: 0, sat: 0 };
        for (let i = 0; i < p.n; i++) {
          const md = p.models;
          const off = p.modelOff[i];
          bestResponse(md, off, price, budget, p.xmin[i], p.xmax[i], p.ymin[i], p.ymax[i], Infinity, 0, out);
          const q = 1 - price;
          const affordable = price * p.xmin[i] + q * p.ymin[i] < budget;
          expect(out.x).toBeGreaterThanOrEqual(p.xmin[i] - 1e-12);
          expect(out.x).toBeLessThanOrEqual(p.xmax[i] + 1e-12);
          expect(out.y).toBeGreaterThanOrEqual(p.ymin[i] - 1e-12);
          expect(out.y).toBeLessThanOrEqual(p.ymax[i] + 1e-12);
          if (!affordable) continue;
          expect(price * out.x + q * out.y).toBeLessThanOrEqual(budget * (1 + 1e-9));
          // brute force over the budget frontier
          let best = 0;
          for (let k = 0; k <= 2000; k++) {
            const x = p.xmin[i] + ((p.xmax[i] - p.xmin[i]) * k) / 2000;
            const y = Math.min(p.ymax[i], (budget - price * x) / q);
            if (y < p.ymin[i]) break;
            best = Math.max(best, throughput(md, off, x, y));
          }
          expect(out.f).toBeGreaterThanOrEqual(best * (1 - 1e-6));
        }
      }), { numRuns: 150, seed: 42 });
  });

  it('a satiated app takes the cheapest bundle that satiates it, not its whole budget', () => {
    // m reaches 0 at 1000 MB: with that much cache the app needs no bandwidth at all
    const s = validateScenario({ capacity: { cacheMB: 4000, bandwidthMbps: 4000 }, apps: [
      { id: 'kv', model: { type: 'mrc', mrc: [[0, 1], [1000, 0]], pageBytes: 4096, localNs: 300, remoteNs: 5000 } },
    ] }).scenario;
    const p = buildProblem(s, { margin: 0, missFloor: 0, convexify: false });
    const out: Bundle = { x: 0, y: 0, f: 0, sat: 0 };
    const top = throughput(p.models, 0, 1, 1);
    bestResponse(p.models, 0, 0.3, 0.9, 0, 1, 0, 1, top * 0.999, 0, out);
    expect(out.sat).toBe(1);
    // a little under 1000 MB (a quarter of the node) reaches 99.9% of the top throughput
    expect(out.x).toBeGreaterThan(0.2);
    expect(out.x).toBeLessThanOrEqual(0.25);
    expect(out.y).toBeLessThan(1e-3);
    expect(0.3 * out.x + 0.7 * out.y).toBeLessThan(0.9 * 0.5);
  });
});
