// trade: from the static split, repeatedly swap one unit of cache for one unit of bandwidth between the app
// that gains most from more cache and the one that gains most from more bandwidth, while both gain.
import type { PolicyFn } from './types.ts';

export const TRADE_UNIT = 1 / 128; // share of capacity swapped per step
const MAX_STEPS = 20_000;

export const tradePolicy: PolicyFn = (engine, p) => {
  const n = p.n;
  const x = p.refX.slice();
  const y = p.refY.slice();
  const f = (i: number, xi: number, yi: number): number => engine.perf(i, xi, yi);
  let iterations = 0;
  for (let step = 0; step < MAX_STEPS && n > 1; step++) {
    iterations++;
    const u = TRADE_UNIT;
    // a: most relative gain from +u cache (paying u bandwidth); b: most from +u bandwidth (paying u cache)
    let a = -1;
    let b = -1;
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const now = f(i, x[i], y[i]);
      if (x[i] + u <= p.xmax[i] && y[i] - u >= p.ymin[i]) {
        const g = f(i, x[i] + u, y[i] - u) / now - 1;
        if (g > ga) { ga = g; a = i; }
      }
      if (y[i] + u <= p.ymax[i] && x[i] - u >= p.xmin[i]) {
        const g = f(i, x[i] - u, y[i] + u) / now - 1;
        if (g > gb) { gb = g; b = i; }
      }
    }
    if (a < 0 || b < 0 || a === b) break;
    x[a] += u; y[a] -= u;
    x[b] -= u; y[b] += u;
  }
  return { x, y, iterations };
};
