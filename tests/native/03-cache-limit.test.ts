// Cache limit: the pages a region keeps locally never exceed its cache limit. Checked two ways while real
// faults, readahead and evictions run: the region's own resident-page gauge, and the kernel's view (Rss of
// the region's mappings in /proc/self/smaps), which may exceed the limit only by the fixed slack of
// out-of-place copies waiting to be released.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FarRegion, nativeLimits, openRegion } from '../../native/index.ts';
import { MiB, type MemNodeProc, PAGE, rng, startMemNodeProc, tempDir, waitFor } from './helpers.ts';

// an odd size, so the region's two mappings (in place, out of place) are easy to find in smaps
const SIZE = 24 * MiB + 12 * PAGE;
const TOKEN = 'cache-limit-token';

let node: MemNodeProc;
const tmp = tempDir('spirit-cache-');

beforeAll(async () => {
  node = await startMemNodeProc(['--capacity-mb', '64']);
});
afterAll(async () => {
  await node?.kill();
  tmp.cleanup();
});

/** Sum of Rss (bytes) of this process's mappings exactly sizeBytes long. */
function rssOfMappings(sizeBytes: number): { rssBytes: number; mappings: number } {
  const lines = readFileSync('/proc/self/smaps', 'utf8').split('\n');
  let rssBytes = 0;
  let mappings = 0;
  let inTarget = false;
  for (const line of lines) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m) {
      inTarget = Number(BigInt('0x' + m[2]) - BigInt('0x' + m[1])) === sizeBytes;
      if (inTarget) mappings++;
    } else if (inTarget && line.startsWith('Rss:')) {
      rssBytes += Number(/(\d+)/.exec(line)![1]) * 1024;
    }
  }
  return { rssBytes, mappings };
}

function touch(region: FarRegion, seed: number, ops: number, check: () => void): void {
  const mem = new Uint32Array(region.buffer);
  const next = rng(seed);
  const pages = SIZE / PAGE;
  let scan = 0;
  for (let i = 0; i < ops; i++) {
    if (i % 3 === 0) {
      scan = (scan + 1) % pages;  // a sequential stream (readahead) interleaved with random accesses
      mem[scan * 1024] += 1;
    } else {
      const p = next() % pages;
      if (next() & 1) mem[p * 1024 + (next() % 1024)] = i;
      else void mem[p * 1024 + (next() % 1024)];
    }
    if (i % 500 === 0) check();
  }
}

describe('cache limit', () => {
  it('resident pages never exceed the limit, also right after it shrinks and grows', async () => {
    const L = nativeLimits();
    const region = await openRegion({ memnode: node.address, sizeBytes: SIZE, cacheBytes: 2 * MiB, bandwidthMbps: 20000, token: TOKEN, controlDir: tmp.dir, sampleRate: 0.05 });
    try {
      expect(rssOfMappings(SIZE).mappings).toBe(2);
      let limitPages = (2 * MiB) / PAGE;
      let checks = 0;
      let worstOver = -Infinity;
      const check = () => {
        const s = region.stats();
        if (s.cachePagesLimit !== limitPages) return;  // a new limit is not applied yet
        const rss = rssOfMappings(SIZE).rssBytes / PAGE;
        worstOver = Math.max(worstOver, s.residentPages - limitPages, s.residentPeakPages - limitPages);
        expect(s.residentPages).toBeLessThanOrEqual(limitPages);
        expect(s.residentPeakPages).toBeLessThanOrEqual(limitPages);
        expect(rss).toBeLessThanOrEqual(limitPages + L.shadowFreeBatchPages);
        expect(s.writebackInflightPages).toBeLessThanOrEqual(L.writebackInflightPagesMax);
        checks++;
      };
      touch(region, 1, 20_000, check);
      for (const mib of [0.5, 4, 1]) {
        limitPages = (mib * MiB) / PAGE;
        region.setLimits({ cacheBytes: mib * MiB });
        // a shrink is applied within the fault thread's poll interval and evicted promptly
        expect(await waitFor(() => {
          const s = region.stats();
          return s.cachePagesLimit === limitPages && s.residentPages <= limitPages;
        }, 5000)).toBe(true);
        touch(region, 2 + mib, 15_000, check);
      }
      const s = region.stats();
      expect(checks).toBeGreaterThan(100);
      expect(worstOver).toBeLessThanOrEqual(0);
      // it did page hard, under every limit
      expect(s.evictions).toBeGreaterThan(10_000);
      expect(s.prefetchedPages).toBeGreaterThan(0);
      expect(s.residentPages).toBeGreaterThan(limitPages / 2);
    } finally {
      await region.close();
    }
    expect(rssOfMappings(SIZE).mappings).toBe(0);
  });
});
