// harvest (PARTIES-like): from the static split, repeatedly move one unit of one resource from a better-off
// app to one of the worst-off, while that lifts the receiver without pushing the giver below where the
// receiver started (a leximin step: slack flows to the apps that need it, nobody is made the new worst).
// At the static split every app sits at 1.0, so "best-off" is the app that keeps the most after giving.
import type { PolicyFn } from './types.ts';

export const HARVEST_UNIT = 1 / 128; // share of capacity moved per step
const MAX_STEPS = 5_000;
const RECEIVERS = 3; // the worst-off apps considered as receivers each step

export const harvestPolicy: PolicyFn = (engine, p) => {
  const n = p.n;
  const x = p.refX.slice();
  const y = p.refY.slice();
  const norm = (i: number, xi = x[i], yi = y[i]): number => engine.perf(i, xi, yi) / engine.refPerf(i);
  const now = new Float64Array(n);
  let iterations = 0;
  for (let step = 0; step < MAX_STEPS && n > 1; step++) {
    iterations++;
    for (let i = 0; i < n; i++) now[i] = norm(i);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => now[a] - now[b] || a - b);
    let best: [number, number, number, number] | null = null; // donor, receiver, resource, receiver gain
    for (const to of order.slice(0, RECEIVERS)) {
      for (let from = 0; from < n; from++) {
        if (from === to) continue;
        for (const r of [0, 1]) {
          const give = r === 0 ? Math.min(HARVEST_UNIT, x[from] - p.xmin[from], p.xmax[to] - x[to])
            : Math.min(HARVEST_UNIT, y[from] - p.ymin[from], p.ymax[to] - y[to]);
          if (give <= 0) continue;
          const toAfter = r === 0 ? norm(to, x[to] + give, y[to]) : norm(to, x[to], y[to] + give);
          if (!(toAfter > now[to] * (1 + 1e-12))) continue;
          const fromAfter = r === 0 ? norm(from, x[from] - give, y[from]) : norm(from, x[from], y[from] - give);
          if (fromAfter < now[to] || Math.min(fromAfter, toAfter) < Math.min(now[from], now[to])) continue;
          const gain = toAfter - now[to];
          if (!best || gain > best[3]) best = [from, to, r, gain];
        }
      }
    }
    if (!best) break;
    const [from, to, r] = best;
    if (r === 0) {
      const give = Math.min(HARVEST_UNIT, x[from] - p.xmin[from], p.xmax[to] - x[to]);
      x[from] -= give; x[to] += give;
    } else {
      const give = Math.min(HARVEST_UNIT, y[from] - p.ymin[from], p.ymax[to] - y[to]);
      y[from] -= give; y[to] += give;
    }
  }
  return { x, y, iterations };
};
