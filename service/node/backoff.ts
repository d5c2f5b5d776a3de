// Bounded exponential back-off: each failure doubles the delay from `minMs` up to `maxMs`, with up to 20%
// random jitter below it so many daemons do not retry in lock-step; a success resets it.
import { assert } from '../errors.ts';

/** Jitter takes off at most this fraction of a delay. */
const JITTER = 0.2;

export class Backoff {
  private failures = 0;

  constructor(readonly minMs: number, readonly maxMs: number, private readonly random: () => number = Math.random) {
    assert(minMs > 0 && Number.isFinite(maxMs) && maxMs >= minMs, `back-off bounds must satisfy 0 < min <= max < Infinity; got ${minMs}, ${maxMs}`);
  }

  /** The delay before the next attempt; counts one more failure. Always within [minMs * (1 - JITTER), maxMs]. */
  next(): number {
    const exp = Math.min(this.failures, 30);  // 2^30 x min is past any max: stop growing the exponent
    this.failures++;
    const base = Math.min(this.maxMs, this.minMs * 2 ** exp);
    const d = base * (1 - JITTER * this.random());
    assert(d > 0 && d <= this.maxMs, 'back-off delay within bounds');
    return d;
  }

  reset(): void {
    this.failures = 0;
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.failures;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
