// One solve: a validated scenario in, a result (spec/result.schema.json) out. The only place where market
// shares become MB and Mbps again.
import { performance } from 'node:perf_hooks';
import type { Allocation, EquilibriumProof, Policy, Scenario, SolveResult } from '../scenario/types.ts';
import { partitionsAt } from './convex.ts';
import { amountOf } from '../units.ts';
import type { Engine } from './engine.ts';
import { checkLiveOptions, startingPoint, stepToward, trustRegionOn, withinHysteresis, type LiveOptions } from './live.ts';
import { buildProblem, checkReferencePerf } from './problem.ts';
import { drfPolicy } from './policies/drf.ts';
import { harvestPolicy } from './policies/harvest.ts';
import { idealPolicy } from './policies/ideal.ts';
import { spiritPolicy } from './policies/spirit.ts';
import { staticPolicy } from './policies/static.ts';
import { tradePolicy } from './policies/trade.ts';
import type { PolicyFn, PolicyOutput } from './policies/types.ts';

export interface SolveOptions extends LiveOptions {
  policy?: Policy;
  /** plan partitionable apps on the convex hulls of their curves (default true) */
  convexify?: boolean;
  /** warnings from validation, carried into the result */
  warnings?: string[];
}

const POLICY_FNS: Record<Policy, PolicyFn> = {
  spirit: spiritPolicy, static: staticPolicy, drf: drfPolicy, harvest: harvestPolicy, trade: tradePolicy, ideal: idealPolicy,
};

/** Leftover of a resource below this share of capacity counts as cleared (spec: <= 0.5%). */
export const CLEAR_SHARE = 0.005;
/** Normalized performance under 1 - this is a sharing-incentive violation (spec/result.schema.json). */
export const SI_TOL = 1e-9;
/** An equilibrium is exact when no app could do better than this (relative) with what it can afford. */
export const BEST_RESPONSE_GAP_TOL = 1e-6;

/** Every app at least at its reference throughput (within SI_TOL) with bundles (x, y), on the loaded problem. */
function keepsFairShares(engine: Engine, x: Float64Array, y: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (engine.perf(i, x[i], y[i]) < engine.refPerf(i) * (1 - SI_TOL)) return false;
  return true;
}

/** Every share in `v` at its maximum in `hi` (within rounding). */
function allAtMax(v: Float64Array, hi: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (!(v[i] >= hi[i] - 1e-9)) return false;
  return true;
}

export function solveScenario(engine: Engine, scenario: Scenario, opts: SolveOptions = {}): SolveResult {
  checkLiveOptions(opts);
  const policy = opts.policy ?? 'spirit';
  const t0 = performance.now();
  const p = buildProblem(scenario, { convexify: opts.convexify ?? true });
  engine.load(p);
  const refF = new Float64Array(p.n);
  for (let i = 0; i < p.n; i++) refF[i] = engine.refPerf(i);
  checkReferencePerf(p, refF);
  let out: PolicyOutput = POLICY_FNS[policy](engine, p);
  // live control (spirit only): hold within the hysteresis band, else step toward the equilibrium
  let held = false;
  let step: { fractionCache: number; fractionBandwidth: number } | null = null;
  const live = policy === 'spirit' && (trustRegionOn(opts) || opts.hysteresisShare !== undefined);
  const start = live ? startingPoint(p) : null;
  // (the bundles in force are kept only while every app still has its fair share under the models of this
  // round: a model re-estimated a little can put a held bundle just under it)
  if (start && opts.hysteresisShare !== undefined && withinHysteresis(start.x, start.y, out.x, out.y, opts.hysteresisShare) && keepsFairShares(engine, start.x, start.y)) {
    out = { ...out, x: start.x, y: start.y, certificate: undefined };
    held = true;
  } else if (start && trustRegionOn(opts)) {
    const s = stepToward(p, engine, start.x, start.y, out.x, out.y, opts);
    if (s.fractionCache < 1 || s.fractionBandwidth < 1) {
      out = { ...out, x: s.x, y: s.y, certificate: undefined };
      step = { fractionCache: s.fractionCache, fractionBandwidth: s.fractionBandwidth };
    }
  }
  const cert = out.certificate ?? engine.certificate(out.x, out.y);
  const elapsedMs = performance.now() - t0;

  const cap = p.capacity;
  let sx = 0;
  let sy = 0;
  let logSum = 0;
  let minPerf = Infinity;
  const violations: string[] = [];
  const allocations: Allocation[] = [];
  for (let i = 0; i < p.n; i++) {
    sx += out.x[i];
    sy += out.y[i];
    const np = cert.f[i] / cert.refF[i];
    logSum += Math.log(Math.max(np, 1e-300));
    minPerf = Math.min(minPerf, np);
    if (np < 1 - SI_TOL) violations.push(p.ids[i]);
    const a: Allocation = { id: p.ids[i], cacheMB: amountOf(out.x[i], cap.cacheMB), bandwidthMbps: amountOf(out.y[i], cap.bandwidthMbps), normalizedPerf: np };
    if (p.partitioned[i]) {
      a.partitions = partitionsAt(p.models, p.modelOff[i], out.x[i]).map((q) => ({ accessShare: q.accessShare, cacheMB: amountOf(q.cache, cap.cacheMB) }));
    }
    allocations.push(a);
  }
  // the proof holds for the equilibrium itself, not for a step toward it or an allocation held in force
  let equilibrium: EquilibriumProof | undefined;
  if (out.equilibrium && !held && !step) {
    const budgets: Record<string, number> = {};
    for (let i = 0; i < p.n; i++) budgets[p.ids[i]] = out.equilibrium.budgets[i];
    equilibrium = {
      exact: out.equilibrium.gap <= BEST_RESPONSE_GAP_TOL, bestResponseGap: out.equilibrium.gap, budgets,
      dividend: out.equilibrium.dividend, marginShare: p.margin,
    };
  }
  const leftX = Math.max(0, 1 - sx);
  const leftY = Math.max(0, 1 - sy);
  const cacheAtMax = allAtMax(out.x, p.xmax);
  const bwAtMax = allAtMax(out.y, p.ymax);
  const cleared = (leftX <= CLEAR_SHARE || cacheAtMax) && (leftY <= CLEAR_SHARE || bwAtMax);
  // (optional fields are assigned in place, in the order the document has always had: object spreads of
  // conditional parts cost a copy each on every solve)
  const certificate: SolveResult['certificate'] = {
    cleared,
    iterations: out.iterations,
    leftoverCacheMB: amountOf(leftX, cap.cacheMB),
    leftoverBandwidthMbps: amountOf(leftY, cap.bandwidthMbps),
    maxEnvy: cert.maxEnvy,
    sharingIncentiveViolations: violations,
  } as SolveResult['certificate'];
  if (cert.envier >= 0) certificate.envious = [{ app: p.ids[cert.envier], envies: p.ids[cert.envied], ratio: cert.maxEnvy }];
  certificate.allAtMaximum = cacheAtMax && bwAtMax;
  certificate.geoMeanPerf = Math.exp(logSum / p.n);
  certificate.minPerf = minPerf;
  if (live && trustRegionOn(opts)) certificate.trustRegion = true;
  if (step) certificate.step = step;
  if (held) certificate.held = true;
  if (out.method) certificate.method = out.method;
  if (equilibrium) certificate.equilibrium = equilibrium;
  const result = { policy } as SolveResult;
  if (out.prices) result.prices = out.prices;
  result.allocations = allocations;
  result.certificate = certificate;
  result.elapsedMs = elapsedMs;
  result.engine = engine.kind;
  if (opts.warnings && opts.warnings.length) result.warnings = opts.warnings;
  result.convexified = p.convexified;
  return result;
}
