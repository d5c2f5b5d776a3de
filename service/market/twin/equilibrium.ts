// The exact market equilibrium when every app's miss-ratio curve is convex (the convex hull of a
// partitionable app's curve, docs/market.md "Convexified mode"). Twin of assembly/market/equilibrium.ts, the
// same steps in the same order.
//
// With a convex non-increasing miss ratio m(x), throughput min(1 / (ls + m rs), P y / m) is quasi-concave in
// (x, y): demand at a price is a convex set, and an equilibrium exists. Each app is endowed with its fair
// share (its reference bundle: reservation + weighted equal split of the rest) and trades it at prices
// (p, q = 1 - p): its budget is the endowment's value, so its reference is affordable at every price
// (sharing incentive), and apps with equal weights and no limits have equal budgets (envy-freeness). An app
// that reaches the most it can ever do (satiated) takes the cheapest bundle that does, and the money it
// leaves is shared as a dividend s: every budget is its endowment's value times (1 + s), s chosen so all
// money is spent.
//
// Excess demand is scanned over prices for sign changes (endowments make demand non-monotone, so there may
// be several equilibria); each bracket is bisected in log(p / q), so prices near 0 or 1 keep their relative
// precision; at its final bracket the demands at the two ends are mixed, with the same weight for every app,
// so the market clears exactly: both are best responses at the limit price, and a mix of best responses is
// one (demand is convex). Of the equilibria found, the one of highest weighted Nash welfare is chosen.
import type { EquilibriumRaw } from '../engine.ts';
import { MRC_HEADER } from '../encoding.ts';
import { type Bundle, lineBest } from './best-response.ts';
import { certifyPriced } from './certificate.ts';
import {
  EQ_BRACKETS, EQ_FREE_PRICE, EQ_JUMP_RATIO, EQ_JUMP_WIDTH, EQ_LARGE_N, EQ_NEWTON_STEPS, EQ_PRICE_STEPS, EQ_PRICE_TOL, EQ_SCAN_LARGE,
  EQ_SCAN_SMALL, LEFTOVER_TOL,
} from './limits.ts';
import { ln } from './ln.ts';
import type { Market } from './market.ts';
import type { Problem } from '../problem.ts';
import { missRatio } from './model.ts';

/** One demand evaluation: bundles of every app, their sum, and the dividend found. */
interface Demand {
  x: Float64Array; y: Float64Array; sumX: number; sumY: number; dividend: number;
  /** excess demand, signed as cache's (see demandAt) */
  z: number;
}

export function solveEquilibrium(m: Market): EquilibriumRaw {
  const p = m.p;
  const n = p.n;
  const sat = satiationBounds(m);
  const br: Bundle = { x: 0, y: 0, f: 0, sat: 0 };
  let calls = 0;
  const demandAt = (r: number, out: Demand): Demand => {
    calls++;
    const price = priceOf(r);
    const s = dividendAt(m, sat, price);
    let sx = 0;
    let sy = 0;
    for (const members of m.classMembers) {
      bundleOf(m, sat, members[0], price, s, br);
      for (const j of members) { out.x[j] = br.x; out.y[j] = br.y; sx += br.x; sy += br.y; }
    }
    out.sumX = sx; out.sumY = sy; out.dividend = s;
    out.z = excess(price, sx, sy);
    return out;
  };
  const fresh = (): Demand => ({ x: new Float64Array(n), y: new Float64Array(n), sumX: 0, sumY: 0, dividend: 0, z: 0 });

  // scan for sign changes of excess demand (there may be several equilibria), from cache free (r = 0) to
  // bandwidth free (r = Infinity); then refine each
  const G = n > EQ_LARGE_N ? EQ_SCAN_LARGE : EQ_SCAN_SMALL;
  const rs = new Float64Array(G + 1);
  const zs = new Float64Array(G + 1);
  let best: Candidate | null = null;
  let brackets = 0;
  let prev = fresh();
  let cur = fresh();
  let prevValid = false;
  for (let k = 0; k <= G; k++) {
    rs[k] = k === 0 ? 0 : k === G ? Infinity : k / (G - k);
    zs[k] = demandAt(rs[k], cur).z;
    let c: Candidate | null = null;
    if (brackets < EQ_BRACKETS) {
      if (zs[k] === 0) {
        c = mixOf(m, cur, rs[k], cur, rs[k]);
      } else if (k > 0 && zs[k - 1] !== 0 && (zs[k - 1] > 0) !== (zs[k] > 0)) {
        // the previous demand was worked over by a refine just before: evaluated again
        if (!prevValid) demandAt(rs[k - 1], prev);
        c = refine(m, sat, demandAt, fresh, prev, rs[k - 1], cur, rs[k]);
      }
    }
    if (c) {
      brackets++;
      if (!best || c.welfare > best.welfare) best = c;
      // refine worked in both demands: the scan goes on with fresh ones
      prev = fresh();
      cur = fresh();
    } else {
      const t = prev; prev = cur; cur = t;
    }
    prevValid = !c;
  }
  if (!best) {
    // no sign change: a resource is left over even when free; that end is the equilibrium
    const r = zs[0] < 0 ? rs[0] : rs[G];
    const d = demandAt(r, fresh());
    best = mixOf(m, d, r, d, r);
  }
  const { x, y, price, dividend } = best;
  const budgets = new Float64Array(n);
  for (let i = 0; i < n; i++) budgets[i] = endowment(m, i, price) * (1 + dividend);
  const gap = bestResponseGap(m, sat, x, y, price, dividend);
  handOutLeftover(p, x, p.xmax);
  handOutLeftover(p, y, p.ymax);
  return { x, y, priceCache: price.p, iterations: calls, budgets, dividend, gap, certificate: certifyPriced(m, x, y, price.p, price.q, budgets, gap) };
}

/**
 * Excess demand, signed as excess cache demand. Inside, that of the cheaper resource (when all money is
 * spent the two have opposite signs, and the cheaper one's quantity is the one rounding cannot hide). At an
 * end, where one resource is free and taken as needed: its excess if the needs do not fit, else 0 (an
 * equilibrium: the priced resource takes all the money, the free one is left over). Within rounding of 0 is 0.
 */
function excess(price: Price, sx: number, sy: number): number {
  let z: number;
  if (price.p === 0) z = sx > 1 ? sx - 1 : 0;
  else if (price.q === 0) z = sy > 1 ? 1 - sy : 0;
  else z = price.p <= price.q ? sx - 1 : 1 - sy;
  return Math.abs(z) <= EXCESS_ROUNDING ? 0 : z;
}

/** Excess demand within this of 0 (shares) is rounding: the market clears. */
const EXCESS_ROUNDING = 1e-12;

/** An equilibrium found: bundles, prices, dividend and the weighted Nash welfare it gives. */
interface Candidate { x: Float64Array; y: Float64Array; price: Price; dividend: number; welfare: number }

/**
 * Bisect the bracket [ra, rb] of p / q (demands a, b: excess demand of opposite signs) in log(p / q), so that
 * prices near 0 or 1 keep their relative precision, then mix the demands at its two ends. A bracket reaching
 * an end (a free resource) is first cut at the price EQ_FREE_PRICE: if the sign changes beyond it, the demands
 * at the end and at the cut are mixed (so close to free, bisecting further would only amplify rounding).
 */
function refine(m: Market, sat: Satiation, demandAt: (r: number, out: Demand) => Demand, fresh: () => Demand, a: Demand, ra: number, b: Demand, rb: number): Candidate {
  if (ra === 0 || rb === Infinity) {
    const cut = ra === 0 ? EQ_FREE_PRICE / (1 - EQ_FREE_PRICE) : (1 - EQ_FREE_PRICE) / EQ_FREE_PRICE;
    const c = demandAt(cut, fresh());
    if (c.z === 0) return mixOf(m, c, cut, c, cut);
    const inner = ra === 0 ? b : a;
    if ((c.z > 0) === (inner.z > 0)) return ra === 0 ? mixOf(m, a, ra, c, cut) : mixOf(m, c, cut, b, rb);
    if (ra === 0) { a = c; ra = cut; } else { b = c; rb = cut; }
  }
  if (ra === 1 && a.sumX <= 1 + EXCESS_ROUNDING && a.sumY <= 1 + EXCESS_ROUNDING) {
    // At p = q excess demand changes from the cache's to the bandwidth's (see excess): with both left over at
    // p = q the sign changes there and nowhere else near, and p = q is the equilibrium (bisecting would only
    // close in on it from the right)
    return mixOf(m, a, ra, a, ra);
  }
  let mid = fresh();
  let steps = 0;
  let located = false;
  while (steps < EQ_PRICE_STEPS && rb > ra * (1 + EQ_PRICE_TOL)) {
    if (!located && rb <= ra * (1 + EQ_JUMP_WIDTH)) {
      // (tried once per bracket)
      located = true;
      const c = jumpingClass(m, a, b);
      if (c >= 0) {
        const [lo, hi] = locateJump(m, sat, m.classMembers[c][0], a, ra, b, rb);
        // the located ends, checked with every app's demand: kept where the sign is as expected
        demandAt(lo, mid);
        steps += 2;
        if (mid.z === 0) { a = mid; b = mid; ra = lo; rb = lo; break; }
        if ((mid.z > 0) !== (a.z > 0)) { const t = b; b = mid; mid = t; rb = lo; continue; }
        { const t = a; a = mid; mid = t; ra = lo; }
        demandAt(hi, mid);
        if (mid.z === 0) { a = mid; b = mid; ra = hi; rb = hi; break; }
        if ((mid.z > 0) === (a.z > 0)) { const t = a; a = mid; mid = t; ra = hi; } else { const t = b; b = mid; mid = t; rb = hi; }
        continue;
      }
    }
    const rm = Math.sqrt(ra * rb);
    demandAt(rm, mid);
    steps++;
    if (mid.z === 0) { a = mid; b = mid; ra = rm; rb = rm; break; }
    if ((mid.z > 0) === (a.z > 0)) { const t = a; a = mid; mid = t; ra = rm; } else { const t = b; b = mid; mid = t; rb = rm; }
  }
  return mixOf(m, a, ra, b, rb);
}

/**
 * The class whose demand differs between the two ends of a narrow bracket far more than any other's (by
 * EQ_JUMP_RATIO), or -1. On convex curves the sign change of excess demand inside such a bracket is nearly
 * always one app jumping along a straight piece of its curve, where it is indifferent at one price ratio: the
 * other apps' demands move with prices, continuously, by far less.
 */
function jumpingClass(m: Market, a: Demand, b: Demand): number {
  let best = -1;
  let d1 = 0;
  let d2 = 0;
  for (let c = 0; c < m.classMembers.length; c++) {
    const i = m.classMembers[c][0];
    const d = Math.abs(a.x[i] - b.x[i]) + Math.abs(a.y[i] - b.y[i]);
    if (d > d1) { d2 = d1; d1 = d; best = c; } else if (d > d2) d2 = d;
  }
  return d1 > 0 && d1 > EQ_JUMP_RATIO * d2 ? best : -1;
}

/**
 * Bisects [ra, rb] in log(p / q) to EQ_PRICE_TOL on app i's demand alone (and the dividend, which needs every
 * app's satiation cost): each step keeps the side whose demand of app i the middle's is nearer. A fraction of a
 * full demand's cost per step; the caller checks the ends it returns with every app's demand.
 */
function locateJump(m: Market, sat: Satiation, i: number, a: Demand, ra: number, b: Demand, rb: number): [number, number] {
  const br: Bundle = { x: 0, y: 0, f: 0, sat: 0 };
  let lo = ra;
  let hi = rb;
  for (let k = 0; k < EQ_PRICE_STEPS && hi > lo * (1 + EQ_PRICE_TOL); k++) {
    const rm = Math.sqrt(lo * hi);
    const price = priceOf(rm);
    bundleOf(m, sat, i, price, dividendAt(m, sat, price), br);
    const da = Math.abs(br.x - a.x[i]) + Math.abs(br.y - a.y[i]);
    const db = Math.abs(br.x - b.x[i]) + Math.abs(br.y - b.y[i]);
    if (da <= db) lo = rm; else hi = rm;
  }
  return [lo, hi];
}

/**
 * The same mix of the demands at both ends of a bracket for every app, weighted so that excess demand is 0:
 * both are best responses at the limit price, and a mix of best responses is one (demand is convex).
 */
function mixOf(m: Market, a: Demand, ra: number, b: Demand, rb: number): Candidate {
  const n = m.n;
  const w = a.z !== b.z ? b.z / (b.z - a.z) : 1;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // b + w (a - b): an app whose demand is the same at both ends keeps it to the bit
    x[i] = b.x[i] + w * (a.x[i] - b.x[i]);
    y[i] = b.y[i] + w * (a.y[i] - b.y[i]);
  }
  fitCapacity(x);
  fitCapacity(y);
  const pa = priceOf(ra);
  const pb = priceOf(rb);
  let welfare = 0;
  for (let i = 0; i < n; i++) welfare += m.p.weights[i] * ln(m.perf(i, x[i], y[i]) / m.refF[i]);
  return { x, y, price: { p: w * pa.p + (1 - w) * pb.p, q: w * pa.q + (1 - w) * pb.q }, dividend: w * a.dividend + (1 - w) * b.dividend, welfare };
}

/** Prices of cache and bandwidth, p + q = 1, each with its own relative precision. */
interface Price { p: number; q: number }

/** The prices with p / q = r (r = Infinity: bandwidth free). */
const priceOf = (r: number): Price => (r === Infinity ? { p: 1, q: 0 } : { p: r / (1 + r), q: 1 / (1 + r) });

/**
 * Satiation. An app within SATIATION_TAU of the most it can ever do (its throughput at its maxima), and never
 * below its reference, counts as satiated: its utility is min(throughput, S) with S = Market.satF. That is
 * still quasi-concave, so the equilibrium stays exact, and it keeps a rich app from spending its whole budget
 * on the last fraction of a percent while others starve (envy is then at most SATIATION_TAU / (1 - TAU)).
 * The cheapest bundle reaching S: x at least xLo (below it the latency bound, or the bandwidth bound at the
 * app's maximum bandwidth, stays under S), y = max(ymin, S m(x) / P); its cost p x + q y is convex in x on
 * [xLo, xmax] (m is convex), so walking the knots from xLo it is the first local minimum. Price-dependent:
 * x, y, cost are those of the last satiationAt() of each class.
 */
interface Satiation {
  xLo: Float64Array;
  /** the first segment of the curve at or right of xLo (segment j runs from knot j to j + 1; n - 1: beyond) */
  jLo: Int32Array;
  /** where S m(x) / P falls to ymin (satiation needs no more bandwidth than the minimum beyond it) */
  xYmin: Float64Array;
  /** the segment of the last satiation bundle computed (-2: bandwidth free; -1: none yet) */
  seg: Int32Array;
  x: Float64Array;
  y: Float64Array;
  /** beyond the reservation */
  cost: Float64Array;
}

function satiationBounds(m: Market): Satiation {
  const p = m.p;
  const n = p.n;
  const sat: Satiation = {
    xLo: new Float64Array(n), jLo: new Int32Array(n), xYmin: new Float64Array(n), seg: new Int32Array(n).fill(-1), x: new Float64Array(n), y: new Float64Array(n),
    cost: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const off = p.modelOff[i];
    const S = m.satF[i];
    const ls = p.models[off + 2];
    const rs = p.models[off + 3];
    const P = p.models[off + 4];
    // the largest miss ratio at which the latency bound, and the bandwidth bound at ymax, still reach S
    const hLat = rs > 0 ? (1 / S - ls) / rs : Infinity;
    const hBw = (P * p.ymax[i]) / S;
    // (never under the miss ratio at the maxima, where S is reached by definition: rounding may put it there)
    const hAtMax = missRatio(p.models, off, p.xmax[i]);
    const h = hLat < hBw ? hLat : hBw;
    const xNeed = xAtOrBelow(p.models, off, h > hAtMax ? h : hAtMax);
    sat.xLo[i] = Math.min(p.xmax[i], Math.max(p.xmin[i], xNeed));
    const k = p.models[off + 1];
    let j = 0;
    while (j < k - 1 && p.models[off + MRC_HEADER + j + 1] <= sat.xLo[i]) j++;
    sat.jLo[i] = j;
    sat.xYmin[i] = xAtOrBelow(p.models, off, (P * p.ymin[i]) / S);
  }
  return sat;
}

/** The first x at which a non-increasing curve is at most h (Infinity if never). */
function xAtOrBelow(md: Float64Array, off: number, h: number): number {
  const k = md[off + 1];
  const xs = off + MRC_HEADER;
  const ms = xs + k;
  if (md[ms] <= h) return 0;
  for (let j = 1; j < k; j++) {
    if (md[ms + j] <= h) return md[xs + j - 1] + ((md[ms + j - 1] - h) / (md[ms + j - 1] - md[ms + j])) * (md[xs + j] - md[xs + j - 1]);
  }
  return Infinity;
}

/**
 * The cheapest bundle of app i reaching its satiation level at `price`, into sat.x, sat.y, sat.cost. Its
 * cost p x + q max(ymin, S m(x) / P) is convex in x; right of xYmin it rises (y stays at ymin), left of it
 * its slope p + q S m'(x) / P is that of the curve's segment, non-decreasing: the cheapest x is the start
 * of the first segment (from xLo) whose slope is at least -p P / (q S), found by bisection.
 */
function satiationAt(m: Market, sat: Satiation, i: number, price: Price): void {
  const p = m.p;
  const md = p.models;
  const off = p.modelOff[i];
  const k = md[off + 1];
  const xs = off + MRC_HEADER;
  const ms = xs + k;
  const S = m.satF[i];
  const P = md[off + 4];
  const xmax = p.xmax[i];
  const ymin = p.ymin[i];
  let bestX = sat.xLo[i];
  const slope = (j: number): number => (md[ms + j + 1] - md[ms + j]) / (md[xs + j + 1] - md[xs + j]);
  const last = sat.seg[i];
  let seg = -2;
  if (price.q > 0) {
    // the last segment found if it still is the first (bisection brings prices close, so it mostly is)
    const thr = -(price.p * P) / (price.q * S);
    const jlo = sat.jLo[i];
    if (last >= jlo && (last === k - 1 || slope(last) >= thr) && (last === jlo || slope(last - 1) < thr)) {
      seg = last;
    } else {
      let lo = jlo;
      let hi = k - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (slope(mid) >= thr) hi = mid; else lo = mid + 1;
      }
      seg = lo;
    }
  }
  if (seg === last) {
    // the same bundle as last time: only its cost moves with prices
    sat.cost[i] = price.p * (sat.x[i] - p.resX[i]) + price.q * (sat.y[i] - p.resY[i]);
    return;
  }
  sat.seg[i] = seg;
  if (seg >= 0) {
    let x = md[xs + seg];
    if (x > sat.xYmin[i]) x = sat.xYmin[i];
    if (x > bestX) bestX = x < xmax ? x : xmax;
  }
  // a hair beyond, so that rounding in what is done with the bundle never falls short of S (at a knot where
  // misses reach 0 with no bandwidth, falling short means no throughput at all)
  const x = Math.min(xmax, bestX * (1 + SAT_NUDGE));
  const y = Math.min(p.ymax[i], Math.max(ymin, ((S * missRatio(md, off, x)) / P) * (1 + SAT_NUDGE)));
  sat.x[i] = x;
  sat.y[i] = y;
  sat.cost[i] = price.p * (x - p.resX[i]) + price.q * (y - p.resY[i]);
}

/** Value at price p of app i's endowment beyond its reservation (its share of the rest). */
function endowment(m: Market, i: number, price: Price): number {
  const p = m.p;
  return price.p * (p.refX[i] - p.resX[i]) + price.q * (p.refY[i] - p.resY[i]);
}

/**
 * The dividend s >= 0 at which the apps spend all the money there is: sum_i min(e_i (1 + s), c_i) = sum_i e_i
 * (e endowment values, c satiation costs). The left side is concave and piecewise linear in s, so Newton's
 * method from s = 0 stays below the root and lands on it in at most one step per satiation threshold crossed.
 * It computes every class's satiation bundle at `price` first (bundleOf reads them).
 * When every app can be satiated with the money there is, the smallest dividend that does it.
 */
function dividendAt(m: Market, sat: Satiation, price: Price): number {
  let money = 0;
  let satAll = 0;
  for (const members of m.classMembers) {
    const i = members[0];
    satiationAt(m, sat, i, price);
    money += members.length * endowment(m, i, price);
    satAll += members.length * sat.cost[i];
  }
  let s = 0;
  if (satAll <= money) {
    // every app can be satiated: the smallest dividend that does it
    for (const members of m.classMembers) {
      const e = endowment(m, members[0], price);
      const c = sat.cost[members[0]];
      if (c > e && e > 0 && c / e - 1 > s) s = c / e - 1;
    }
    return s;
  }
  for (let k = 0; k < EQ_NEWTON_STEPS; k++) {
    let spent = 0;
    let slope = 0;
    for (const members of m.classMembers) {
      const i = members[0];
      const e = endowment(m, i, price);
      const c = sat.cost[i];
      if (e * (1 + s) < c) { spent += members.length * e * (1 + s); slope += members.length * e; } else spent += members.length * c;
    }
    if (!(money - spent > 1e-15 * money) || slope <= 0) break;
    s += (money - spent) / slope;
  }
  return s;
}

/** Relative rounding under which a budget still buys the satiation bundle it was computed to buy. */
const SAT_ROUNDING = 1e-12;
/** A satiation bundle lies this far (relative) beyond the knot where its curve reaches its floor. */
const SAT_NUDGE = 1e-12;

/** App i's demand at price p with dividend s: its satiation bundle if it can afford it, else its best on the line. */
function bundleOf(m: Market, sat: Satiation, i: number, price: Price, s: number, out: Bundle): Bundle {
  const p = m.p;
  const b = endowment(m, i, price) * (1 + s);
  if (b >= sat.cost[i] * (1 - SAT_ROUNDING)) {
    out.x = sat.x[i]; out.y = sat.y[i]; out.f = m.satF[i]; out.sat = 1;
    return out;
  }
  if (price.q === 0 || price.p === 0) return freeBest(m, i, price, b, out);
  return lineBest(p.models, p.modelOff[i], price.p, price.q, b + price.p * p.resX[i] + price.q * p.resY[i],
    p.xmin[i], p.xmax[i], p.ymin[i], p.ymax[i], out);
}

/**
 * Best response when one resource is free: all the money buys the other (within the box), and of the free
 * one the app takes the least that gives the most it can do with what it bought (the rest is handed out).
 */
function freeBest(m: Market, i: number, price: Price, b: number, out: Bundle): Bundle {
  const p = m.p;
  const md = p.models;
  const off = p.modelOff[i];
  const ls = md[off + 2];
  const rs = md[off + 3];
  const P = md[off + 4];
  out.sat = 0;
  if (price.q === 0) {
    const x = Math.min(p.xmax[i], p.resX[i] + b / price.p);
    const h = missRatio(md, off, x);
    const lat = 1 / (ls + h * rs);
    // bandwidth that makes the bandwidth bound reach the latency bound, if the maximum allows
    const need = h > 0 ? (lat * h) / P : 0;
    out.x = x;
    out.y = Math.min(p.ymax[i], Math.max(p.ymin[i], need));
  } else {
    const y = Math.min(p.ymax[i], p.resY[i] + b / price.q);
    const top = m.perf(i, p.xmax[i], y);
    // the least cache whose latency bound, and bandwidth bound at y, reach what the most cache gives
    const hLat = rs > 0 ? (1 / top - ls) / rs : Infinity;
    const hBw = (P * y) / top;
    const hAtMax = missRatio(md, off, p.xmax[i]);
    const h = hLat < hBw ? hLat : hBw;
    out.x = Math.min(p.xmax[i], Math.max(p.xmin[i], xAtOrBelow(md, off, h > hAtMax ? h : hAtMax)));
    out.y = y;
  }
  out.f = m.perf(i, out.x, out.y);
  return out;
}

/** Rounding can leave a resource over capacity by ~1e-15 of it: scale it back to exactly the capacity. */
function fitCapacity(v: Float64Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  if (s > 1) for (let i = 0; i < v.length; i++) v[i] /= s;
}

/** max_i best affordable throughput at the final prices and budgets / own throughput - 1 (class representatives). */
function bestResponseGap(m: Market, sat: Satiation, x: Float64Array, y: Float64Array, price: Price, s: number): number {
  const br: Bundle = { x: 0, y: 0, f: 0, sat: 0 };
  let gap = 0;
  for (const members of m.classMembers) {
    const i = members[0];
    satiationAt(m, sat, i, price);
    // in the utilities the market equilibrates: throughput up to the satiation level
    const best = Math.min(m.satF[i], bundleOf(m, sat, i, price, s, br).f);
    const own = Math.min(m.satF[i], m.perf(i, x[i], y[i]));
    const g = own > 0 ? best / own - 1 : best > 0 ? Infinity : 0;
    if (g > gap) gap = g;
  }
  return gap;
}

/**
 * Capacity nobody bought (every app satiated, or a resource left over even when nearly free) goes to the
 * apps by weight within their maxima: it raises no one's throughput in the model but adds headroom on a
 * real node, and it cannot create envy (an app that could use it would have bought it).
 */
/** What is left of capacity 1 in v, handed out by weight among apps under their cap (also the knot search's, policies/spirit.ts). */
export function handOutLeftover(p: Problem, v: Float64Array, cap: Float64Array): void {
  for (let round = 0; round < p.n + 1; round++) {
    let left = 1;
    let w = 0;
    for (let i = 0; i < p.n; i++) { left -= v[i]; if (v[i] < cap[i]) w += p.weights[i]; }
    if (left <= LEFTOVER_TOL || w <= 0) return;
    for (let i = 0; i < p.n; i++) if (v[i] < cap[i]) v[i] = Math.min(cap[i], v[i] + (left * p.weights[i]) / w);
  }
}
