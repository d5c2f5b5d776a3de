// Every policy on one scenario, side by side: what `spirit compare` and the start-up table show.
import { POLICIES, type Policy, type Scenario, type SolveResult } from '../scenario/types.ts';
import type { Engine } from './engine.ts';
import { IDEAL_MAX_APPS } from './twin/ideal.ts';
import { solveScenario } from './solve.ts';

export interface Comparison {
  scenario: string;
  results: SolveResult[];
  /** policies that did not run, with the reason (ideal beyond 3 apps) */
  skipped: { policy: Policy; reason: string }[];
}

export function comparePolicies(engine: Engine, s: Scenario, policies: readonly Policy[] = POLICIES): Comparison {
  const results: SolveResult[] = [];
  const skipped: Comparison['skipped'] = [];
  for (const policy of policies) {
    if (policy === 'ideal' && s.apps.length > IDEAL_MAX_APPS) {
      skipped.push({ policy, reason: `exhaustive search runs for at most ${IDEAL_MAX_APPS} apps` });
      continue;
    }
    results.push(solveScenario(engine, s, { policy }));
  }
  return { scenario: s.name ?? '(unnamed)', results, skipped };
}
