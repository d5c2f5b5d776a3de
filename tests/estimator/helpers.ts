// Oracles and fixtures for the estimator tests: plain LRU simulations (independent of the engine), curve
// comparison, and known performance models.
import { readFileSync } from 'node:fs';
import type { MrcModel } from '../../service/estimator/model.ts';
import { pagesFromMiB } from '../../service/units.ts';

/**
 * Miss ratio of an LRU cache of each size (pages), by simulating the cache: a doubly linked recency list in
 * typed arrays plus a Map from page to list node. O(1) per access.
 */
export function lruCacheSim(trace: ArrayLike<bigint | number>, sizesPages: number[]): number[] {
  const pages = Float64Array.from(trace as ArrayLike<number>, Number); // exact below 2^53, and fast Map keys
  return sizesPages.map((size) => {
    if (size <= 0) return 1;
    const node = new Map<number, number>();
    const key = new Float64Array(size + 1);
    const prev = new Int32Array(size + 1);
    const next = new Int32Array(size + 1);
    prev[0] = next[0] = 0; // node 0 is the sentinel: next[0] = most recent, prev[0] = least recent
    let used = 0;
    let misses = 0;
    const unlink = (n: number): void => { next[prev[n]] = next[n]; prev[next[n]] = prev[n]; };
    const pushFront = (n: number): void => { prev[n] = 0; next[n] = next[0]; prev[next[0]] = n; next[0] = n; };
    for (let i = 0; i < pages.length; i++) {
      const p = pages[i];
      let n = node.get(p);
      if (n !== undefined) {
        unlink(n);
      } else {
        misses++;
        if (used < size) n = ++used;
        else { n = prev[0]; unlink(n); node.delete(key[n]); }
        key[n] = p;
        node.set(p, n);
      }
      pushFront(n);
    }
    return misses / pages.length;
  });
}

/** Miss ratio at every cache size 0..maxPages by Mattson's stack algorithm (move-to-front list). */
export function lruStackSim(trace: ArrayLike<bigint | number>, maxPages: number): number[] {
  const stack: (bigint | number)[] = [];
  const deeper = new Array<number>(maxPages + 2).fill(0); // accesses whose stack depth is d (1-based), or cold at 0
  let cold = 0;
  for (let i = 0; i < trace.length; i++) {
    const p = trace[i];
    const at = stack.indexOf(p);
    if (at < 0) cold++;
    else {
      deeper[Math.min(at + 1, maxPages + 1)]++;
      stack.splice(at, 1);
    }
    stack.unshift(p);
  }
  const out: number[] = [];
  let hits = 0;
  for (let c = 0; c <= maxPages; c++) {
    if (c > 0) hits += deeper[c];
    out.push(c === 0 ? 1 : (trace.length - hits) / trace.length);
  }
  void cold;
  return out;
}

/** Mean absolute difference of two curves' miss ratios at the same points. */
export function curveMae(a: [number, number][], b: [number, number][]): number {
  if (a.length !== b.length) throw new Error(`curves of ${a.length} and ${b.length} points`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i][0] - b[i][0]) > 1e-9) throw new Error(`point ${i}: cacheMB ${a[i][0]} vs ${b[i][0]}`);
    s += Math.abs(a[i][1] - b[i][1]);
  }
  return s / a.length;
}

/** A builder's curve at the reference curve's cache sizes. */
export function curveAt(b: { missRatiosAt(cacheMB: number[]): number[] }, ref: [number, number][]): [number, number][] {
  const m = b.missRatiosAt(ref.map(([mb]) => mb));
  return ref.map(([mb], i) => [mb, m[i]]);
}

export const pagesOf = (cacheMB: number): number => Math.round(pagesFromMiB(cacheMB));

const example = JSON.parse(readFileSync(new URL('../../examples/stream-vs-kvs.json', import.meta.url), 'utf8')) as {
  apps: { id: string; model: MrcModel }[];
};
/** A streaming scan: nothing helps until the working set fits (a cliff near 2 GiB). */
export const SCAN_MODEL: MrcModel = example.apps.find((a) => a.id.startsWith('stream'))!.model;
/** A key-value store with a skewed working set. */
export const KV_MODEL: MrcModel = example.apps.find((a) => a.id.startsWith('kvs'))!.model;
/** A third shape: a smooth curve, 8 KiB pages, a slower remote tier. */
export const MIXED_MODEL: MrcModel = {
  type: 'mrc', pageBytes: 8192, localNs: 250, remoteNs: 9000,
  mrc: [[0, 1], [256, 0.7], [512, 0.5], [1024, 0.3], [2048, 0.12], [3072, 0.05], [4096, 0.02]],
};
