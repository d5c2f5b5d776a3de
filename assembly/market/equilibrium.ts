// The exact market equilibrium when every app's miss-ratio curve is convex (docs/market.md "Convexified
// mode"). The algorithm and why it is exact are explained in its twin, service/market/twin/equilibrium.ts:
// the same steps in the same order. Results: OUT_X, OUT_Y, EQ_BUDGET and the EQ_* globals; scratch: X, Y,
// XL, YL, XH, YH (demands), CX, CY (a candidate).
import { copyF, ldf, ldi, stf, sti } from './mem';
import {
  CLASSES, CX, CY, EQ_BUDGET, EQ_JLO, EQ_SC, EQ_SLO, EQ_SX, EQ_SY, EQ_XLO, EQ_XYMIN, N, OUT_X, OUT_Y, REFF, REFX, REFY, RESX, RESY, SATF, WEIGHT, X, XH, XL, XMAX, XMIN,
  Y, YH, YL, YMAX, YMIN, classMember, classRep, classSize,
} from './state';
import { ln } from './ln';
import { A_LS, A_N, A_P, A_RS, appRec, knotM, knotX, missOf, perfRec } from './apps';
import { BR_F, BR_X, BR_Y, lineBest } from './best-response';
import { certifyPriced } from './certificate';
import {
  EQ_BRACKETS, EQ_FREE_PRICE, EQ_JUMP_RATIO, EQ_JUMP_WIDTH, EQ_LARGE_N, EQ_NEWTON_STEPS, EQ_PRICE_STEPS, EQ_PRICE_TOL, EQ_SCAN_LARGE,
  EQ_SCAN_SMALL, LEFTOVER_TOL,
} from './limits';

export let EQ_PRICE: f64 = 0.5;
export let EQ_CALLS: i32 = 0;
export let EQ_DIVIDEND: f64 = 0;
export let EQ_GAP: f64 = 0;

/** Relative rounding under which a budget still buys the satiation bundle it was computed to buy. */
const SAT_ROUNDING: f64 = 1e-12;
/** A satiation bundle lies this far (relative) beyond the knot where its curve reaches its floor. */
const SAT_NUDGE: f64 = 1e-12;

// the last demand evaluation: sums and dividend
let D_SX: f64 = 0;
let D_SY: f64 = 0;
let D_DIV: f64 = 0;
let D_Z: f64 = 0;

// scan: p / q and excess demand at each scanned price
const scanR = new StaticArray<f64>(EQ_SCAN_SMALL + 1);
const scanZ = new StaticArray<f64>(EQ_SCAN_SMALL + 1);
// ... and the sums of demands there (refine reads those of its left end)
const scanSX = new StaticArray<f64>(EQ_SCAN_SMALL + 1);
const scanSY = new StaticArray<f64>(EQ_SCAN_SMALL + 1);
// the best equilibrium so far (bundles in OUT_X, OUT_Y)
let bestWelfare: f64 = -Infinity;
let bestP: f64 = 0.5;
let bestQ: f64 = 0.5;
let bestDiv: f64 = 0;

export function solveEquilibrium(): void {
  const n = N;
  EQ_CALLS = 0;
  satiationBounds();
  // scan for sign changes of excess demand (there may be several equilibria), then refine each
  const G = n > EQ_LARGE_N ? EQ_SCAN_LARGE : EQ_SCAN_SMALL;
  bestWelfare = -Infinity;
  let brackets = 0;
  // the scan's last two demands alternate between (XL, YL) and (XH, YH); refine works in both and (X, Y)
  let px = XL; let py = YL; let pdiv: f64 = 0;
  let cx = XH; let cy = YH;
  let prevValid = false;
  for (let k = 0; k <= G; k++) {
    // from cache free (r = 0) to bandwidth free (r = Infinity)
    const rk: f64 = k == 0 ? 0 : k == G ? Infinity : <f64>k / <f64>(G - k);
    unchecked(scanR[k] = rk);
    demandAt(rk, cx, cy);
    const zk = D_Z;
    const divk = D_DIV;
    unchecked(scanZ[k] = zk);
    unchecked(scanSX[k] = D_SX);
    unchecked(scanSY[k] = D_SY);
    let found = false;
    if (brackets < EQ_BRACKETS) {
      if (zk == 0) {
        mixInto(cx, cy, rk, zk, divk, cx, cy, rk, zk, divk);
        found = true;
      } else if (k > 0 && unchecked(scanZ[k - 1]) != 0 && (unchecked(scanZ[k - 1]) > 0) != (zk > 0)) {
        // the previous demand was worked over by a refine just before: evaluated again
        let psx = unchecked(scanSX[k - 1]);
        let psy = unchecked(scanSY[k - 1]);
        if (!prevValid) { demandAt(unchecked(scanR[k - 1]), px, py); pdiv = D_DIV; psx = D_SX; psy = D_SY; }
        refine(px, py, unchecked(scanR[k - 1]), unchecked(scanZ[k - 1]), pdiv, psx, psy, cx, cy, rk, zk, divk);
        found = true;
      }
    }
    if (found) brackets++;
    // after a refine both buffers hold scratch: the next step's previous demand is not valid
    prevValid = !found;
    pdiv = divk;
    const tx = px; const ty = py; px = cx; py = cy; cx = tx; cy = ty;
  }
  if (brackets == 0) {
    // no sign change: a resource is left over even when free; that end is the equilibrium
    const r = unchecked(scanZ[0]) < 0 ? unchecked(scanR[0]) : unchecked(scanR[G]);
    demandAt(r, XL, YL);
    mixInto(XL, YL, r, D_Z, D_DIV, XL, YL, r, D_Z, D_DIV);
  }
  const p = bestP;
  const q = bestQ;
  const dividend = bestDiv;
  for (let i = 0; i < n; i++) stf(EQ_BUDGET, i, endowment(i, p, q) * (1 + dividend));
  EQ_GAP = bestResponseGap(p, q, dividend);
  handOutLeftover(OUT_X, XMAX);
  handOutLeftover(OUT_Y, YMAX);
  EQ_PRICE = p;
  EQ_DIVIDEND = dividend;
  certifyPriced(OUT_X, OUT_Y, p, q, EQ_BUDGET, EQ_GAP);
}

/** Bisect the bracket [ra, rb] of p / q in log(p / q), then mix the demands at its ends (twin: refine). */
function refine(ax0: usize, ay0: usize, ra0: f64, za0: f64, diva0: f64, sxa: f64, sya: f64, bx0: usize, by0: usize, rb0: f64, zb0: f64, divb0: f64): void {
  let ax = ax0; let ay = ay0;
  let bx = bx0; let by = by0;
  let mx = X; let my = Y;
  let za = za0; let diva = diva0;
  let zb = zb0; let divb = divb0;
  let ra = ra0;
  let rb = rb0;
  if (ra == 0 || rb == Infinity) {
    // a bracket reaching an end is first cut at EQ_FREE_PRICE (twin: refine)
    const cut: f64 = ra == 0 ? EQ_FREE_PRICE / (1 - EQ_FREE_PRICE) : (1 - EQ_FREE_PRICE) / EQ_FREE_PRICE;
    demandAt(cut, mx, my);
    if (D_Z == 0) { mixInto(mx, my, cut, 0, D_DIV, mx, my, cut, 0, D_DIV); return; }
    const innerZ = ra == 0 ? zb : za;
    if ((D_Z > 0) == (innerZ > 0)) {
      if (ra == 0) mixInto(ax, ay, ra, za, diva, mx, my, cut, D_Z, D_DIV);
      else mixInto(mx, my, cut, D_Z, D_DIV, bx, by, rb, zb, divb);
      return;
    }
    if (ra == 0) {
      const tx = ax; const ty = ay; ax = mx; ay = my; mx = tx; my = ty;
      ra = cut; za = D_Z; diva = D_DIV;
    } else {
      const tx = bx; const ty = by; bx = mx; by = my; mx = tx; my = ty;
      rb = cut; zb = D_Z; divb = D_DIV;
    }
  }
  if (ra == 1 && sxa <= 1 + EXCESS_ROUNDING && sya <= 1 + EXCESS_ROUNDING) {
    // both left over at p = q: the sign change of excess demand is its switch of resource (twin: refine)
    mixInto(ax, ay, ra, za, diva, ax, ay, ra, za, diva);
    return;
  }
  let steps = 0;
  let located = false;
  while (steps < EQ_PRICE_STEPS && rb > ra * (1 + EQ_PRICE_TOL)) {
    if (!located && rb <= ra * (1 + EQ_JUMP_WIDTH)) {
      // (tried once per bracket; twin: refine)
      located = true;
      const c = jumpingClass(ax, ay, bx, by);
      if (c >= 0) {
        locateJump(classRep(c), ax, ay, ra, bx, by, rb);
        const lo = JUMP_LO;
        const hi = JUMP_HI;
        // the located ends, checked with every app's demand: kept where the sign is as expected
        demandAt(lo, mx, my);
        steps += 2;
        if (D_Z == 0) {
          ax = mx; ay = my; bx = mx; by = my; ra = lo; rb = lo; za = 0; zb = 0; diva = D_DIV; divb = D_DIV;
          break;
        }
        if ((D_Z > 0) != (za > 0)) {
          const tx = bx; const ty = by; bx = mx; by = my; mx = tx; my = ty;
          rb = lo; zb = D_Z; divb = D_DIV;
          continue;
        }
        {
          const tx = ax; const ty = ay; ax = mx; ay = my; mx = tx; my = ty;
          ra = lo; za = D_Z; diva = D_DIV;
        }
        demandAt(hi, mx, my);
        if (D_Z == 0) {
          ax = mx; ay = my; bx = mx; by = my; ra = hi; rb = hi; za = 0; zb = 0; diva = D_DIV; divb = D_DIV;
          break;
        }
        if ((D_Z > 0) == (za > 0)) {
          const tx = ax; const ty = ay; ax = mx; ay = my; mx = tx; my = ty;
          ra = hi; za = D_Z; diva = D_DIV;
        } else {
          const tx = bx; const ty = by; bx = mx; by = my; mx = tx; my = ty;
          rb = hi; zb = D_Z; divb = D_DIV;
        }
        continue;
      }
    }
    const rm = Math.sqrt(ra * rb);
    demandAt(rm, mx, my);
    steps++;
    if (D_Z == 0) {
      ax = mx; ay = my; bx = mx; by = my; ra = rm; rb = rm; za = 0; zb = 0; diva = D_DIV; divb = D_DIV;
      break;
    }
    if ((D_Z > 0) == (za > 0)) {
      const tx = ax; const ty = ay; ax = mx; ay = my; mx = tx; my = ty;
      ra = rm; za = D_Z; diva = D_DIV;
    } else {
      const tx = bx; const ty = by; bx = mx; by = my; mx = tx; my = ty;
      rb = rm; zb = D_Z; divb = D_DIV;
    }
  }
  mixInto(ax, ay, ra, za, diva, bx, by, rb, zb, divb);
}

/** The class whose demand differs between the bracket's ends EQ_JUMP_RATIO times more than any other's, or -1 (twin: jumpingClass). */
function jumpingClass(ax: usize, ay: usize, bx: usize, by: usize): i32 {
  let best: i32 = -1;
  let d1: f64 = 0;
  let d2: f64 = 0;
  for (let c = 0; c < CLASSES; c++) {
    const i = classRep(c);
    const d = Math.abs(ldf(ax, i) - ldf(bx, i)) + Math.abs(ldf(ay, i) - ldf(by, i));
    if (d > d1) { d2 = d1; d1 = d; best = c; } else if (d > d2) d2 = d;
  }
  return d1 > 0 && d1 > EQ_JUMP_RATIO * d2 ? best : -1;
}

let JUMP_LO: f64 = 0;
let JUMP_HI: f64 = 0;

/** Bisects [ra, rb] on app i's demand alone (and the dividend) into JUMP_LO, JUMP_HI (twin: locateJump). */
function locateJump(i: i32, ax: usize, ay: usize, ra: f64, bx: usize, by: usize, rb: f64): void {
  let lo = ra;
  let hi = rb;
  const axi = ldf(ax, i); const ayi = ldf(ay, i);
  const bxi = ldf(bx, i); const byi = ldf(by, i);
  for (let k = 0; k < EQ_PRICE_STEPS && hi > lo * (1 + EQ_PRICE_TOL); k++) {
    const rm = Math.sqrt(lo * hi);
    const p = priceP(rm);
    const q = priceQ(rm);
    bundleOf(i, p, q, dividendAt(p, q));
    const da = Math.abs(BR_X - axi) + Math.abs(BR_Y - ayi);
    const db = Math.abs(BR_X - bxi) + Math.abs(BR_Y - byi);
    if (da <= db) lo = rm; else hi = rm;
  }
  JUMP_LO = lo;
  JUMP_HI = hi;
}

/**
 * The same mix of the demands at both ends of a bracket for every app, weighted so excess demand is 0, into
 * (CX, CY); kept in OUT_X, OUT_Y if its weighted Nash welfare beats the best so far (twin: mixOf).
 */
function mixInto(ax: usize, ay: usize, ra: f64, za: f64, diva: f64, bx: usize, by: usize, rb: f64, zb: f64, divb: f64): void {
  const n = N;
  const w: f64 = za != zb ? zb / (zb - za) : 1.0;
  for (let i = 0; i < n; i++) {
    // b + w (a - b): an app whose demand is the same at both ends keeps it to the bit
    stf(CX, i, ldf(bx, i) + w * (ldf(ax, i) - ldf(bx, i)));
    stf(CY, i, ldf(by, i) + w * (ldf(ay, i) - ldf(by, i)));
  }
  fitCapacity(CX);
  fitCapacity(CY);
  let welfare: f64 = 0;
  for (let i = 0; i < n; i++) welfare += ldf(WEIGHT, i) * ln(perfRec(appRec(i), ldf(CX, i), ldf(CY, i)) / ldf(REFF, i));
  if (!(welfare > bestWelfare) && bestWelfare > -Infinity) return;
  bestWelfare = welfare;
  copyF(OUT_X, CX, n);
  copyF(OUT_Y, CY, n);
  bestP = w * priceP(ra) + (1 - w) * priceP(rb);
  bestQ = w * priceQ(ra) + (1 - w) * priceQ(rb);
  bestDiv = w * diva + (1 - w) * divb;
}

/** The prices with p / q = r (r = Infinity: bandwidth free). */
// @ts-ignore: decorator
@inline function priceP(r: f64): f64 {
  return r == Infinity ? 1.0 : r / (1 + r);
}
// @ts-ignore: decorator
@inline function priceQ(r: f64): f64 {
  return r == Infinity ? 0.0 : 1 / (1 + r);
}

/** Excess demand within this of 0 (shares) is rounding: the market clears. */
const EXCESS_ROUNDING: f64 = 1e-12;

/** Every app's demand at prices p / q = r into (bx, by); sums, dividend and excess demand into D_*. */
function demandAt(r: f64, bx: usize, by: usize): void {
  EQ_CALLS++;
  const p = priceP(r);
  const q = priceQ(r);
  const s = dividendAt(p, q);
  let sx: f64 = 0;
  let sy: f64 = 0;
  for (let c = 0; c < CLASSES; c++) {
    const i = classRep(c);
    bundleOf(i, p, q, s);
    const size = classSize(c);
    for (let k = 0; k < size; k++) {
      const j = classMember(c, k);
      stf(bx, j, BR_X); stf(by, j, BR_Y);
      sx += BR_X; sy += BR_Y;
    }
  }
  D_SX = sx;
  D_SY = sy;
  D_DIV = s;
  // excess demand, signed as excess cache demand (twin: excess)
  let z: f64;
  if (p == 0) z = sx > 1 ? sx - 1 : 0;
  else if (q == 0) z = sy > 1 ? 1 - sy : 0;
  else z = p <= q ? sx - 1 : 1 - sy;
  D_Z = Math.abs(z) <= EXCESS_ROUNDING ? 0 : z;
}

/** Satiation (twin: satiationBounds): the price-independent bounds of each app's cheapest satiating bundle. */
function satiationBounds(): void {
  for (let i = 0; i < N; i++) {
    const r = appRec(i);
    const S = ldf(SATF, i);
    const ls = load<f64>(r, A_LS);
    const rs = load<f64>(r, A_RS);
    const P = load<f64>(r, A_P);
    // the largest miss ratio at which the latency bound, and the bandwidth bound at ymax, still reach S
    const hLat: f64 = rs > 0 ? (1 / S - ls) / rs : Infinity;
    const hBw = (P * ldf(YMAX, i)) / S;
    // (never under the miss ratio at the maxima, where S is reached by definition: rounding may put it there)
    const hAtMax = missOf(r, ldf(XMAX, i));
    const h = hLat < hBw ? hLat : hBw;
    const xNeed = xAtOrBelow(r, h > hAtMax ? h : hAtMax);
    let lo = xNeed > ldf(XMIN, i) ? xNeed : ldf(XMIN, i);
    if (lo > ldf(XMAX, i)) lo = ldf(XMAX, i);
    stf(EQ_XLO, i, lo);
    let j = 0;
    while (j < load<i32>(r, A_N) - 1 && knotX(r, j + 1) <= lo) j++;
    sti(EQ_JLO, i, j);
    sti(EQ_SLO, i, -1);
    stf(EQ_XYMIN, i, xAtOrBelow(r, (P * ldf(YMIN, i)) / S));
  }
}

/** The first x at which a non-increasing curve is at most h (Infinity if never). */
function xAtOrBelow(r: usize, h: f64): f64 {
  const k = load<i32>(r, A_N);
  if (knotM(r, 0) <= h) return 0;
  for (let j = 1; j < k; j++) {
    if (knotM(r, j) <= h) {
      return knotX(r, j - 1) + ((knotM(r, j - 1) - h) / (knotM(r, j - 1) - knotM(r, j))) * (knotX(r, j) - knotX(r, j - 1));
    }
  }
  return Infinity;
}

/** The cheapest bundle of app i reaching its satiation level at (p, q), into EQ_SX, EQ_SY, EQ_SC (twin: satiationAt). */
function satiationAt(i: i32, p: f64, q: f64): void {
  const r = appRec(i);
  const k = load<i32>(r, A_N);
  const S = ldf(SATF, i);
  const P = load<f64>(r, A_P);
  const xmax = ldf(XMAX, i);
  const ymin = ldf(YMIN, i);
  let bestX = ldf(EQ_XLO, i);
  const last = ldi(EQ_SLO, i);
  let seg: i32 = -2;
  if (q > 0) {
    // the first segment from xLo whose slope is at least -p P / (q S): the last one found if it still is
    // (bisection brings prices close, so it mostly is), else by bisection (twin: satiationAt)
    const thr = -(p * P) / (q * S);
    const jlo = ldi(EQ_JLO, i);
    if (last >= jlo && (last == k - 1 || segSlope(r, last) >= thr) && (last == jlo || segSlope(r, last - 1) < thr)) {
      seg = last;
    } else {
      let lo = jlo;
      let hi = k - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (segSlope(r, mid) >= thr) hi = mid; else lo = mid + 1;
      }
      seg = lo;
    }
  }
  if (seg == last) {
    // the same bundle as last time: only its cost moves with prices
    stf(EQ_SC, i, p * (ldf(EQ_SX, i) - ldf(RESX, i)) + q * (ldf(EQ_SY, i) - ldf(RESY, i)));
    return;
  }
  sti(EQ_SLO, i, seg);
  if (seg >= 0) {
    let x = knotX(r, seg);
    if (x > ldf(EQ_XYMIN, i)) x = ldf(EQ_XYMIN, i);
    if (x > bestX) bestX = x < xmax ? x : xmax;
  }
  // a hair beyond (twin: SAT_NUDGE)
  let x = bestX * (1 + SAT_NUDGE);
  if (x > xmax) x = xmax;
  let y = ((S * missOf(r, x)) / P) * (1 + SAT_NUDGE);
  if (y < ymin) y = ymin;
  if (y > ldf(YMAX, i)) y = ldf(YMAX, i);
  stf(EQ_SX, i, x);
  stf(EQ_SY, i, y);
  stf(EQ_SC, i, p * (x - ldf(RESX, i)) + q * (y - ldf(RESY, i)));
}

// @ts-ignore: decorator
@inline function segSlope(r: usize, j: i32): f64 {
  return (knotM(r, j + 1) - knotM(r, j)) / (knotX(r, j + 1) - knotX(r, j));
}

// @ts-ignore: decorator
@inline function endowment(i: i32, p: f64, q: f64): f64 {
  return p * (ldf(REFX, i) - ldf(RESX, i)) + q * (ldf(REFY, i) - ldf(RESY, i));
}

/** The dividend at which the apps spend all the money there is (twin: dividendAt). */
function dividendAt(p: f64, q: f64): f64 {
  let money: f64 = 0;
  let satAll: f64 = 0;
  for (let c = 0; c < CLASSES; c++) {
    const i = classRep(c);
    const size = <f64>classSize(c);
    satiationAt(i, p, q);
    money += size * endowment(i, p, q);
    satAll += size * ldf(EQ_SC, i);
  }
  let s: f64 = 0;
  if (satAll <= money) {
    for (let c = 0; c < CLASSES; c++) {
      const i = classRep(c);
      const e = endowment(i, p, q);
      const cs = ldf(EQ_SC, i);
      if (cs > e && e > 0 && cs / e - 1 > s) s = cs / e - 1;
    }
    return s;
  }
  for (let k = 0; k < EQ_NEWTON_STEPS; k++) {
    let spent: f64 = 0;
    let slope: f64 = 0;
    for (let c = 0; c < CLASSES; c++) {
      const i = classRep(c);
      const size = <f64>classSize(c);
      const e = endowment(i, p, q);
      const cs = ldf(EQ_SC, i);
      if (e * (1 + s) < cs) { spent += size * e * (1 + s); slope += size * e; } else spent += size * cs;
    }
    if (!(money - spent > 1e-15 * money) || slope <= 0) break;
    s += (money - spent) / slope;
  }
  return s;
}

/** App i's demand at `price` with dividend s into BR_X, BR_Y, BR_F (twin: bundleOf). */
function bundleOf(i: i32, p: f64, q: f64, s: f64): void {
  const b = endowment(i, p, q) * (1 + s);
  if (b >= ldf(EQ_SC, i) * (1 - SAT_ROUNDING)) {
    BR_X = ldf(EQ_SX, i); BR_Y = ldf(EQ_SY, i); BR_F = ldf(SATF, i);
    return;
  }
  if (p == 0 || q == 0) { freeBest(i, p, q, b); return; }
  lineBest(appRec(i), p, q, b + p * ldf(RESX, i) + q * ldf(RESY, i), ldf(XMIN, i), ldf(XMAX, i), ldf(YMIN, i), ldf(YMAX, i));
}

/** Best response when one resource is free (twin: freeBest), into BR_X, BR_Y, BR_F. */
function freeBest(i: i32, p: f64, q: f64, b: f64): void {
  const r = appRec(i);
  const ls = load<f64>(r, A_LS);
  const rs = load<f64>(r, A_RS);
  const P = load<f64>(r, A_P);
  if (q == 0) {
    let x = ldf(RESX, i) + b / p;
    if (x > ldf(XMAX, i)) x = ldf(XMAX, i);
    const h = missOf(r, x);
    const lat = 1 / (ls + h * rs);
    const need: f64 = h > 0 ? (lat * h) / P : 0;
    let y = need > ldf(YMIN, i) ? need : ldf(YMIN, i);
    if (y > ldf(YMAX, i)) y = ldf(YMAX, i);
    BR_X = x; BR_Y = y;
  } else {
    let y = ldf(RESY, i) + b / q;
    if (y > ldf(YMAX, i)) y = ldf(YMAX, i);
    const top = perfRec(r, ldf(XMAX, i), y);
    const hLat: f64 = rs > 0 ? (1 / top - ls) / rs : Infinity;
    const hBw = (P * y) / top;
    const hAtMax = missOf(r, ldf(XMAX, i));
    const h = hLat < hBw ? hLat : hBw;
    let x = xAtOrBelow(r, h > hAtMax ? h : hAtMax);
    if (x < ldf(XMIN, i)) x = ldf(XMIN, i);
    if (x > ldf(XMAX, i)) x = ldf(XMAX, i);
    BR_X = x; BR_Y = y;
  }
  BR_F = perfRec(r, BR_X, BR_Y);
}

function fitCapacity(v: usize): void {
  let s: f64 = 0;
  for (let i = 0; i < N; i++) s += ldf(v, i);
  if (s > 1) for (let i = 0; i < N; i++) stf(v, i, ldf(v, i) / s);
}

function bestResponseGap(p: f64, q: f64, s: f64): f64 {
  let gap: f64 = 0;
  for (let c = 0; c < CLASSES; c++) {
    const i = classRep(c);
    satiationAt(i, p, q);
    bundleOf(i, p, q, s);
    // in the utilities the market equilibrates: throughput up to the satiation level
    const S = ldf(SATF, i);
    const best = BR_F < S ? BR_F : S;
    const f = perfRec(appRec(i), ldf(OUT_X, i), ldf(OUT_Y, i));
    const own = f < S ? f : S;
    const g: f64 = own > 0 ? best / own - 1 : best > 0 ? Infinity : 0;
    if (g > gap) gap = g;
  }
  return gap;
}

function handOutLeftover(v: usize, cap: usize): void {
  const n = N;
  for (let round = 0; round < n + 1; round++) {
    let left: f64 = 1;
    let w: f64 = 0;
    for (let i = 0; i < n; i++) { left -= ldf(v, i); if (ldf(v, i) < ldf(cap, i)) w += ldf(WEIGHT, i); }
    if (left <= LEFTOVER_TOL || w <= 0) return;
    for (let i = 0; i < n; i++) {
      if (ldf(v, i) < ldf(cap, i)) {
        const t = ldf(v, i) + (left * ldf(WEIGHT, i)) / w;
        stf(v, i, t < ldf(cap, i) ? t : ldf(cap, i));
      }
    }
  }
}
