// resultJson (the POST /v1/solve writer) gives exactly JSON.stringify's text for every kind of result: every
// policy, both modes, both engines, live control (trust region, step, held), smoothing warnings, ids that
// need escaping or that look like integers (JSON.stringify puts those keys first).
import { describe, expect, it } from 'vitest';
import { resultJson } from '../../service/market/result-json.ts';
import { solveScenario, type SolveOptions } from '../../service/market/solve.ts';
import { generateScenario } from '../../service/scenario/generate.ts';
import { freshMix } from '../../service/scenario/mixes.ts';
import { POLICIES, type Scenario, type SolveResult } from '../../service/scenario/types.ts';
import { validateScenario } from '../../service/scenario/validate.ts';
import { engines, exampleNames, loadExample } from './helpers.ts';

function scenarios(): [string, Scenario, string[]][] {
  const out: [string, Scenario, string[]][] = exampleNames().map((n) => [n, loadExample(n), []]);
  for (let seed = 1; seed <= 20; seed++) {
    const g = validateScenario(generateScenario({ apps: 1 + (seed % 7), seed, weightedShare: 0.3, limitShare: 0.3, surfaceShare: seed % 4 === 0 ? 0.3 : 0, noisy: seed % 3 === 0 }));
    out.push([`generated ${seed}`, g.scenario, g.warnings]);
    const m = validateScenario(freshMix({ apps: 1 + (seed % 5), seed: 500 + seed }));
    out.push([`fresh mix ${seed}`, m.scenario, m.warnings]);
  }
  // ids JSON must escape, and ids that look like array indices (object keys JSON.stringify orders first)
  const odd = validateScenario(generateScenario({ apps: 4, seed: 99 }));
  ['say "hi"\\', '10', '2', 'åpp\u0001'].forEach((id, i) => { odd.scenario.apps[i].id = id; });
  out.push(['odd ids', odd.scenario, odd.warnings]);
  return out;
}

describe('resultJson', () => {
  it('writes exactly the text JSON.stringify writes, for every kind of result', async () => {
    const { wasm, ts } = await engines();
    let compared = 0;
    const kinds = new Set<string>();
    for (const [name, s, warnings] of scenarios()) {
      // live control needs the bundles in force: an equal split
      const live: Scenario = { ...s, apps: s.apps.map((a) => ({ ...a, current: { cacheMB: s.capacity.cacheMB / s.apps.length, bandwidthMbps: s.capacity.bandwidthMbps / s.apps.length } })) };
      for (const engine of s.apps.length <= 3 ? [wasm, ts] : [wasm]) {
        for (const policy of POLICIES) {
          if (policy === 'ideal' && (s.apps.length > 3 || engine === ts)) continue;
          for (const convexify of [true, false]) {
            const runs: [Scenario, SolveOptions][] = [[s, { policy, convexify, warnings }]];
            if (policy === 'spirit') {
              runs.push([live, { policy, convexify, trustRegionCacheMB: s.capacity.cacheMB / 50, trustRegionBandwidthMbps: s.capacity.bandwidthMbps / 50 }]);
              runs.push([live, { policy, convexify, hysteresisShare: 0.5 }]);
            }
            for (const [sc, o] of runs) {
              let r: SolveResult;
              try {
                r = solveScenario(engine, sc, o);
              } catch {
                continue; // (an app with no throughput at its fair share is refused: nothing to write)
              }
              expect(resultJson(r), `${name} ${engine.kind} ${policy} convexify=${convexify}`).toBe(JSON.stringify(r));
              compared++;
              for (const k of ['prices', 'warnings'] as const) if (r[k] !== undefined) kinds.add(k);
              for (const k of ['envious', 'trustRegion', 'step', 'held', 'method', 'equilibrium'] as const) if (r.certificate[k] !== undefined) kinds.add(k);
              if (r.allocations.some((a) => a.partitions)) kinds.add('partitions');
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
    // every optional part was written at least once
    expect([...kinds].sort()).toEqual(['envious', 'equilibrium', 'held', 'method', 'partitions', 'prices', 'step', 'trustRegion', 'warnings']);
  });

  it('hands a result with a key it does not know to JSON.stringify (nothing is dropped)', async () => {
    const { wasm } = await engines();
    const r = solveScenario(wasm, loadExample('paper-mix')) as SolveResult & { extra?: number };
    r.extra = 1;
    expect(resultJson(r)).toBe(JSON.stringify(r));
    expect(JSON.parse(resultJson(r)).extra).toBe(1);
    const c = solveScenario(wasm, loadExample('paper-mix'));
    (c.certificate as unknown as Record<string, unknown>).note = 'x';
    expect(JSON.parse(resultJson(c)).certificate.note).toBe('x');
  });
});
