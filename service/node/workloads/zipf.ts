// Zipf-distributed ranks in O(1) memory: rejection-inversion sampling (Hörmann and Derflinger, "Rejection-
// inversion to generate variates from monotone discrete distributions", 1996), the method Apache Commons
// uses. Rank k in [1, n] has probability proportional to k^-s. Works for any s >= 0 (s = 0 is uniform).
import { assert } from '../../errors.ts';
import type { Rng } from './rng.ts';

/** Rejections before the sampler gives up and takes its candidate: the acceptance rate is above 90% for
 *  every n and s, so 64 rejections in a row has probability below 1e-60. */
const MAX_REJECTIONS = 64;

export class ZipfSampler {
  private readonly hX1: number;
  private readonly hN: number;
  private readonly sq: number;

  constructor(readonly n: number, readonly s: number, private readonly rng: Rng) {
    assert(Number.isInteger(n) && n >= 1, `zipf: n must be a positive integer, got ${n}`);
    assert(Number.isFinite(s) && s >= 0, `zipf: s must be >= 0, got ${s}`);
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(n + 0.5);
    this.sq = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** A rank in [0, n): 0 is the most popular. */
  sample(): number {
    let k = 1;
    for (let i = 0; i < MAX_REJECTIONS; i++) {
      const u = this.hN + this.rng.next() * (this.hX1 - this.hN);
      const x = this.hIntegralInverse(u);
      k = Math.min(this.n, Math.max(1, Math.floor(x + 0.5)));
      if (k - x <= this.sq || u >= this.hIntegral(k + 0.5) - this.h(k)) break;
    }
    return k - 1;
  }

  private h(x: number): number {
    return Math.exp(-this.s * Math.log(x));
  }

  private hIntegral(x: number): number {
    const lx = Math.log(x);
    return helper2((1 - this.s) * lx) * lx;
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.s);
    if (t < -1) t = -1;  // rounding at the far end of the range
    return Math.exp(helper1(t) * x);
  }
}

/** log1p(x) / x, accurate near 0. */
function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** expm1(x) / x, accurate near 0. */
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}
