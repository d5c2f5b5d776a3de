// From allocations to region limits. An allocation's bundle (cacheMB, bandwidthMbps, partitions) becomes a
// region's cacheBytes (whole pages, at least the data plane's minimum), bandwidthMbps (within the data
// plane's range) and hash split (each partition's share of the pages and its cache in whole pages; docs/
// dataplane.md, "Partitions"). Apps of this node missing from an allocation keep the limits they have;
// bundles of apps this daemon does not run are ignored (and reported). A split the data plane cannot take
// (shares that are not a split of 1, sizes that are not amounts) is applied unsplit and reported.
import { nativeLimits, type RegionPartition } from '../../native/index.ts';
import type { AllocationDoc } from '../bus/types.ts';
import { assert, InputError } from '../errors.ts';
import type { Capacity, Limits, Partition } from '../scenario/types.ts';
import { bytesFromMiB } from '../units.ts';
import type { RegionLimitsInForce } from './supervisor.ts';

export interface EnforcementPlan {
  epoch: number;
  /** new limits for the apps of this daemon named in the allocation */
  apply: Map<string, RegionLimitsInForce>;
  /** apps whose bundle carried a split the data plane cannot take (applied unsplit), and why */
  badSplits: { app: string; why: string }[];
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

/** How far a split's shares may be from summing to 1 (doubles from a solver, through JSON). */
const SHARE_SUM_TOLERANCE = 1e-6;

/** A bundle as region limits: cache rounded down to whole pages, both clamped to what a region accepts. */
export function limitsOfBundle(b: { cacheMB: number; bandwidthMbps: number; partitions?: Partition[] }, bounds: RegionBounds): RegionLimitsInForce {
  assert(Number.isFinite(b.cacheMB) && b.cacheMB >= 0 && Number.isFinite(b.bandwidthMbps) && b.bandwidthMbps >= 0, 'a bundle holds non-negative finite amounts');
  const pages = Math.floor(bytesFromMiB(b.cacheMB) / bounds.pageBytes);
  const limits: RegionLimitsInForce = {
    cacheBytes: Math.max(bounds.cacheBytesMin, pages * bounds.pageBytes),
    bandwidthMbps: Math.min(bounds.bandwidthMbpsMax, Math.max(bounds.bandwidthMbpsMin, b.bandwidthMbps)),
  };
  const split = b.partitions === undefined ? undefined : splitOfPartitions(b.partitions, limits.cacheBytes, bounds.pageBytes);
  return split ? { ...limits, partitions: split } : limits;
}

/**
 * A bundle's partitions as the region's split: shares normalized to sum to exactly 1, sizes in whole pages
 * summing to at most the region's cache (rounding is taken from the larger partition; what they leave, the
 * region gives the larger). One partition, or one with all of the pages, is no split (undefined). Throws
 * InputError for partitions the data plane cannot take.
 */
export function splitOfPartitions(parts: Partition[], cacheBytes: number, pageBytes: number): RegionPartition[] | undefined {
  if (!Array.isArray(parts) || parts.length < 1 || parts.length > 2) throw new InputError('partitions', `must hold 1 or 2 partitions; got ${Array.isArray(parts) ? parts.length : typeof parts}`);
  parts.forEach((p, i) => {
    if (!(typeof p?.accessShare === 'number' && p.accessShare >= 0 && p.accessShare <= 1)) throw new InputError(`partitions[${i}].accessShare`, `must be a number in [0, 1]; got ${String(p?.accessShare)}`);
    if (!(typeof p.cacheMB === 'number' && Number.isFinite(p.cacheMB) && p.cacheMB >= 0)) throw new InputError(`partitions[${i}].cacheMB`, `must be a non-negative number; got ${String(p.cacheMB)}`);
  });
  const shares = parts.reduce((t, p) => t + p.accessShare, 0);
  if (Math.abs(shares - 1) > SHARE_SUM_TOLERANCE) throw new InputError('partitions', `the shares must sum to 1; got ${shares}`);
  if (parts.length === 1 || parts.some((p) => p.accessShare === 0)) return undefined;
  const share = parts[0].accessShare / shares;
  const bytes = parts.map((p) => Math.floor(bytesFromMiB(p.cacheMB) / pageBytes) * pageBytes);
  const over = bytes[0] + bytes[1] - cacheBytes;
  if (over > 0) bytes[bytes[0] >= bytes[1] ? 0 : 1] -= over;  // the sizes' rounding, never more than the cache
  return [{ accessShare: share, cacheBytes: Math.max(0, bytes[0]) }, { accessShare: 1 - share, cacheBytes: Math.max(0, bytes[1]) }];
}

export function planAllocation(doc: AllocationDoc, ours: Iterable<string>, bounds: RegionBounds): EnforcementPlan {
  const mine = new Set(ours);
  const apply = new Map<string, RegionLimitsInForce>();
  const foreign: string[] = [];
  const badSplits: { app: string; why: string }[] = [];
  for (const b of doc.bundles) {
    if (!mine.has(b.app)) {
      foreign.push(b.app);
      continue;
    }
    try {
      apply.set(b.app, limitsOfBundle(b, bounds));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      badSplits.push({ app: b.app, why: err.message });
      apply.set(b.app, limitsOfBundle({ cacheMB: b.cacheMB, bandwidthMbps: b.bandwidthMbps }, bounds));
    }
  }
  return { epoch: doc.epoch, apply, badSplits, missing: [...mine].filter((a) => !apply.has(a)), foreign };
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
