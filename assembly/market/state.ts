// The problem and the workspace of one solve, as module globals over unmanaged memory.
// prepare(n, modelLen) sizes the buffers (growing only when needed), the wrapper fills the inputs, and
// init(classCount) derives what every solve needs (reference throughput, satiation levels, class lists).
import { growF, growI, ldf, ldi, stf, sti } from './mem';
import { BOOST_CLASSES_SMALL, BOOST_TRIES, FAIR_CANDIDATES, MAX_SCAN, POOL_SLOTS, SATIATION_TAU } from './limits';

/** Entries of the boost list (classes x factors), kept in the per-class scratch. */
const BOOST_LIST: i32 = BOOST_CLASSES_SMALL * BOOST_TRIES + 1;
import { throughput } from './model';
import { buildApps } from './apps';
import { prepareEnvy } from './envy';

export let N: i32 = 0;
export let CLASSES: i32 = 0;
let capN: i32 = 0;
let capModel: i32 = 0;
let capClasses: i32 = 0;

// inputs, filled by the wrapper
export let MD: usize = 0; // encoded models (see service/market/encoding.ts)
export let MODEL_OFF: usize = 0; // i32 per app
export let WEIGHT: usize = 0;
export let BUDGET0: usize = 0;
export let XMIN: usize = 0;
export let XMAX: usize = 0;
export let YMIN: usize = 0;
export let YMAX: usize = 0;
export let RESX: usize = 0; // reservations (minimum limits), free, outside the market
export let RESY: usize = 0;
export let REFX: usize = 0;
export let REFY: usize = 0;
export let CLASS: usize = 0; // i32 per app: class index 0..CLASSES-1
export let IN_X: usize = 0; // allocation to certify / evaluate
export let IN_Y: usize = 0;

// derived
export let REFF: usize = 0;
export let SATF: usize = 0;
export let TOPF: usize = 0; // the most throughput each app can reach (at its maxima)
export let BUDGET: usize = 0;
export let SAT: usize = 0; // i32 per app
export let FLOOR: usize = 0; // repair floors
export let BXLO: usize = 0; // the box each app's demand is searched in (limits, or a pinned point)
export let BXHI: usize = 0;
export let BYLO: usize = 0;
export let BYHI: usize = 0;
export let BEFORE: usize = 0; // hand-out: envy of each app toward the receiver before the gift
export let CSTART: usize = 0; // i32 per class + 1: start of each class in CLIST
export let CLIST: usize = 0; // i32 per app: apps grouped by class, in app order

// outputs
export let OUT_X: usize = 0;
export let OUT_Y: usize = 0;
export let OUT_F: usize = 0;

// scratch allocations (n each)
export let X: usize = 0;
export let Y: usize = 0;
export let F: usize = 0;
export let XL: usize = 0;
export let YL: usize = 0;
export let FL: usize = 0;
export let XH: usize = 0;
export let YH: usize = 0;
export let FH: usize = 0;
export let CX: usize = 0;
export let CY: usize = 0;
export let CF: usize = 0;
export let SX: usize = 0; // the static candidate
export let SY: usize = 0;
export let SF: usize = 0;
export let FAIRBUF: usize = 0; // FAIR_CANDIDATES blocks of 3n values
export let EQ_SX: usize = 0; // equilibrium: each app's satiation bundle at the current price, and its cost
export let EQ_SY: usize = 0;
export let EQ_SC: usize = 0;
export let EQ_XLO: usize = 0; // equilibrium: price-independent bounds of the satiation bundle
export let EQ_XYMIN: usize = 0;
export let EQ_JLO: usize = 0; // i32: the curve's segment holding EQ_XLO
export let EQ_SLO: usize = 0; // i32: the segment of the last satiation bundle (-2: bandwidth free; -1: none yet)
export let BOUND: usize = 0; // certifyPriced: a bound on each row's envy (Infinity: none)
export let EQ_BUDGET: usize = 0; // equilibrium: each app's budget at the final price

// per-class scratch
export let CLS_A: usize = 0; // i32
export let CLS_B: usize = 0; // i32
export let CLS_F: usize = 0; // f64
export let BLOCKED: usize = 0; // i32 per class: hand-out could give it nothing (bit 0 cache, bit 1 bandwidth)
export let SWITCHING: usize = 0; // i32 per class: the switching classes of the jump being resolved
export let ROW_MAX: usize = 0; // f64 per class: largest envy of the class (fair repair)
export let ROW_ARG: usize = 0; // i32 per class: whom
export let SEEN: usize = 0; // i32 per class: times its worst envy was worked on

// the candidate pool: POOL_SLOTS allocations of 3n values, plus metadata
export let POOL: usize = 0;
export let POOL_PRICE: usize = 0;
export let POOL_WELFARE: usize = 0;
export let POOL_SRC: usize = 0; // i32
export let POOL_ORDER: usize = 0; // i32

// scan buffers
export let SCAN_P: usize = 0;
export let SCAN_H: usize = 0;
export let SCAN_O: usize = 0;

export function prepare(n: i32, modelLen: i32): void {
  MD = growF(MD, capModel, modelLen);
  if (modelLen > capModel) capModel = modelLen;
  if (n > capN || MODEL_OFF == 0) {
    const c = capN;
    MODEL_OFF = growI(MODEL_OFF, c, n);
    WEIGHT = growF(WEIGHT, c, n); BUDGET0 = growF(BUDGET0, c, n);
    XMIN = growF(XMIN, c, n); XMAX = growF(XMAX, c, n); YMIN = growF(YMIN, c, n); YMAX = growF(YMAX, c, n);
    RESX = growF(RESX, c, n); RESY = growF(RESY, c, n);
    REFX = growF(REFX, c, n); REFY = growF(REFY, c, n); CLASS = growI(CLASS, c, n);
    IN_X = growF(IN_X, c, n); IN_Y = growF(IN_Y, c, n);
    REFF = growF(REFF, c, n); SATF = growF(SATF, c, n); TOPF = growF(TOPF, c, n); BUDGET = growF(BUDGET, c, n); SAT = growI(SAT, c, n); FLOOR = growF(FLOOR, c, n);
    BXLO = growF(BXLO, c, n); BXHI = growF(BXHI, c, n); BYLO = growF(BYLO, c, n); BYHI = growF(BYHI, c, n);
    BEFORE = growF(BEFORE, c, n);
    CLIST = growI(CLIST, c, n);
    OUT_X = growF(OUT_X, c, n); OUT_Y = growF(OUT_Y, c, n); OUT_F = growF(OUT_F, c, n);
    X = growF(X, c, n); Y = growF(Y, c, n); F = growF(F, c, n);
    XL = growF(XL, c, n); YL = growF(YL, c, n); FL = growF(FL, c, n);
    XH = growF(XH, c, n); YH = growF(YH, c, n); FH = growF(FH, c, n);
    CX = growF(CX, c, n); CY = growF(CY, c, n); CF = growF(CF, c, n);
    SX = growF(SX, c, n); SY = growF(SY, c, n); SF = growF(SF, c, n);
    POOL = growF(POOL, c * 3 * POOL_SLOTS, n * 3 * POOL_SLOTS);
    FAIRBUF = growF(FAIRBUF, c * 3 * FAIR_CANDIDATES, n * 3 * FAIR_CANDIDATES);
    EQ_SX = growF(EQ_SX, c, n); EQ_SY = growF(EQ_SY, c, n); EQ_SC = growF(EQ_SC, c, n); EQ_BUDGET = growF(EQ_BUDGET, c, n);
    EQ_XLO = growF(EQ_XLO, c, n); EQ_XYMIN = growF(EQ_XYMIN, c, n); EQ_JLO = growI(EQ_JLO, c, n); EQ_SLO = growI(EQ_SLO, c, n); BOUND = growF(BOUND, c, n);
    capN = n;
  }
  prepareEnvy(n);
  if (POOL_PRICE == 0) {
    POOL_PRICE = heap.alloc(<usize>POOL_SLOTS << 3);
    POOL_WELFARE = heap.alloc(<usize>POOL_SLOTS << 3);
    POOL_SRC = heap.alloc(<usize>POOL_SLOTS << 2);
    POOL_ORDER = heap.alloc(<usize>POOL_SLOTS << 2);
    SCAN_P = heap.alloc(<usize>(MAX_SCAN + 1) << 3);
    SCAN_H = heap.alloc(<usize>(MAX_SCAN + 1) << 3);
    SCAN_O = heap.alloc(<usize>(MAX_SCAN + 1) << 3);
  }
  N = n;
}

/** After the wrapper filled the inputs: reference and satiation throughput, budgets, class lists. */
export function init(classCount: i32): void {
  const n = N;
  // per-class scratch: one entry per class, plus room for the boost list (up to BOOST_LIST entries)
  const need = classCount + 1 > BOOST_LIST ? classCount + 1 : BOOST_LIST;
  if (need > capClasses) {
    CSTART = growI(CSTART, capClasses, need);
    CLS_A = growI(CLS_A, capClasses, need);
    CLS_B = growI(CLS_B, capClasses, need);
    CLS_F = growF(CLS_F, capClasses, need);
    SWITCHING = growI(SWITCHING, capClasses, need);
    BLOCKED = growI(BLOCKED, capClasses, need);
    ROW_MAX = growF(ROW_MAX, capClasses, need);
    ROW_ARG = growI(ROW_ARG, capClasses, need);
    SEEN = growI(SEEN, capClasses, need);
    capClasses = need;
  }
  CLASSES = classCount;
  buildApps(n, MD, MODEL_OFF, WEIGHT, RESX, RESY, XMAX, YMAX);
  for (let i = 0; i < n; i++) {
    const off = ldi(MODEL_OFF, i);
    const r = throughput(off, ldf(REFX, i), ldf(REFY, i));
    stf(REFF, i, r);
    const topF = throughput(off, ldf(XMAX, i), ldf(YMAX, i));
    stf(TOPF, i, topF);
    const top = (1 - SATIATION_TAU) * topF;
    stf(SATF, i, top > r ? top : r);
    stf(BUDGET, i, ldf(BUDGET0, i));
  }
  resetBoxes();
  // counting sort of apps by class, keeping app order inside a class
  for (let c = 0; c <= classCount; c++) sti(CSTART, c, 0);
  for (let i = 0; i < n; i++) { const c = ldi(CLASS, i); sti(CSTART, c + 1, ldi(CSTART, c + 1) + 1); }
  for (let c = 0; c < classCount; c++) sti(CSTART, c + 1, ldi(CSTART, c + 1) + ldi(CSTART, c));
  for (let c = 0; c < classCount; c++) sti(CLS_A, c, ldi(CSTART, c));
  for (let i = 0; i < n; i++) {
    const c = ldi(CLASS, i);
    const at = ldi(CLS_A, c);
    sti(CLIST, at, i);
    sti(CLS_A, c, at + 1);
  }
}

/** First member (representative) and size of class c. */
// @ts-ignore: decorator
@inline export function classRep(c: i32): i32 {
  return ldi(CLIST, ldi(CSTART, c));
}
// @ts-ignore: decorator
@inline export function classSize(c: i32): i32 {
  return ldi(CSTART, c + 1) - ldi(CSTART, c);
}
// @ts-ignore: decorator
@inline export function classMember(c: i32, k: i32): i32 {
  return ldi(CLIST, ldi(CSTART, c) + k);
}

/** Every app back to its own limits and budget. */
export function resetBoxes(): void {
  for (let i = 0; i < N; i++) {
    stf(BXLO, i, ldf(XMIN, i)); stf(BXHI, i, ldf(XMAX, i)); stf(BYLO, i, ldf(YMIN, i)); stf(BYHI, i, ldf(YMAX, i));
    stf(BUDGET, i, ldf(BUDGET0, i));
  }
}
