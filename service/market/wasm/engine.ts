// The WASM market core (assembly/market) behind the Engine interface. The wrapper owns the problem's
// buffers inside WASM memory: load() sizes them once (they grow only for a larger problem) and fills them
// through typed-array views. The views are kept while they stay valid (Views below): making 20 of them per
// solve was ~2 us of a 6-app solve's ~20. Solves allocate nothing inside WASM memory.
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

/**
 * Typed-array views of the core's buffers, for problems of up to `n` apps and `modelLen` model numbers. The
 * core moves a buffer only when a problem outgrows it (state.ts prepare) and memory growth detaches the
 * old ArrayBuffer, so the views stay valid while `buffer` is the memory's and the problem fits.
 */
interface Views {
  buffer: ArrayBuffer; n: number; modelLen: number;
  models: Float64Array; modelOff: Int32Array; weight: Float64Array; budget: Float64Array;
  xmin: Float64Array; xmax: Float64Array; ymin: Float64Array; ymax: Float64Array;
  resX: Float64Array; resY: Float64Array; refX: Float64Array; refY: Float64Array; classId: Int32Array;
  inX: Float64Array; inY: Float64Array;
  outX: Float64Array; outY: Float64Array; outF: Float64Array; refF: Float64Array; eqBudget: Float64Array;
}

export class WasmEngine implements Engine {
  readonly kind = 'wasm' as const;
  private p: Problem | null = null;
  private broken = false;
  private v: Views | null = null;

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
      this.v = null;
    }
    this.guard('load', () => this.fill(p));
    this.p = p;
  }

  private fill(p: Problem): void {
    const w = this.w;
    w.prepare(p.n, p.models.length);
    const v = this.views(p.n, p.models.length);
    v.models.set(p.models);
    v.modelOff.set(p.modelOff);
    v.weight.set(p.weights);
    v.budget.set(p.budget);
    v.xmin.set(p.xmin);
    v.xmax.set(p.xmax);
    v.ymin.set(p.ymin);
    v.ymax.set(p.ymax);
    v.resX.set(p.resX);
    v.resY.set(p.resY);
    v.refX.set(p.refX);
    v.refY.set(p.refY);
    v.classId.set(p.classId);
    let classes = 0;
    for (let i = 0; i < p.n; i++) if (p.classId[i] + 1 > classes) classes = p.classId[i] + 1;
    w.init(classes);
  }

  /** The views for a problem of `n` apps and `modelLen` numbers, made again only when they went stale. */
  private views(n: number, modelLen: number): Views {
    const v = this.v;
    const buffer = this.w.memory.buffer;
    if (v && v.buffer === buffer && n <= v.n && modelLen <= v.modelLen) return v;
    const w = this.w;
    const f = (ptr: number): Float64Array => this.f64(ptr, n);
    const i = (ptr: number): Int32Array => this.i32(ptr, n);
    this.v = {
      buffer, n, modelLen, models: this.f64(w.ptrModels(), modelLen), modelOff: i(w.ptrModelOff()), weight: f(w.ptrWeight()),
      budget: f(w.ptrBudget()), xmin: f(w.ptrXmin()), xmax: f(w.ptrXmax()), ymin: f(w.ptrYmin()), ymax: f(w.ptrYmax()),
      resX: f(w.ptrResX()), resY: f(w.ptrResY()), refX: f(w.ptrRefX()), refY: f(w.ptrRefY()), classId: i(w.ptrClass()),
      inX: f(w.ptrInX()), inY: f(w.ptrInY()), outX: f(w.ptrOutX()), outY: f(w.ptrOutY()), outF: f(w.ptrOutF()),
      refF: f(w.ptrRefF()), eqBudget: f(w.ptrEqBudget()),
    };
    return this.v;
  }

  /** The views after a call that may have grown memory, for the loaded problem. */
  private get out(): Views {
    const p = this.problem;
    return this.views(p.n, p.models.length);
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
    const v = this.out;
    return {
      x: v.outX.slice(0, n),
      y: v.outY.slice(0, n),
      priceCache: this.w.outPrice(),
      iterations: this.w.outIterations(),
      fromMarket: this.w.outFromMarket() === 1,
      certificate: this.readCertificate(n),
    };
  }

  equilibrium(): EquilibriumRaw {
    const n = this.problem.n;
    this.guard('equilibrium', () => this.w.equilibrium());
    const v = this.out;
    return {
      x: v.outX.slice(0, n),
      y: v.outY.slice(0, n),
      priceCache: this.w.eqPrice(),
      iterations: this.w.eqCalls(),
      budgets: v.eqBudget.slice(0, n),
      dividend: this.w.eqDividend(),
      gap: this.w.eqGap(),
      certificate: this.readCertificate(n),
    };
  }

  private readCertificate(n: number): CertificateRaw {
    const v = this.out;
    return {
      f: v.outF.slice(0, n),
      refF: v.refF.slice(0, n),
      maxEnvy: this.w.certMaxEnvy(),
      envier: this.w.certEnvier(),
      envied: this.w.certEnvied(),
    };
  }

  certificate(x: Float64Array, y: Float64Array): CertificateRaw {
    const n = this.problem.n;
    const v = this.out;
    v.inX.set(x);
    v.inY.set(y);
    this.guard('certify', () => this.w.certify());
    return this.readCertificate(n);
  }

  knotSearch(gridSteps: number, ySteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number } {
    const n = this.problem.n;
    assert(n >= 2 && n <= IDEAL_MAX_APPS && gridSteps >= 1 && ySteps >= 1, `knot search takes 2..${IDEAL_MAX_APPS} apps and grids, got ${n} apps`);
    const found = this.guard('knots', () => this.w.knots(gridSteps, ySteps, envyMax)) === 1;
    const v = this.out;
    return { x: v.outX.slice(0, n), y: v.outY.slice(0, n), found, evaluated: this.w.idealEvaluated() };
  }

  ideal(gridSteps: number, envyMax: number): { x: Float64Array; y: Float64Array; found: boolean; evaluated: number } {
    const n = this.problem.n;
    assert(n >= 1 && n <= IDEAL_MAX_APPS && gridSteps >= 1, `ideal search takes 1..${IDEAL_MAX_APPS} apps and a grid, got ${n} apps, ${gridSteps} steps`);
    const found = this.guard('ideal', () => this.w.ideal(gridSteps, envyMax)) === 1;
    const v = this.out;
    return {
      x: v.outX.slice(0, n),
      y: v.outY.slice(0, n),
      found,
      evaluated: this.w.idealEvaluated(),
    };
  }
}
