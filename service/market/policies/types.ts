import type { CertificateRaw, Engine } from '../engine.ts';
import type { Problem } from '../problem.ts';

export interface PolicyOutput {
  x: Float64Array;
  y: Float64Array;
  iterations: number;
  prices?: { cache: number; bandwidth: number };
  /** the certificate of (x, y) when the policy already computed it */
  certificate?: CertificateRaw;
  /** how the allocation was found (certificate.method) */
  method?: 'equilibrium' | 'market' | 'knots' | 'static';
  /** the proof of an exact equilibrium (convex curves): budgets at the prices, dividend, best-response gap */
  equilibrium?: { budgets: Float64Array; dividend: number; gap: number };
}

export type PolicyFn = (engine: Engine, p: Problem) => PolicyOutput;
