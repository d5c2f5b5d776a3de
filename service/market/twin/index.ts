// The TypeScript twin of the WASM market core, behind the common Engine interface.
import type { CertificateRaw, Engine, EquilibriumRaw, SpiritRaw } from '../engine.ts';
import { solveEquilibrium } from './equilibrium.ts';
import type { Problem } from '../problem.ts';
import { idealSearch, knotSearch } from './ideal.ts';
import { Market } from './market.ts';
import { certify } from './certificate.ts';
import { solveSpirit } from './spirit.ts';

export class TwinEngine implements Engine {
  readonly kind = 'ts' as const;
  private m: Market | null = null;

  load(p: Problem): void {
    this.m = new Market(p);
  }

  private get market(): Market {
    if (!this.m) throw new Error('TwinEngine: load() a problem first');
    return this.m;
  }

  perf(i: number, x: number, y: number): number {
    return this.market.perf(i, x, y);
  }

  refPerf(i: number): number {
    return this.market.refF[i];
  }

  spirit(): SpiritRaw {
    return solveSpirit(this.market.p);
  }

  equilibrium(): EquilibriumRaw {
    return solveEquilibrium(this.market);
  }

  certificate(x: Float64Array, y: Float64Array): CertificateRaw {
    return certify(this.market, x, y);
  }

  ideal(gridSteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number } {
    return idealSearch(this.market, gridSteps, envyMax);
  }

  knotSearch(gridSteps: number, ySteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number } {
    return knotSearch(this.market, gridSteps, ySteps, envyMax);
  }
}
