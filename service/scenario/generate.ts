// Seeded generator of scenarios from the application archetypes of DESIGN.md (and of the shipped examples):
// streaming scans (a cliff when the working set fits), skewed key-value stores, embedding lookups (DLRM),
// and microservices (a steep drop to a noisy floor). Benchmarks and property tests make scenarios with it.
import type { AppSpec, Limits, Model, MrcModel, Point, Scenario, SurfaceModel } from './types.ts';
import { Rng } from './random.ts';

export const ARCHETYPES = ['stream', 'kvs', 'dlrm', 'social'] as const;
export type Archetype = (typeof ARCHETYPES)[number];

export interface GenerateOptions {
  apps: number;
  seed: number;
  /** archetypes to draw from (default: all) */
  mix?: readonly Archetype[];
  /** share of apps with weights other than 1 (default 0) */
  weightedShare?: number;
  /** share of apps with limits (default 0) */
  limitShare?: number;
  /** share of apps described by a sampled surface instead of an mrc model (default 0) */
  surfaceShare?: number;
  /** measured-looking noise on the microservice floor (rises up to 0.05; validation smooths them) */
  noisy?: boolean;
  /** points per miss-ratio curve (default 25, as in the examples) */
  points?: number;
}

const PAGE_BYTES = 4096;

function mrcPoints(kind: Archetype, wsMB: number, points: number, rng: Rng, noisy: boolean): Point[] {
  const out: Point[] = [];
  if (kind === 'stream') {
    // LRU on a loop: every access misses until the whole working set fits
    const floor = 0.01;
    return [[0, 1], [round(0.95 * wsMB), 0.985], [round(wsMB), floor], [round(2 * wsMB), floor]];
  }
  const span = 2 * wsMB;
  const skew = kind === 'kvs' ? rng.range(15, 60) : kind === 'dlrm' ? rng.range(1.5, 5) : 0;
  const floor = kind === 'social' ? rng.range(0.02, 0.05) : 0;
  const decay = rng.range(0.08, 0.2);
  let prev = 1;
  for (let k = 0; k < points; k++) {
    const c = (span * k) / (points - 1);
    const u = Math.min(1, c / wsMB);
    let m: number;
    if (kind === 'social') {
      m = floor + (1 - floor) * Math.exp(-u / decay);
      if (noisy && k > 1) m += rng.range(-0.01, 0.04) * (m < 0.2 ? 1 : 0);
      m = Math.min(1, Math.max(floor * 0.9, m));
    } else {
      m = 1 - Math.log1p(skew * u) / Math.log1p(skew);
    }
    if (!noisy) m = Math.min(prev, m);
    m = Math.max(0, Math.round(m * 1e5) / 1e5);
    prev = m;
    out.push([round(c), k === 0 ? 1 : m]);
  }
  return out;
}

const round = (v: number): number => Math.round(v);

function archetypeModel(kind: Archetype, wsMB: number, rng: Rng, points: number, noisy: boolean): MrcModel {
  const [lo, hi] = kind === 'stream' ? [45, 80] : kind === 'kvs' ? [300, 650] : kind === 'dlrm' ? [230, 470] : [1500, 3000];
  return {
    type: 'mrc',
    mrc: mrcPoints(kind, wsMB, points, rng, noisy),
    pageBytes: PAGE_BYTES,
    localNs: rng.range(lo, hi),
    remoteNs: rng.range(4000, 7000),
  };
}

/** The same app sampled on a grid: throughput (accesses/s) from the mrc model's formula. */
function asSurface(m: MrcModel, maxCacheMB: number, maxBandwidthMbps: number): SurfaceModel {
  const nx = 9;
  const ny = 9;
  const cacheMB = Array.from({ length: nx }, (_, i) => round((maxCacheMB * i) / (nx - 1)));
  const bandwidthMbps = Array.from({ length: ny }, (_, j) => round((maxBandwidthMbps * j) / (ny - 1)));
  // a measured surface is smooth: sample the curve's non-increasing envelope
  let low = 1;
  const p = m.mrc.map(([c, v]) => [c, (low = Math.min(low, v))] as Point);
  const miss = (c: number): number => {
    if (c >= p[p.length - 1][0]) return p[p.length - 1][1];
    let k = 0;
    while (p[k + 1][0] < c) k++;
    const t = (c - p[k][0]) / (p[k + 1][0] - p[k][0]);
    return p[k][1] + t * (p[k + 1][1] - p[k][1]);
  };
  const throughput = cacheMB.map((c) => bandwidthMbps.map((b) => {
    const mr = miss(c);
    const lat = 1e9 / (m.localNs + mr * m.remoteNs);
    const bw = mr > 0 ? ((b * 1e6) / 8) / (mr * m.pageBytes) : Infinity;
    return Math.round(Math.min(lat, bw));
  }));
  return { type: 'surface', cacheMB, bandwidthMbps, throughput };
}

export function generateScenario(o: GenerateOptions): Scenario {
  const rng = new Rng(o.seed);
  const mix = o.mix ?? ARCHETYPES;
  const points = o.points ?? 25;
  const n = o.apps;
  // capacity: working sets add up to 1-2x the cache; bandwidth 1-10 Gbps per 8 apps
  const kinds: Archetype[] = Array.from({ length: n }, () => rng.pick(mix));
  const ws = kinds.map((k) => (k === 'stream' ? rng.range(600, 3200) : rng.range(500, 3300)));
  const totalWs = ws.reduce((a, b) => a + b, 0);
  const cacheMB = round(totalWs / rng.range(1, 2));
  const bandwidthMbps = round(Math.max(1000, n * rng.range(500, 1500)));
  const apps: AppSpec[] = kinds.map((kind, i) => {
    let model: Model = archetypeModel(kind, ws[i], rng, points, Boolean(o.noisy));
    if (o.surfaceShare && rng.chance(o.surfaceShare)) model = asSurface(model, Math.min(cacheMB, 2 * ws[i]), bandwidthMbps);
    const app: AppSpec = { id: `${kind}-${i}`, model };
    if (o.weightedShare && rng.chance(o.weightedShare)) app.weight = rng.pick([0.5, 2, 3, 4]);
    return app;
  });
  const wsum = apps.reduce((t, a) => t + (a.weight ?? 1), 0);
  for (const app of apps) {
    const beta = (app.weight ?? 1) / wsum;
    if (o.limitShare && rng.chance(o.limitShare)) app.limits = randomLimits(rng, cacheMB * beta, bandwidthMbps * beta);
  }
  return { name: `generated-${n}-${o.seed}`, capacity: { cacheMB, bandwidthMbps }, apps };
}

/**
 * Limits an operator might set: a cap above the app's weighted share, and a small floor under it (a floor
 * the app must pay for from its budget; a large one it would not choose can leave it envious, see
 * docs/market.md).
 */
function randomLimits(rng: Rng, shareMB: number, shareMbps: number): Limits {
  const l: Limits = {};
  if (rng.chance(0.3)) l.minCacheMB = round(shareMB * rng.range(0.05, 0.2));
  if (rng.chance(0.5)) l.maxCacheMB = round(shareMB * rng.range(1.1, 4));
  if (rng.chance(0.3)) l.minBandwidthMbps = round(shareMbps * rng.range(0.05, 0.2));
  if (rng.chance(0.5)) l.maxBandwidthMbps = round(shareMbps * rng.range(1.1, 4));
  return l;
}
