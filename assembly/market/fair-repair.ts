// Fairness repair (twin: service/market/twin/fair-repair.ts): from an allocation of high welfare that is not
// yet fair, move resources to the worse-off app, each move the smallest that fixes the worst violation (an
// app under its reference, else the largest envy) with the least welfare lost. The envied app gives first;
// if that cannot fix it, the app that loses least by giving. Each class's largest envy is kept up to date
// incrementally, so a step costs O(classes).
import { ldf, ldi, stf, sti } from './mem';
import {
  CLASS, CLASSES, N, REFF, ROW_ARG, ROW_MAX, WEIGHT, XMAX, XMIN, YMAX, YMIN, classMember, classRep, classSize,
} from './state';
import { SKIP_ROW, clearBounds, envyOf, perf, rowBounds } from './market';
import { ROW_ARGK, ROW_WORST, rowScan, setCandidate } from './envy';
import { AMOUNT_STEPS, ENVY_TARGET, FAIR_REPEATS, FAIR_STEPS, REPAIR_ENVY, SI_MARGIN } from './limits';
import { ln } from './ln';

const SI_SLACK: f64 = 1e-12;

// the move being evaluated
let fixOk = false;
let fixFFrom: f64 = 0;
let fixFTo: f64 = 0;
// the best move found by bestMove
let mvR: i32 = -1;
let mvD: f64 = 0;
let mvOk = false;
// violations worked on, and how often
const seenKey = new StaticArray<i32>(FAIR_STEPS);
const seenCount = new StaticArray<i32>(FAIR_STEPS);
let seenLen: i32 = 0;

function fixed(X: usize, Y: usize, from: i32, to: i32, envied: i32, share: f64, siMode: bool, d: f64, onCache: bool): void {
  const xf = onCache ? ldf(X, from) - d : ldf(X, from);
  const yf = onCache ? ldf(Y, from) : ldf(Y, from) - d;
  let xt = ldf(X, to);
  let yt = ldf(Y, to);
  if (onCache) { xt = xt + d * share; const m = ldf(XMAX, to); if (xt > m) xt = m; }
  else { yt = yt + d * share; const m = ldf(YMAX, to); if (yt > m) yt = m; }
  fixFFrom = perf(from, xf, yf);
  fixFTo = perf(to, xt, yt);
  if (siMode) fixOk = fixFTo >= ldf(REFF, to);
  else if (envied == from) fixOk = envyOf(to, envied, xf, yf, fixFTo) <= ENVY_TARGET;
  else fixOk = envyOf(to, envied, ldf(X, envied), ldf(Y, envied), fixFTo) <= ENVY_TARGET;
}

/** The move from `from` to `to` (only one resource when only >= 0: 0 cache, 1 bandwidth) into mvR, mvD, mvOk. */
function bestMove(X: usize, Y: usize, F: usize, from: i32, to: i32, envied: i32, siMode: bool, floor: f64, only: i32): void {
  const giverSize = classSize(ldi(CLASS, from));
  const takerSize = classSize(ldi(CLASS, to));
  const share = <f64>giverSize / <f64>takerSize;
  mvR = -1;
  mvD = 0;
  mvOk = false;
  let bestLoss: f64 = Infinity;
  for (let r = 0; r < 2; r++) {
    if (only >= 0 && only != r) continue;
    const onCache = r == 0;
    const have = onCache ? ldf(X, from) - ldf(XMIN, from) : ldf(Y, from) - ldf(YMIN, from);
    const room = onCache ? (ldf(XMAX, to) - ldf(X, to)) / share : (ldf(YMAX, to) - ldf(Y, to)) / share;
    const roomPos = room > 0 ? room : 0;
    let dMax = have < roomPos ? have : roomPos;
    if (dMax <= 0) continue;
    fixed(X, Y, from, to, envied, share, siMode, dMax, onCache);
    if (fixFFrom < floor) {
      let lo: f64 = 0;
      let hi = dMax;
      for (let k = 0; k < AMOUNT_STEPS; k++) {
        const mid = 0.5 * (lo + hi);
        fixed(X, Y, from, to, envied, share, siMode, mid, onCache);
        if (fixFFrom >= floor) lo = mid; else hi = mid;
      }
      dMax = lo;
    }
    if (dMax <= 0) continue;
    let d = dMax;
    fixed(X, Y, from, to, envied, share, siMode, dMax, onCache);
    const okAtMax = fixOk;
    if (okAtMax) {
      let lo: f64 = 0;
      let hi = dMax;
      for (let k = 0; k < AMOUNT_STEPS; k++) {
        const mid = 0.5 * (lo + hi);
        fixed(X, Y, from, to, envied, share, siMode, mid, onCache);
        if (fixOk) hi = mid; else lo = mid;
      }
      d = hi;
    }
    fixed(X, Y, from, to, envied, share, siMode, d, onCache);
    const loss = ldf(WEIGHT, from) * <f64>giverSize * ln(ldf(F, from) / fixFFrom)
      - ldf(WEIGHT, to) * <f64>takerSize * ln(fixFTo / ldf(F, to));
    if ((okAtMax && !mvOk) || (okAtMax == mvOk && loss < bestLoss)) {
      mvOk = okAtMax; bestLoss = loss; mvR = r; mvD = d;
    }
  }
}

/** The app (outside the classes of `to` and `envied`) that loses least per unit by giving a little; -1 if none. */
function cheapestDonor(X: usize, Y: usize, F: usize, to: i32, envied: i32, onCache: bool): i32 {
  const ct = ldi(CLASS, to);
  const ce = ldi(CLASS, envied);
  const probe = 1.0 / (8.0 * <f64>CLASSES);
  let best = -1;
  let bestRate: f64 = Infinity;
  for (let c = 0; c < CLASSES; c++) {
    const j = classRep(c);
    if (c == ct || c == ce) continue;
    const have = onCache ? ldf(X, j) - ldf(XMIN, j) : ldf(Y, j) - ldf(YMIN, j);
    if (have <= 0) continue;
    const a = have < probe ? have : probe;
    const fa = onCache ? perf(j, ldf(X, j) - a, ldf(Y, j)) : perf(j, ldf(X, j), ldf(Y, j) - a);
    const f1 = ldf(REFF, j) * (1 + SI_MARGIN);
    const f2 = ldf(F, j) / (1 + REPAIR_ENVY);
    if (fa < (f1 > f2 ? f1 : f2)) continue;
    const rate = (ldf(WEIGHT, j) * ln(ldf(F, j) / fa)) / a;
    if (rate < bestRate) { bestRate = rate; best = j; }
  }
  return best;
}

function computeRow(ci: i32, X: usize, Y: usize, F: usize): void {
  const i = classRep(ci);
  let worst: f64 = 0;
  let arg = -1;
  const fi = ldf(F, i);
  rowBounds(i, fi);
  if (!SKIP_ROW) {
    // envy of i toward every other class, in class order (candidates: setCandidate, kept current by the caller)
    rowScan(i, fi, ldf(X, i), ldf(Y, i), CLASSES, ci, 0);
    worst = ROW_WORST;
    arg = ROW_ARGK;
  }
  clearBounds();
  stf(ROW_MAX, ci, worst);
  sti(ROW_ARG, ci, arg);
}

/** Times violation `key` has been worked on, counting this one. */
function bump(key: i32): i32 {
  for (let k = 0; k < seenLen; k++) {
    if (unchecked(seenKey[k]) == key) { const c = unchecked(seenCount[k]) + 1; unchecked(seenCount[k] = c); return c; }
  }
  if (seenLen < FAIR_STEPS) { unchecked(seenKey[seenLen] = key); unchecked(seenCount[seenLen] = 1); seenLen++; }
  return 1;
}

export function fairRepair(X: usize, Y: usize, F: usize): bool {
  const n = N;
  for (let c = 0; c < CLASSES; c++) { const j = classRep(c); setCandidate(c, j, ldf(X, j), ldf(Y, j)); }
  for (let ci = 0; ci < CLASSES; ci++) computeRow(ci, X, Y, F);
  seenLen = 0;
  for (let step = 0; step < FAIR_STEPS; step++) {
    let to = -1;
    let from = -1;
    let worstSi: f64 = 1 - SI_SLACK;
    for (let i = 0; i < n; i++) {
      const r = ldf(F, i) / ldf(REFF, i);
      if (r < worstSi) { worstSi = r; to = i; }
    }
    const siMode = to >= 0;
    if (siMode) {
      let best: f64 = 1;
      const ct = ldi(CLASS, to);
      for (let j = 0; j < n; j++) {
        if (ldi(CLASS, j) == ct) continue;
        const r = ldf(F, j) / ldf(REFF, j);
        if (r > best) { best = r; from = j; }
      }
      if (from < 0) return false;
    } else {
      let worst = ENVY_TARGET;
      for (let ci = 0; ci < CLASSES; ci++) {
        const rm = ldf(ROW_MAX, ci);
        if (rm > worst) { worst = rm; to = classRep(ci); from = classRep(ldi(ROW_ARG, ci)); }
      }
      if (to < 0) return true;
    }
    const envied = from;
    if (bump(to * n + envied) > FAIR_REPEATS) return false;
    bestMove(X, Y, F, from, to, envied, siMode, ldf(REFF, from) * (1 + SI_MARGIN), -1);
    if (!mvOk && !siMode) {
      let r0 = mvR;
      let d0 = mvD;
      let ok0 = mvOk;
      for (let r = 0; r < 2; r++) {
        const onCache = r == 0;
        const donor = cheapestDonor(X, Y, F, to, envied, onCache);
        if (donor < 0) continue;
        const f1 = ldf(REFF, donor) * (1 + SI_MARGIN);
        const f2 = ldf(F, donor) / (1 + REPAIR_ENVY);
        bestMove(X, Y, F, donor, to, envied, siMode, f1 > f2 ? f1 : f2, r);
        if (mvR >= 0 && (mvOk || r0 < 0)) {
          r0 = mvR; d0 = mvD; ok0 = mvOk; from = donor;
          if (mvOk) break;
        }
      }
      mvR = r0; mvD = d0; mvOk = ok0;
    }
    if (mvR < 0) return false;
    const cg = ldi(CLASS, from);
    const ct = ldi(CLASS, to);
    const giverSize = classSize(cg);
    const takerSize = classSize(ct);
    const share = <f64>giverSize / <f64>takerSize;
    const onCache = mvR == 0;
    const d = mvD;
    fixed(X, Y, from, to, envied, share, siMode, d, onCache);
    const fFrom = fixFFrom;
    const fTo = fixFTo;
    for (let k = 0; k < giverSize; k++) {
      const j = classMember(cg, k);
      if (onCache) stf(X, j, ldf(X, j) - d); else stf(Y, j, ldf(Y, j) - d);
      stf(F, j, fFrom);
    }
    for (let k = 0; k < takerSize; k++) {
      const j = classMember(ct, k);
      if (onCache) {
        let v = ldf(X, j) + d * share; const m = ldf(XMAX, j); if (v > m) v = m; stf(X, j, v);
      } else {
        let v = ldf(Y, j) + d * share; const m = ldf(YMAX, j); if (v > m) v = m; stf(Y, j, v);
      }
      stf(F, j, fTo);
    }
    // envy after the move: the two classes' own rows, and every row's view of them
    const rg = classRep(cg);
    const rt = classRep(ct);
    setCandidate(cg, rg, ldf(X, rg), ldf(Y, rg));
    setCandidate(ct, rt, ldf(X, rt), ldf(Y, rt));
    computeRow(cg, X, Y, F);
    computeRow(ct, X, Y, F);
    const c1 = cg < ct ? cg : ct;
    const c2 = cg < ct ? ct : cg;
    for (let ci = 0; ci < CLASSES; ci++) {
      if (ci == cg || ci == ct) continue;
      const arg = ldi(ROW_ARG, ci);
      if (arg == cg || arg == ct) { computeRow(ci, X, Y, F); continue; }
      const i = classRep(ci);
      for (let t = 0; t < 2; t++) {
        const cj = t == 0 ? c1 : c2;
        const j = classRep(cj);
        const e = envyOf(i, j, ldf(X, j), ldf(Y, j), ldf(F, i), ldf(X, i), ldf(Y, i));
        const rm = ldf(ROW_MAX, ci);
        if (e > rm || (e == rm && e > 0 && cj < ldi(ROW_ARG, ci))) { stf(ROW_MAX, ci, e); sti(ROW_ARG, ci, cj); }
      }
    }
  }
  return false;
}
