// No knife edges, in either mode (docs/market.md "No knife edges"): with 0.1% less cache and 0.1% less
// bandwidth than it was given, every app keeps at least 0.99 of what its fair share gives with 0.1% less of
// the node, on the curve the data plane realizes (its hull when split, as given otherwise), with no margin and
// no floor; and an app that misses at all at its bundle never gets 0 Mbps. Fresh mixes, a new seed every run.
import { describe, expect, it } from 'vitest';
import { solveScenario } from '../../service/market/solve.ts';
import { freshMix } from '../../service/scenario/mixes.ts';
import { validateScenario } from '../../service/scenario/validate.ts';
import type { MrcModel } from '../../service/scenario/types.ts';
import { engines } from './helpers.ts';
import { equalShares, hullOf, missAt, throughputOf } from './independent.ts';

const SEED = Number(process.env.SPIRIT_TEST_SEED ?? Math.floor(Math.random() * 1e9));
const SHRINK = 0.999;

describe('no knife edges', () => {
  for (const convexify of [true, false]) {
    it(`${convexify ? 'convexified' : 'unsplit'}: every bundle survives 0.1% less of both resources, on 2000 fresh mixes (seed ${SEED})`, async () => {
      const { wasm } = await engines();
      let worst = Infinity;
      for (let k = 0; k < 2000; k++) {
        const s = validateScenario(freshMix({ apps: 2 + (k % 7), seed: SEED + k, limitShare: 0 })).scenario;
        const r = solveScenario(wasm, s, { convexify });
        const refs = equalShares(s);
        r.allocations.forEach((a, i) => {
          const m = s.apps[i].model as MrcModel;
          const curve = convexify ? hullOf(m.mrc) : m.mrc.map(([x, v]) => [x, v] as [number, number]);
          const label = `seed ${SEED + k} ${a.id}`;
          const shrunk = throughputOf(m, curve, a.cacheMB * SHRINK, a.bandwidthMbps * SHRINK);
          const fair = throughputOf(m, curve, refs[i].cacheMB * SHRINK, refs[i].bandwidthMbps * SHRINK);
          worst = Math.min(worst, shrunk / fair);
          expect(shrunk / fair, label).toBeGreaterThanOrEqual(0.99);
          if (missAt(curve, a.cacheMB) > 0) expect(a.bandwidthMbps, `${label}: misses but has no bandwidth`).toBeGreaterThan(0);
        });
      }
      console.info(`${convexify ? 'convexified' : 'unsplit'}: least shrunk throughput over the shrunk fair share ${worst.toFixed(4)}`);
    }, 600_000);
  }
});
