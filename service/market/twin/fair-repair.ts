// Fairness repair: turns an allocation of high welfare that is not yet fair (an app below its reference, or
// envy above the target) into a fair one, by moving resources from the better-off app to the worse-off, each
// move the smallest that fixes the worst violation with the least welfare lost. The largest envy of each
// class is kept up to date after each move (only the two classes that moved, and the rows that looked at
// them, are recomputed), so a step costs O(classes), not O(classes^2).
// Returns true when the result has the sharing incentive and envy within the target.
import { AMOUNT_STEPS, ENVY_TARGET, FAIR_REPEATS, FAIR_STEPS, REPAIR_ENVY, SI_MARGIN } from './limits.ts';
import type { Market } from './market.ts';
import { ln } from './ln.ts';

/** Below the reference by more than this (relative) counts as a violation to repair. */
const SI_SLACK = 1e-12;

export function fairRepair(m: Market, X: Float64Array, Y: Float64Array, F: Float64Array): boolean {
  const p = m.p;
  const n = m.n;
  const C = m.classMembers.length;
  const rowMax = new Float64Array(C);
  const rowArg = new Int32Array(C);
  const computeRow = (ci: number): void => {
    const i = m.classMembers[ci][0];
    let worst = 0;
    let arg = -1;
    m.rowBounds(i, F[i]);
    if (!m.skipRow) {
      for (let cj = 0; cj < C; cj++) {
        if (cj === ci) continue;
        const j = m.classMembers[cj][0];
        const e = m.envyOf(i, j, X[j], Y[j], F[i], X[i], Y[i]);
        if (e > worst) { worst = e; arg = cj; m.rowBounds(i, F[i] * (1 + worst)); }
      }
    }
    m.clearBounds();
    rowMax[ci] = worst;
    rowArg[ci] = arg;
  };
  for (let ci = 0; ci < C; ci++) computeRow(ci);

  // a violation that comes back again and again cannot be fixed by moves (e.g. envy an app's own minimum
  // limits force on it): give up early rather than cycle
  const seen = new Map<number, number>();
  for (let step = 0; step < FAIR_STEPS; step++) {
    // the worst sharing-incentive violation, else the worst envy
    let to = -1;
    let from = -1; // reassigned when a donor gives instead
    let worstSi = 1 - SI_SLACK;
    for (let i = 0; i < n; i++) {
      const r = F[i] / m.refF[i];
      if (r < worstSi) { worstSi = r; to = i; }
    }
    const siMode = to >= 0;
    if (siMode) {
      // donor: the app with the most normalized performance to spare
      let best = 1;
      for (let j = 0; j < n; j++) {
        if (p.classId[j] === p.classId[to]) continue;
        const r = F[j] / m.refF[j];
        if (r > best) { best = r; from = j; }
      }
      if (from < 0) return false;
    } else {
      let worst = ENVY_TARGET;
      for (let ci = 0; ci < C; ci++) {
        if (rowMax[ci] > worst) { worst = rowMax[ci]; to = m.classMembers[ci][0]; from = m.classMembers[rowArg[ci]][0]; }
      }
      if (to < 0) return true;
    }
    // the envied app gives first; if that cannot fix the envy, the app with the most to spare gives
    const envied = from;
    const key = to * m.n + envied;
    const times = (seen.get(key) ?? 0) + 1;
    if (times > FAIR_REPEATS) return false;
    seen.set(key, times);
    let move = bestMove(m, X, Y, F, from, to, envied, siMode, m.refF[from] * (1 + SI_MARGIN));
    if (!move.ok && !siMode) {
      // a donor that loses least by giving (it keeps nearly all it had, so it will hardly envy anyone)
      for (const onCache of [true, false]) {
        const donor = cheapestDonor(m, X, Y, F, to, envied, onCache);
        if (donor < 0) continue;
        const floor = Math.max(m.refF[donor] * (1 + SI_MARGIN), F[donor] / (1 + REPAIR_ENVY));
        const alt = bestMove(m, X, Y, F, donor, to, envied, siMode, floor, onCache);
        if (alt.r >= 0 && (alt.ok || move.r < 0)) { move = alt; from = donor; if (alt.ok) break; }
      }
    }
    if (move.r < 0) return false;
    const cg = m.classIndex[from];
    const ct = m.classIndex[to];
    const giver = m.classMembers[cg];
    const taker = m.classMembers[ct];
    const share = giver.length / taker.length;
    const onCache = move.r === 0;
    const d = move.d;
    const r = fixed(m, X, Y, from, to, envied, share, siMode, d, onCache);
    for (const j of giver) {
      if (onCache) X[j] -= d; else Y[j] -= d;
      F[j] = r.fFrom;
    }
    for (const j of taker) {
      if (onCache) X[j] = Math.min(X[j] + d * share, p.xmax[j]); else Y[j] = Math.min(Y[j] + d * share, p.ymax[j]);
      F[j] = r.fTo;
    }
    // envy after the move: the two classes' own rows, and every row's view of them
    computeRow(cg);
    computeRow(ct);
    for (let ci = 0; ci < C; ci++) {
      if (ci === cg || ci === ct) continue;
      if (rowArg[ci] === cg || rowArg[ci] === ct) { computeRow(ci); continue; }
      const i = m.classMembers[ci][0];
      for (const cj of cg < ct ? [cg, ct] : [ct, cg]) {
        const j = m.classMembers[cj][0];
        const e = m.envyOf(i, j, X[j], Y[j], F[i], X[i], Y[i]);
        if (e > rowMax[ci] || (e === rowMax[ci] && e > 0 && cj < rowArg[ci])) { rowMax[ci] = e; rowArg[ci] = cj; }
      }
    }
  }
  return false;
}

interface Fix { ok: boolean; fFrom: number; fTo: number }

/** Throughput of giver and taker after the giver hands d of a resource to the taker, and whether that fixes it. */
function fixed(m: Market, X: Float64Array, Y: Float64Array, from: number, to: number, envied: number, share: number,
  siMode: boolean, d: number, onCache: boolean): Fix {
  const p = m.p;
  const xf = onCache ? X[from] - d : X[from];
  const yf = onCache ? Y[from] : Y[from] - d;
  const xt = onCache ? Math.min(X[to] + d * share, p.xmax[to]) : X[to];
  const yt = onCache ? Y[to] : Math.min(Y[to] + d * share, p.ymax[to]);
  const fFrom = m.perf(from, xf, yf);
  const fTo = m.perf(to, xt, yt);
  let ok: boolean;
  if (siMode) ok = fTo >= m.refF[to];
  else if (envied === from) ok = m.envyOf(to, envied, xf, yf, fTo) <= ENVY_TARGET;
  else ok = m.envyOf(to, envied, X[envied], Y[envied], fTo) <= ENVY_TARGET;
  return { ok, fFrom, fTo };
}

/** The move (resource r: 0 cache, 1 bandwidth; amount d) from `from` to `to` that fixes the violation with the least welfare lost. */
function bestMove(m: Market, X: Float64Array, Y: Float64Array, F: Float64Array, from: number, to: number, envied: number,
  siMode: boolean, floor: number, only?: boolean): { r: number; d: number; ok: boolean } {
  const p = m.p;
  const giverSize = m.classMembers[m.classIndex[from]].length;
  const takerSize = m.classMembers[m.classIndex[to]].length;
  const share = giverSize / takerSize; // what each taker gets per unit each giver gives
  let bestR = -1;
  let bestD = 0;
  let bestLoss = Infinity;
  let bestOk = false;
  for (const onCache of [true, false]) {
    if (only !== undefined && only !== onCache) continue;
    const have = onCache ? X[from] - p.xmin[from] : Y[from] - p.ymin[from];
    const room = onCache ? (p.xmax[to] - X[to]) / share : (p.ymax[to] - Y[to]) / share;
    // the giver keeps `floor` (at least its own reference throughput)
    let dMax = Math.min(have, Math.max(room, 0));
    if (dMax <= 0) continue;
    if (fixed(m, X, Y, from, to, envied, share, siMode, dMax, onCache).fFrom < floor) {
      let lo = 0;
      let hi = dMax;
      for (let k = 0; k < AMOUNT_STEPS; k++) {
        const mid = 0.5 * (lo + hi);
        if (fixed(m, X, Y, from, to, envied, share, siMode, mid, onCache).fFrom >= floor) lo = mid; else hi = mid;
      }
      dMax = lo;
    }
    if (dMax <= 0) continue;
    let d = dMax;
    const okAtMax = fixed(m, X, Y, from, to, envied, share, siMode, dMax, onCache).ok;
    if (okAtMax) {
      let lo = 0;
      let hi = dMax;
      for (let k = 0; k < AMOUNT_STEPS; k++) {
        const mid = 0.5 * (lo + hi);
        if (fixed(m, X, Y, from, to, envied, share, siMode, mid, onCache).ok) hi = mid; else lo = mid;
      }
      d = hi;
    }
    const r = fixed(m, X, Y, from, to, envied, share, siMode, d, onCache);
    const loss = p.weights[from] * giverSize * ln(F[from] / r.fFrom) - p.weights[to] * takerSize * ln(r.fTo / F[to]);
    // prefer a move that fixes the violation; among those, the least welfare lost
    if ((okAtMax && !bestOk) || (okAtMax === bestOk && loss < bestLoss)) {
      bestOk = okAtMax; bestLoss = loss; bestR = onCache ? 0 : 1; bestD = d;
    }
  }
  return { r: bestR, d: bestD, ok: bestOk };
}

/**
 * The app (outside the classes of `to` and `envied`) that loses least welfare per unit by giving a little of
 * a resource; -1 if nobody can give.
 */
function cheapestDonor(m: Market, X: Float64Array, Y: Float64Array, F: Float64Array, to: number, envied: number,
  onCache: boolean): number {
  const p = m.p;
  const ct = p.classId[to];
  const ce = p.classId[envied];
  const probe = 1 / (8 * m.classMembers.length);
  let best = -1;
  let bestRate = Infinity;
  for (const members of m.classMembers) {
    const j = members[0];
    const c = p.classId[j];
    if (c === ct || c === ce) continue;
    const have = onCache ? X[j] - p.xmin[j] : Y[j] - p.ymin[j];
    if (have <= 0) continue;
    const a = Math.min(have, probe);
    const fa = onCache ? m.perf(j, X[j] - a, Y[j]) : m.perf(j, X[j], Y[j] - a);
    const floor = Math.max(m.refF[j] * (1 + SI_MARGIN), F[j] / (1 + REPAIR_ENVY));
    if (fa < floor) continue;
    const rate = (p.weights[j] * ln(F[j] / fa)) / a;
    if (rate < bestRate) { bestRate = rate; best = j; }
  }
  return best;
}
