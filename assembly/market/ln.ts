// Natural logarithm from + - * / only, bit-identical to service/market/twin/ln.ts (see there for why).
const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;

export function ln(x: f64): f64 {
  if (!(x > 0)) return x == 0 ? -Infinity : NaN;
  if (x == Infinity) return Infinity;
  let bits = reinterpret<u64>(x);
  let hi = <u32>(bits >>> 32);
  let e = <i32>(hi >>> 20) - 1023;
  if (e == -1023) {
    bits = reinterpret<u64>(x * 18014398509481984.0);
    hi = <u32>(bits >>> 32);
    e = <i32>(hi >>> 20) - 1023 - 54;
  }
  const mbits = (<u64>((hi & 0x000fffff) | 0x3ff00000) << 32) | (bits & 0xffffffff);
  let m = reinterpret<f64>(mbits);
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
  const s = (m - 1) / (m + 1);
  const z = s * s;
  const t = 1 + z * (1.0 / 3 + z * (1.0 / 5 + z * (1.0 / 7 + z * (1.0 / 9 + z * (1.0 / 11 + z * (1.0 / 13 + z * (1.0 / 15 + z * (1.0 / 17 + z * (1.0 / 19 + z * (1.0 / 21))))))))));
  return <f64>e * LN2_HI + (<f64>e * LN2_LO + 2 * s * t);
}
