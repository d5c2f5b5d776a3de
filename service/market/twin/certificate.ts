// The certificate of an allocation (twin of assembly/market/certificate.ts): every app's throughput and the
// largest envy over all ordered pairs, with the pair behind it.
import type { CertificateRaw } from '../engine.ts';
import type { Market } from './market.ts';

export function certify(m: Market, x: Float64Array, y: Float64Array): CertificateRaw {
  const f = new Float64Array(m.n);
  for (let i = 0; i < m.n; i++) f[i] = m.perf(i, x[i], y[i]);
  let maxEnvy = 0;
  let envier = -1;
  let envied = -1;
  for (let i = 0; i < m.n; i++) {
    m.rowBounds(i, f[i] * (1 + maxEnvy)); // prunes bundles that cannot make i envy more than maxEnvy
    if (m.skipRow) continue;
    for (let j = 0; j < m.n; j++) {
      if (i === j) continue;
      const e = m.envyOf(i, j, x[j], y[j], f[i], x[i], y[i]);
      if (e > maxEnvy) { maxEnvy = e; envier = i; envied = j; m.rowBounds(i, f[i] * (1 + maxEnvy)); }
    }
  }
  m.clearBounds();
  return { f, refF: m.refF.slice(), maxEnvy, envier, envied };
}

/**
 * The same certificate for an equilibrium at prices (p, q) with each app's budget beyond its reservation in
 * `budgets` and best-response gap `gap`: exactly the same largest envy and pair, with rows that provably cannot
 * raise it skipped (twin of assembly/market/certificate.ts certifyPriced). If every other app's bundle, scaled
 * by weights and net of reservations, costs at most i's budget, i can afford it, so it gives i at most its
 * best affordable throughput: envy at most `gap`, or, when i is satiated, at most topF / f - 1. Rows that
 * cannot be skipped so are checked first, then the skippable ones whose bound exceeds the largest envy found.
 */
export function certifyPriced(m: Market, x: Float64Array, y: Float64Array, p: number, q: number, budgets: Float64Array, gap: number): CertificateRaw {
  const P = m.p;
  const f = new Float64Array(m.n);
  for (let i = 0; i < m.n; i++) f[i] = m.perf(i, x[i], y[i]);
  // the most any bundle costs per unit of weight (net of its holder's reservation)
  let costPerWeight = 0;
  for (let j = 0; j < m.n; j++) {
    const c = (p * Math.max(0, x[j] - P.resX[j]) + q * Math.max(0, y[j] - P.resY[j])) / P.weights[j];
    if (c > costPerWeight) costPerWeight = c;
  }
  const bound = new Float64Array(m.n);
  for (let i = 0; i < m.n; i++) {
    const affordable = costPerWeight * P.weights[i] <= budgets[i] * (1 + AFFORD_ROUNDING);
    const satiated = f[i] * (1 + gap) >= m.satF[i] * (1 - SATIATED_ROUNDING);
    bound[i] = !affordable ? Infinity : satiated ? m.topF[i] / f[i] - 1 : gap;
  }
  let maxEnvy = 0;
  let envier = -1;
  let envied = -1;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < m.n; i++) {
      if ((bound[i] === Infinity) !== (pass === 0) || bound[i] <= maxEnvy) continue;
      m.rowBounds(i, f[i] * (1 + maxEnvy));
      if (m.skipRow) continue;
      for (let j = 0; j < m.n; j++) {
        if (i === j) continue;
        const e = m.envyOf(i, j, x[j], y[j], f[i], x[i], y[i]);
        if (e > maxEnvy) { maxEnvy = e; envier = i; envied = j; m.rowBounds(i, f[i] * (1 + maxEnvy)); }
      }
    }
  }
  m.clearBounds();
  return { f, refF: m.refF.slice(), maxEnvy, envier, envied };
}

/** Twin of assembly/market/certificate.ts SATIATED_ROUNDING: within it of satiation, bounded as satiated. */
const SATIATED_ROUNDING = 1e-9;
/** Relative rounding under which a bundle still counts as affordable. */
const AFFORD_ROUNDING = 1e-12;
