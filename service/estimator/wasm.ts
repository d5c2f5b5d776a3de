// Loads the "estimator" WASM module (build/estimator.wasm, built by `node scripts/build.mjs wasm`). The module
// is compiled once; every MRC builder gets its own instance (its own linear memory, so one app's state never
// touches another's and each is bounded on its own). Hot calls take pointers into that memory; the
// generated ESM bindings are not used because they copy arrays on every call.
import { readFileSync } from 'node:fs';

/** The parts of the WebAssembly API used here (tsconfig's lib has no WebAssembly declarations). */
interface WasmMemory { readonly buffer: ArrayBuffer }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface EstimatorExports {
  memory: WasmMemory;
  mrcInit(cap: number, threshold: number, inputWeight: number, halfLifeAccesses: number, inCap: number, curveCap: number): number;
  mrcAdd(n: number, represented: number): void;
  mrcAt(n: number): void;
  mrcReset(): void;
  mrcCurve(points: number, maxPages: number): number;
  mrcSpanPages(): number;
  mrcOutPtr(): number;
  mrcAccesses(): number;
  mrcSampledAccesses(): number;
  mrcRate(): number;
  mrcLivePages(): number;
  mrcBinWidth(): number;
  mrcKappa(): number;
  mrcDistinctEstimate(): number;
  fitReserve(n: number): number;
  fitRun(n: number, logL0: number, logR0: number, logP0: number, priorSigma: number, nsPerSec: number, stallPrecisionCap: number): number;
  fitResultPtr(): number;
}

const WASM_FILE = new URL('../../build/estimator.wasm', import.meta.url);
let compiled: object | null = null;

function module(): object {
  if (compiled) return compiled;
  let bytes: Buffer;
  try {
    bytes = readFileSync(WASM_FILE);
  } catch (err) {
    throw new Error(`the estimator WASM module is not built (${(err as Error).message}); run: node scripts/build.mjs wasm`, { cause: err });
  }
  compiled = new WA.Module(bytes);
  return compiled;
}

/** A fresh instance with its own memory. */
export function newEstimatorInstance(): EstimatorExports {
  const imports = {
    env: {
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`estimator WASM aborted at ${line}:${col} (a bug: inputs are validated before the call)`);
      },
    },
  };
  return new WA.Instance(module(), imports).exports as unknown as EstimatorExports;
}

/** Pointers come back as signed i32; memory above 2 GiB would make them negative. */
export const ptr = (p: number): number => p >>> 0;
