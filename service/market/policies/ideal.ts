// ideal: exhaustive search (small N only): the allocation of best weighted Nash welfare among those with the
// sharing incentive and envy within the market's target.
import { InputError } from '../../errors.ts';
import { ENVY_TARGET } from '../twin/limits.ts';
import { IDEAL_MAX_APPS } from '../twin/ideal.ts';
import type { PolicyFn } from './types.ts';

/** Coarse grid steps per coordinate: finer for 2 apps (2 free coordinates) than for 3 (4 free). */
export const idealGridSteps = (n: number): number => (n <= 2 ? 256 : 48);

export const idealPolicy: PolicyFn = (engine, p) => {
  if (p.n > IDEAL_MAX_APPS) {
    throw new InputError('apps', `the ideal policy searches exhaustively and takes at most ${IDEAL_MAX_APPS} apps; this scenario has ${p.n}`);
  }
  const r = engine.ideal(idealGridSteps(p.n), ENVY_TARGET);
  if (!r.found) return { x: p.refX.slice(), y: p.refY.slice(), iterations: r.evaluated };
  return { x: r.x, y: r.y, iterations: r.evaluated };
};
