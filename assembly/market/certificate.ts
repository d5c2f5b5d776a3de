// The certificate of an allocation (twin: service/market/twin/certificate.ts): every app's throughput (into
// OUT_F) and the largest envy over all ordered pairs, with the pair behind it.
import { ldf, stf } from './mem';
import { BOUND, IN_X, IN_Y, N, OUT_F, RESX, RESY, SATF, TOPF, WEIGHT } from './state';
import { SKIP_ROW, clearBounds, perf, rowBounds } from './market';
import { ROW_ARGK, ROW_WORST, rowScan, setCandidate } from './envy';

export let CERT_MAX_ENVY: f64 = 0;
export let CERT_ENVIER: i32 = -1;
export let CERT_ENVIED: i32 = -1;

/** Certify the allocation (X, Y); returns its largest envy (also in CERT_MAX_ENVY). */
export function certifyInto(X: usize, Y: usize): f64 {
  const n = N;
  for (let i = 0; i < n; i++) stf(OUT_F, i, perf(i, ldf(X, i), ldf(Y, i)));
  let worst: f64 = 0;
  let a = -1;
  let b = -1;
  for (let j = 0; j < n; j++) setCandidate(j, j, ldf(X, j), ldf(Y, j));
  for (let i = 0; i < n; i++) {
    const fi = ldf(OUT_F, i);
    rowBounds(i, fi * (1 + worst)); // prunes bundles that cannot make i envy more than `worst`
    if (SKIP_ROW) continue;
    // envy of i toward every other app, in app order (envy.ts; the twin: one envyOf at a time)
    rowScan(i, fi, ldf(X, i), ldf(Y, i), n, i, worst);
    if (ROW_ARGK >= 0) { worst = ROW_WORST; a = i; b = ROW_ARGK; }
  }
  clearBounds();
  CERT_MAX_ENVY = worst;
  CERT_ENVIER = a;
  CERT_ENVIED = b;
  return worst;
}

/**
 * certifyInto() for an equilibrium at prices (p, q), budgets beyond reservations in `budgets`, best-response
 * gap `gap`: the same largest envy and pair, rows that provably cannot raise it skipped (twin: certifyPriced).
 */
export function certifyPriced(X: usize, Y: usize, p: f64, q: f64, budgets: usize, gap: f64): f64 {
  const n = N;
  for (let i = 0; i < n; i++) stf(OUT_F, i, perf(i, ldf(X, i), ldf(Y, i)));
  let costPerWeight: f64 = 0;
  for (let j = 0; j < n; j++) {
    const dx = ldf(X, j) - ldf(RESX, j);
    const dy = ldf(Y, j) - ldf(RESY, j);
    const c = (p * (dx > 0 ? dx : 0) + q * (dy > 0 ? dy : 0)) / ldf(WEIGHT, j);
    if (c > costPerWeight) costPerWeight = c;
  }
  for (let i = 0; i < n; i++) {
    const fi = ldf(OUT_F, i);
    const affordable = costPerWeight * ldf(WEIGHT, i) <= ldf(budgets, i) * (1 + AFFORD_ROUNDING);
    const satiated = fi * (1 + gap) >= ldf(SATF, i) * (1 - SATIATED_ROUNDING);
    stf(BOUND, i, !affordable ? Infinity : satiated ? ldf(TOPF, i) / fi - 1 : gap);
  }
  let worst: f64 = 0;
  let a = -1;
  let b = -1;
  for (let j = 0; j < n; j++) setCandidate(j, j, ldf(X, j), ldf(Y, j));
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < n; i++) {
      const bi = ldf(BOUND, i);
      if ((bi == Infinity) != (pass == 0) || bi <= worst) continue;
      const fi = ldf(OUT_F, i);
      rowBounds(i, fi * (1 + worst));
      if (SKIP_ROW) continue;
      rowScan(i, fi, ldf(X, i), ldf(Y, i), n, i, worst);
      if (ROW_ARGK >= 0) { worst = ROW_WORST; a = i; b = ROW_ARGK; }
    }
  }
  clearBounds();
  CERT_MAX_ENVY = worst;
  CERT_ENVIER = a;
  CERT_ENVIED = b;
  return worst;
}

/** The gap bounds envy in utility, min(f, satiation): an app within this (relative) of its satiation level is
 *  bounded as satiated (by its top throughput, which bounds any bundle), since the best responses count it as
 *  satiated up to rounding while envy is measured in throughput (seen: f 2e-11 under it, envy 0.004 > gap). */
const SATIATED_ROUNDING: f64 = 1e-9;

/** Relative rounding under which a bundle still counts as affordable. */
const AFFORD_ROUNDING: f64 = 1e-12;

export function certify(): void {
  certifyInto(IN_X, IN_Y);
}
