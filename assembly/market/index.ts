// The market core's exports. The TypeScript wrapper (service/market/wasm/engine.ts) calls prepare(), fills
// the input buffers through the ptr* pointers, calls init(), then spirit(), certify() or idealSearch(), and
// reads the outputs. Hot data never crosses the boundary by copy: only numbers and pointers do.
import * as S from './state';
import { demand, perf } from './market';
import { OUT_FROM_MARKET, OUT_ITERATIONS, OUT_PRICE, solveSpirit } from './spirit';
import { CERT_ENVIED, CERT_ENVIER, CERT_MAX_ENVY, certify as certifyImpl } from './certificate';
import { IDEAL_EVALUATED, idealSearch, knotSearch } from './ideal';
import { EQ_CALLS, EQ_DIVIDEND, EQ_GAP, EQ_PRICE, solveEquilibrium } from './equilibrium';
import { ldf } from './mem';
import { poolCount, poolOrder, slotPrice, slotSrc, slotWelfare } from './pool';

export function prepare(n: i32, modelLen: i32): void { S.prepare(n, modelLen); }
export function init(classCount: i32): void { S.init(classCount); }

export function ptrModels(): usize { return S.MD; }
export function ptrModelOff(): usize { return S.MODEL_OFF; }
export function ptrWeight(): usize { return S.WEIGHT; }
export function ptrBudget(): usize { return S.BUDGET0; }
export function ptrXmin(): usize { return S.XMIN; }
export function ptrXmax(): usize { return S.XMAX; }
export function ptrYmin(): usize { return S.YMIN; }
export function ptrYmax(): usize { return S.YMAX; }
export function ptrResX(): usize { return S.RESX; }
export function ptrResY(): usize { return S.RESY; }
export function ptrRefX(): usize { return S.REFX; }
export function ptrRefY(): usize { return S.REFY; }
export function ptrClass(): usize { return S.CLASS; }
export function ptrInX(): usize { return S.IN_X; }
export function ptrInY(): usize { return S.IN_Y; }
export function ptrOutX(): usize { return S.OUT_X; }
export function ptrOutY(): usize { return S.OUT_Y; }
export function ptrOutF(): usize { return S.OUT_F; }
export function ptrRefF(): usize { return S.REFF; }

export function perfOf(i: i32, x: f64, y: f64): f64 { return perf(i, x, y); }
export function refPerfOf(i: i32): f64 { return ldf(S.REFF, i); }

export function spirit(): void { solveSpirit(); }
export function outPrice(): f64 { return OUT_PRICE; }
export function outIterations(): i32 { return OUT_ITERATIONS; }
export function outFromMarket(): i32 { return OUT_FROM_MARKET; }

export function equilibrium(): void { solveEquilibrium(); }
export function eqPrice(): f64 { return EQ_PRICE; }
export function eqCalls(): i32 { return EQ_CALLS; }
export function eqDividend(): f64 { return EQ_DIVIDEND; }
export function eqGap(): f64 { return EQ_GAP; }
export function ptrEqBudget(): usize { return S.EQ_BUDGET; }

export function certify(): void { certifyImpl(); }
export function certMaxEnvy(): f64 { return CERT_MAX_ENVY; }
export function certEnvier(): i32 { return CERT_ENVIER; }
export function certEnvied(): i32 { return CERT_ENVIED; }

export function ideal(gridSteps: i32, envyMax: f64): i32 { return idealSearch(gridSteps, envyMax); }
export function knots(gridSteps: i32, ySteps: i32, envyMax: f64): i32 { return knotSearch(gridSteps, ySteps, envyMax); }
export function idealEvaluated(): i32 { return IDEAL_EVALUATED; }

/** Demand of every app at one cache price with the initial budgets (conformance tests): into OUT_X/OUT_Y/OUT_F. */
export function demandAt(price: f64): void {
  S.resetBoxes();
  demand(price, S.OUT_X, S.OUT_Y, S.OUT_F);
}

/** The candidates of the last solve, best first (diagnostics): count, and welfare, price, source of the k-th. */
export function candidates(): i32 { return poolCount(); }
export function candidateWelfare(k: i32): f64 { return slotWelfare(poolOrder(k)); }
export function candidatePrice(k: i32): f64 { return slotPrice(poolOrder(k)); }
export function candidateSource(k: i32): i32 { return slotSrc(poolOrder(k)); }

export { setTrace } from './trace';
import { TRACE_BUF, TRACE_LEN } from './trace';
export function traceLength(): i32 { return TRACE_LEN; }
export function traceBuffer(): usize { return TRACE_BUF; }
