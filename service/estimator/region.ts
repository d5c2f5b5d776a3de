// The region of bundles a fit's confidence speaks for, and the uncertainty of predictions over it.
// The allocator only ever asks about bundles near the one in force (the trust region moves each app by a
// bounded step per round), so "is the model good enough to act on" means "are its predictions there right",
// not "does it know the app everywhere". An app that has only ever been bandwidth-bound has an unknown latency
// branch, which matters only where that branch could become the smaller one.
import { InputError } from '../errors.ts';
import { NS_PER_S, bytesPerSecFromMbps } from '../units.ts';
import type { FitColumns, FitKernelResult } from './fit-twin.ts';
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
/**
 * A sample witnesses the bandwidth branch when its page traffic is at least this share of its bandwidth:
 * stricter than the kernel's SATURATED (0.9), so that noise in the measured traffic of a latency-bound
 * sample near the kink rarely makes it a witness.
 */
const BANDWIDTH_WITNESS = 0.97;
/** ... and the latency branch when its traffic is at most this share: well below the limit, so the limit did not hold it back. */
const LATENCY_WITNESS = 0.6;

/**
 * Samples that show which branch binds, as bandwidth per miss (bytes/s over the miss ratio). The model's
 * branches are monotone, so a witness decides the branch at more bundles than its own:
 * - bandwidth-bound at (m_s, b_s): Bw <= Lat there. A bundle with m <= m_s and b / m <= b_s / m_s has a
 *   latency branch at least as fast and a bandwidth branch at most as fast: bandwidth-bound too.
 * - latency-bound at (m_s, b_s): Lat <= Bw there. A bundle with m >= m_s and b / m >= b_s / m_s is latency-bound.
 * This holds whatever the (uncertain) parameters are, so near such bundles the other branch cannot take over.
 */
export interface Witnesses {
  /** bandwidth-bound samples: [m, bandwidth per miss] */
  bandwidth: [number, number][];
  /** latency-bound samples */
  latency: [number, number][];
}

/** The witnesses among the samples the robust fit kept (throughput weight u > 0). */
export function witnessesOf(cols: FitColumns, u: Float64Array, n: number): Witnesses {
  const out: Witnesses = { bandwidth: [], latency: [] };
  for (let i = 0; i < n; i++) {
    const m = cols.m[i], bw = cols.bw[i], tr = cols.tr[i];
    if (!(cols.w[i] > 0 && u[i] > 0 && cols.x[i] > 0 && m > 0 && bw > 0)) continue;
    if (tr >= BANDWIDTH_WITNESS * bw) out.bandwidth.push([m, bw / m]);
    else if (tr <= LATENCY_WITNESS * bw) out.latency.push([m, bw / m]);
  }
  return out;
}

const NO_WITNESSES: Witnesses = { bandwidth: [], latency: [] };

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
 * CROSSING_SIGMAS when that is larger (the other branch could take over there). Where a witness decides
 * the branch (see Witnesses), that branch's error: an app seen only bandwidth-bound has a poorly known
 * latency branch, but it cannot take over at bundles with no more bandwidth per miss than it was seen with.
 */
export function predictionSigmaOver(region: FitRegion, mrc: [number, number][], k: Pick<FitKernelResult, 'a' | 'c' | 'p' | 'cov'>, witnesses: Witnesses = NO_WITNESSES): number {
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
    // the most bandwidth per miss a bandwidth-bound witness with at least these misses had, and the least a latency-bound one with at most
    let bwUpTo = -Infinity, latFrom = Infinity;
    for (const [ms, v] of witnesses.bandwidth) if (ms >= m) bwUpTo = Math.max(bwUpTo, v);
    for (const [ms, v] of witnesses.latency) if (ms <= m) latFrom = Math.min(latFrom, v);
    for (const b of bws) {
      let s: number;
      if (m <= 0) s = sigmaL; // no misses: bandwidth plays no part
      else if (!(b > 0)) s = sigmaB; // no bandwidth: zero throughput, whatever the latency
      else {
        const perMiss = bytesPerSecFromMbps(b) / m;
        const bwBound = perMiss <= bwUpTo, latBound = perMiss >= latFrom;
        const lnBw = Math.log(perMiss) - k.p;
        const gap = Math.abs(lnLat - lnBw);
        const [act, other] = lnBw < lnLat ? [sigmaB, sigmaL] : [sigmaL, sigmaB];
        // witnessed: that branch's error (conflicting witnesses decide nothing). Not also the gap where the
        // point estimate takes the other branch: there the two branches are within the fit's noise of each
        // other (the hinge keeps the latency branch above what bandwidth-bound samples reached), and counting
        // it turned well-fitted synthetic models (parameters within 5%) into low-confidence ones
        if (bwBound !== latBound) s = bwBound ? sigmaB : sigmaL;
        else s = Math.max(act, other - gap / CROSSING_SIGMAS);
      }
      worst = Math.max(worst, s);
    }
  }
  return worst;
}
