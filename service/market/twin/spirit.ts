// The spirit policy in the TypeScript twin: CEEI price search, resolution of demand jumps (non-convex
// preferences), feasibility repair, surplus hand-out, and the choice among candidate equilibria.
// assembly/market/spirit.ts is the same algorithm; tests check that both give the same allocations.
import type { Problem } from '../problem.ts';
import {
  BISECT_STEPS, ENVY_TARGET, FEAS_TOL, LARGE_N, MAX_BRACKETS_LARGE, MAX_BRACKETS_SMALL, MAX_ENUM_CLASSES,
  BOOST_CLASSES_LARGE, BOOST_CLASSES_SMALL, BOOST_FACTORS, BOOST_MAX_SHARE, BOOST_MIN_GAIN, BOOST_SMALL_N, BOOST_TRIES,
  FAIR_CANDIDATES, PRICE_MIN, RECYCLE_ROUNDS, SCAN_POINTS_LARGE, SCAN_POINTS_SMALL,
} from './limits.ts';
import { Market } from './market.ts';
import { handOut } from './handout.ts';
import { repair } from './repair.ts';
import { bestResponse, type Bundle } from './best-response.ts';
import { fairRepair } from './fair-repair.ts';

export interface SpiritOutput {
  x: Float64Array;
  y: Float64Array;
  priceCache: number;
  iterations: number;
  /** true when the chosen allocation is a market equilibrium (not the static fallback) */
  fromMarket: boolean;
}

const SWITCH_EPS = 1e-7;
const MAX_COMBOS_EVAL = 4;

interface Candidate { x: Float64Array; y: Float64Array; f: Float64Array; price: number; welfare: number; src?: string }

export function solveSpirit(p: Problem): SpiritOutput {
  const m = new Market(p);
  const n = p.n;
  const X = new Float64Array(n);
  const Y = new Float64Array(n);
  const F = new Float64Array(n);
  const it = { count: 0 };

  // the static allocation is always a candidate: feasible, sharing-incentive by definition
  const staticCand: Candidate = { x: p.refX.slice(), y: p.refY.slice(), f: m.refF.slice(), price: 0.5, welfare: 0 };
  handOut(m, staticCand.x, staticCand.y, staticCand.f);
  staticCand.welfare = m.welfare(staticCand.f);

  const cands: Candidate[] = [];
  for (let round = 0; round < RECYCLE_ROUNDS; round++) {
    const found = marketRound(m, it);
    for (const c of found) c.src = 'round' + round;
    cands.push(...found);
    if (found.length === 0) break;
    // pass satiated apps' unspent budget on to the others, in proportion to their budgets
    let best = found[0];
    for (const c of found) if (c.welfare > best.welfare) best = c;
    m.demand(best.price, X, Y, F);
    it.count++;
    let spendSat = 0;
    let baseFree = 0;
    for (let i = 0; i < n; i++) {
      if (m.sat[i]) spendSat += best.price * X[i] + (1 - best.price) * Y[i];
      else baseFree += p.budget[i];
    }
    if (baseFree <= 0 || spendSat >= 1 - baseFree - 1e-9) break; // nobody satiated, or nothing unspent
    const scale = (1 - spendSat) / baseFree;
    let change = 0;
    for (let i = 0; i < n; i++) {
      const b = m.sat[i] ? p.budget[i] : p.budget[i] * scale;
      change = Math.max(change, Math.abs(b - m.budget[i]));
      m.budget[i] = b;
    }
    if (change < 1e-9) break;
  }

  // budget boosts: an app whose throughput would jump with a little more budget (a cliff it cannot
  // afford at equal incomes) gets a richer market of its own; the fairness repair below then decides
  // whether a fair allocation close to it exists
  if (cands.length > 0) {
    let base = cands[0];
    for (const c of cands) if (c.welfare > base.welfare) base = c;
    for (const [c, factor] of boostClasses(m, base.price)) {
      setBoost(m, c, factor);
      const found = marketRound(m, it);
      for (const f of found) f.src = `boost${c}x${factor}`;
      cands.push(...found);
    }
  }
  // the candidate of highest welfare whose envy stays under the target; static if none
  cands.sort((u, v) => v.welfare - u.welfare);
  // the best unfair candidates, repaired
  const fairOk = (c: Candidate): boolean => {
    for (let i = 0; i < n; i++) if (c.f[i] < m.refF[i] * (1 - 1e-9)) return false;
    return m.maxEnvy(c.x, c.y, c.f) <= ENVY_TARGET;
  };
  let repaired = 0;
  for (const c of cands.slice(0, 3 * FAIR_CANDIDATES)) {
    if (repaired >= FAIR_CANDIDATES || c.welfare <= staticCand.welfare) break;
    if (fairOk(c)) continue;
    const r: Candidate = { x: c.x.slice(), y: c.y.slice(), f: c.f.slice(), price: c.price, welfare: 0, src: c.src + '+fair' };
    repaired++;
    if (!fairRepair(m, r.x, r.y, r.f)) continue;
    handOut(m, r.x, r.y, r.f);
    r.welfare = m.welfare(r.f);
    cands.push(r);
  }
  cands.sort((u, v) => v.welfare - u.welfare);
  if (process.env.SPIRIT_DEBUG) for (const c of cands.slice(0, 30)) console.error(c.welfare.toFixed(3), m.maxEnvy(c.x, c.y, c.f).toFixed(4), Array.from(c.f).map((f, i) => (f / m.refF[i]).toFixed(2) + '@' + c.x[i].toFixed(3) + '/' + c.y[i].toFixed(3)).join(' '));
  let chosen = staticCand;
  let fromMarket = false;
  for (const c of cands) {
    if (c.welfare < staticCand.welfare) break;
    let si = true;
    for (let i = 0; i < n && si; i++) if (c.f[i] < m.refF[i] * (1 - 1e-9)) si = false;
    if (si && m.maxEnvy(c.x, c.y, c.f) <= ENVY_TARGET) { chosen = c; fromMarket = true; break; }
  }
  if (process.env.SPIRIT_SRC) console.error('winner', chosen.src ?? 'static', chosen.welfare.toFixed(3), 'cands', cands.length);
  return { x: chosen.x, y: chosen.y, priceCache: chosen.price, iterations: it.count, fromMarket };
}

/**
 * Classes whose best response at `price` jumps (by at least BOOST_MIN_GAIN) with a larger budget, with the
 * smallest of BOOST_FACTORS that makes the jump; the classes with the largest jumps first.
 */
function boostClasses(m: Market, price: number): [number, number][] {
  const p = m.p;
  const limit = m.n <= BOOST_SMALL_N ? BOOST_CLASSES_SMALL : m.n <= LARGE_N ? BOOST_CLASSES_LARGE : 0;
  if (limit === 0) return [];
  const br: Bundle = { x: 0, y: 0, f: 0, sat: 0 };
  const gains: { c: number; gain: number; factor: number }[] = [];
  for (let c = 0; c < m.classMembers.length; c++) {
    const i = m.classMembers[c][0];
    const f1 = bestResponse(p.models, p.modelOff[i], price, p.budget[i], p.xmin[i], p.xmax[i], p.ymin[i], p.ymax[i], m.satF[i], br).f;
    for (let k = 0; k < BOOST_FACTORS.length; k++) {
      const factor = BOOST_FACTORS[k];
      const f2 = bestResponse(p.models, p.modelOff[i], price, factor * p.budget[i], p.xmin[i], p.xmax[i], p.ymin[i], p.ymax[i], m.satF[i], br).f;
      if (f2 >= BOOST_MIN_GAIN * f1) { gains.push({ c, gain: f2 / f1, factor: k }); break; }
    }
  }
  gains.sort((a, b) => b.gain - a.gain || a.c - b.c);
  // each chosen class: the smallest factor that makes the jump, and the next larger one
  const out: [number, number][] = [];
  for (const g of gains.slice(0, limit)) {
    for (let k = g.factor; k < g.factor + BOOST_TRIES && k < BOOST_FACTORS.length; k++) out.push([g.c, BOOST_FACTORS[k]]);
  }
  return out;
}

/** Budgets with class c's multiplied by factor and everyone else's scaled so they still add up to 1. */
function setBoost(m: Market, c: number, factor: number): void {
  const p = m.p;
  let boosted = 0;
  for (const i of m.classMembers[c]) boosted += p.budget[i];
  const target = Math.min(BOOST_MAX_SHARE, boosted * factor);
  const scaleOthers = boosted < 1 ? (1 - target) / (1 - boosted) : 1;
  for (let i = 0; i < m.n; i++) m.budget[i] = p.budget[i] * (m.classIndex[i] === c ? target / boosted : scaleOthers);
}

/** One market at the current budgets: scan, bisect, resolve jumps, repair, hand out. */
function marketRound(m: Market, it: { count: number }): Candidate[] {
  const n = m.n;
  const large = n > LARGE_N;
  const G = large ? SCAN_POINTS_LARGE : SCAN_POINTS_SMALL;
  const X = new Float64Array(n);
  const Y = new Float64Array(n);
  const F = new Float64Array(n);
  // 1. scan prices for sign changes of relative excess demand h = sum x - sum y
  const prices = new Float64Array(G + 1);
  const hs = new Float64Array(G + 1);
  const over = new Float64Array(G + 1);
  for (let k = 0; k <= G; k++) {
    prices[k] = PRICE_MIN + ((1 - 2 * PRICE_MIN) * k) / G;
    const [sx, sy] = m.demand(prices[k], X, Y, F);
    hs[k] = sx - sy;
    over[k] = Math.max(sx - 1, sy - 1, 0);
    it.count++;
  }
  const brackets: [number, number, number][] = []; // [lo index, hi index, rank]
  for (let k = 0; k < G; k++) {
    if ((hs[k] > 0 && hs[k + 1] <= 0) || (hs[k] < 0 && hs[k + 1] >= 0)) {
      brackets.push([k, k + 1, Math.min(over[k], over[k + 1])]);
    }
  }
  if (brackets.length === 0) {
    // one resource is over-demanded at every price: the price pinned at the end that favours the other
    const k = hs[0] > 0 ? G : 0;
    brackets.push([k, k, over[k]]);
  }
  brackets.sort((a, b) => a[2] - b[2] || a[0] - b[0]);
  brackets.length = Math.min(brackets.length, large ? MAX_BRACKETS_LARGE : MAX_BRACKETS_SMALL);

  const out: Candidate[] = [];
  const XL = new Float64Array(n), YL = new Float64Array(n), FL = new Float64Array(n);
  const XH = new Float64Array(n), YH = new Float64Array(n), FH = new Float64Array(n);
  for (const [a, b] of brackets) {
    // 2. bisect the bracket to a tiny price interval
    let pl = prices[a];
    let ph = prices[b];
    const hl = hs[a];
    for (let s = 0; s < BISECT_STEPS && ph - pl > 1e-13; s++) {
      const mid = 0.5 * (pl + ph);
      const [sx, sy] = m.demand(mid, X, Y, F);
      it.count++;
      const h = sx - sy;
      if ((h > 0) === (hl > 0) && h !== 0) pl = mid; else ph = mid;
    }
    m.demand(pl, XL, YL, FL);
    m.demand(ph, XH, YH, FH);
    it.count += 2;
    // 3. resolve jumps: each switching class takes its low-price or high-price bundle
    for (const c of resolve(m, XL, YL, FL, XH, YH, FH)) {
      if (!repair(m, c.x, c.y, c.f)) continue;
      handOut(m, c.x, c.y, c.f);
      c.price = 0.5 * (pl + ph);
      c.welfare = m.welfare(c.f);
      out.push(c);
    }
  }
  return out;
}

/** Candidate allocations from the demands just below (L) and above (H) a price where demand jumps. */
function resolve(m: Market, XL: Float64Array, YL: Float64Array, FL: Float64Array,
  XH: Float64Array, YH: Float64Array, FH: Float64Array): Candidate[] {
  const n = m.n;
  const switching: number[] = []; // class indexes whose demand differs across the bracket
  for (let c = 0; c < m.classMembers.length; c++) {
    const i = m.classMembers[c][0];
    if (Math.abs(XL[i] - XH[i]) + Math.abs(YL[i] - YH[i]) > SWITCH_EPS) switching.push(c);
  }
  // base: every app at its high-price demand
  const base = (): Candidate => ({ x: XH.slice(), y: YH.slice(), f: FH.slice(), price: 0, welfare: 0 });
  const masks: number[][] = [];
  if (switching.length <= MAX_ENUM_CLASSES) {
    for (let mask = 0; mask < 1 << switching.length; mask++) {
      const set: number[] = [];
      for (let k = 0; k < switching.length; k++) if (mask & (1 << k)) set.push(switching[k]);
      masks.push(set);
    }
  } else {
    // too many to enumerate: switch classes to their low-price side in order of their cache jump
    const order = switching.slice().sort((a, b) => {
      const i = m.classMembers[a][0];
      const j = m.classMembers[b][0];
      return (XL[j] - XH[j]) - (XL[i] - XH[i]) || a - b;
    });
    for (let t = 0; t <= order.length; t++) masks.push(order.slice(0, t));
  }
  const scored: { set: number[]; overshoot: number; welfare: number }[] = [];
  for (const set of masks) {
    let sx = 0;
    let sy = 0;
    let w = 0;
    const inSet = new Set(set);
    for (let c = 0; c < m.classMembers.length; c++) {
      const lo = inSet.has(c);
      for (const i of m.classMembers[c]) {
        sx += lo ? XL[i] : XH[i];
        sy += lo ? YL[i] : YH[i];
        w += m.p.weights[i] * Math.log((lo ? FL[i] : FH[i]) / m.refF[i]);
      }
    }
    scored.push({ set, overshoot: Math.max(sx - 1, sy - 1, 0), welfare: w });
  }
  // feasible combinations first (by welfare), then the least infeasible ones
  scored.sort((a, b) => {
    const fa = a.overshoot <= FEAS_TOL ? 0 : 1;
    const fb = b.overshoot <= FEAS_TOL ? 0 : 1;
    if (fa !== fb) return fa - fb;
    if (fa === 0) return b.welfare - a.welfare;
    return a.overshoot - b.overshoot || b.welfare - a.welfare;
  });
  const out: Candidate[] = [];
  for (const s of scored.slice(0, MAX_COMBOS_EVAL)) {
    const c = base();
    for (const cls of s.set) {
      for (const i of m.classMembers[cls]) { c.x[i] = XL[i]; c.y[i] = YL[i]; c.f[i] = FL[i]; }
    }
    out.push(c);
  }
  void n;
  return out;
}
