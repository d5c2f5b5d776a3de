// The certificate of an allocation (twin: service/market/twin/certificate.ts): every app's throughput (into
// OUT_F) and the largest envy over all ordered pairs, with the pair behind it.
import { ldf, stf } from './mem';
import { IN_X, IN_Y, N, OUT_F } from './state';
import { SKIP_ROW, clearBounds, envyOf, perf, rowBounds } from './market';

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
  for (let i = 0; i < n; i++) {
    const fi = ldf(OUT_F, i);
    rowBounds(i, fi * (1 + worst)); // prunes bundles that cannot make i envy more than `worst`
    if (SKIP_ROW) continue;
    const xi = ldf(X, i);
    const yi = ldf(Y, i);
    for (let j = 0; j < n; j++) {
      if (i == j) continue;
      const e = envyOf(i, j, ldf(X, j), ldf(Y, j), fi, xi, yi);
      if (e > worst) { worst = e; a = i; b = j; rowBounds(i, fi * (1 + worst)); }
    }
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
