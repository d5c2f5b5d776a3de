// spirit: the CEEI market. On convex curves (every app partitionable, or its curve already convex), with
// fair shares proportional to weights (no maximum binding in the weighted split), the exact equilibrium
// (engine.equilibrium()); otherwise the search for fair allocations on curves with cliffs (engine.spirit()),
// which works on the convex hulls of partitionable apps' curves as well. With 2 or 3 apps that search also
// tries the knot search (an app just past a cliff of its curve, which its market rounds can miss) and keeps
// whichever fair allocation has the higher weighted Nash welfare.
import type { CertificateRaw, Engine } from '../engine.ts';
import type { Problem } from '../problem.ts';
import { ENVY_TARGET } from '../twin/limits.ts';
import { ln } from '../twin/ln.ts';
import type { PolicyFn, PolicyOutput } from './types.ts';

/** Apps at most for the knot search, and its grids (cache steps, bandwidth steps) by app count. */
export const KNOT_SEARCH_MAX_APPS = 3;
const KNOT_GRIDS: Record<number, [number, number]> = { 2: [32, 64], 3: [16, 16] };
const SI_TOL = 1e-9;

export const spiritPolicy: PolicyFn = (engine, p) => {
  if (p.convex && p.proportional) {
    const r = engine.equilibrium();
    return {
      x: r.x, y: r.y, iterations: r.iterations, prices: { cache: r.priceCache, bandwidth: 1 - r.priceCache }, certificate: r.certificate,
      method: 'equilibrium', equilibrium: { budgets: r.budgets, dividend: r.dividend, gap: r.gap },
    };
  }
  const r = engine.spirit();
  const out: PolicyOutput = {
    x: r.x, y: r.y, iterations: r.iterations, certificate: r.certificate, method: r.fromMarket ? 'market' : 'static',
    ...(r.fromMarket ? { prices: { cache: r.priceCache, bandwidth: 1 - r.priceCache } } : {}),
  };
  return p.n >= 2 && p.n <= KNOT_SEARCH_MAX_APPS ? betterOf(p, out, knotCandidate(engine, p)) : out;
};

function knotCandidate(engine: Engine, p: Problem): PolicyOutput | null {
  const [grid, ySteps] = KNOT_GRIDS[p.n];
  const k = engine.knotSearch(grid, ySteps, ENVY_TARGET);
  if (!k.found) return null;
  return { x: k.x, y: k.y, iterations: k.evaluated, certificate: engine.certificate(k.x, k.y) };
}

/** The market's allocation unless the other is fair and has a higher weighted Nash welfare. */
function betterOf(p: Problem, market: PolicyOutput, other: PolicyOutput | null): PolicyOutput {
  if (!other?.certificate || !market.certificate) return market;
  if (!fair(other.certificate) || welfareOf(p, other.certificate) <= welfareOf(p, market.certificate) + 1e-12) return market;
  // (no prices: the knot search's allocation is not a market outcome)
  return { ...other, iterations: market.iterations + other.iterations, method: 'knots' };
}

const fair = (c: CertificateRaw): boolean => c.maxEnvy <= ENVY_TARGET && c.f.every((f, i) => f >= c.refF[i] * (1 - SI_TOL));

/** Weighted Nash welfare: sum of w_i log(normalized performance). */
function welfareOf(p: Problem, c: CertificateRaw): number {
  let w = 0;
  for (let i = 0; i < c.f.length; i++) w += p.weights[i] * ln(c.f[i] / c.refF[i]);
  return w;
}
