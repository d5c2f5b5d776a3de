// The flat encoding of performance models shared by the WASM core and its TypeScript twin.
// Everything is in shares of the node's capacity (cache share x, bandwidth share y in [0, 1]) and in
// seconds, so the numeric core never converts units (service/units.ts does, here, once).
//
// mrc record:     [KIND_MRC, n, localS, remoteS, pagesPerSecAtFullBandwidth, x_0..x_{n-1}, m_0..m_{n-1}]
//   throughput(x, y) = min(1 / (localS + m(x) * remoteS), pagesPerSec * y / m(x))       [accesses/s]
// surface record: [KIND_SURFACE, nx, ny, x_0..x_{nx-1}, y_0..y_{ny-1}, t_00, t_01, .. (row i = cache x_i)]
//   throughput(x, y) = bilinear interpolation, clamped to the grid's edges
import type { Model, MrcModel } from '../scenario/types.ts';
import { bytesPerSecFromMbps, secFromNs, shareOf } from '../units.ts';
import { type CurvePoint, lowerHull, withFloor, withMargin } from './convex.ts';

export const KIND_MRC = 0;
export const KIND_SURFACE = 1;
export const MRC_HEADER = 5;
export const SURFACE_HEADER = 3;

/**
 * The miss-ratio curve of an mrc model in capacity shares, as the market plans on it (convex.ts): `margin`
 * less cache (knots moved right by 1 / (1 - margin)), never under `floor` misses, and its lower convex hull
 * when `hull`.
 */
export function planCurve(m: MrcModel, capacity: { cacheMB: number }, margin: number, hull: boolean, floor: number): CurvePoint[] {
  const shares = withFloor(withMargin(m.mrc.map(([c, v]) => [shareOf(c, capacity.cacheMB), v] as const), margin), floor);
  return hull ? lowerHull(shares) : shares;
}

export function encodedLength(m: Model, curve?: readonly CurvePoint[]): number {
  if (m.type === 'mrc') return MRC_HEADER + 2 * (curve ?? m.mrc).length;
  return SURFACE_HEADER + m.cacheMB.length + m.bandwidthMbps.length + m.cacheMB.length * m.bandwidthMbps.length;
}

/**
 * Write model `m` at `out[off..]` in capacity shares, seen with `margin` less of both resources:
 * f((1 - margin) x, (1 - margin) y). An mrc model's curve is `curve` (planCurve(), margin applied) when
 * given. Returns the offset after it.
 */
export function encodeModel(m: Model, capacity: { cacheMB: number; bandwidthMbps: number }, out: Float64Array, off: number,
  margin = 0, curve?: readonly CurvePoint[]): number {
  const stretch = 1 / (1 - margin);
  if (m.type === 'mrc') {
    const pts = curve ?? planCurve(m, capacity, margin, false, 0);
    const n = pts.length;
    out[off] = KIND_MRC;
    out[off + 1] = n;
    out[off + 2] = secFromNs(m.localNs);
    out[off + 3] = secFromNs(m.remoteNs);
    out[off + 4] = ((1 - margin) * bytesPerSecFromMbps(capacity.bandwidthMbps)) / m.pageBytes;
    for (let k = 0; k < n; k++) {
      out[off + MRC_HEADER + k] = pts[k][0];
      out[off + MRC_HEADER + n + k] = pts[k][1];
    }
    return off + MRC_HEADER + 2 * n;
  }
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
