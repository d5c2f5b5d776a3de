// spirit: the CEEI market. On convex curves (every app partitionable, or its curve already convex), with
// fair shares proportional to weights (no maximum binding in the weighted split), the exact equilibrium
// (engine.equilibrium()); otherwise the search for fair allocations on curves with cliffs (engine.spirit()),
// which works on the convex hulls of partitionable apps' curves as well.
import type { PolicyFn } from './types.ts';

export const spiritPolicy: PolicyFn = (engine, p) => {
  if (p.convex && p.proportional) {
    const r = engine.equilibrium();
    return {
      x: r.x, y: r.y, iterations: r.iterations, prices: { cache: r.priceCache, bandwidth: 1 - r.priceCache }, certificate: r.certificate,
      equilibrium: { budgets: r.budgets, dividend: r.dividend, gap: r.gap },
    };
  }
  const r = engine.spirit();
  return { x: r.x, y: r.y, iterations: r.iterations, prices: { cache: r.priceCache, bandwidth: 1 - r.priceCache }, certificate: r.certificate };
};
