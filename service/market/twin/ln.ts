// Natural logarithm from + - * / only, so the TypeScript twin and the WASM core (assembly/market/ln.ts)
// compute bit-identical welfare: Math.log differs between V8 and AssemblyScript's standard library in the
// last bit now and then, enough to flip a near tie and send the two engines down different paths.
// x = 2^e * m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const view = new DataView(new ArrayBuffer(8));

export function ln(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return Infinity;
  view.setFloat64(0, x);
  let hi = view.getUint32(0);
  let e = (hi >>> 20) - 1023;
  if (e === -1023) {
    // subnormal: scale up by 2^54 first
    view.setFloat64(0, x * 18014398509481984);
    hi = view.getUint32(0);
    e = (hi >>> 20) - 1023 - 54;
  }
  // mantissa scaled into [1, 2)
  view.setUint32(0, (hi & 0x000fffff) | 0x3ff00000);
  let m = view.getFloat64(0);
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
  const s = (m - 1) / (m + 1);
  const z = s * s;
  // atanh series: s (1 + z/3 + z^2/5 + ...), Horner form, enough terms for double precision
  const t = 1 + z * (1 / 3 + z * (1 / 5 + z * (1 / 7 + z * (1 / 9 + z * (1 / 11 + z * (1 / 13 + z * (1 / 15 + z * (1 / 17 + z * (1 / 19 + z * (1 / 21))))))))));
  return e * LN2_HI + (e * LN2_LO + 2 * s * t);
}
