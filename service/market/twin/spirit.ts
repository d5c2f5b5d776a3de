// The spirit policy in the TypeScript twin (of assembly/market/spirit.ts, kept line for line the same so the
// differential tests can compare allocations):
//  1. market rounds: scan prices for sign changes of excess demand, bisect each bracket, resolve demand
//     jumps (each switching class takes its low- or high-price bundle), repair feasibility, hand out what is
//     left; after each round, satiated apps keep their bundles and their unspent budgets pass to the
//     others (at most RECYCLE_ROUNDS);
//  2. budget boosts: a class whose best response jumps with a larger budget (a cliff it cannot afford at
//     equal incomes) gets a market where it is richer;
//  3. fairness repair of the best unfair candidates;
//  4. the candidate of best welfare with the sharing incentive and envy under the target; static if none.
import type { CertificateRaw } from '../engine.ts';
import type { Problem } from '../problem.ts';
import { certify } from './certificate.ts';
import { bestResponse, type Bundle } from './best-response.ts';
import { fairRepair } from './fair-repair.ts';
import { handOut } from './handout.ts';
import {
  BISECT_STEPS, BOOST_FACTORS, BOOST_MAX_SHARE, BOOST_MIN_GAIN, BOOST_TRIES, ENVY_LIMIT, ENVY_TARGET, FEAS_TOL,
  H_ROOT, MAX_COMBOS, MAX_ENUM_CLASSES, PRICE_MIN, REPAIR_ENVY, SECANT_STEPS, SWITCH_EPS, tuning,
} from './limits.ts';
import { Market } from './market.ts';
import { Pool, type Candidate } from './pool.ts';
import { repair } from './repair.ts';
import { trace } from './trace.ts';
import { ln } from './ln.ts';

export interface SpiritOutput {
  x: Float64Array;
  y: Float64Array;
  priceCache: number;
  iterations: number;
  /** true when the chosen allocation came from the market (not the static fallback) */
  fromMarket: boolean;
  /** its certificate, computed while choosing it */
  certificate: CertificateRaw;
}

interface Round { added: number; bestWelfare: number; bestPrice: number }

export function solveSpirit(p: Problem): SpiritOutput {
  const m = new Market(p);
  const n = p.n;
  const X = new Float64Array(n);
  const Y = new Float64Array(n);
  const F = new Float64Array(n);
  const it = { count: 0 };
  const tune = tuning(n);

  // the static allocation is always a candidate
  const SX = p.refX.slice();
  const SY = p.refY.slice();
  const SF = m.refF.slice();
  handOut(m, SX, SY, SF);
  const staticWelfare = m.welfare(SF);

  // all the money in the market (more than 1 when limits raise some apps' reference bundles)
  let total = 0;
  for (let i = 0; i < n; i++) total += p.budget[i];
  const pool = new Pool();
  for (let round = 0; round < tune.recycleRounds; round++) {
    const r = marketRound(m, pool, round, it);
    if (r.added === 0) break;
    const price = r.bestPrice;
    m.demand(price, X, Y, F);
    it.count++;
    let spendSat = 0;
    let baseFree = 0;
    for (let i = 0; i < n; i++) {
      if (m.sat[i] !== 0) spendSat += price * (X[i] - p.resX[i]) + (1 - price) * (Y[i] - p.resY[i]);
      else baseFree += p.budget[i];
    }
    if (baseFree <= 0 || spendSat >= total - baseFree - 1e-9) break;
    // satiated apps keep the bundle that satiates them (pinned); the others share the rest with their
    // budgets scaled up by the money the satiated ones did not spend
    const scale = (total - spendSat) / baseFree;
    let change = 0;
    for (let i = 0; i < n; i++) {
      const b = m.sat[i] !== 0 ? p.budget[i] : p.budget[i] * scale;
      const d = Math.abs(b - m.budget[i]);
      if (d > change) change = d;
      m.budget[i] = b;
      if (m.sat[i] !== 0) { m.xlo[i] = m.xhi[i] = X[i]; m.ylo[i] = m.yhi[i] = Y[i]; }
    }
    if (change < 1e-9) break;
  }
  m.resetBoxes();

  // budget boosts for classes whose best response jumps with a larger budget
  if (pool.slots.length > 0) {
    let basePrice = pool.slots[0].price;
    let baseW = pool.slots[0].welfare;
    for (let s = 1; s < pool.slots.length; s++) {
      if (pool.slots[s].welfare > baseW) { baseW = pool.slots[s].welfare; basePrice = pool.slots[s].price; }
    }
    const boosts = boostClasses(m, basePrice, tune.boostClasses);
    boosts.forEach(([c, factor], k) => {
      setBoost(m, c, factor, total);
      marketRound(m, pool, 100 + k, it);
    });
  }

  // the best unfair candidates, repaired (kept aside, then added to the pool)
  let order = pool.sorted();
  let repaired = 0;
  const kept: { x: Float64Array; y: Float64Array; f: Float64Array; price: number }[] = [];
  const limit = Math.min(3 * tune.fairCandidates, order.length);
  for (let k = 0; k < limit; k++) {
    const c = order[k];
    if (repaired >= tune.fairCandidates || c.welfare <= staticWelfare) break;
    if (m.sharingIncentive(c.f) && m.maxEnvy(c.x, c.y, c.f) <= ENVY_TARGET) continue;
    repaired++;
    const r = { x: c.x.slice(), y: c.y.slice(), f: c.f.slice(), price: c.price };
    if (!fairRepair(m, r.x, r.y, r.f)) continue;
    handOut(m, r.x, r.y, r.f);
    kept.push(r);
  }
  kept.forEach((r, k) => pool.add(r.x, r.y, r.f, r.price, m.welfare(r.f), 200 + k));

  // the candidate of highest welfare with the sharing incentive and envy under the target; else the best
  // with envy under ENVY_LIMIT; else static
  order = pool.sorted();
  let checks = 0;
  let fallback: { c: Candidate; cert: CertificateRaw } | null = null;
  for (const c of order) {
    if (c.welfare < staticWelfare || checks >= tune.selectChecks) break;
    if (!m.sharingIncentive(c.f) || !m.cleared(c.x, c.y)) continue;
    checks++;
    const cert = certify(m, c.x, c.y);
    if (cert.maxEnvy <= ENVY_TARGET) return { x: c.x, y: c.y, priceCache: c.price, iterations: it.count, fromMarket: true, certificate: cert };
    if (cert.maxEnvy <= ENVY_LIMIT && fallback === null) fallback = { c, cert };
  }
  if (fallback) {
    const c = fallback.c;
    return { x: c.x, y: c.y, priceCache: c.price, iterations: it.count, fromMarket: true, certificate: fallback.cert };
  }
  return { x: SX, y: SY, priceCache: 0.5, iterations: it.count, fromMarket: false, certificate: certify(m, SX, SY) };
}

/** Classes to boost with their factors: each qualifying class (best first) with BOOST_TRIES factors. */
function boostClasses(m: Market, price: number, limit: number): [number, number][] {
  const p = m.p;
  if (limit === 0) return [];
  const br: Bundle = { x: 0, y: 0, f: 0, sat: 0 };
  const gains: { c: number; gain: number; k: number }[] = [];
  for (let c = 0; c < m.classMembers.length; c++) {
    const i = m.classMembers[c][0];
    const reserved = price * p.resX[i] + (1 - price) * p.resY[i];
    const f1 = bestResponse(p.models, p.modelOff[i], price, p.budget[i] + reserved, p.xmin[i], p.xmax[i], p.ymin[i], p.ymax[i], m.satF[i], m.refF[i], br).f;
    for (let k = 0; k < BOOST_FACTORS.length; k++) {
      const f2 = bestResponse(p.models, p.modelOff[i], price, BOOST_FACTORS[k] * p.budget[i] + reserved, p.xmin[i], p.xmax[i], p.ymin[i], p.ymax[i], m.satF[i], m.refF[i], br).f;
      if (f2 >= BOOST_MIN_GAIN * f1) { gains.push({ c, gain: f2 / f1, k }); break; }
    }
  }
  gains.sort((a, b) => b.gain - a.gain || a.c - b.c);
  const out: [number, number][] = [];
  for (const g of gains.slice(0, limit)) {
    for (let k = g.k; k < g.k + BOOST_TRIES && k < BOOST_FACTORS.length; k++) out.push([g.c, BOOST_FACTORS[k]]);
  }
  return out;
}

/** Budgets with class c's multiplied by factor and everyone else's scaled so they still add up to `total`. */
function setBoost(m: Market, c: number, factor: number, total: number): void {
  const p = m.p;
  let boosted = 0;
  for (const i of m.classMembers[c]) boosted += p.budget[i];
  const target = Math.min(BOOST_MAX_SHARE * total, boosted * factor);
  const scaleOthers = boosted < total ? (total - target) / (total - boosted) : 1;
  for (let i = 0; i < m.n; i++) m.budget[i] = p.budget[i] * (m.classIndex[i] === c ? target / boosted : scaleOthers);
}

/** One market at the current budgets: scan, bisect, resolve jumps, repair, hand out. */
function marketRound(m: Market, pool: Pool, src: number, it: { count: number }): Round {
  const n = m.n;
  const tune = tuning(n);
  const G = tune.scanPoints;
  const X = new Float64Array(n);
  const Y = new Float64Array(n);
  const F = new Float64Array(n);
  const prices = new Float64Array(G + 1);
  const hs = new Float64Array(G + 1);
  const over = new Float64Array(G + 1);
  for (let k = 0; k <= G; k++) {
    prices[k] = PRICE_MIN + ((1 - 2 * PRICE_MIN) * k) / G;
    const [sx, sy] = m.demand(prices[k], X, Y, F);
    it.count++;
    hs[k] = sx - sy;
    over[k] = Math.max(sx - 1, sy - 1, 0);
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
  brackets.length = Math.min(brackets.length, tune.maxBrackets);

  const round: Round = { added: 0, bestWelfare: -Infinity, bestPrice: 0.5 };
  const XL = new Float64Array(n), YL = new Float64Array(n), FL = new Float64Array(n);
  const XH = new Float64Array(n), YH = new Float64Array(n), FH = new Float64Array(n);
  for (const [a, b] of brackets) {
    // refine the bracket: a few regula falsi (Illinois) steps find the root of a continuous h fast; then
    // bisection localizes a jump
    let pl = prices[a];
    let ph = prices[b];
    let hl = hs[a];
    let hh = hs[b];
    let side = 0;
    for (let s = 0; s < BISECT_STEPS && ph - pl > 1e-13; s++) {
      let mid = 0.5 * (pl + ph);
      if (s < SECANT_STEPS && hl !== hh) {
        const w = ph - pl;
        mid = ph - (hh * w) / (hh - hl);
        if (!(mid > pl + 0.01 * w && mid < ph - 0.01 * w)) mid = 0.5 * (pl + ph);
      }
      const [sx, sy] = m.demand(mid, X, Y, F);
      it.count++;
      const h = sx - sy;
      if (Math.abs(h) <= H_ROOT) { pl = mid; ph = mid; break; }
      if ((h > 0) === (hl > 0)) {
        pl = mid; hl = h;
        if (side === -1) hh *= 0.5;
        side = -1;
      } else {
        ph = mid; hh = h;
        if (side === 1) hl *= 0.5;
        side = 1;
      }
    }
    m.demand(pl, XL, YL, FL);
    m.demand(ph, XH, YH, FH);
    it.count += 2;
    resolve(m, pool, 0.5 * (pl + ph), src, XL, YL, FL, XH, YH, FH, round);
  }
  return round;
}

/** Candidates from the demands just below (L) and above (H) a price where demand jumps. */
function resolve(m: Market, pool: Pool, price: number, src: number, XL: Float64Array, YL: Float64Array, FL: Float64Array,
  XH: Float64Array, YH: Float64Array, FH: Float64Array, round: Round): void {
  const p = m.p;
  const switching: number[] = [];
  for (let c = 0; c < m.classMembers.length; c++) {
    const i = m.classMembers[c][0];
    if (Math.abs(XL[i] - XH[i]) + Math.abs(YL[i] - YH[i]) > SWITCH_EPS) switching.push(c);
  }
  const enumerated = switching.length <= MAX_ENUM_CLASSES;
  if (!enumerated) {
    // switch classes to their low-price side in order of their cache jump, largest first
    switching.sort((a, b) => {
      const i = m.classMembers[a][0];
      const j = m.classMembers[b][0];
      return (XL[j] - XH[j]) - (XL[i] - XH[i]) || a - b;
    });
  }
  trace(10, switching.length);
  for (const c of switching) trace(11, c);
  const pos = new Int32Array(m.classMembers.length).fill(-1);
  switching.forEach((c, k) => { pos[c] = k; });
  const inCombo = (key: number, k: number): boolean => (enumerated ? ((key >> k) & 1) !== 0 : k < key);
  // (at most MAX_COMBOS: threshold combinations beyond are not scored)
  const combos = enumerated ? 1 << switching.length : Math.min(switching.length + 1, MAX_COMBOS);
  const scored: { key: number; over: number; welfare: number }[] = [];
  for (let t = 0; t < combos; t++) {
    let sx = 0;
    let sy = 0;
    let w = 0;
    for (let c = 0; c < m.classMembers.length; c++) {
      const lo = pos[c] >= 0 && inCombo(t, pos[c]);
      for (const i of m.classMembers[c]) {
        sx += lo ? XL[i] : XH[i];
        sy += lo ? YL[i] : YH[i];
        w += p.weights[i] * ln((lo ? FL[i] : FH[i]) / m.refF[i]);
      }
    }
    scored.push({ key: t, over: Math.max(sx - 1, sy - 1, 0), welfare: w });
  }
  // feasible combinations first (by welfare), then the least infeasible ones
  scored.sort((a, b) => {
    const fa = a.over <= FEAS_TOL ? 0 : 1;
    const fb = b.over <= FEAS_TOL ? 0 : 1;
    if (fa !== fb) return fa - fb;
    if (fa === 0) return b.welfare - a.welfare;
    return a.over - b.over || b.welfare - a.welfare;
  });
  // repair keeping everyone close to what it chose; only if no combination survives that, repair down to the
  // apps' references (the fairness repair may then restore envy-freeness)
  const evalCount = tuning(m.n).combosEval;
  for (let attempt = 0; attempt < 2; attempt++) {
    const before = round.added;
    for (const s of scored.slice(0, evalCount)) {
      const CX = XH.slice();
      const CY = YH.slice();
      const CF = FH.slice();
      switching.forEach((c, k) => {
        if (!inCombo(s.key, k)) return;
        for (const i of m.classMembers[c]) { CX[i] = XL[i]; CY[i] = YL[i]; CF[i] = FL[i]; }
      });
      trace(1, s.key);
      trace(2, s.over);
      if (!repair(m, CX, CY, CF, attempt === 0 ? REPAIR_ENVY : Infinity)) continue;
      trace(3, m.welfare(CF));
      handOut(m, CX, CY, CF);
      const w = m.welfare(CF);
      trace(4, w);
      pool.add(CX, CY, CF, price, w, src);
      if (w > round.bestWelfare) { round.bestWelfare = w; round.bestPrice = price; }
      round.added++;
    }
    if (round.added > before) break;
  }
}
