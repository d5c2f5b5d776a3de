// Bounds on every number of a registered node or app (service/limits.ts REGISTRY_RANGES), checked before
// the relations in registry.ts: a weight of 1e20 or a capacity of 1e300 is refused with a 400 naming the
// field, instead of being stored and leaving its node's rounds to produce nothing useful.
import { InputError } from '../errors.ts';
import { REGISTRY_RANGES as R } from '../limits.ts';
import type { Capacity, Limits, Model } from '../scenario/types.ts';

type Range = { min: number; max: number };
type Problem = { where: string; problem: string };

function inRange(where: string, v: number | undefined, r: Range, out: Problem[]): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v < r.min || v > r.max) out.push({ where, problem: `must be between ${r.min} and ${r.max}; got ${v}` });
}

function throwIfAny(out: Problem[]): void {
  if (out.length > 0) throw new InputError(out[0].where, out[0].problem, out.slice(0, 20));
}

export function checkCapacityRanges(cap: Capacity, where = 'capacity'): void {
  const out: Problem[] = [];
  inRange(`${where}.cacheMB`, cap.cacheMB, R.cacheMB, out);
  inRange(`${where}.bandwidthMbps`, cap.bandwidthMbps, R.bandwidthMbps, out);
  throwIfAny(out);
}

export function checkAppRanges(input: { weight?: number; limits?: Limits; model?: Model }): void {
  const out: Problem[] = [];
  inRange('weight', input.weight, R.weight, out);
  const l = input.limits;
  if (l) {
    inRange('limits.minCacheMB', l.minCacheMB, R.cacheMB, out);
    inRange('limits.maxCacheMB', l.maxCacheMB, R.cacheMB, out);
    inRange('limits.minBandwidthMbps', l.minBandwidthMbps, R.bandwidthMbps, out);
    inRange('limits.maxBandwidthMbps', l.maxBandwidthMbps, R.bandwidthMbps, out);
  }
  const m = input.model;
  if (m?.type === 'mrc') {
    m.mrc.forEach(([c], k) => inRange(`model.mrc[${k}][0]`, c, R.cacheMB, out));
    inRange('model.pageBytes', m.pageBytes, R.pageBytes, out);
    inRange('model.localNs', m.localNs, R.ns, out);
    inRange('model.remoteNs', m.remoteNs, R.ns, out);
  } else if (m?.type === 'surface') {
    m.cacheMB.forEach((c, k) => inRange(`model.cacheMB[${k}]`, c, R.cacheMB, out));
    m.bandwidthMbps.forEach((b, k) => inRange(`model.bandwidthMbps[${k}]`, b, R.bandwidthMbps, out));
    m.throughput.forEach((row, i) => row.forEach((t, j) => inRange(`model.throughput[${i}][${j}]`, t, R.throughput, out)));
  }
  throwIfAny(out);
}
