// Envy checks in batches. The twin (service/market/twin/market.ts envyOf, and the loops over it in
// certificate.ts, fair-repair.ts, handout.ts) checks one pair at a time: a long chain of dependent
// divisions and unpredictable branches per pair. Here a row (one envier against many bundles) or a column
// (many enviers against one bundle) runs in three passes that give exactly the twin's results:
//  A. every pair's scaled bundle (x, y) and whether it needs a throughput at all (the twin's early returns:
//     no larger than the envier's own bundle, or under the row's pruning bounds), without branches;
//  B. the envy of the pairs that need one, two at a time in SIMD lanes (f64x2), without branches: the same
//     operations in the same order as the twin, lane by lane (IEEE arithmetic, no fused operations);
//  C. the twin's decisions, in the twin's order, over the results.
// The pruning bounds (market.ts rowBounds) only tighten within a row; should they ever loosen, pass C
// falls back to the scalar check for the rest of the row, so the result never depends on that.
import { ldf, ldi, stf, sti } from './mem';
import { RESX, RESY, WEIGHT, XMAX, YMAX } from './state';
import {
  A_KIND, A_KNOTS, A_LS, A_M0, A_ML, A_P, A_RS, A_RX, A_RY, A_SCALE, A_TABLE, A_W, A_X0, A_XL, A_XM, A_YM, A_BMAX,
  AM0, AML, ALS, ARS, AP, AX0, AXL, KNOT_BYTES, KNOT_SHIFT, TWO52, appRec, knotAbove, SAFE_REC,
} from './apps';
import { ENVY_CAP } from './limits';
import { XNEED, YNEED, envyAt, rowBounds } from './market';

// entries of one row batch: scaled bundle, candidate index, piece, result
let EV_X: usize = 0;
let EV_Y: usize = 0;
let EV_E: usize = 0;
let EV_J: usize = 0; // i32 index of the pair in its row or column
let EV_P: usize = 0; // u32 address of the knot starting the entry's piece
// a row's candidates: net bundle (beyond the reservation, >= 0) and weight, by class or by app
export let CAND_DX: usize = 0;
export let CAND_DY: usize = 0;
export let CAND_W: usize = 0;
let cap: i32 = 0;

/** Size the scratch for n apps (state.ts prepare()). */
export function prepareEnvy(n: i32): void {
  if (n <= cap && EV_X != 0) return;
  if (EV_X != 0) {
    heap.free(EV_X); heap.free(EV_Y); heap.free(EV_E); heap.free(EV_J); heap.free(EV_P);
    heap.free(CAND_DX); heap.free(CAND_DY); heap.free(CAND_W);
  }
  // two spare entries: a batch reads its last pair of lanes whole
  const m = <usize>(n + 2);
  EV_X = heap.alloc(m << 3); EV_Y = heap.alloc(m << 3); EV_E = heap.alloc(m << 3);
  EV_J = heap.alloc(m << 2); EV_P = heap.alloc(m << 2);
  CAND_DX = heap.alloc(m << 3); CAND_DY = heap.alloc(m << 3); CAND_W = heap.alloc(m << 3);
  for (let k: usize = 0; k < m; k++) {
    store<f64>(EV_X + (k << 3), 0); store<f64>(EV_Y + (k << 3), 0);
    store<f64>(CAND_DX + (k << 3), 0); store<f64>(CAND_DY + (k << 3), 0); store<f64>(CAND_W + (k << 3), 1);
  }
  cap = n;
}

/** Candidate k of a row: app j holding (xj, yj), net of its reservation (envyOf's dx, dy), and its weight. */
// @ts-ignore: decorator
@inline export function setCandidate(k: i32, j: i32, xj: f64, yj: f64): void {
  const r = appRec(j);
  let dx = xj - load<f64>(r, A_RX);
  if (dx < 0) dx = 0;
  let dy = yj - load<f64>(r, A_RY);
  if (dy < 0) dy = 0;
  store<f64>(CAND_DX + (<usize>k << 3), dx);
  store<f64>(CAND_DY + (<usize>k << 3), dy);
  store<f64>(CAND_W + (<usize>k << 3), load<f64>(r, A_W));
}

// ---- pass B: envy of `count` entries -------------------------------------------------------------------
// In two loops of short dependency chains (so that many entries are in flight at once): B1 finds each
// entry's piece of the curve, B2 does the arithmetic two entries at a time.

/** Address of the knot starting x's piece (the last knot <= x, at most n - 2): bucket, then its knots. */
// @ts-ignore: decorator
@inline function pieceOf(kn: usize, tb: usize, x0: f64, xl: f64, sc: f64, bmax: u32, x: f64): u32 {
  // x clamped to the curve (a NaN stays NaN and ends on some piece: its result is NaN either way)
  const xc = x < x0 ? x0 : x > xl ? xl : x;
  const raw = <u32>reinterpret<u64>((xc - x0) * sc + TWO52); // apps.ts bucketOf(), the same bits
  const tp = tb + (<usize>(raw > bmax ? bmax : raw) << 1);
  let lo = <i32>load<u16>(tp);
  const hi = <i32>load<u16>(tp, 2);
  if (hi - lo > 1) lo = knotAbove(kn, lo, hi, xc);
  else lo = select<i32>(hi, lo, load<f64>(kn + (<usize>hi << KNOT_SHIFT)) <= xc);
  return <u32>(kn + (<usize>lo << KNOT_SHIFT));
}

/** B1 for a row (one record r). */
function piecesRow(count: i32, r: usize): void {
  const kn = <usize>load<u32>(r, A_KNOTS);
  const tb = <usize>load<u32>(r, A_TABLE);
  const x0 = load<f64>(r, A_X0);
  const xl = load<f64>(r, A_XL);
  const sc = load<f64>(r, A_SCALE);
  const bmax = load<u32>(r, A_BMAX);
  for (let t = 0; t < count; t++) {
    store<u32>(EV_P + (<usize>t << 2), pieceOf(kn, tb, x0, xl, sc, bmax, load<f64>(EV_X + (<usize>t << 3))));
  }
  store<u32>(EV_P + (<usize>count << 2), <u32>kn);
}

/**
 * B2: the mrc throughput f at (x, y) of two enviers (model.ts missRatio and mrcThroughput, the same
 * operations in the same order, lane by lane). pa, pb: the lanes' pieces (knot addresses); x0, xl, m0, ml,
 * ls, rs, P: the enviers' numbers.
 */
// @ts-ignore: decorator
@inline function perf2(xv: v128, yv: v128, pa: usize, pb: usize, x0: v128, xl: v128, m0: v128, ml: v128, ls: v128, rs: v128, P: v128): v128 {
  const a0 = v128.load(pa);
  const a1 = v128.load(pa, KNOT_BYTES);
  const b0 = v128.load(pb);
  const b1 = v128.load(pb, KNOT_BYTES);
  const kx0 = i64x2.shuffle(a0, b0, 0, 2);
  const km0 = i64x2.shuffle(a0, b0, 1, 3);
  const kx1 = i64x2.shuffle(a1, b1, 0, 2);
  const km1 = i64x2.shuffle(a1, b1, 1, 3);
  // missRatio: m0 + t (m1 - m0), t = (x - x0) / (x1 - x0); flat beyond both ends
  const t = f64x2.div(f64x2.sub(xv, kx0), f64x2.sub(kx1, kx0));
  let m = f64x2.add(km0, f64x2.mul(t, f64x2.sub(km1, km0)));
  m = v128.bitselect(m0, v128.bitselect(ml, m, f64x2.ge(xv, xl)), f64x2.le(xv, x0));
  // mrcThroughput: min(1 / (ls + m rs), P y / m), the latency bound alone when m <= 0
  const lat = f64x2.div(f64x2.splat(1), f64x2.add(ls, f64x2.mul(m, rs)));
  const bw = f64x2.div(f64x2.mul(P, yv), m);
  return v128.bitselect(lat, v128.bitselect(bw, lat, f64x2.lt(bw, lat)), f64x2.le(m, f64x2.splat(0)));
}

/** envyOf's last step, lane by lane: f / fi - 1 within [0, ENVY_CAP] (fi > 0). */
// @ts-ignore: decorator
@inline function envyFrom(f: v128, fi: v128): v128 {
  const zero = f64x2.splat(0);
  const capv = f64x2.splat(ENVY_CAP);
  const e = f64x2.sub(f64x2.div(f, fi), f64x2.splat(1));
  return v128.bitselect(v128.bitselect(e, capv, f64x2.lt(e, capv)), zero, f64x2.gt(e, zero));
}

// @ts-ignore: decorator
@inline function envy2(xv: v128, yv: v128, pa: usize, pb: usize, x0: v128, xl: v128, m0: v128, ml: v128, ls: v128, rs: v128, P: v128, fi: v128): v128 {
  return envyFrom(perf2(xv, yv, pa, pb, x0, xl, m0, ml, ls, rs, P), fi);
}

/** Envy of a row's entries (one envier: record r, throughput fi > 0) into EV_E. */
function evalRow(count: i32, r: usize, fi: f64): void {
  piecesRow(count, r);
  const x0 = f64x2.splat(load<f64>(r, A_X0));
  const xl = f64x2.splat(load<f64>(r, A_XL));
  const m0 = f64x2.splat(load<f64>(r, A_M0));
  const ml = f64x2.splat(load<f64>(r, A_ML));
  const ls = f64x2.splat(load<f64>(r, A_LS));
  const rs = f64x2.splat(load<f64>(r, A_RS));
  const P = f64x2.splat(load<f64>(r, A_P));
  const fv = f64x2.splat(fi);
  for (let k = 0; k < count; k += 2) {
    const o = <usize>k << 3;
    const pa = <usize>load<u32>(EV_P + (<usize>k << 2));
    const pb = <usize>load<u32>(EV_P + (<usize>k << 2), 4);
    v128.store(EV_E + o, envy2(v128.load(EV_X + o), v128.load(EV_Y + o), pa, pb, x0, xl, m0, ml, ls, rs, P, fv));
  }
}

/** The piece of app record r's curve holding x (pieceOf with the record's numbers). */
// @ts-ignore: decorator
@inline function pieceAt(r: usize, x: f64): usize {
  return <usize>pieceOf(<usize>load<u32>(r, A_KNOTS), <usize>load<u32>(r, A_TABLE), load<f64>(r, A_X0), load<f64>(r, A_XL),
    load<f64>(r, A_SCALE), load<u32>(r, A_BMAX), x);
}

// ---- rows: one envier against candidates -----------------------------------------------------------------

export let ROW_WORST: f64 = 0;
export let ROW_ARGK: i32 = -1;

/**
 * The twin's row loop: for candidates k = 0..count-1 but `skip` (CAND_* arrays), e = envyOf(i, k) and
 * `if (e > worst) { worst = e; arg = k; rowBounds(i, fi * (1 + worst)); }`. Result in ROW_WORST, ROW_ARGK
 * (-1 if no candidate beat `worst`). The caller has set the row's bounds (rowBounds) and checked SKIP_ROW.
 */
export function rowScan(i: i32, fi: f64, xi: f64, yi: f64, count: i32, skip: i32, worst: f64): void {
  const r = appRec(i);
  ROW_ARGK = -1;
  if (load<i32>(r, A_KIND) != 0 || !(fi > 0)) {
    rowScalar(i, fi, xi, yi, 0, count, skip, worst);
    return;
  }
  const xn0 = XNEED;
  const yn0 = YNEED;
  // pass A: scaled bundles and which need a throughput, two candidates at a time
  const wi = f64x2.splat(load<f64>(r, A_W));
  const rx = f64x2.splat(load<f64>(r, A_RX));
  const ry = f64x2.splat(load<f64>(r, A_RY));
  const xm = f64x2.splat(load<f64>(r, A_XM));
  const ym = f64x2.splat(load<f64>(r, A_YM));
  const xiv = f64x2.splat(xi);
  const yiv = f64x2.splat(yi);
  const xnv = f64x2.splat(xn0);
  const ynv = f64x2.splat(yn0);
  let cnt = 0;
  for (let k = 0; k < count; k += 2) {
    const o = <usize>k << 3;
    const s = f64x2.div(wi, v128.load(CAND_W + o));
    let x = f64x2.add(rx, f64x2.mul(v128.load(CAND_DX + o), s));
    x = v128.bitselect(xm, x, f64x2.gt(x, xm));
    let y = f64x2.add(ry, f64x2.mul(v128.load(CAND_DY + o), s));
    y = v128.bitselect(ym, y, f64x2.gt(y, ym));
    const none = v128.or(v128.and(f64x2.le(x, xiv), f64x2.le(y, yiv)), v128.or(f64x2.lt(x, xnv), f64x2.lt(y, ynv)));
    const mask = i64x2.bitmask(none);
    const need0 = <i32>((mask & 1) == 0) & <i32>(k != skip);
    const need1 = <i32>((mask & 2) == 0) & <i32>(k + 1 != skip) & <i32>(k + 1 < count);
    store<f64>(EV_X + (<usize>cnt << 3), f64x2.extract_lane(x, 0));
    store<f64>(EV_Y + (<usize>cnt << 3), f64x2.extract_lane(y, 0));
    store<i32>(EV_J + (<usize>cnt << 2), k);
    cnt += need0;
    store<f64>(EV_X + (<usize>cnt << 3), f64x2.extract_lane(x, 1));
    store<f64>(EV_Y + (<usize>cnt << 3), f64x2.extract_lane(y, 1));
    store<i32>(EV_J + (<usize>cnt << 2), k + 1);
    cnt += need1;
  }
  // pass B
  evalRow(cnt, r, fi);
  // pass C: the twin's decisions in its order (entries under the current bounds give no envy)
  for (let t = 0; t < cnt; t++) {
    const x = load<f64>(EV_X + (<usize>t << 3));
    const y = load<f64>(EV_Y + (<usize>t << 3));
    if (x < XNEED || y < YNEED) continue;
    const e = load<f64>(EV_E + (<usize>t << 3));
    if (e > worst) {
      const k = load<i32>(EV_J + (<usize>t << 2));
      worst = e;
      ROW_ARGK = k;
      rowBounds(i, fi * (1 + worst));
      if (!(XNEED >= xn0 && YNEED >= yn0)) {
        // the bounds loosened: what pass A left out may count now; the rest of the row one by one
        rowScalar(i, fi, xi, yi, k + 1, count, skip, worst);
        return;
      }
    }
  }
  ROW_WORST = worst;
}

/** The row loop one candidate at a time (from candidate `from`); keeps ROW_ARGK unless a candidate beats worst. */
function rowScalar(i: i32, fi: f64, xi: f64, yi: f64, from: i32, count: i32, skip: i32, worst: f64): void {
  const r = appRec(i);
  const wi = load<f64>(r, A_W);
  for (let k = from; k < count; k++) {
    if (k == skip) continue;
    const s = wi / load<f64>(CAND_W + (<usize>k << 3));
    const e = envyAt(r, i, load<f64>(CAND_DX + (<usize>k << 3)), load<f64>(CAND_DY + (<usize>k << 3)), s, fi, xi, yi);
    if (e > worst) { worst = e; ROW_ARGK = k; rowBounds(i, fi * (1 + worst)); }
  }
  ROW_WORST = worst;
}

// ---- columns: many enviers against one bundle ------------------------------------------------------------

/**
 * Envy of every app k (the twin's envyOf(k, j, xj, yj, F[k], X[k], Y[k])) toward app j holding (xj, yj),
 * for k in [from, to), into OUT (f64 per app; 0 where the twin returns early). Apps of class skipClass get
 * 0 (the caller does not look at them). Nearly every app of a column needs a throughput, so the column is
 * evaluated whole, two apps at a time (their numbers side by side: WEIGHT.., AX0..), and the early returns
 * are applied to the results.
 */
export function columnEnvy(j: i32, xj: f64, yj: f64, X: usize, Y: usize, F: usize, from: i32, to: i32, OUT: usize, skipClass: i32, CLASS: usize): void {
  const rj = appRec(j);
  let dx = xj - load<f64>(rj, A_RX);
  if (dx < 0) dx = 0;
  let dy = yj - load<f64>(rj, A_RY);
  if (dy < 0) dy = 0;
  const wj = load<f64>(rj, A_W);
  const wjv = f64x2.splat(wj);
  const dxv = f64x2.splat(dx);
  const dyv = f64x2.splat(dy);
  const xnv = f64x2.splat(XNEED);
  const ynv = f64x2.splat(YNEED);
  const zero = f64x2.splat(0);
  // in three loops of short dependency chains (many apps in flight): scaled bundles, pieces, envy
  let k = from;
  for (; k + 1 < to; k += 2) {
    const o = <usize>k << 3;
    // envyOf: s = w_k / w_j; k's reservation plus j's net bundle scaled, capped at k's maxima
    const s = f64x2.div(v128.load(WEIGHT + o), wjv);
    const xm = v128.load(XMAX + o);
    let x = f64x2.add(v128.load(RESX + o), f64x2.mul(dxv, s));
    x = v128.bitselect(xm, x, f64x2.gt(x, xm));
    const ym = v128.load(YMAX + o);
    let y = f64x2.add(v128.load(RESY + o), f64x2.mul(dyv, s));
    y = v128.bitselect(ym, y, f64x2.gt(y, ym));
    v128.store(EV_X + o, x);
    v128.store(EV_Y + o, y);
  }
  const end = k;
  for (let t = from; t < end; t++) {
    store<u32>(EV_P + (<usize>t << 2), <u32>pieceAt(appRec(t), load<f64>(EV_X + (<usize>t << 3))));
  }
  for (k = from; k < end; k += 2) {
    const o = <usize>k << 3;
    const x = v128.load(EV_X + o);
    const y = v128.load(EV_Y + o);
    const none = v128.or(v128.and(f64x2.le(x, v128.load(X + o)), f64x2.le(y, v128.load(Y + o))),
      v128.or(f64x2.lt(x, xnv), f64x2.lt(y, ynv)));
    const pa = <usize>load<u32>(EV_P + (<usize>k << 2));
    const pb = <usize>load<u32>(EV_P + (<usize>k << 2), 4);
    const fi = v128.load(F + o);
    const e = envy2(x, y, pa, pb, v128.load(AX0 + o), v128.load(AXL + o), v128.load(AM0 + o), v128.load(AML + o),
      v128.load(ALS + o), v128.load(ARS + o), v128.load(AP + o), fi);
    v128.store(OUT + o, v128.bitselect(zero, e, none));
  }
  for (k = from; k < end; k++) {
    // a surface model, or no throughput of its own (envy capped): the scalar check; j's class: nothing
    const r = appRec(k);
    if (load<i32>(r, A_KIND) != 0 || !(ldf(F, k) > 0)) {
      stf(OUT, k, envyAt(r, k, dx, dy, load<f64>(r, A_W) / wj, ldf(F, k), ldf(X, k), ldf(Y, k)));
    }
    if (ldi(CLASS, k) == skipClass) stf(OUT, k, 0);
  }
  k = end;
  if (k < to) {
    const r = appRec(k);
    const e = envyAt(r, k, dx, dy, load<f64>(r, A_W) / wj, ldf(F, k), ldf(X, k), ldf(Y, k));
    stf(OUT, k, ldi(CLASS, k) == skipClass ? 0 : e);
  }
}

// ---- the hand-out's gift search: one receiver j, many amounts ---------------------------------------------
// handout.ts giftOk(j, x, y) asks, for amounts of one resource, whether any app outside j's class would envy
// j holding (x, y) more than its allowance (its envy before the gift, at least the target). Between the
// calls of one search only (x, y) changes, so giftPrepare() keeps what does not: each app's weight ratio
// w_k / w_j, and the throughput band around fi (1 + allowance) outside of which comparing f with it
// decides `envy > allowance` without computing the envy (f / fi - 1 is monotone in f; the band's width,
// 1e-12 relative, is far above rounding). Inside the band, and for apps the SIMD path does not cover, the
// envy is computed exactly as the twin does.

let GS: usize = 0; // f64 per app: w_k / w_j
let GLO: usize = 0; // f64 per app: f at most this: within the allowance
let GHI: usize = 0; // f64 per app: f at least this: beyond it
let GCODE: usize = 0; // i32 per app: 0 not compared (j's class), 1 SIMD, 2 scalar (surface, or fi not > 0)
let gcap: i32 = 0;
let gJ: i32 = -1;

/** Before a gift search for receiver j: BEFORE (f64 per app) holds each app's envy of j before the gift. */
export function giftPrepare(j: i32, F: usize, BEFORE: usize, CLASS: usize, n: i32, target: f64): void {
  if (n > gcap || GS == 0) {
    if (GS != 0) { heap.free(GS); heap.free(GLO); heap.free(GHI); heap.free(GCODE); }
    const m = <usize>(n + 2);
    GS = heap.alloc(m << 3); GLO = heap.alloc(m << 3); GHI = heap.alloc(m << 3); GCODE = heap.alloc(m << 2);
    gcap = n;
  }
  gJ = j;
  const wj = load<f64>(appRec(j), A_W);
  const cj = ldi(CLASS, j);
  for (let k = 0; k < n; k++) {
    const r = appRec(k);
    stf(GS, k, load<f64>(r, A_W) / wj);
    const fi = ldf(F, k);
    const b = ldf(BEFORE, k);
    const allowed = b > target ? b : target;
    const band = fi * (1 + allowed);
    // the envy is capped at ENVY_CAP: an allowance at the cap is never exceeded
    stf(GLO, k, allowed >= ENVY_CAP ? Infinity : band * (1 - 1e-12));
    stf(GHI, k, allowed >= ENVY_CAP ? Infinity : band * (1 + 1e-12));
    sti(GCODE, k, k == j || ldi(CLASS, k) == cj ? 0 : load<i32>(r, A_KIND) != 0 || !(fi > 0) ? 2 : 1);
  }
}

/**
 * Apps whose throughputs giftCheck computes at once before looking at them: it stops at the first app too
 * envious, most often one of the first few, so the chunks start small and double.
 */
const GIFT_CHUNK_FIRST: i32 = 4;
const GIFT_CHUNK_MAX: i32 = 64;

/**
 * handout.ts giftOk(j, x, y): true when no app outside j's class would envy j holding (x, y) more than
 * its allowance (BEFORE, at least `target`). Apps in order, a chunk at a time.
 */
export function giftCheck(x: f64, y: f64, X: usize, Y: usize, F: usize, BEFORE: usize, n: i32, target: f64): bool {
  const rj = appRec(gJ);
  let dx = x - load<f64>(rj, A_RX);
  if (dx < 0) dx = 0;
  let dy = y - load<f64>(rj, A_RY);
  if (dy < 0) dy = 0;
  const xn = XNEED;
  const yn = YNEED;
  let chunk = GIFT_CHUNK_FIRST;
  for (let from = 0; from < n; from += chunk, chunk = chunk < GIFT_CHUNK_MAX ? chunk << 1 : chunk) {
    const to = from + chunk < n ? from + chunk : n;
    // the scaled bundles and their pieces
    for (let k = from; k < to; k++) {
      const s = ldf(GS, k);
      let xk = ldf(RESX, k) + dx * s;
      const xm = ldf(XMAX, k);
      xk = xk > xm ? xm : xk;
      let yk = ldf(RESY, k) + dy * s;
      const ym = ldf(YMAX, k);
      yk = yk > ym ? ym : yk;
      stf(EV_X, k, xk);
      stf(EV_Y, k, yk);
      store<u32>(EV_P + (<usize>k << 2), <u32>pieceAt(appRec(k), xk));
    }
    // the odd app out of the last pair reads a valid piece
    store<u32>(EV_P + (<usize>to << 2), load<u32>(SAFE_REC, A_KNOTS));
    // throughputs, two apps at a time
    for (let k = from; k < to; k += 2) {
      const o = <usize>k << 3;
      const pa = <usize>load<u32>(EV_P + (<usize>k << 2));
      const pb = <usize>load<u32>(EV_P + (<usize>k << 2), 4);
      v128.store(EV_E + o, perf2(v128.load(EV_X + o), v128.load(EV_Y + o), pa, pb, v128.load(AX0 + o), v128.load(AXL + o),
        v128.load(AM0 + o), v128.load(AML + o), v128.load(ALS + o), v128.load(ARS + o), v128.load(AP + o)));
    }
    // the twin's checks, in its order
    for (let k = from; k < to; k++) {
      const code = ldi(GCODE, k);
      if (code == 0) continue;
      const b = ldf(BEFORE, k);
      const allowed = b > target ? b : target;
      if (code == 2) {
        const r = appRec(k);
        if (envyAt(r, k, dx, dy, ldf(GS, k), ldf(F, k), ldf(X, k), ldf(Y, k)) > allowed) return false;
        continue;
      }
      const xk = ldf(EV_X, k);
      const yk = ldf(EV_Y, k);
      if (xk <= ldf(X, k) && yk <= ldf(Y, k)) continue;
      if (xk < xn || yk < yn) continue;
      const f = ldf(EV_E, k);
      if (f <= ldf(GLO, k)) continue;
      if (f >= ldf(GHI, k)) return false;
      const e = f / ldf(F, k) - 1;
      if ((e > 0 ? (e < ENVY_CAP ? e : ENVY_CAP) : 0) > allowed) return false;
    }
  }
  return true;
}
