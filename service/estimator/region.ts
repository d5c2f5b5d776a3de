// The region of bundles a fit's confidence speaks for, and the uncertainty of predictions over it.
// The allocator only ever asks about bundles near the one in force (the trust region moves each app by a
// bounded step per round), so "is the model good enough to act on" means "are its predictions there right",
// not "does it know the app everywhere". An app that has only ever been bandwidth-bound has an unknown latency
// branch, which matters only where that branch could become the smaller one.
import { InputError } from '../errors.ts';
import { NS_PER_S, bytesPerSecFromMbps } from '../units.ts';
import type { FitKernelResult } from './fit-twin.ts';
import { missRatioAt } from './model.ts';
import { checkNumber, describe } from './validate.ts';

export interface FitRegion {
  /** [lowest, highest] cache size of the bundles to predict, MiB */
  cacheMB: [number, number];
  /** [lowest, highest] bandwidth of the bundles to predict, Mbps */
  bandwidthMbps: [number, number];
}

/** Probes per axis of the region (plus the curve's own points inside it). */
const REGION_GRID = 9;
/** Most of the curve's points probed (strided beyond this). */
const MAX_CURVE_PROBES = 64;
/** The default region widens the recent samples' box by this share each way (a trust-region step). */
const DEFAULT_WIDEN = 0.25;
/** Samples with at least this share of the newest one's weight define the default region. */
const RECENT_WEIGHT = 0.5;
/**
 * How many standard errors the branch that is not the smaller one may move before it counts: a prediction is
 * uncertain near the kink when the other branch, Z sigmas off, could take over.
 */
const CROSSING_SIGMAS = 2;

function checkPair(where: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new InputError(where, `must be a [low, high] pair, got ${describe(v)}`);
  const lo = checkNumber(`${where}[0]`, v[0], { min: 0 });
  const hi = checkNumber(`${where}[1]`, v[1], { min: 0 });
  if (hi < lo) throw new InputError(`${where}[1]`, `${hi} is below the low end ${lo}`);
  return [lo, hi];
}

/** A region as the fit accepts it: two [low, high] pairs of finite non-negative numbers. */
export function checkRegion(where: string, r: unknown): FitRegion {
  if (r === null || typeof r !== 'object') throw new InputError(where, `must be { cacheMB: [lo, hi], bandwidthMbps: [lo, hi] }, got ${describe(r)}`);
  const o = r as Record<string, unknown>;
  return { cacheMB: checkPair(`${where}.cacheMB`, o.cacheMB), bandwidthMbps: checkPair(`${where}.bandwidthMbps`, o.bandwidthMbps) };
}

/** The box of the recent samples (weight >= half the largest), widened by 25% each way. */
export function defaultRegion(samples: readonly { cacheMB: number; bandwidthMbps: number }[], w: Float64Array): FitRegion {
  let top = 0;
  for (let i = 0; i < w.length; i++) top = Math.max(top, w[i]);
  let c0 = Infinity, c1 = 0, b0 = Infinity, b1 = 0;
  samples.forEach((s, i) => {
    if (top > 0 && w[i] < RECENT_WEIGHT * top) return;
    c0 = Math.min(c0, s.cacheMB); c1 = Math.max(c1, s.cacheMB);
    b0 = Math.min(b0, s.bandwidthMbps); b1 = Math.max(b1, s.bandwidthMbps);
  });
  if (c0 > c1) return { cacheMB: [0, 0], bandwidthMbps: [0, 0] }; // no samples: nothing to speak for
  return { cacheMB: [c0 * (1 - DEFAULT_WIDEN), c1 * (1 + DEFAULT_WIDEN)], bandwidthMbps: [b0 * (1 - DEFAULT_WIDEN), b1 * (1 + DEFAULT_WIDEN)] };
}

function grid(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo];
  return Array.from({ length: REGION_GRID }, (_, i) => lo + ((hi - lo) * i) / (REGION_GRID - 1));
}

/**
 * Largest standard error of ln(predicted throughput) over the region, from the fit's posterior covariance:
 * at each probe the smaller branch's error, or the other branch's error less the gap between them over
 * CROSSING_SIGMAS when that is larger (the other branch could take over there).
 */
export function predictionSigmaOver(region: FitRegion, mrc: [number, number][], k: FitKernelResult): number {
  const [c00, c01, , c11, , c22] = k.cov;
  const L = Math.exp(k.a), R = Math.exp(k.c);
  const sigmaB = Math.sqrt(Math.max(0, c22));
  const caches = grid(region.cacheMB[0], region.cacheMB[1]);
  const inside = mrc.filter(([c]) => c > region.cacheMB[0] && c < region.cacheMB[1]);
  const step = Math.max(1, Math.ceil(inside.length / MAX_CURVE_PROBES));
  for (let i = 0; i < inside.length; i += step) caches.push(inside[i][0]);
  const bws = grid(region.bandwidthMbps[0], region.bandwidthMbps[1]);
  let worst = 0;
  for (const c of caches) {
    const m = missRatioAt(mrc, c);
    const D = L + m * R;
    const g0 = L / D, g1 = (m * R) / D;
    const sigmaL = Math.sqrt(Math.max(0, g0 * g0 * c00 + 2 * g0 * g1 * c01 + g1 * g1 * c11));
    const lnLat = Math.log(NS_PER_S / D);
    for (const b of bws) {
      let s: number;
      if (m <= 0) s = sigmaL; // no misses: bandwidth plays no part
      else if (!(b > 0)) s = sigmaB; // no bandwidth: zero throughput, whatever the latency
      else {
        const lnBw = Math.log(bytesPerSecFromMbps(b) / m) - k.p;
        const gap = Math.abs(lnLat - lnBw);
        const [act, other] = lnBw < lnLat ? [sigmaB, sigmaL] : [sigmaL, sigmaB];
        s = Math.max(act, other - gap / CROSSING_SIGMAS);
      }
      worst = Math.max(worst, s);
    }
  }
  return worst;
}
