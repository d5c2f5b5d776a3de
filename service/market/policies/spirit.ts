// spirit: the CEEI market. On convex curves (every app partitionable, or its curve already convex), with
// fair shares proportional to weights (no maximum binding in the weighted split), the exact equilibrium
// (engine.equilibrium()); otherwise the search for fair allocations on curves with cliffs (engine.spirit()),
// which works on the convex hulls of partitionable apps' curves as well. With 2 or 3 apps both also try the
// knot search (bundles at the vertices of the planned curves and on a grid, refined) and keep whichever fair
// allocation has the higher weighted Nash welfare (the equilibrium unless the other is 1% better).
import type { CertificateRaw, Engine } from '../engine.ts';
import type { Problem } from '../problem.ts';
import { ENVY_TARGET } from '../twin/limits.ts';
import { handOutLeftover } from '../twin/equilibrium.ts';
import { ln } from '../twin/ln.ts';
import type { PolicyFn, PolicyOutput } from './types.ts';

/** Apps at most for the knot search, and its grids (cache steps, bandwidth steps) by app count. */
export const KNOT_SEARCH_MAX_APPS = 3;
const KNOT_GRIDS: Record<number, [number, number]> = { 2: [32, 64], 3: [16, 16] };
const SI_TOL = 1e-9;
/** Share of a resource that may stay unallocated and still count as cleared (rounding). */
const CLEAR_TOL = 1e-6;
/** A fair allocation replaces the exact equilibrium only if its weighted geometric mean is this much higher. */
const EQUILIBRIUM_KEEP_GAIN = 0.01;
/**
 * ... and only if the app it leaves closest to its fair share is no closer than the equilibrium's closest (both
 * counted up to this share above it). The knot search maximizes welfare subject to the sharing incentive, so
 * some app usually sits exactly on it: on estimated curves (a few percent off) that app then falls below what
 * static gives it, live. The equilibrium gives each app its best affordable bundle instead, which is rarely on
 * that edge; where it is too, the knot search may move who stands there, not add to how close anyone stands.
 */
const FAIR_SHARE_EDGE = 0.05;

export const spiritPolicy: PolicyFn = (engine, p) => {
  if (p.convex && p.proportional) {
    const r = engine.equilibrium();
    const eq: PolicyOutput = {
      x: r.x, y: r.y, iterations: r.iterations, prices: { cache: r.priceCache, bandwidth: 1 - r.priceCache }, certificate: r.certificate,
      method: 'equilibrium', equilibrium: { budgets: r.budgets, dividend: r.dividend, gap: r.gap },
    };
    // The equilibrium is one fair allocation, not the fair allocation of highest welfare: with 2-3 apps the knot
    // search on the hulls finds far better ones on some mixes (limits: 4.96x static against 2.62x). It replaces
    // the equilibrium only when clearly better (EQUILIBRIUM_KEEP_GAIN), so the exact, priced outcome stays the rule.
    if (p.n < 2 || p.n > KNOT_SEARCH_MAX_APPS) return eq;
    const k = knotCandidate(engine, p);
    return k && clearOfFairShareEdge(eq, k) ? betterOf(p, eq, k, EQUILIBRIUM_KEEP_GAIN) : eq;
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
  const found: PolicyOutput = { x: k.x, y: k.y, iterations: k.evaluated, certificate: engine.certificate(k.x, k.y) };
  return clears(p, found) ? found : completed(engine, p, found);
}

/**
 * A knot search's allocation may leave a resource idle: an app past a cliff on a flat stretch of its curve gains
 * nothing from more cache, and the other is at its maximum. Idle capacity is waste the market never leaves, so
 * the rest is handed out, by weight or all to one app (capped at maxima), keeping the first way that stays fair;
 * more of a resource never lowers an app's own throughput, only envy can rise. Null if no way is fair.
 */
function completed(engine: Engine, p: Problem, o: PolicyOutput): PolicyOutput | null {
  const ways: (number | null)[] = [null, ...Array.from({ length: p.n }, (_, j) => j)];
  for (const to of ways) {
    const x = handOut(p, o.x, p.xmax, to);
    const y = handOut(p, o.y, p.ymax, to);
    const c = engine.certificate(x, y);
    const out: PolicyOutput = { x, y, iterations: o.iterations, certificate: c };
    if (fair(c) && clears(p, out)) return out;
  }
  return null;
}

/** v plus what is left of capacity 1, given by weight (to === null) or first to app `to`, never past max. */
function handOut(p: Problem, v: Float64Array, max: Float64Array, to: number | null): Float64Array {
  const out = Float64Array.from(v);
  let left = 1;
  for (let i = 0; i < p.n; i++) left -= out[i];
  if (to !== null && left > 0) out[to] += Math.min(left, Math.max(0, max[to] - out[to]));
  handOutLeftover(p, out, max);
  return out;
}

/**
 * The market's allocation unless the other is fair and has a higher weighted Nash welfare (higher by a factor
 * 1 + minGain in the weighted geometric mean).
 */
function betterOf(p: Problem, market: PolicyOutput, other: PolicyOutput | null, minGain = 0): PolicyOutput {
  if (!other?.certificate || !market.certificate) return market;
  let wsum = 0;
  for (let i = 0; i < p.n; i++) wsum += p.weights[i];
  const margin = minGain > 0 ? wsum * ln(1 + minGain) : 1e-12;
  if (!fair(other.certificate) || !equalTreatment(p, other) || (clears(p, market) && !clears(p, other)) || welfareOf(p, other.certificate) <= welfareOf(p, market.certificate) + margin) return market;
  // (no prices: the knot search's allocation is not a market outcome)
  return { ...other, iterations: market.iterations + other.iterations, method: 'knots' };
}

/** True when `other`'s app closest to its fair share is at least as far from it as the equilibrium's (see FAIR_SHARE_EDGE). */
function clearOfFairShareEdge(eq: PolicyOutput, other: PolicyOutput): boolean {
  const e = eq.certificate;
  const o = other.certificate;
  if (!e || !o) return false;
  return leastNormalized(o) >= Math.min(1 + FAIR_SHARE_EDGE, leastNormalized(e)) * (1 - SI_TOL);
}

/** The least throughput over the fair share's (equal-share) throughput. */
function leastNormalized(c: CertificateRaw): number {
  let least = Infinity;
  for (let i = 0; i < c.f.length; i++) least = Math.min(least, c.f[i] / c.refF[i]);
  return least;
}

/** Nothing left idle: each resource handed out in full, or every app at its maximum of it. */
function clears(p: Problem, o: PolicyOutput): boolean {
  let sx = 0;
  let sy = 0;
  let xFull = true;
  let yFull = true;
  for (let i = 0; i < p.n; i++) {
    sx += o.x[i];
    sy += o.y[i];
    if (o.x[i] < p.xmax[i] * (1 - CLEAR_TOL)) xFull = false;
    if (o.y[i] < p.ymax[i] * (1 - CLEAR_TOL)) yFull = false;
  }
  return (sx >= 1 - CLEAR_TOL || xFull) && (sy >= 1 - CLEAR_TOL || yFull);
}

/** Identical apps (one class) hold identical bundles: the market's promise, which the knot search does not keep by itself. */
function equalTreatment(p: Problem, o: PolicyOutput): boolean {
  const first = new Map<number, number>();
  for (let i = 0; i < p.n; i++) {
    const j = first.get(p.classId[i]);
    if (j === undefined) first.set(p.classId[i], i);
    else if (o.x[i] !== o.x[j] || o.y[i] !== o.y[j]) return false;
  }
  return true;
}

const fair = (c: CertificateRaw): boolean => c.maxEnvy <= ENVY_TARGET && c.f.every((f, i) => f >= c.refF[i] * (1 - SI_TOL));

/** Weighted Nash welfare: sum of w_i log(normalized performance). */
function welfareOf(p: Problem, c: CertificateRaw): number {
  let w = 0;
  for (let i = 0; i < c.f.length; i++) w += p.weights[i] * ln(c.f[i] / c.refF[i]);
  return w;
}
