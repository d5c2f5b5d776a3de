// A miss-ratio curve from the measurements themselves, for apps whose daemon sends neither a curve nor
// sampled pages: the weighted mean miss ratio at each observed cache size, made non-increasing by isotonic
// regression (pool adjacent violators), with (0 MiB, 1) in front. Known only between observed sizes; flat
// beyond the largest, which is why the estimator trusts it less (see app-estimator.ts).
import type { FitSample } from './fit.ts';

/** Cache sizes closer than this (MiB) count as the same allocation. */
const SAME_CACHE_MB = 1e-6;

export function measuredMrc(samples: readonly FitSample[], weights: readonly number[]): [number, number][] | null {
  // a split period's miss ratio is the split's, not the curve's at its cache size (it lies on or under the curve)
  const order = samples.map((_, i) => i).filter((i) => weights[i] > 0 && !(samples[i].partitions && samples[i].partitions!.length > 1)).sort((a, b) => samples[a].cacheMB - samples[b].cacheMB);
  const groups: { c: number; m: number; w: number }[] = [];
  for (const i of order) {
    const s = samples[i];
    const g = groups[groups.length - 1];
    if (g && s.cacheMB - g.c <= SAME_CACHE_MB) {
      g.m = (g.m * g.w + s.missRatio * weights[i]) / (g.w + weights[i]);
      g.w += weights[i];
    } else {
      groups.push({ c: s.cacheMB, m: s.missRatio, w: weights[i] });
    }
  }
  if (groups.length === 0) return null;
  if (groups[0].c > SAME_CACHE_MB) groups.unshift({ c: 0, m: 1, w: groups.reduce((s, g) => s + g.w, 0) });
  else groups[0].c = 0;
  // pool adjacent violators: blocks of equal value, merged while a later block is above an earlier one
  const blocks: { m: number; w: number; n: number }[] = [];
  for (const g of groups) {
    blocks.push({ m: g.m, w: g.w, n: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 1].m > blocks[blocks.length - 2].m) {
      const b = blocks.pop()!;
      const a = blocks[blocks.length - 1];
      a.m = (a.m * a.w + b.m * b.w) / (a.w + b.w);
      a.w += b.w;
      a.n += b.n;
    }
  }
  const curve: [number, number][] = [];
  let gi = 0;
  for (const b of blocks) {
    for (let k = 0; k < b.n; k++) curve.push([groups[gi++].c, Math.min(1, Math.max(0, b.m))]);
  }
  return curve.length >= 2 ? curve : null;
}
