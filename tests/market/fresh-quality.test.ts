// Both modes judged on inputs nobody tuned them on: fresh mixes of 2 or 3 apps (service/scenario/mixes.ts, a
// new seed every run), against the project's own exhaustive `--policy ideal` in the same mode. Unsplit (the
// search on curves as given, 500 mixes): at least 0.95 of ideal's geometric mean on at least 98% of them (where
// ideal finds a fair allocation), never below the static split. Convexified (the exact equilibrium, or the knot
// search's fair allocation when 1% better and no app nearer its fair share than 5%, 300 mixes): the same bar on
// 92% (measured 93.7-96.3%: ideal puts some app exactly on its fair share, which the market avoids), never
// below static.
// The shares are printed; README reports them.
import { describe, expect, it } from 'vitest';
import { solveScenario } from '../../service/market/solve.ts';
import { freshMix } from '../../service/scenario/mixes.ts';
import { validateScenario } from '../../service/scenario/validate.ts';
import { engines } from './helpers.ts';

const SEED = Number(process.env.SPIRIT_TEST_SEED ?? Math.floor(Math.random() * 1e9));

const MODES = [
  { name: 'unsplit', convexify: false, scenarios: 500, share: 0.98 },
  { name: 'convexified', convexify: true, scenarios: 300, share: 0.92 },
] as const;

describe('quality against ideal on fresh mixes', () => {
  for (const mode of MODES) {
  it(`${mode.name}: reaches 0.95 of ideal on >= ${mode.share * 100}% of ${mode.scenarios} fresh 2-3 app mixes and is never below static (seed ${SEED})`, async () => {
    const { wasm } = await engines();
    let compared = 0;
    let close = 0;
    const misses: string[] = [];
    for (let k = 0; k < mode.scenarios; k++) {
      const s = validateScenario(freshMix({ apps: 2 + (k % 2), seed: SEED + k })).scenario;
      const spirit = solveScenario(wasm, s, { convexify: mode.convexify });
      const label = `seed ${SEED + k} (${s.apps.length} apps)`;
      expect(spirit.certificate.sharingIncentiveViolations, label).toEqual([]);
      expect(spirit.certificate.geoMeanPerf!, `${label}: below static`).toBeGreaterThanOrEqual(1 - 1e-9);
      const ideal = solveScenario(wasm, s, { convexify: mode.convexify, policy: 'ideal' });
      if (ideal.certificate.sharingIncentiveViolations.length > 0) continue; // ideal found no fair allocation
      compared++;
      if (spirit.certificate.geoMeanPerf! >= 0.95 * ideal.certificate.geoMeanPerf!) close++;
      else misses.push(`${label}: ${spirit.certificate.geoMeanPerf!.toFixed(3)} vs ideal ${ideal.certificate.geoMeanPerf!.toFixed(3)}`);
    }
    console.info(`${mode.name} spirit within 0.95 of ideal on ${close} of ${compared} fresh mixes (${((100 * close) / compared).toFixed(1)}%)` +
      (misses.length ? `; below: ${misses.join('; ')}` : ''));
    expect(compared).toBeGreaterThan(mode.scenarios * 0.9);
    expect(close / compared).toBeGreaterThanOrEqual(mode.share);
  }, 1_800_000);
  }
});
