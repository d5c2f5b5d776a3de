// The certificate of an allocation (IN_X, IN_Y): throughput of every app (OUT_F) and the largest envy over
// all ordered pairs, with the pair behind it.
import { ldf, stf } from './mem';
import { F, IN_X, IN_Y, N, OUT_F } from './state';
import { SKIP_ROW, clearBounds, envyOf, perf, rowBounds } from './market';

export let CERT_MAX_ENVY: f64 = 0;
export let CERT_ENVIER: i32 = -1;
export let CERT_ENVIED: i32 = -1;

export function certify(): void {
  const n = N;
  for (let i = 0; i < n; i++) {
    const f = perf(i, ldf(IN_X, i), ldf(IN_Y, i));
    stf(OUT_F, i, f);
    stf(F, i, f);
  }
  let worst: f64 = 0;
  let a = -1;
  let b = -1;
  for (let i = 0; i < n; i++) {
    const fi = ldf(F, i);
    rowBounds(i, fi * (1 + worst)); // prunes bundles that cannot make i envy more than `worst`
    if (SKIP_ROW) continue;
    const xi = ldf(IN_X, i);
    const yi = ldf(IN_Y, i);
    for (let j = 0; j < n; j++) {
      if (i == j) continue;
      const e = envyOf(i, j, ldf(IN_X, j), ldf(IN_Y, j), fi, xi, yi);
      if (e > worst) { worst = e; a = i; b = j; rowBounds(i, fi * (1 + worst)); }
    }
  }
  clearBounds();
  CERT_MAX_ENVY = worst;
  CERT_ENVIER = a;
  CERT_ENVIED = b;
}
