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
import { ldf, ldi } from './mem';
import {
  A_KIND, A_KNOTS, A_LS, A_M0, A_ML, A_P, A_RS, A_RX, A_RY, A_SCALE, A_TABLE, A_W, A_X0, A_XL, A_XM, A_YM, A_BMAX,
  KNOT_BYTES, KNOT_SHIFT, TWO52, appRec, knotAbove, SAFE_REC,
} from './apps';
import { ENVY_CAP } from './limits';
import { XNEED, YNEED, envyAt, rowBounds } from './market';

// entries of one batch: bundle, envier's record and throughput, the pair's index, the result
let EV_X: usize = 0;
let EV_Y: usize = 0;
let EV_F: usize = 0;
let EV_E: usize = 0;
let EV_R: usize = 0; // u32 record address (column batches)
let EV_J: usize = 0; // i32 index of the pair in its row or column
// a row's candidates: net bundle (beyond the reservation, >= 0) and weight, by class or by app
export let CAND_DX: usize = 0;
export let CAND_DY: usize = 0;
export let CAND_W: usize = 0;
/** giftOk's column (handout.ts) */
export let GIFT_E: usize = 0;
let cap: i32 = 0;

/** Size the scratch for n apps (state.ts prepare()). */
export function prepareEnvy(n: i32): void {
  if (n <= cap && EV_X != 0) return;
  if (EV_X != 0) {
    heap.free(EV_X); heap.free(EV_Y); heap.free(EV_F); heap.free(EV_E); heap.free(EV_R); heap.free(EV_J);
    heap.free(CAND_DX); heap.free(CAND_DY); heap.free(CAND_W); heap.free(GIFT_E);
  }
  // two spare entries: a batch reads its last pair of lanes whole
  const m = <usize>(n + 2);
  EV_X = heap.alloc(m << 3); EV_Y = heap.alloc(m << 3); EV_F = heap.alloc(m << 3); EV_E = heap.alloc(m << 3);
  EV_R = heap.alloc(m << 2); EV_J = heap.alloc(m << 2);
  CAND_DX = heap.alloc(m << 3); CAND_DY = heap.alloc(m << 3); CAND_W = heap.alloc(m << 3);
  GIFT_E = heap.alloc(m << 3);
  for (let k: usize = 0; k < m; k++) {
    store<f64>(EV_X + (k << 3), 0); store<f64>(EV_Y + (k << 3), 0); store<f64>(EV_F + (k << 3), 1);
    store<f64>(CAND_DX + (k << 3), 0); store<f64>(CAND_DY + (k << 3), 0); store<f64>(CAND_W + (k << 3), 1);
    store<u32>(EV_R + (k << 2), <u32>SAFE_REC);
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

// ---- pass B: envy of `count` entries, two lanes at a time -------------------------------------------------

/** Knot index (the last knot <= x, at most n - 2) of lane x in the record: bucket, then the bucket's knots. */
// @ts-ignore: decorator
@inline function laneKnot(r: usize, x: f64, bucketBits: i32): usize {
  const bmax = load<u32>(r, A_BMAX);
  const b = <u32>bucketBits > bmax ? bmax : <u32>bucketBits;
  const tb = <usize>load<u32>(r, A_TABLE) + (<usize>b << 1);
  const kn = <usize>load<u32>(r, A_KNOTS);
  let lo = <i32>load<u16>(tb);
  const hi = <i32>load<u16>(tb, 2);
  if (hi - lo > 1) lo = knotAbove(kn, lo, hi, x);
  else lo = select<i32>(hi, lo, load<f64>(kn + (<usize>hi << KNOT_SHIFT)) <= x);
  return kn + (<usize>lo << KNOT_SHIFT);
}

/**
 * Envy (market.ts envyOf after its early returns) of the entries' enviers at their bundles: E = f / fi - 1
 * capped to [0, ENVY_CAP], f the envier's mrc throughput. Row batches (rec != 0) share one envier (its
 * record and fi); column batches take each entry's own (EV_R, EV_F).
 */
function evalBatch(count: i32, rec: usize, fiRow: f64): void {
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const capv = f64x2.splat(ENVY_CAP);
  const two52 = f64x2.splat(TWO52);
  for (let k = 0; k < count; k += 2) {
    const o = <usize>k << 3;
    const ra: usize = rec != 0 ? rec : <usize>load<u32>(EV_R + (<usize>k << 2));
    const rb: usize = rec != 0 ? rec : <usize>load<u32>(EV_R + (<usize>k << 2), 4);
    const xv = v128.load(EV_X + o);
    const yv = v128.load(EV_Y + o);
    const fi = rec != 0 ? f64x2.splat(fiRow) : v128.load(EV_F + o);
    // the record's fields of both lanes: [a, b]
    const x0 = v128.load64_lane(rb + A_X0, v128.load64_zero(ra + A_X0), 1);
    const xl = v128.load64_lane(rb + A_XL, v128.load64_zero(ra + A_XL), 1);
    const low = f64x2.le(xv, x0);
    const high = f64x2.ge(xv, xl);
    // the piece: x clamped to the curve (NaN stays NaN and ends on some piece; its result is NaN either way)
    const xc = v128.bitselect(x0, v128.bitselect(xl, xv, f64x2.gt(xv, xl)), f64x2.lt(xv, x0));
    const sc = v128.load64_lane(rb + A_SCALE, v128.load64_zero(ra + A_SCALE), 1);
    const bits = f64x2.add(f64x2.mul(f64x2.sub(xc, x0), sc), two52);
    const pa = laneKnot(ra, f64x2.extract_lane(xc, 0), i32x4.extract_lane(bits, 0));
    const pb = laneKnot(rb, f64x2.extract_lane(xc, 1), i32x4.extract_lane(bits, 2));
    const a0 = v128.load(pa);
    const a1 = v128.load(pa, KNOT_BYTES);
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, KNOT_BYTES);
    const kx0 = i64x2.shuffle(a0, b0, 0, 2);
    const km0 = i64x2.shuffle(a0, b0, 1, 3);
    const kx1 = i64x2.shuffle(a1, b1, 0, 2);
    const km1 = i64x2.shuffle(a1, b1, 1, 3);
    // model.ts missRatio: m0 + t (m1 - m0), t = (x - x0) / (x1 - x0); flat beyond both ends
    const t = f64x2.div(f64x2.sub(xv, kx0), f64x2.sub(kx1, kx0));
    let m = f64x2.add(km0, f64x2.mul(t, f64x2.sub(km1, km0)));
    const m0 = v128.load64_lane(rb + A_M0, v128.load64_zero(ra + A_M0), 1);
    const ml = v128.load64_lane(rb + A_ML, v128.load64_zero(ra + A_ML), 1);
    m = v128.bitselect(m0, v128.bitselect(ml, m, high), low);
    // model.ts mrcThroughput: min(1 / (ls + m rs), P y / m), the latency bound alone when m <= 0
    const ls = v128.load64_lane(rb + A_LS, v128.load64_zero(ra + A_LS), 1);
    const rs = v128.load64_lane(rb + A_RS, v128.load64_zero(ra + A_RS), 1);
    const P = v128.load64_lane(rb + A_P, v128.load64_zero(ra + A_P), 1);
    const lat = f64x2.div(one, f64x2.add(ls, f64x2.mul(m, rs)));
    const bw = f64x2.div(f64x2.mul(P, yv), m);
    const f = v128.bitselect(lat, v128.bitselect(bw, lat, f64x2.lt(bw, lat)), f64x2.le(m, zero));
    // envyOf: f / fi - 1, within [0, ENVY_CAP]
    const e = f64x2.sub(f64x2.div(f, fi), one);
    v128.store(EV_E + o, v128.bitselect(v128.bitselect(e, capv, f64x2.lt(e, capv)), zero, f64x2.gt(e, zero)));
  }
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
  evalBatch(cnt, r, fi);
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
 * for k in [from, to), into OUT (f64 per app; 0 where the twin returns early). Apps of j's class get 0
 * when skipClass (the caller does not look at them).
 */
export function columnEnvy(j: i32, xj: f64, yj: f64, X: usize, Y: usize, F: usize, from: i32, to: i32, OUT: usize, skipClass: i32, CLASS: usize): void {
  const rj = appRec(j);
  let dx = xj - load<f64>(rj, A_RX);
  if (dx < 0) dx = 0;
  let dy = yj - load<f64>(rj, A_RY);
  if (dy < 0) dy = 0;
  const wj = load<f64>(rj, A_W);
  const xn = XNEED;
  const yn = YNEED;
  let cnt = 0;
  for (let k = from; k < to; k++) {
    const r = appRec(k);
    const s = load<f64>(r, A_W) / wj;
    let x = load<f64>(r, A_RX) + dx * s;
    const xm = load<f64>(r, A_XM);
    x = x > xm ? xm : x;
    let y = load<f64>(r, A_RY) + dy * s;
    const ym = load<f64>(r, A_YM);
    y = y > ym ? ym : y;
    const none = (<i32>(x <= ldf(X, k)) & <i32>(y <= ldf(Y, k))) | <i32>(x < xn) | <i32>(y < yn) | <i32>(ldi(CLASS, k) == skipClass);
    store<f64>(OUT + (<usize>k << 3), 0);
    const fi = ldf(F, k);
    // a surface model, or no throughput of its own (envy capped): the scalar check (EV_R: any safe record)
    const scalar = <i32>(load<i32>(r, A_KIND) != 0) | <i32>!(fi > 0);
    store<f64>(EV_X + (<usize>cnt << 3), x);
    store<f64>(EV_Y + (<usize>cnt << 3), y);
    store<f64>(EV_F + (<usize>cnt << 3), scalar ? 1 : fi);
    store<u32>(EV_R + (<usize>cnt << 2), scalar ? <u32>SAFE_REC : <u32>r);
    store<i32>(EV_J + (<usize>cnt << 2), scalar ? k | 0x40000000 : k);
    cnt += none ^ 1;
  }
  // the lane after the last entry reads a valid record
  store<u32>(EV_R + (<usize>cnt << 2), <u32>SAFE_REC);
  evalBatch(cnt, 0, 0);
  for (let t = 0; t < cnt; t++) {
    const code = load<i32>(EV_J + (<usize>t << 2));
    const k = code & 0x3fffffff;
    let e = load<f64>(EV_E + (<usize>t << 3));
    if (code != k) {
      const r = appRec(k);
      e = envyAt(r, k, dx, dy, load<f64>(r, A_W) / wj, ldf(F, k), ldf(X, k), ldf(Y, k));
    }
    store<f64>(OUT + (<usize>k << 3), e);
  }
}
