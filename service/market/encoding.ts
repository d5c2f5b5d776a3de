// The flat encoding of performance models shared by the WASM core and its TypeScript twin.
// Everything is in shares of the node's capacity (cache share x, bandwidth share y in [0, 1]) and in
// seconds, so the numeric core never converts units (service/units.ts does, here, once).
//
// mrc record:     [KIND_MRC, n, localS, remoteS, pagesPerSecAtFullBandwidth, x_0..x_{n-1}, m_0..m_{n-1}]
//   throughput(x, y) = min(1 / (localS + m(x) * remoteS), pagesPerSec * y / m(x))       [accesses/s]
// surface record: [KIND_SURFACE, nx, ny, x_0..x_{nx-1}, y_0..y_{ny-1}, t_00, t_01, .. (row i = cache x_i)]
//   throughput(x, y) = bilinear interpolation, clamped to the grid's edges
import type { Model, MrcModel, SurfaceModel } from '../scenario/types.ts';
import { bytesPerSecFromMbps, secFromNs, shareOf } from '../units.ts';

export const KIND_MRC = 0;
export const KIND_SURFACE = 1;
export const MRC_HEADER = 5;
export const SURFACE_HEADER = 3;

export function encodedLength(m: Model, points?: number): number {
  if (m.type === 'mrc') return MRC_HEADER + 2 * (points ?? m.mrc.length);
  return SURFACE_HEADER + m.cacheMB.length + m.bandwidthMbps.length + m.cacheMB.length * m.bandwidthMbps.length;
}

/**
 * Write an mrc model at `out[off..]` with its curve given as capacity shares (xs, ms, n points; planned by
 * convex.ts with the margin applied), seen with `margin` less bandwidth. Returns the offset after it.
 */
export function encodeMrc(m: MrcModel, capacity: { bandwidthMbps: number }, margin: number,
  xs: Float64Array, ms: Float64Array, n: number, out: Float64Array, off: number): number {
  out[off] = KIND_MRC;
  out[off + 1] = n;
  out[off + 2] = secFromNs(m.localNs);
  out[off + 3] = secFromNs(m.remoteNs);
  out[off + 4] = ((1 - margin) * bytesPerSecFromMbps(capacity.bandwidthMbps)) / m.pageBytes;
  out.set(xs.subarray(0, n), off + MRC_HEADER);
  out.set(ms.subarray(0, n), off + MRC_HEADER + n);
  return off + MRC_HEADER + 2 * n;
}

/**
 * Write model `m` at `out[off..]` in capacity shares, exactly as given (no margin, floor or hull: those are
 * planned in problem.ts). Returns the offset after it.
 */
export function encodeModel(m: Model, capacity: { cacheMB: number; bandwidthMbps: number }, out: Float64Array, off: number): number {
  if (m.type === 'mrc') {
    const n = m.mrc.length;
    const xs = new Float64Array(n);
    const ms = new Float64Array(n);
    for (let k = 0; k < n; k++) { xs[k] = shareOf(m.mrc[k][0], capacity.cacheMB); ms[k] = m.mrc[k][1]; }
    return encodeMrc(m, capacity, 0, xs, ms, n, out, off);
  }
  return encodeSurface(m, capacity, 0, out, off);
}

/** Write a surface model at `out[off..]` in capacity shares, seen with `margin` less of both resources. */
export function encodeSurface(m: SurfaceModel, capacity: { cacheMB: number; bandwidthMbps: number }, margin: number, out: Float64Array, off: number): number {
  const stretch = 1 / (1 - margin);
  const nx = m.cacheMB.length;
  const ny = m.bandwidthMbps.length;
  out[off] = KIND_SURFACE;
  out[off + 1] = nx;
  out[off + 2] = ny;
  let o = off + SURFACE_HEADER;
  for (let i = 0; i < nx; i++) out[o++] = shareOf(m.cacheMB[i], capacity.cacheMB) * stretch;
  for (let j = 0; j < ny; j++) out[o++] = shareOf(m.bandwidthMbps[j], capacity.bandwidthMbps) * stretch;
  for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) out[o++] = m.throughput[i][j];
  return o;
}
