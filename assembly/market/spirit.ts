// The spirit policy (twin: service/market/twin/spirit.ts): CEEI price search over rounds that pass satiated
// apps' unspent budgets on, budget boosts for apps stuck below a cliff, resolution of demand jumps, repairs
// and hand-out; the candidate of best welfare with the sharing incentive and envy under the target wins.
import { copyF, ldf, ldi, stf, sti } from './mem';
import {
  BUDGET, BUDGET0, BXHI, BXLO, BYHI, BYLO, CF, CLASS, CLASSES, CLS_A, CLS_B, CLS_F, CX, CY, F, FH, FL, N, OUT_X, OUT_Y,
  REFF, REFX, REFY, RESX, RESY, SWITCHING, FAIRBUF, SAT, SATF, SCAN_H, SCAN_O, SCAN_P, SF, SX, SY, WEIGHT, X, XH, XL, XMAX, XMIN,
  Y, YH, YL, YMAX, YMIN, MODEL_OFF, classMember, classRep, classSize, resetBoxes,
} from './state';
import { DEMAND_CALLS, SUM_X, SUM_Y, cleared, demand, maxEnvy, sharingIncentive, welfare } from './market';
import { BR_F, bestResponse } from './best-response';
import { appRec } from './apps';
import { handOut } from './handout';
import { trace } from './trace';
import { certifyInto } from './certificate';
import { repair } from './repair';
import { fairRepair } from './fair-repair';
import { poolAdd, poolCount, poolOrder, poolReset, poolSort, slotF, slotPrice, slotWelfare, slotX, slotY } from './pool';
import {
  BISECT_STEPS, BOOST_CLASSES_SMALL, BOOST_FACTOR_COUNT, BOOST_MAX_SHARE, BOOST_MIN_GAIN, BOOST_TRIES,
  ENVY_LIMIT, ENVY_TARGET, FAIR_CANDIDATES, FEAS_TOL, H_ROOT, MAX_COMBOS, MAX_ENUM_CLASSES, PRICE_MIN, SECANT_STEPS, SWITCH_EPS,
  REPAIR_ENVY, T_BOOST, T_BRACKETS,
  T_COMBOS, T_FAIR, T_RECYCLE, T_SCAN, T_SELECT, boostFactor, setTuning,
} from './limits';
import { ln } from './ln';

export let OUT_PRICE: f64 = 0.5;
export let OUT_ITERATIONS: i32 = 0;
export let OUT_FROM_MARKET: i32 = 0;

// best candidate added by the last market round
let roundBestWelfare: f64 = -Infinity;
let roundBestPrice: f64 = 0.5;

// brackets of one round: [lo index, hi index, rank]
const brLo = new StaticArray<i32>(64);
const brHi = new StaticArray<i32>(64);
const brRank = new StaticArray<f64>(64);
// combinations of one jump: chosen entries (class index list per combo is regenerated on use)
const comboKey = new StaticArray<i32>(MAX_COMBOS); // mask, or threshold t
const comboOver = new StaticArray<f64>(MAX_COMBOS);
const comboWelfare = new StaticArray<f64>(MAX_COMBOS);
const comboIdx = new StaticArray<i32>(MAX_COMBOS);
// repaired candidates waiting to join the pool
const FAIR_MAX: i32 = 8;
// boosts to run: class and factor index
const boostClass = new StaticArray<i32>(BOOST_CLASSES_SMALL * BOOST_TRIES + 1);
const boostIndex = new StaticArray<i32>(BOOST_CLASSES_SMALL * BOOST_TRIES + 1);

export function solveSpirit(): void {
  const n = N;
  const startCalls = DEMAND_CALLS;
  setTuning(n);
  resetBoxes();
  // the static allocation is always a candidate
  copyF(SX, REFX, n);
  copyF(SY, REFY, n);
  copyF(SF, REFF, n);
  handOut(SX, SY, SF);
  const staticWelfare = welfare(SF);

  // all the money in the market (more than 1 when limits raise some apps' reference bundles)
  let total: f64 = 0;
  for (let i = 0; i < n; i++) total += ldf(BUDGET0, i);
  poolReset();
  for (let round = 0; round < T_RECYCLE; round++) {
    const found = marketRound(round);
    if (found == 0) break;
    const price = roundBestPrice;
    demand(price, X, Y, F);
    let spendSat: f64 = 0;
    let baseFree: f64 = 0;
    for (let i = 0; i < n; i++) {
      if (ldi(SAT, i) != 0) spendSat += price * (ldf(X, i) - ldf(RESX, i)) + (1 - price) * (ldf(Y, i) - ldf(RESY, i));
      else baseFree += ldf(BUDGET0, i);
    }
    if (baseFree <= 0 || spendSat >= total - baseFree - 1e-9) break;
    // satiated apps keep the bundle that satiates them (pinned); the others share the rest with their
    // budgets scaled up by the money the satiated ones did not spend
    const scale = (total - spendSat) / baseFree;
    let change: f64 = 0;
    for (let i = 0; i < n; i++) {
      const sat = ldi(SAT, i) != 0;
      const b = sat ? ldf(BUDGET0, i) : ldf(BUDGET0, i) * scale;
      const d = Math.abs(b - ldf(BUDGET, i));
      if (d > change) change = d;
      stf(BUDGET, i, b);
      if (sat) { stf(BXLO, i, ldf(X, i)); stf(BXHI, i, ldf(X, i)); stf(BYLO, i, ldf(Y, i)); stf(BYHI, i, ldf(Y, i)); }
    }
    if (change < 1e-9) break;
  }
  resetBoxes();

  // budget boosts for classes whose best response jumps with a larger budget
  if (poolCount() > 0) {
    let basePrice = slotPrice(0);
    let baseW = slotWelfare(0);
    for (let s = 1; s < poolCount(); s++) {
      if (slotWelfare(s) > baseW) { baseW = slotWelfare(s); basePrice = slotPrice(s); }
    }
    // copied out of the class scratch, which the market rounds reuse
    const boosts = boostClasses(basePrice);
    for (let k = 0; k < boosts; k++) { unchecked(boostClass[k] = ldi(CLS_A, k)); unchecked(boostIndex[k] = ldi(CLS_B, k)); }
    for (let k = 0; k < boosts; k++) {
      setBoost(unchecked(boostClass[k]), boostFactor(unchecked(boostIndex[k])), total);
      marketRound(100 + k);
    }
  }

  // the best unfair candidates, repaired (kept aside, then added to the pool)
  let count = poolSort();
  let repaired = 0;
  let kept = 0;
  const limit = 3 * T_FAIR < count ? 3 * T_FAIR : count;
  for (let k = 0; k < limit; k++) {
    const s = poolOrder(k);
    if (repaired >= T_FAIR || slotWelfare(s) <= staticWelfare) break;
    if (sharingIncentive(slotF(s)) && maxEnvy(slotX(s), slotY(s), slotF(s)) <= ENVY_TARGET) continue;
    repaired++;
    const base = fairSlot(kept);
    copyF(base, slotX(s), n);
    copyF(base + (<usize>n << 3), slotY(s), n);
    copyF(base + (<usize>n << 4), slotF(s), n);
    if (!fairRepair(base, base + (<usize>n << 3), base + (<usize>n << 4))) continue;
    handOut(base, base + (<usize>n << 3), base + (<usize>n << 4));
    unchecked(fairPrice[kept] = slotPrice(s));
    kept++;
  }
  for (let k = 0; k < kept; k++) {
    const base = fairSlot(k);
    const Fk = base + (<usize>n << 4);
    poolAdd(base, base + (<usize>n << 3), Fk, unchecked(fairPrice[k]), welfare(Fk), 200 + k);
  }

  // the candidate of highest welfare with the sharing incentive and envy under the target; static if none
  // (else the best with envy under ENVY_LIMIT; else static). Each check is the full certificate, kept for
  // the chosen allocation (OUT_F, CERT_*), so the caller need not certify again.
  count = poolSort();
  let chosen = -1;
  let fallback = -1;
  let checks = 0;
  for (let k = 0; k < count; k++) {
    const s = poolOrder(k);
    if (slotWelfare(s) < staticWelfare || checks >= T_SELECT) break;
    if (!sharingIncentive(slotF(s)) || !cleared(slotX(s), slotY(s))) continue;
    checks++;
    const envy = certifyInto(slotX(s), slotY(s));
    if (envy <= ENVY_TARGET) { chosen = s; break; }
    if (envy <= ENVY_LIMIT && fallback < 0) fallback = s;
  }
  if (chosen < 0 && fallback >= 0) { chosen = fallback; certifyInto(slotX(chosen), slotY(chosen)); }
  if (chosen >= 0) {
    copyF(OUT_X, slotX(chosen), n);
    copyF(OUT_Y, slotY(chosen), n);
    OUT_PRICE = slotPrice(chosen);
    OUT_FROM_MARKET = 1;
  } else {
    copyF(OUT_X, SX, n);
    copyF(OUT_Y, SY, n);
    OUT_PRICE = 0.5;
    OUT_FROM_MARKET = 0;
    certifyInto(OUT_X, OUT_Y);
  }
  OUT_ITERATIONS = DEMAND_CALLS - startCalls;
}

// repaired candidates wait in FAIRBUF (FAIR_CANDIDATES blocks of 3n values) until they join the pool
const fairPrice = new StaticArray<f64>(FAIR_MAX);
function fairSlot(k: i32): usize {
  return FAIRBUF + ((<usize>k * 3 * <usize>N) << 3);
}

/** Classes to boost (into CLS_A) with the factor index (CLS_B); returns how many boosts to run. */
function boostClasses(price: f64): i32 {
  const limit = T_BOOST;
  if (limit == 0) return 0;
  let count = 0;
  for (let c = 0; c < CLASSES; c++) {
    const i = classRep(c);
    const off = appRec(i);
    const reserved = price * ldf(RESX, i) + (1 - price) * ldf(RESY, i);
    bestResponse(off, price, ldf(BUDGET0, i) + reserved, ldf(XMIN, i), ldf(XMAX, i), ldf(YMIN, i), ldf(YMAX, i), ldf(SATF, i), ldf(REFF, i));
    const f1 = BR_F;
    for (let k = 0; k < BOOST_FACTOR_COUNT; k++) {
      bestResponse(off, price, boostFactor(k) * ldf(BUDGET0, i) + reserved, ldf(XMIN, i), ldf(XMAX, i), ldf(YMIN, i), ldf(YMAX, i), ldf(SATF, i), ldf(REFF, i));
      if (BR_F >= BOOST_MIN_GAIN * f1) {
        // insert (c, gain, k) keeping the list sorted by gain desc, then class asc
        const gain = BR_F / f1;
        let j = count - 1;
        while (j >= 0 && (ldf(CLS_F, j) < gain)) {
          sti(CLS_A, j + 1, ldi(CLS_A, j)); sti(CLS_B, j + 1, ldi(CLS_B, j)); stf(CLS_F, j + 1, ldf(CLS_F, j));
          j--;
        }
        sti(CLS_A, j + 1, c); sti(CLS_B, j + 1, k); stf(CLS_F, j + 1, gain);
        count++;
        break;
      }
    }
  }
  if (count > limit) count = limit;
  // expand: each chosen class with its factor and the next larger ones (BOOST_TRIES in all), in place from the back
  let total = 0;
  for (let g = 0; g < count; g++) {
    const k0 = ldi(CLS_B, g);
    for (let k = k0; k < k0 + BOOST_TRIES && k < BOOST_FACTOR_COUNT; k++) total++;
  }
  let w = total - 1;
  for (let g = count - 1; g >= 0; g--) {
    const c = ldi(CLS_A, g);
    const k0 = ldi(CLS_B, g);
    let last = k0 + BOOST_TRIES - 1;
    if (last > BOOST_FACTOR_COUNT - 1) last = BOOST_FACTOR_COUNT - 1;
    for (let k = last; k >= k0; k--) { sti(CLS_A, w, c); sti(CLS_B, w, k); w--; }
  }
  return total;
}

function setBoost(c: i32, factor: f64, total: f64): void {
  let boosted: f64 = 0;
  const size = classSize(c);
  for (let k = 0; k < size; k++) boosted += ldf(BUDGET0, classMember(c, k));
  const t = boosted * factor;
  const cap = BOOST_MAX_SHARE * total;
  const target = cap < t ? cap : t;
  const scaleOthers = boosted < total ? (total - target) / (total - boosted) : 1;
  for (let i = 0; i < N; i++) {
    stf(BUDGET, i, ldf(BUDGET0, i) * (ldi(CLASS, i) == c ? target / boosted : scaleOthers));
  }
}

/** One market at the current budgets: scan, bisect, resolve jumps, repair, hand out; returns candidates added. */
function marketRound(src: i32): i32 {
  const G = T_SCAN;
  roundBestWelfare = -Infinity;
  roundBestPrice = 0.5;
  for (let k = 0; k <= G; k++) {
    const price = PRICE_MIN + ((1 - 2 * PRICE_MIN) * <f64>k) / <f64>G;
    stf(SCAN_P, k, price);
    demand(price, X, Y, F);
    stf(SCAN_H, k, SUM_X - SUM_Y);
    let o = SUM_X - 1;
    if (SUM_Y - 1 > o) o = SUM_Y - 1;
    if (o < 0) o = 0;
    stf(SCAN_O, k, o);
  }
  let nb = 0;
  for (let k = 0; k < G; k++) {
    const h0 = ldf(SCAN_H, k);
    const h1 = ldf(SCAN_H, k + 1);
    if ((h0 > 0 && h1 <= 0) || (h0 < 0 && h1 >= 0)) {
      const o0 = ldf(SCAN_O, k);
      const o1 = ldf(SCAN_O, k + 1);
      insertBracket(nb, k, k + 1, o0 < o1 ? o0 : o1);
      nb++;
    }
  }
  if (nb == 0) {
    const k = ldf(SCAN_H, 0) > 0 ? G : 0;
    insertBracket(0, k, k, ldf(SCAN_O, k));
    nb = 1;
  }
  if (nb > T_BRACKETS) nb = T_BRACKETS;
  let added = 0;
  for (let bi = 0; bi < nb; bi++) {
    // regula falsi (Illinois) first, then bisection (twin: marketRound in service/market/twin/spirit.ts)
    let pl = ldf(SCAN_P, unchecked(brLo[bi]));
    let ph = ldf(SCAN_P, unchecked(brHi[bi]));
    let hl = ldf(SCAN_H, unchecked(brLo[bi]));
    let hh = ldf(SCAN_H, unchecked(brHi[bi]));
    let side = 0;
    for (let s = 0; s < BISECT_STEPS && ph - pl > 1e-13; s++) {
      let mid = 0.5 * (pl + ph);
      if (s < SECANT_STEPS && hl != hh) {
        const w = ph - pl;
        mid = ph - (hh * w) / (hh - hl);
        if (!(mid > pl + 0.01 * w && mid < ph - 0.01 * w)) mid = 0.5 * (pl + ph);
      }
      demand(mid, X, Y, F);
      const h = SUM_X - SUM_Y;
      if (Math.abs(h) <= H_ROOT) { pl = mid; ph = mid; break; }
      if ((h > 0) == (hl > 0)) {
        pl = mid; hl = h;
        if (side == -1) hh *= 0.5;
        side = -1;
      } else {
        ph = mid; hh = h;
        if (side == 1) hl *= 0.5;
        side = 1;
      }
    }
    demand(pl, XL, YL, FL);
    demand(ph, XH, YH, FH);
    added += resolve(0.5 * (pl + ph), src);
  }
  return added;
}

/** Insert bracket (lo, hi, rank) into the list of `count` sorted by rank, then lo. */
function insertBracket(count: i32, lo: i32, hi: i32, rank: f64): void {
  let j = count - 1;
  while (j >= 0 && (unchecked(brRank[j]) > rank || (unchecked(brRank[j]) == rank && unchecked(brLo[j]) > lo))) {
    unchecked(brLo[j + 1] = brLo[j]);
    unchecked(brHi[j + 1] = brHi[j]);
    unchecked(brRank[j + 1] = brRank[j]);
    j--;
  }
  unchecked(brLo[j + 1] = lo);
  unchecked(brHi[j + 1] = hi);
  unchecked(brRank[j + 1] = rank);
}

/** Switching class k of the current jump is in combination `key`? (key: a mask, or a threshold). */
// @ts-ignore: decorator
@inline function inCombo(enumerated: bool, key: i32, k: i32): bool {
  return enumerated ? ((key >> k) & 1) != 0 : k < key;
}

/** Candidates from the demands just below (L) and above (H) a jump; returns how many joined the pool. */
function resolve(price: f64, src: i32): i32 {
  const n = N;
  // switching classes, in class order (SWITCHING: its own buffer, as repair and hand-out use the class
  // scratch); position of each class among them (CLS_B, -1 if none)
  let k = 0;
  for (let c = 0; c < CLASSES; c++) {
    const i = classRep(c);
    sti(CLS_B, c, -1);
    if (Math.abs(ldf(XL, i) - ldf(XH, i)) + Math.abs(ldf(YL, i) - ldf(YH, i)) > SWITCH_EPS) {
      sti(SWITCHING, k, c);
      k++;
    }
  }
  const enumerated = k <= MAX_ENUM_CLASSES;
  if (!enumerated) {
    // order by cache jump, largest first (ties: class order)
    for (let a = 1; a < k; a++) {
      const c = ldi(SWITCHING, a);
      const jc = ldf(XL, classRep(c)) - ldf(XH, classRep(c));
      let b = a - 1;
      while (b >= 0) {
        const d = ldi(SWITCHING, b);
        const jd = ldf(XL, classRep(d)) - ldf(XH, classRep(d));
        if (jd > jc || (jd == jc && d < c)) break;
        sti(SWITCHING, b + 1, d);
        b--;
      }
      sti(SWITCHING, b + 1, c);
    }
  }
  for (let a = 0; a < k; a++) sti(CLS_B, ldi(SWITCHING, a), a);
  trace(10, <f64>k);
  for (let a = 0; a < k; a++) trace(11, <f64>ldi(SWITCHING, a));
  // (at most MAX_COMBOS: threshold combinations beyond are not scored)
  const combos = enumerated ? 1 << k : (k + 1 < MAX_COMBOS ? k + 1 : MAX_COMBOS);
  for (let t = 0; t < combos; t++) {
    let sx: f64 = 0;
    let sy: f64 = 0;
    let w: f64 = 0;
    for (let c = 0; c < CLASSES; c++) {
      const pos = ldi(CLS_B, c);
      const lo = pos >= 0 && inCombo(enumerated, t, pos);
      const size = classSize(c);
      for (let m = 0; m < size; m++) {
        const i = classMember(c, m);
        sx += lo ? ldf(XL, i) : ldf(XH, i);
        sy += lo ? ldf(YL, i) : ldf(YH, i);
        w += ldf(WEIGHT, i) * ln((lo ? ldf(FL, i) : ldf(FH, i)) / ldf(REFF, i));
      }
    }
    let o = sx - 1;
    if (sy - 1 > o) o = sy - 1;
    if (o < 0) o = 0;
    unchecked(comboKey[t] = t);
    unchecked(comboOver[t] = o);
    unchecked(comboWelfare[t] = w);
    // stable insertion by: feasible first (welfare desc), then overshoot asc, welfare desc
    let j = t - 1;
    const fa = o <= FEAS_TOL ? 0 : 1;
    while (j >= 0) {
      const u = unchecked(comboIdx[j]);
      const ou = unchecked(comboOver[u]);
      const wu = unchecked(comboWelfare[u]);
      const fu = ou <= FEAS_TOL ? 0 : 1;
      let after: bool;
      if (fu != fa) after = fu < fa;
      else if (fa == 0) after = wu >= w;
      else after = ou < o || (ou == o && wu >= w);
      if (after) break;
      unchecked(comboIdx[j + 1] = u);
      j--;
    }
    unchecked(comboIdx[j + 1] = t);
  }
  let added = 0;
  const evalCount = combos < T_COMBOS ? combos : T_COMBOS;
  // repair keeping everyone close to what it chose; only if no combination survives that, down to references
  for (let attempt = 0; attempt < 2 && added == 0; attempt++) {
    for (let e = 0; e < evalCount; e++) {
      const key = unchecked(comboKey[unchecked(comboIdx[e])]);
      copyF(CX, XH, n);
      copyF(CY, YH, n);
      copyF(CF, FH, n);
      for (let a = 0; a < k; a++) {
        if (!inCombo(enumerated, key, a)) continue;
        const c = ldi(SWITCHING, a);
        const size = classSize(c);
        for (let m = 0; m < size; m++) {
          const i = classMember(c, m);
          stf(CX, i, ldf(XL, i)); stf(CY, i, ldf(YL, i)); stf(CF, i, ldf(FL, i));
        }
      }
      trace(1, <f64>key);
      trace(2, unchecked(comboOver[unchecked(comboIdx[e])]));
      if (!repair(CX, CY, CF, attempt == 0 ? REPAIR_ENVY : Infinity)) continue;
      trace(3, welfare(CF));
      handOut(CX, CY, CF);
      const w = welfare(CF);
      trace(4, w);
      poolAdd(CX, CY, CF, price, w, src);
      if (w > roundBestWelfare) { roundBestWelfare = w; roundBestPrice = price; }
      added++;
    }
  }
  return added;
}
