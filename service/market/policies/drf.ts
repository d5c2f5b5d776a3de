// drf: dominant resource fairness over declared demands. Each app declares the bundle it would use alone
// (the smallest bundle that reaches its best throughput with the whole node); progressive filling raises
// every app's weighted dominant share at the same rate until its demand is met or a resource it uses runs out.
import type { Engine } from '../engine.ts';
import type { Problem } from '../problem.ts';
import type { PolicyFn } from './types.ts';

const SATURATION_TOL = 1e-12;
const SEARCH_STEPS = 60; // bisection steps for the smallest sufficient share (double precision)

/** The smallest bundle (by cache share + bandwidth share) reaching the app's best throughput in its box. */
export function declaredDemand(engine: Engine, p: Problem, i: number): [number, number] {
  const top = engine.perf(i, p.xmax[i], p.ymax[i]);
  const target = top * (1 - 1e-9);
  let bestX = p.xmax[i];
  let bestY = p.ymax[i];
  const SAMPLES = 256;
  for (let s = 0; s <= SAMPLES; s++) {
    const x = p.xmin[i] + ((p.xmax[i] - p.xmin[i]) * s) / SAMPLES;
    if (engine.perf(i, x, p.ymax[i]) < target) continue;
    let lo = p.ymin[i];
    let hi = p.ymax[i];
    if (engine.perf(i, x, lo) >= target) hi = lo;
    for (let k = 0; k < SEARCH_STEPS && hi - lo > 1e-15; k++) {
      const mid = 0.5 * (lo + hi);
      if (engine.perf(i, x, mid) >= target) hi = mid; else lo = mid;
    }
    if (x + hi < bestX + bestY) { bestX = x; bestY = hi; }
  }
  return [bestX, bestY];
}

export const drfPolicy: PolicyFn = (engine, p) => {
  const n = p.n;
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  const lambda = new Float64Array(n); // fraction of its declared demand each app holds
  const frozen: boolean[] = [];
  for (let i = 0; i < n; i++) {
    [dx[i], dy[i]] = declaredDemand(engine, p, i);
    frozen.push(Math.max(dx[i], dy[i]) <= 0);
    if (frozen[i]) lambda[i] = 1;
  }
  const lambdaAt = (i: number, t: number): number => {
    if (frozen[i]) return lambda[i];
    return Math.min(1, (p.weights[i] * t) / Math.max(dx[i], dy[i]));
  };
  const used = (t: number): [number, number] => {
    let ux = 0;
    let uy = 0;
    for (let i = 0; i < n; i++) {
      const l = lambdaAt(i, t);
      ux += Math.max(p.xmin[i], l * dx[i]);
      uy += Math.max(p.ymin[i], l * dy[i]);
    }
    return [ux, uy];
  };
  let iterations = 0;
  // progressive filling: raise the common weighted dominant share t until a resource runs out, freeze the
  // apps that use it, go on with the others (at most one phase per resource, plus apps fully served)
  for (let phase = 0; phase < 3 && frozen.some((f) => !f); phase++) {
    let lo = 0;
    let hi = 1;
    for (let k = 0; k < 64; k++) { const [ux, uy] = used(hi); if (ux > 1 || uy > 1) break; hi *= 2; }
    for (let k = 0; k < SEARCH_STEPS; k++) {
      const mid = 0.5 * (lo + hi);
      const [ux, uy] = used(mid);
      if (ux <= 1 + SATURATION_TOL && uy <= 1 + SATURATION_TOL) lo = mid; else hi = mid;
      iterations++;
    }
    const [ux, uy] = used(lo);
    for (let i = 0; i < n; i++) {
      if (frozen[i]) continue;
      lambda[i] = lambdaAt(i, lo);
      const full = lambda[i] >= 1;
      const blocked = (dx[i] > 0 && ux >= 1 - 1e-9) || (dy[i] > 0 && uy >= 1 - 1e-9);
      if (full || blocked) frozen[i] = true;
    }
  }
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = Math.max(p.xmin[i], lambda[i] * dx[i]);
    y[i] = Math.max(p.ymin[i], lambda[i] * dy[i]);
  }
  return { x, y, iterations };
};
