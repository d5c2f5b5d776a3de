// harvest (PARTIES-like): from the static split, repeatedly move one unit of one resource from the best-off
// app (relative to its static performance) to the worst-off, while that lifts the worst-off.
import type { PolicyFn } from './types.ts';

export const HARVEST_UNIT = 1 / 128; // share of capacity moved per step
const MAX_STEPS = 20_000;

export const harvestPolicy: PolicyFn = (engine, p) => {
  const n = p.n;
  const x = p.refX.slice();
  const y = p.refY.slice();
  const norm = (i: number, xi = x[i], yi = y[i]): number => engine.perf(i, xi, yi) / engine.refPerf(i);
  let iterations = 0;
  for (let step = 0; step < MAX_STEPS && n > 1; step++) {
    iterations++;
    let best = 0;
    let worst = 0;
    for (let i = 1; i < n; i++) {
      if (norm(i) > norm(best)) best = i;
      if (norm(i) < norm(worst)) worst = i;
    }
    if (best === worst) break;
    const wNow = norm(worst);
    let move = -1; // 0 cache, 1 bandwidth
    let moveGain = 0;
    for (const r of [0, 1]) {
      const give = r === 0 ? Math.min(HARVEST_UNIT, x[best] - p.xmin[best], p.xmax[worst] - x[worst])
        : Math.min(HARVEST_UNIT, y[best] - p.ymin[best], p.ymax[worst] - y[worst]);
      if (give <= 0) continue;
      const wAfter = r === 0 ? norm(worst, x[worst] + give, y[worst]) : norm(worst, x[worst], y[worst] + give);
      const bAfter = r === 0 ? norm(best, x[best] - give, y[best]) : norm(best, x[best], y[best] - give);
      // the donor must stay at least as well off as the receiver becomes (no overshoot, no ping-pong)
      if (wAfter > wNow * (1 + 1e-12) && bAfter >= wAfter && wAfter - wNow > moveGain) { move = r; moveGain = wAfter - wNow; }
    }
    if (move < 0) break;
    if (move === 0) {
      const give = Math.min(HARVEST_UNIT, x[best] - p.xmin[best], p.xmax[worst] - x[worst]);
      x[best] -= give; x[worst] += give;
    } else {
      const give = Math.min(HARVEST_UNIT, y[best] - p.ymin[best], p.ymax[worst] - y[worst]);
      y[best] -= give; y[worst] += give;
    }
  }
  return { x, y, iterations };
};
