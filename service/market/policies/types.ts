import type { CertificateRaw, Engine } from '../engine.ts';
import type { Problem } from '../problem.ts';

export interface PolicyOutput {
  x: Float64Array;
  y: Float64Array;
  iterations: number;
  prices?: { cache: number; bandwidth: number };
  /** the certificate of (x, y) when the policy already computed it */
  certificate?: CertificateRaw;
}

export type PolicyFn = (engine: Engine, p: Problem) => PolicyOutput;
