// From allocations to region limits. An allocation's bundle (cacheMB, bandwidthMbps) becomes a region's
// cacheBytes (whole pages, at least the data plane's minimum) and bandwidthMbps (within the data plane's
// range). Apps of this node missing from an allocation keep the limits they have; bundles of apps this
// daemon does not run are ignored (and reported).
import { nativeLimits } from '../../native/index.ts';
import type { AllocationDoc } from '../bus/types.ts';
import { assert } from '../errors.ts';
import type { Capacity, Limits } from '../scenario/types.ts';
import { bytesFromMiB } from '../units.ts';
import type { RegionLimitsInForce } from './supervisor.ts';

export interface EnforcementPlan {
  epoch: number;
  /** new limits for the apps of this daemon named in the allocation */
  apply: Map<string, RegionLimitsInForce>;
  /** apps of this daemon the allocation does not name: they keep their limits */
  missing: string[];
  /** apps the allocation names that this daemon does not run */
  foreign: string[];
}

export interface RegionBounds {
  cacheBytesMin: number;
  pageBytes: number;
  bandwidthMbpsMin: number;
  bandwidthMbpsMax: number;
}

/** The data plane's bounds on limits (native/src/limits.h). */
export function regionBounds(): RegionBounds {
  const L = nativeLimits();
  return { cacheBytesMin: L.cachePagesMin * L.pageBytes, pageBytes: L.pageBytes, bandwidthMbpsMin: L.bandwidthMbpsMin, bandwidthMbpsMax: L.bandwidthMbpsMax };
}

/** A bundle as region limits: cache rounded down to whole pages, both clamped to what a region accepts. */
export function limitsOfBundle(b: { cacheMB: number; bandwidthMbps: number }, bounds: RegionBounds): RegionLimitsInForce {
  assert(Number.isFinite(b.cacheMB) && b.cacheMB >= 0 && Number.isFinite(b.bandwidthMbps) && b.bandwidthMbps >= 0, 'a bundle holds non-negative finite amounts');
  const pages = Math.floor(bytesFromMiB(b.cacheMB) / bounds.pageBytes);
  return {
    cacheBytes: Math.max(bounds.cacheBytesMin, pages * bounds.pageBytes),
    bandwidthMbps: Math.min(bounds.bandwidthMbpsMax, Math.max(bounds.bandwidthMbpsMin, b.bandwidthMbps)),
  };
}

export function planAllocation(doc: AllocationDoc, ours: Iterable<string>, bounds: RegionBounds): EnforcementPlan {
  const mine = new Set(ours);
  const apply = new Map<string, RegionLimitsInForce>();
  const foreign: string[] = [];
  for (const b of doc.bundles) {
    if (mine.has(b.app)) apply.set(b.app, limitsOfBundle(b, bounds));
    else foreign.push(b.app);
  }
  return { epoch: doc.epoch, apply, missing: [...mine].filter((a) => !apply.has(a)), foreign };
}

/**
 * Limits before the first allocation arrives: the weighted equal split of the node's capacity, each share
 * clamped into the app's own limits. (The service's first round gives about the same.)
 */
export function initialBundles(apps: { id: string; weight: number; limits?: Limits }[], capacity: Capacity): Map<string, { cacheMB: number; bandwidthMbps: number }> {
  const total = apps.reduce((t, a) => t + a.weight, 0);
  const out = new Map<string, { cacheMB: number; bandwidthMbps: number }>();
  for (const a of apps) {
    const share = a.weight / total;
    const clamp = (v: number, lo: number | undefined, hi: number | undefined): number => {
      const up = Math.max(lo ?? 0, v);
      return hi === undefined ? up : Math.min(hi, up);
    };
    out.set(a.id, {
      cacheMB: clamp(capacity.cacheMB * share, a.limits?.minCacheMB, a.limits?.maxCacheMB),
      bandwidthMbps: clamp(capacity.bandwidthMbps * share, a.limits?.minBandwidthMbps, a.limits?.maxBandwidthMbps),
    });
  }
  return out;
}
