// The WASM market core (assembly/market) behind the Engine interface. The wrapper owns the problem's
// buffers inside WASM memory: load() sizes them once (they grow only for a larger problem) and fills them
// through typed-array views, re-created after any call that may grow memory. Solves allocate nothing.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CertificateRaw, Engine, SpiritRaw } from '../engine.ts';
import type { Problem } from '../problem.ts';
import { assert } from '../../errors.ts';
import { IDEAL_MAX_APPS } from '../twin/ideal.ts';

type MarketExports = typeof import('../../../build/market.js');

const BINDINGS = new URL('../../../build/market.js', import.meta.url);

export class WasmEngine implements Engine {
  readonly kind = 'wasm' as const;
  private p: Problem | null = null;

  private constructor(private readonly w: MarketExports) {}

  static async create(): Promise<WasmEngine> {
    if (!existsSync(fileURLToPath(BINDINGS))) {
      throw new Error('the WASM market core is not built (build/market.js missing): run `npm run build`');
    }
    const w = (await import(BINDINGS.href)) as MarketExports;
    return new WasmEngine(w);
  }

  /** Bytes of WASM linear memory (for the no-growth benchmark). */
  memoryBytes(): number {
    return this.w.memory.buffer.byteLength;
  }

  private f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.w.memory.buffer, ptr, n);
  }

  private i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.w.memory.buffer, ptr, n);
  }

  load(p: Problem): void {
    const w = this.w;
    w.prepare(p.n, p.models.length);
    // views after prepare(): memory may have grown
    this.f64(w.ptrModels(), p.models.length).set(p.models);
    this.i32(w.ptrModelOff(), p.n).set(p.modelOff);
    this.f64(w.ptrWeight(), p.n).set(p.weights);
    this.f64(w.ptrBudget(), p.n).set(p.budget);
    this.f64(w.ptrXmin(), p.n).set(p.xmin);
    this.f64(w.ptrXmax(), p.n).set(p.xmax);
    this.f64(w.ptrYmin(), p.n).set(p.ymin);
    this.f64(w.ptrYmax(), p.n).set(p.ymax);
    this.f64(w.ptrResX(), p.n).set(p.resX);
    this.f64(w.ptrResY(), p.n).set(p.resY);
    this.f64(w.ptrRefX(), p.n).set(p.refX);
    this.f64(w.ptrRefY(), p.n).set(p.refY);
    this.i32(w.ptrClass(), p.n).set(p.classId);
    let classes = 0;
    for (let i = 0; i < p.n; i++) if (p.classId[i] + 1 > classes) classes = p.classId[i] + 1;
    w.init(classes);
    this.p = p;
  }

  private get problem(): Problem {
    if (!this.p) throw new Error('WasmEngine: load() a problem first');
    return this.p;
  }

  perf(i: number, x: number, y: number): number {
    return this.w.perfOf(i, x, y);
  }

  refPerf(i: number): number {
    return this.w.refPerfOf(i);
  }

  spirit(): SpiritRaw {
    const n = this.problem.n;
    this.w.spirit();
    return {
      x: this.f64(this.w.ptrOutX(), n).slice(),
      y: this.f64(this.w.ptrOutY(), n).slice(),
      priceCache: this.w.outPrice(),
      iterations: this.w.outIterations(),
      fromMarket: this.w.outFromMarket() === 1,
      certificate: this.readCertificate(n),
    };
  }

  private readCertificate(n: number): CertificateRaw {
    return {
      f: this.f64(this.w.ptrOutF(), n).slice(),
      refF: this.f64(this.w.ptrRefF(), n).slice(),
      maxEnvy: this.w.certMaxEnvy(),
      envier: this.w.certEnvier(),
      envied: this.w.certEnvied(),
    };
  }

  certificate(x: Float64Array, y: Float64Array): CertificateRaw {
    const n = this.problem.n;
    this.f64(this.w.ptrInX(), n).set(x);
    this.f64(this.w.ptrInY(), n).set(y);
    this.w.certify();
    return this.readCertificate(n);
  }

  ideal(gridSteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number } {
    const n = this.problem.n;
    assert(n >= 1 && n <= IDEAL_MAX_APPS && gridSteps >= 1, `ideal search takes 1..${IDEAL_MAX_APPS} apps and a grid, got ${n} apps, ${gridSteps} steps`);
    const found = this.w.ideal(gridSteps, envyMax) === 1;
    return {
      x: this.f64(this.w.ptrOutX(), n).slice(),
      y: this.f64(this.w.ptrOutY(), n).slice(),
      found,
      evaluated: this.w.idealEvaluated(),
    };
  }
}
