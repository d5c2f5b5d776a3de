// The `mrc` performance model (DESIGN.md section 3, spec/scenario.schema.json) as the estimator produces it:
//   throughput(c, b) = min( 1e9 / (localNs + m(c) * remoteNs) , (b * 1e6 / 8) / (m(c) * pageBytes) )  accesses/s
// with m(c) piecewise linear over [cacheMB, missRatio] points, flat beyond the last point.
import { NS_PER_S, bytesPerSecFromMbps } from '../units.ts';

export interface MrcModel {
  type: 'mrc';
  /** [cacheMB, missRatio]: cacheMB strictly increasing, missRatio non-increasing in [0, 1], >= 2 points */
  mrc: [number, number][];
  pageBytes: number;
  localNs: number;
  remoteNs: number;
}

/** m(c): linear between points, the first point's value below it, the last point's value beyond it. */
export function missRatioAt(mrc: readonly (readonly [number, number])[], cacheMB: number): number {
  if (cacheMB <= mrc[0][0]) return mrc[0][1];
  const last = mrc[mrc.length - 1];
  if (cacheMB >= last[0]) return last[1];
  let lo = 0;
  let hi = mrc.length - 1;
  while (hi - lo > 1) { // bounded: log2(points) rounds
    const mid = (lo + hi) >>> 1;
    if (mrc[mid][0] <= cacheMB) lo = mid;
    else hi = mid;
  }
  const [c0, m0] = mrc[lo];
  const [c1, m1] = mrc[hi];
  return m0 + ((m1 - m0) * (cacheMB - c0)) / (c1 - c0);
}

/** Throughput (accesses/s) at a miss ratio and a bandwidth. */
export function throughputAtMiss(model: Omit<MrcModel, 'mrc' | 'type'>, missRatio: number, bandwidthMbps: number): number {
  const latencyBound = NS_PER_S / (model.localNs + missRatio * model.remoteNs);
  if (missRatio <= 0) return latencyBound;
  const bandwidthBound = bytesPerSecFromMbps(bandwidthMbps) / (missRatio * model.pageBytes);
  return Math.min(latencyBound, bandwidthBound);
}

/** Throughput (accesses/s) of the model at a bundle. */
export function throughputOf(model: MrcModel, cacheMB: number, bandwidthMbps: number, partitions?: readonly { accessShare: number; cacheMB: number }[]): number {
  const m = partitions && partitions.length > 1 ? splitMissRatio(model.mrc, partitions) : missRatioAt(model.mrc, cacheMB);
  return throughputAtMiss(model, m, bandwidthMbps);
}

/**
 * m of an app whose pages are split into hash partitions (Talus): a partition seeing a share r of the pages
 * with c of cache misses like the whole app with c / r, so the app misses sum_k r_k m(c_k / r_k).
 */
export function splitMissRatio(mrc: readonly (readonly [number, number])[], partitions: readonly { accessShare: number; cacheMB: number }[]): number {
  let m = 0;
  for (const q of partitions) if (q.accessShare > 0) m += q.accessShare * missRatioAt(mrc, q.cacheMB / q.accessShare);
  return m;
}
