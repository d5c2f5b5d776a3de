// Fresh mixes: a scenario generator independent of the shipped examples and of generate.ts, for judging the
// market on inputs nobody tuned it on. Every draw is random within wide ranges: working sets, latencies, page
// sizes, capacities, curve shapes (scans with a cliff anywhere, Zipf key-value stores of any skew, embedding
// lookups, microservices with a noisy floor, staircases with two cliffs, straight lines), weights and limits.
import { Rng } from './random.ts';
import type { AppSpec, Limits, MrcModel, Point, Scenario } from './types.ts';

export const SHAPES = ['scan', 'zipf', 'embedding', 'micro', 'stairs', 'line'] as const;
export type Shape = (typeof SHAPES)[number];

export interface MixOptions {
  apps: number;
  seed: number;
  /** shapes to draw from (default: all) */
  shapes?: readonly Shape[];
  /** share of apps with a weight other than 1 (default 0.25) */
  weightedShare?: number;
  /** share of apps with limits (default 0.15) */
  limitShare?: number;
}

function curve(shape: Shape, wsMB: number, rng: Rng): Point[] {
  const n = rng.int(6, 30);
  const span = wsMB * rng.range(1.2, 2.5);
  const pts: Point[] = [];
  const floor = rng.chance(0.5) ? 0 : rng.range(0.001, 0.04);
  const skew = rng.range(2, 80);
  const decay = rng.range(0.05, 0.4);
  const cliff = rng.range(0.3, 1);
  const second = rng.range(0.2, 0.8);
  for (let k = 0; k < n; k++) {
    const c = (span * k) / (n - 1);
    const u = Math.min(1, c / wsMB);
    let m: number;
    switch (shape) {
      case 'scan': m = u < cliff ? 1 - 0.02 * u : floor; break;
      case 'zipf': m = 1 - Math.log1p(skew * u) / Math.log1p(skew); break;
      case 'embedding': m = Math.pow(1 - u, rng.range(1.2, 3)); break;
      case 'micro': m = floor + (1 - floor) * Math.exp(-u / decay) + (k > 1 ? rng.range(0, 0.01) : 0); break;
      case 'stairs': m = u < second * cliff ? 1 : u < cliff ? 0.5 : floor; break;
      case 'line': m = 1 - u; break;
    }
    pts.push([Math.round(c * 100) / 100, Math.max(floor, Math.min(1, m))]);
  }
  // non-increasing, as the model format requires (the micro shape's noise is taken out here)
  for (let k = 1; k < n; k++) pts[k][1] = Math.min(pts[k][1], pts[k - 1][1]);
  pts[0][1] = 1;
  return pts;
}

function model(shape: Shape, wsMB: number, rng: Rng): MrcModel {
  const localNs = rng.range(40, 3000);
  return {
    type: 'mrc',
    mrc: curve(shape, wsMB, rng),
    pageBytes: rng.pick([4096, 4096, 4096, 16384, 65536]),
    localNs,
    remoteNs: rng.range(1500, 30000),
  };
}

function limits(rng: Rng, shareMB: number, shareMbps: number): Limits {
  const l: Limits = {};
  if (rng.chance(0.3)) l.minCacheMB = Math.round(shareMB * rng.range(0.05, 0.3));
  if (rng.chance(0.5)) l.maxCacheMB = Math.round(shareMB * rng.range(1.05, 5));
  if (rng.chance(0.3)) l.minBandwidthMbps = Math.round(shareMbps * rng.range(0.05, 0.3));
  if (rng.chance(0.5)) l.maxBandwidthMbps = Math.round(shareMbps * rng.range(1.05, 5));
  return l;
}

export function freshMix(o: MixOptions): Scenario {
  const rng = new Rng(o.seed);
  const shapes = o.shapes ?? SHAPES;
  const shapeOf = Array.from({ length: o.apps }, () => rng.pick(shapes));
  const ws = shapeOf.map(() => rng.range(64, 8192));
  const totalWs = ws.reduce((a, b) => a + b, 0);
  const cacheMB = Math.max(16, Math.round(totalWs * rng.range(0.2, 1.6)));
  const bandwidthMbps = Math.round(o.apps * rng.range(50, 5000));
  const apps: AppSpec[] = shapeOf.map((shape, i) => {
    const app: AppSpec = { id: `${shape}-${i}`, model: model(shape, ws[i], rng) };
    if (rng.chance(o.weightedShare ?? 0.25)) app.weight = rng.pick([0.25, 0.5, 2, 3, 5]);
    return app;
  });
  const wsum = apps.reduce((t, a) => t + (a.weight ?? 1), 0);
  for (const app of apps) {
    const beta = (app.weight ?? 1) / wsum;
    if (rng.chance(o.limitShare ?? 0.15)) app.limits = limits(rng, cacheMB * beta, bandwidthMbps * beta);
  }
  return { name: `fresh-${o.apps}-${o.seed}`, capacity: { cacheMB, bandwidthMbps }, apps };
}
