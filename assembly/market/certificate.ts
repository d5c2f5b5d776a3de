// The certificate of an allocation (twin: service/market/twin/certificate.ts): every app's throughput (into
// OUT_F) and the largest envy over all ordered pairs, with the pair behind it.
import { ldf, stf } from './mem';
import { IN_X, IN_Y, N, OUT_F } from './state';
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

export function certify(): void {
  certifyInto(IN_X, IN_Y);
}
