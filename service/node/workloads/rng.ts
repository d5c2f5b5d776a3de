// Seeded random numbers for workloads and their tests: the same seed gives the same access sequence on any
// machine, so a run (and a failure) can be replayed. Mulberry32: 32-bit state, fast, good enough for
// choosing keys (not for cryptography).

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** A 32-bit unsigned integer. */
  nextU32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), n <= 2^32. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export interface Permutation {
  forward(k: number): number;
  inverse(v: number): number;
}

/** A bijection of [0, n) that scatters neighbours (so popular keys do not share pages): k -> (a k + b) mod n
 *  with a coprime to n, and its inverse. Products stay below 2^53 for n < 2^23. */
export function affinePermutation(n: number, seed: number): Permutation {
  if (n <= 1) return { forward: () => 0, inverse: () => 0 };
  const rng = new Rng(seed);
  let a = (rng.int(n - 1) + 1) | 1;
  // coprimes are dense (at least 1 in 20 below 2^23), so this ends within a few steps; bounded all the same
  for (let i = 0; i < 4096 && gcd(a, n) !== 1; i++) a = (a % (n - 1)) + 1;
  if (gcd(a, n) !== 1) a = 1;
  a %= n;
  const b = rng.int(n);
  const aInv = modInverse(a, n);
  return {
    forward: (k) => (a * k + b) % n,
    inverse: (v) => (aInv * ((v - b + n) % n)) % n,
  };
}

function gcd(x: number, y: number): number {
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** a^-1 mod n for a coprime to n (extended Euclid; at most ~2 log2 n steps). */
function modInverse(a: number, n: number): number {
  let [r0, r1] = [n, a];
  let [t0, t1] = [0, 1];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return ((t0 % n) + n) % n;
}
