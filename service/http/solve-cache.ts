// Results of POST /v1/solve by request (a solve is a pure function of policy, options and body text), least
// recently used first out, bounded in entries and in bytes.
//
// Why not a digest of the body as the key: SHA-1 of a 3.5 KB scenario cost ~6 us a request, a fifth of
// a cached answer. A body is first looked up by a cheap fingerprint (its length and an FNV-1a hash of at
// most FINGERPRINT_SAMPLES characters spread over it). Every hit is confirmed by comparing the whole
// stored body with the request's, so a shared fingerprint can never return another body's result. When
// the fingerprint's slot holds a different body, the request falls back to a SHA-1 key of its own. Two
// near-identical bodies (say, one weight changed where no sample falls) therefore both stay cached.
import { hash } from 'node:crypto';

/** Characters sampled for the fingerprint: enough to tell typical what-if variants apart, cheap for any size. */
const FINGERPRINT_SAMPLES = 256;

interface Entry { body: string; result: string }

/** 32-bit FNV-1a over evenly spaced characters, plus the length. */
export function fingerprint(text: string): string {
  const n = text.length;
  const step = n <= FINGERPRINT_SAMPLES ? 1 : Math.floor(n / FINGERPRINT_SAMPLES);
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i += step) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (n > 0 ? text.charCodeAt(n - 1) : 0), 0x01000193);
  return `${n}:${(h >>> 0).toString(36)}`;
}

export class SolveCache {
  private readonly map = new Map<string, Entry>();
  private bytes = 0;

  /**
   * @param capacity most entries kept
   * @param maxBytes most characters of body and result text kept over all entries
   */
  constructor(private readonly capacity: number, private readonly maxBytes = Infinity) {}

  /** The cached result of `body` under `scope` (policy and options), if any. */
  get(scope: string, body: string): string | undefined {
    const fast = `${scope}\u0000${fingerprint(body)}`;
    const e = this.map.get(fast);
    if (e !== undefined && e.body === body) return this.touch(fast, e);
    // an empty slot is a miss even if a digest entry of this body outlived the slot's owner: the body then
    // takes the slot, and the stale digest entry ages out
    if (e === undefined) return undefined;
    const slow = digestKey(scope, body);
    const d = this.map.get(slow);
    return d !== undefined && d.body === body ? this.touch(slow, d) : undefined;
  }

  set(scope: string, body: string, result: string): void {
    const fast = `${scope}\u0000${fingerprint(body)}`;
    const e = this.map.get(fast);
    const key = e === undefined || e.body === body ? fast : digestKey(scope, body);
    this.drop(key);
    const size = body.length + result.length;
    if (size > this.maxBytes) return;
    this.map.set(key, { body, result });
    this.bytes += size;
    while (this.map.size > this.capacity || this.bytes > this.maxBytes) this.drop(this.map.keys().next().value as string);
  }

  get size(): number { return this.map.size; }
  /** Characters of body and result text held. */
  get heldBytes(): number { return this.bytes; }

  private touch(key: string, e: Entry): string {
    // Map keeps insertion order: re-inserting makes the entry the newest
    this.map.delete(key);
    this.map.set(key, e);
    return e.result;
  }

  private drop(key: string): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.bytes -= e.body.length + e.result.length;
  }
}

function digestKey(scope: string, body: string): string {
  return `${scope}\u0000#${hash('sha1', body, 'base64')}`;
}
