// The TypeScript twin of the WASM market core, behind the common Engine interface.
import type { CertificateRaw, Engine, SpiritRaw } from '../engine.ts';
import type { Problem } from '../problem.ts';
import { idealSearch } from './ideal.ts';
import { Market } from './market.ts';
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

  certificate(x: Float64Array, y: Float64Array): CertificateRaw {
    const m = this.market;
    const f = new Float64Array(m.n);
    for (let i = 0; i < m.n; i++) f[i] = m.perf(i, x[i], y[i]);
    let maxEnvy = 0;
    let envier = -1;
    let envied = -1;
    for (let i = 0; i < m.n; i++) {
      m.rowBounds(i, f[i] * (1 + maxEnvy)); // prunes bundles that cannot make i envy more than maxEnvy
      if (m.skipRow) continue;
      for (let j = 0; j < m.n; j++) {
        if (i === j) continue;
        const e = m.envyOf(i, j, x[j], y[j], f[i], x[i], y[i]);
        if (e > maxEnvy) { maxEnvy = e; envier = i; envied = j; m.rowBounds(i, f[i] * (1 + maxEnvy)); }
      }
    }
    m.clearBounds();
    return { f, refF: m.refF.slice(), maxEnvy, envier, envied };
  }

  ideal(gridSteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number } {
    return idealSearch(this.market, gridSteps, envyMax);
  }
}
