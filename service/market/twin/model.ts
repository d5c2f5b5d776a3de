// Throughput of one app's model at a bundle (x, y) in capacity shares (see ../encoding.ts).
import { KIND_MRC, MRC_HEADER, SURFACE_HEADER } from '../encoding.ts';

/** Miss ratio of an mrc record at cache share x: piecewise linear, flat beyond both ends. */
export function missRatio(md: Float64Array, off: number, x: number): number {
  const n = md[off + 1];
  const xs = off + MRC_HEADER;
  const ms = xs + n;
  if (x <= md[xs]) return md[ms];
  if (x >= md[xs + n - 1]) return md[ms + n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (md[xs + mid] <= x) lo = mid; else hi = mid;
  }
  const x0 = md[xs + lo];
  const t = (x - x0) / (md[xs + lo + 1] - x0);
  return md[ms + lo] + t * (md[ms + lo + 1] - md[ms + lo]);
}

/** Throughput of an mrc record given its miss ratio and bandwidth share. */
export function mrcThroughput(md: Float64Array, off: number, m: number, y: number): number {
  const lat = 1 / (md[off + 2] + m * md[off + 3]);
  if (m <= 0) return lat;
  const bw = (md[off + 4] * y) / m;
  return bw < lat ? bw : lat;
}

function axisCell(md: Float64Array, start: number, n: number, v: number): number {
  // index k of the cell [a_k, a_{k+1}] holding v (clamped)
  if (v <= md[start]) return 0;
  if (v >= md[start + n - 1]) return n - 2;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (md[start + mid] <= v) lo = mid; else hi = mid;
  }
  return lo;
}

export function surfaceThroughput(md: Float64Array, off: number, x: number, y: number): number {
  const nx = md[off + 1];
  const ny = md[off + 2];
  const xs = off + SURFACE_HEADER;
  const ys = xs + nx;
  const vs = ys + ny;
  const i = axisCell(md, xs, nx, x);
  const j = axisCell(md, ys, ny, y);
  const x0 = md[xs + i];
  const x1 = md[xs + i + 1];
  const y0 = md[ys + j];
  const y1 = md[ys + j + 1];
  let tx = (x - x0) / (x1 - x0);
  let ty = (y - y0) / (y1 - y0);
  tx = tx < 0 ? 0 : tx > 1 ? 1 : tx;
  ty = ty < 0 ? 0 : ty > 1 ? 1 : ty;
  const v00 = md[vs + i * ny + j];
  const v01 = md[vs + i * ny + j + 1];
  const v10 = md[vs + (i + 1) * ny + j];
  const v11 = md[vs + (i + 1) * ny + j + 1];
  return (1 - tx) * ((1 - ty) * v00 + ty * v01) + tx * ((1 - ty) * v10 + ty * v11);
}

export function throughput(md: Float64Array, off: number, x: number, y: number): number {
  if (md[off] === KIND_MRC) return mrcThroughput(md, off, missRatio(md, off, x), y);
  return surfaceThroughput(md, off, x, y);
}
