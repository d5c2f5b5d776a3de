// What one measured stretch of a live run says about each app, from the telemetry windows the daemon recorded
// in it (each window states the allocation in force over all of it: windows across a change of limits are
// never recorded), and when an allocation has settled, from the documents the service published.
import type { AllocationDoc } from '../../bus/types.ts';
import { opLatencyQuantileUs } from '../../node/ipc.ts';
import type { Capacity } from '../../scenario/types.ts';
import { mbpsFromBytesPerSec, mibFromBytes } from '../../units.ts';
import type { Window } from './stack.ts';

export interface AppFigures {
  /** page accesses per second, over the stretch's windows (time-weighted) */
  opsPerSec: number;
  /** 99th percentile of a single operation's latency, us (sampled operations, log2 buckets: an upper edge) */
  p99OpUs: number;
  missRatio: number;
  /** page traffic (fetches and write-backs), Mbps */
  trafficMbps: number;
  /** the allocation in force (mean over the windows) and the cache actually resident */
  cacheMB: number;
  bandwidthMbps: number;
  residentMB: number;
  /** windows the figures come from (0: none, the app's figures are NaN) */
  windows: number;
}

const round = (x: number, d = 3): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

/** Each app's figures over the windows that ended in (fromMs, toMs]. */
export function measureApps(windows: readonly Window[], apps: readonly string[], fromMs: number, toMs: number): Record<string, AppFigures> {
  const out: Record<string, AppFigures> = {};
  for (const app of apps) {
    const mine = windows.filter((w) => w.rec.app === app && w.rec.timeMs > fromMs && w.rec.timeMs <= toMs);
    const n = mine.length;
    const mean = (f: (w: Window) => number): number => (n === 0 ? NaN : mine.reduce((s, w) => s + f(w), 0) / n);
    const hist: number[] = [];
    for (const w of mine) w.opLatencyCounts.forEach((c, k) => { hist[k] = (hist[k] ?? 0) + c; });
    out[app] = {
      opsPerSec: round(mean((w) => w.rec.throughputOpsPerSec), 1),
      p99OpUs: n === 0 ? NaN : opLatencyQuantileUs(Array.from(hist, (c) => c ?? 0), 0.99),
      missRatio: round(mean((w) => w.rec.missRatio), 4),
      trafficMbps: round(mean((w) => mbpsFromBytesPerSec(w.rec.pageTrafficBytesPerSec)), 2),
      cacheMB: round(mean((w) => w.rec.cacheMB), 2),
      bandwidthMbps: round(mean((w) => w.rec.bandwidthMbps), 1),
      residentMB: round(mean((w) => mibFromBytes(w.rec.residentBytes)), 2),
      windows: n,
    };
  }
  return out;
}

/** The largest move of any app's bundle between two documents, as a share of capacity (either resource). */
export function allocationDistance(a: AllocationDoc, b: AllocationDoc, cap: Capacity): number {
  const other = new Map(b.bundles.map((x) => [x.app, x]));
  let d = 0;
  for (const x of a.bundles) {
    const y = other.get(x.app);
    if (!y) return 1;
    d = Math.max(d, Math.abs(x.cacheMB - y.cacheMB) / cap.cacheMB, Math.abs(x.bandwidthMbps - y.bandwidthMbps) / cap.bandwidthMbps);
  }
  return a.bundles.length === b.bundles.length ? d : 1;
}

/** The documents' allocations have stopped moving: the last `rounds` are all within `tol` of the last one. */
export function isSettled(docs: readonly AllocationDoc[], cap: Capacity, rounds: number, tol: number): boolean {
  if (docs.length < rounds) return false;
  const last = docs[docs.length - 1];
  return docs.slice(-rounds).every((d) => allocationDistance(d, last, cap) <= tol);
}

/**
 * After a change at `changeMs`: the rounds and seconds until the allocation came back within `tol` of where it
 * settled (the mean bundle of the stretch's last third) and stayed there. null when it never did.
 */
export function settleAfter(docs: readonly AllocationDoc[], changeMs: number, endMs: number, cap: Capacity, tol: number): { rounds: number; seconds: number } | null {
  const after = docs.filter((d) => d.timeMs > changeMs && d.timeMs <= endMs);
  if (after.length === 0) return null;
  const tail = after.slice(Math.floor((after.length * 2) / 3));
  const apps = after[after.length - 1].bundles.map((b) => b.app);
  const settled: AllocationDoc = {
    ...after[after.length - 1],
    bundles: apps.map((app) => {
      const bs = tail.map((d) => d.bundles.find((b) => b.app === app)).filter((b) => b !== undefined);
      return { ...bs[bs.length - 1], cacheMB: bs.reduce((s, b) => s + b.cacheMB, 0) / bs.length, bandwidthMbps: bs.reduce((s, b) => s + b.bandwidthMbps, 0) / bs.length };
    }),
  };
  let from = after.length;
  for (let i = after.length - 1; i >= 0 && allocationDistance(after[i], settled, cap) <= tol; i--) from = i;
  if (from === after.length) return null;
  return { rounds: from + 1, seconds: round((after[from].timeMs - changeMs) / 1000, 1) };
}

export interface Spread { median: number; min: number; max: number }

export function spread(xs: readonly number[]): Spread {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median: round(median), min: round(s[0]), max: round(s[s.length - 1]) };
}

/** A ratio to static: a gain only when its whole range is above 1, a loss only when below, else no gain. */
export function verdict(s: Spread): 'gain' | 'loss' | 'no gain' {
  if (s.min > 1) return 'gain';
  if (s.max < 1) return 'loss';
  return 'no gain';
}

export const geoMean = (xs: readonly number[]): number => {
  const v = xs.filter((x) => Number.isFinite(x) && x > 0);
  return v.length === 0 ? NaN : Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
};
