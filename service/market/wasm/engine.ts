// The WASM market core (assembly/market) behind the Engine interface. The wrapper owns the problem's
// buffers inside WASM memory: load() sizes them once (they grow only for a larger problem) and fills them
// through typed-array views, re-created after any call that may grow memory. Solves allocate nothing.
//
// Each engine has its own instance (its own memory) of the module compiled once per process, so nothing one
// engine does can touch another's state. A trap (a bug in the core) marks the instance broken: the solve
// fails with a clear error, and the next load() starts from a fresh instance.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CertificateRaw, Engine, EquilibriumRaw, SpiritRaw } from '../engine.ts';
import type { Problem } from '../problem.ts';
import { assert } from '../../errors.ts';
import { IDEAL_MAX_APPS } from '../twin/ideal.ts';

/** The exports (typed by the generated ESM bindings; every export takes and returns numbers). */
type MarketExports = typeof import('../../../build/market.js');

const WASM_FILE = new URL('../../../build/market.wasm', import.meta.url);
let compiled: Promise<WebAssembly.Module> | null = null;

function instantiate(module: WebAssembly.Module): MarketExports {
  const imports = {
    env: {
      // AssemblyScript's abort (assertions are compiled out; kept for the import's sake)
      abort: (_msg: number, _file: number, line: number, col: number): never => {
        throw new Error(`the WASM market core aborted at ${line}:${col}`);
      },
    },
  };
  return new WebAssembly.Instance(module, imports).exports as unknown as MarketExports;
}

export class WasmEngine implements Engine {
  readonly kind = 'wasm' as const;
  private p: Problem | null = null;
  private broken = false;

  private constructor(private readonly module: WebAssembly.Module, private w: MarketExports) {}

  static async create(): Promise<WasmEngine> {
    const path = fileURLToPath(WASM_FILE);
    if (!existsSync(path)) {
      throw new Error('the WASM market core is not built (build/market.wasm missing): run `npm run build`');
    }
    compiled ??= readFile(path).then((bytes) => WebAssembly.compile(bytes));
    const module = await compiled;
    return new WasmEngine(module, instantiate(module));
  }

  /** Run a call into the core; a trap marks the instance broken (replaced at the next load). */
  private guard<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) {
        this.broken = true;
        throw new Error(`the WASM market core trapped in ${what} (${err.message}); a fresh instance serves the next solve`, { cause: err });
      }
      throw err;
    }
  }

  /** Bytes of WASM linear memory (for the no-growth benchmark). */
  memoryBytes(): number {
    return this.w.memory.buffer.byteLength;
  }

  private f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.w.memory.buffer, ptr >>> 0, n);
  }

  private i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.w.memory.buffer, ptr >>> 0, n);
  }

  load(p: Problem): void {
    if (this.broken) {
      this.w = instantiate(this.module);
      this.broken = false;
    }
    this.guard('load', () => this.fill(p));
    this.p = p;
  }

  private fill(p: Problem): void {
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
  }

  private get problem(): Problem {
    if (!this.p) throw new Error('WasmEngine: load() a problem first');
    return this.p;
  }

  perf(i: number, x: number, y: number): number {
    return this.guard('perf', () => this.w.perfOf(i, x, y));
  }

  refPerf(i: number): number {
    return this.w.refPerfOf(i);
  }

  spirit(): SpiritRaw {
    const n = this.problem.n;
    this.guard('spirit', () => this.w.spirit());
    return {
      x: this.f64(this.w.ptrOutX(), n).slice(),
      y: this.f64(this.w.ptrOutY(), n).slice(),
      priceCache: this.w.outPrice(),
      iterations: this.w.outIterations(),
      fromMarket: this.w.outFromMarket() === 1,
      certificate: this.readCertificate(n),
    };
  }

  equilibrium(): EquilibriumRaw {
    const n = this.problem.n;
    this.guard('equilibrium', () => this.w.equilibrium());
    return {
      x: this.f64(this.w.ptrOutX(), n).slice(),
      y: this.f64(this.w.ptrOutY(), n).slice(),
      priceCache: this.w.eqPrice(),
      iterations: this.w.eqCalls(),
      budgets: this.f64(this.w.ptrEqBudget(), n).slice(),
      dividend: this.w.eqDividend(),
      gap: this.w.eqGap(),
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
    this.guard('certify', () => this.w.certify());
    return this.readCertificate(n);
  }

  knotSearch(gridSteps: number, ySteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number } {
    const n = this.problem.n;
    assert(n >= 2 && n <= IDEAL_MAX_APPS && gridSteps >= 1 && ySteps >= 1, `knot search takes 2..${IDEAL_MAX_APPS} apps and grids, got ${n} apps`);
    const found = this.guard('knots', () => this.w.knots(gridSteps, ySteps, envyMax)) === 1;
    return { x: this.f64(this.w.ptrOutX(), n).slice(), y: this.f64(this.w.ptrOutY(), n).slice(), found, evaluated: this.w.idealEvaluated() };
  }

  ideal(gridSteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number } {
    const n = this.problem.n;
    assert(n >= 1 && n <= IDEAL_MAX_APPS && gridSteps >= 1, `ideal search takes 1..${IDEAL_MAX_APPS} apps and a grid, got ${n} apps, ${gridSteps} steps`);
    const found = this.guard('ideal', () => this.w.ideal(gridSteps, envyMax)) === 1;
    return {
      x: this.f64(this.w.ptrOutX(), n).slice(),
      y: this.f64(this.w.ptrOutY(), n).slice(),
      found,
      evaluated: this.w.idealEvaluated(),
    };
  }
}
