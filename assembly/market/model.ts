// Throughput of one app's model at a bundle (x, y) in capacity shares; the encoding is described in
// service/market/encoding.ts (mrc: [0, n, localS, remoteS, pagesPerSec, xs.., ms..]; surface: [1, nx, ny,
// xs.., ys.., values..]).
import { ldf } from './mem';
import { MD } from './state';

export const KIND_MRC: f64 = 0;
export const MRC_HEADER: i32 = 5;
export const SURFACE_HEADER: i32 = 3;

/** Miss ratio of an mrc record at cache share x: piecewise linear, flat beyond both ends. */
export function missRatio(off: i32, x: f64): f64 {
  const n = <i32>ldf(MD, off + 1);
  const xs = off + MRC_HEADER;
  const ms = xs + n;
  if (x <= ldf(MD, xs)) return ldf(MD, ms);
  if (x >= ldf(MD, xs + n - 1)) return ldf(MD, ms + n - 1);
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    // branchless (a select, not a jump): the outcome of each step is unpredictable
    const mid = (lo + hi) >> 1;
    const le = ldf(MD, xs + mid) <= x;
    lo = select<i32>(mid, lo, le);
    hi = select<i32>(hi, mid, le);
  }
  const x0 = ldf(MD, xs + lo);
  const t = (x - x0) / (ldf(MD, xs + lo + 1) - x0);
  return ldf(MD, ms + lo) + t * (ldf(MD, ms + lo + 1) - ldf(MD, ms + lo));
}

/** Throughput of an mrc record given its miss ratio and bandwidth share. */
export function mrcThroughput(off: i32, m: f64, y: f64): f64 {
  const lat = 1 / (ldf(MD, off + 2) + m * ldf(MD, off + 3));
  if (m <= 0) return lat;
  const bw = (ldf(MD, off + 4) * y) / m;
  return bw < lat ? bw : lat;
}

function axisCell(start: i32, n: i32, v: f64): i32 {
  if (v <= ldf(MD, start)) return 0;
  if (v >= ldf(MD, start + n - 1)) return n - 2;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const le = ldf(MD, start + mid) <= v;
    lo = select<i32>(mid, lo, le);
    hi = select<i32>(hi, mid, le);
  }
  return lo;
}

export function surfaceThroughput(off: i32, x: f64, y: f64): f64 {
  const nx = <i32>ldf(MD, off + 1);
  const ny = <i32>ldf(MD, off + 2);
  const xs = off + SURFACE_HEADER;
  const ys = xs + nx;
  const vs = ys + ny;
  const i = axisCell(xs, nx, x);
  const j = axisCell(ys, ny, y);
  const x0 = ldf(MD, xs + i);
  const x1 = ldf(MD, xs + i + 1);
  const y0 = ldf(MD, ys + j);
  const y1 = ldf(MD, ys + j + 1);
  let tx = (x - x0) / (x1 - x0);
  let ty = (y - y0) / (y1 - y0);
  tx = tx < 0 ? 0 : tx > 1 ? 1 : tx;
  ty = ty < 0 ? 0 : ty > 1 ? 1 : ty;
  const v00 = ldf(MD, vs + i * ny + j);
  const v01 = ldf(MD, vs + i * ny + j + 1);
  const v10 = ldf(MD, vs + (i + 1) * ny + j);
  const v11 = ldf(MD, vs + (i + 1) * ny + j + 1);
  return (1 - tx) * ((1 - ty) * v00 + ty * v01) + tx * ((1 - ty) * v10 + ty * v11);
}

export function throughput(off: i32, x: f64, y: f64): f64 {
  if (ldf(MD, off) == KIND_MRC) return mrcThroughput(off, missRatio(off, x), y);
  return surfaceThroughput(off, x, y);
}
