// spirit: the CEEI market (see the engine's spirit()).
import type { PolicyFn } from './types.ts';

export const spiritPolicy: PolicyFn = (engine) => {
  const r = engine.spirit();
  return { x: r.x, y: r.y, iterations: r.iterations, prices: { cache: r.priceCache, bandwidth: 1 - r.priceCache }, certificate: r.certificate };
};
