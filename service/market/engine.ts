// The numeric core behind every policy, in two implementations with one interface: the WASM core
// (assembly/market, the default) and its TypeScript twin (service/market/twin, the differential-test
// oracle and the benchmark's baseline).
import type { Problem } from './problem.ts';

export interface SpiritRaw {
  x: Float64Array;
  y: Float64Array;
  priceCache: number;
  iterations: number;
  fromMarket: boolean;
  /** the certificate of (x, y), computed while choosing it */
  certificate: CertificateRaw;
}

export interface CertificateRaw {
  /** throughput of each app at its bundle, and at its reference bundle */
  f: Float64Array;
  refF: Float64Array;
  maxEnvy: number;
  /** the pair behind maxEnvy (-1 when nobody envies) */
  envier: number;
  envied: number;
}

/** The exact equilibrium on convex curves (twin/equilibrium.ts). */
export interface EquilibriumRaw {
  x: Float64Array;
  y: Float64Array;
  priceCache: number;
  iterations: number;
  /** each app's budget beyond its reservation at the final price, as a share of the node's value */
  budgets: Float64Array;
  /** the dividend every budget was raised by (money satiated apps left) */
  dividend: number;
  /** max over apps of best affordable throughput at the final prices / own - 1 (before leftovers are handed out) */
  gap: number;
  certificate: CertificateRaw;
}

export interface Engine {
  readonly kind: 'wasm' | 'ts';
  /** Prepare for one problem; the other calls refer to it until the next load. */
  load(p: Problem): void;
  /** Throughput of app i at cache share x and bandwidth share y. */
  perf(i: number, x: number, y: number): number;
  /** Throughput of app i at its reference bundle. */
  refPerf(i: number): number;
  spirit(): SpiritRaw;
  /** The exact equilibrium; only for problems whose every curve is convex (problem.convex). */
  equilibrium(): EquilibriumRaw;
  certificate(x: Float64Array, y: Float64Array): CertificateRaw;
  /** Exhaustive search (N <= 3): best Nash welfare with sharing incentive and envy <= envyMax. */
  ideal(gridSteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number };
  /** The ideal search made to find cliffs (N <= 3): every hull vertex of every curve, coarse grids between. */
  knotSearch(gridSteps: number, ySteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number };
}
