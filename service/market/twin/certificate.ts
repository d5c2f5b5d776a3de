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
