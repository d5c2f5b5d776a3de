// The bundles the market may give each app next round: the trust region around the bundle in force (and the
// app's equal share, which the box always contains), within the app's limits and the node. The estimator is
// told this region when its epoch closes, so its confidence speaks for the predictions the market will use.
import type { AppRecord } from '../bus/types.ts';
import type { Bundle, Capacity } from '../scenario/types.ts';
import { amountOf, shareOf } from '../units.ts';

export interface AppRegion {
  cacheMB: [number, number];
  bandwidthMbps: [number, number];
}

/** One resource's box, in capacity shares: [min(cur, ref) - d, max(cur, ref) + d] within [lo, hi]. */
function box(cur: number, ref: number, d: number, lo: number, hi: number): [number, number] {
  const a = Math.max(lo, Math.min(cur, ref) - d);
  const b = Math.min(hi, Math.max(cur, ref) + d);
  return a <= b ? [a, b] : [b, b];
}

/**
 * The next-round region of one app. `trustShare` undefined (trust region off): the whole range its limits allow.
 * refX/refY: its equal share (capacity shares); `current`: the bundle in force, if any.
 */
export function nextRoundRegion(app: AppRecord, cap: Capacity, refX: number, refY: number, current: Bundle | undefined, trustShare: number | undefined): AppRegion {
  const l = app.limits ?? {};
  const d = trustShare ?? 1;
  const curX = current ? Math.min(1, shareOf(Math.max(0, current.cacheMB), cap.cacheMB)) : refX;
  const curY = current ? Math.min(1, shareOf(Math.max(0, current.bandwidthMbps), cap.bandwidthMbps)) : refY;
  const x = box(curX, refX, d, Math.min(1, shareOf(l.minCacheMB ?? 0, cap.cacheMB)), Math.min(1, shareOf(l.maxCacheMB ?? cap.cacheMB, cap.cacheMB)));
  const y = box(curY, refY, d, Math.min(1, shareOf(l.minBandwidthMbps ?? 0, cap.bandwidthMbps)), Math.min(1, shareOf(l.maxBandwidthMbps ?? cap.bandwidthMbps, cap.bandwidthMbps)));
  return {
    cacheMB: [amountOf(x[0], cap.cacheMB), amountOf(x[1], cap.cacheMB)],
    bandwidthMbps: [amountOf(y[0], cap.bandwidthMbps), amountOf(y[1], cap.bandwidthMbps)],
  };
}
