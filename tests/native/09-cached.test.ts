// No work without pressure: a region whose working set fits in its cache, once warm, neither parks nor
// evicts anything (the sampler's own pages aside), and its data stays byte-exact. Under real pressure the
// free-frame reserve still works. Checked with the region's counters over measurement windows of real
// accesses (count-based: no wall-clock assertions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FarRegion, openRegion, type RegionStats } from '../../native/index.ts';
import { MiB, type MemNodeProc, PAGE, rng, sleep, startMemNodeProc, tempDir, waitFor } from './helpers.ts';

const TOKEN = 'cached-region-token';
const WORDS = PAGE / 4;

let node: MemNodeProc;
const tmp = tempDir('spirit-cached-');

beforeAll(async () => {
  node = await startMemNodeProc(['--capacity-mb', '128']);
});
afterAll(async () => {
  await node?.kill();
  tmp.cleanup();
});

/** The region's memory next to a local model of what it must hold. */
interface Checked {
  region: FarRegion;
  mem: Uint32Array;
  model: Uint32Array;
  pages: number;
}

async function open(sizeBytes: number, cacheBytes: number, sampleRate: number): Promise<Checked> {
  const region = await openRegion({ memnode: node.address, sizeBytes, cacheBytes, bandwidthMbps: 20000, token: TOKEN, controlDir: tmp.dir,
    sampleRate, samplePeriodMs: 20 });
  const mem = new Uint32Array(region.buffer);
  const model = new Uint32Array(sizeBytes / 4);
  const pages = sizeBytes / PAGE;
  for (let p = 0; p < pages; p++) {  // every page written once (so every page has data on the memory node)
    mem[p * WORDS] = model[p * WORDS] = p + 1;
  }
  await region.flush();
  return { region, mem, model, pages };
}

/** Random reads (checked against the model) and writes over the first `hotPages` pages; returns mismatches. */
function work(c: Checked, hotPages: number, ops: number, seed: number): number {
  const next = rng(seed);
  let errors = 0;
  for (let i = 0; i < ops; i++) {
    const w = (next() % hotPages) * WORDS + (next() % WORDS);
    if (i % 8 === 0) {
      c.mem[w] = c.model[w] = next();
    } else if (c.mem[w] !== c.model[w]) {
      errors++;
    }
  }
  return errors;
}

/** Every word of the region against the model. */
function mismatches(c: Checked): number {
  let errors = 0;
  for (let w = 0; w < c.model.length; w++) if (c.mem[w] !== c.model[w]) errors++;
  return errors;
}

const grown = (a: RegionStats, b: RegionStats, k: keyof RegionStats): number => (b[k] as number) - (a[k] as number);

/** Works until a stretch of `ops` operations evicts nothing (bounded); returns whether it settled. */
async function settle(c: Checked, hotPages: number, ops: number): Promise<boolean> {
  for (let round = 0; round < 50; round++) {
    const a = c.region.stats();
    expect(work(c, hotPages, ops, 100 + round)).toBe(0);
    const b = c.region.stats();
    if (grown(a, b, 'evictions') === 0 && grown(a, b, 'fetchedPages') === 0) return true;
    await sleep(5);  // let the fault thread's housekeeping run between rounds
  }
  return false;
}

/**
 * The checks of a window without pressure: nothing fetched, evicted or parked except by the sampler, and
 * every fault in it a soft fault on a page the sampler had parked (recorded as a sampled access).
 */
function expectNoWork(a: RegionStats, b: RegionStats): void {
  expect(grown(a, b, 'evictions')).toBe(0);
  expect(grown(a, b, 'reserveEvictions')).toBe(0);
  expect(grown(a, b, 'fetchedPages')).toBe(0);
  expect(grown(a, b, 'writebackPages')).toBe(0);
  expect(grown(a, b, 'parks')).toBe(grown(a, b, 'sampleParks'));
  expect(grown(a, b, 'missingFaults')).toBe(grown(a, b, 'softFaults'));
  expect(grown(a, b, 'softFaults')).toBeLessThanOrEqual(grown(a, b, 'sampleParks'));
  expect(grown(a, b, 'softFaults')).toBe(grown(a, b, 'sampledAccesses'));
  expect(b.residentPages).toBeLessThanOrEqual(b.cachePagesLimit);
}

describe('fully cached regions', () => {
  it('after warm-up, a region as large as its cache faults only on sampled pages and stays byte-exact', async () => {
    const c = await open(8 * MiB, 8 * MiB, 0.02);
    try {
      expect(await settle(c, c.pages, 50_000)).toBe(true);
      const a = c.region.stats();
      let errors = 0;
      // a window spanning many sampling periods (20 ms each)
      const until = Date.now() + 400;
      for (let round = 0; Date.now() < until || round < 4; round++) {
        errors += work(c, c.pages, 100_000, 200 + round);
        await sleep(25);  // the sampler's periods pass meanwhile
      }
      const b = c.region.stats();
      expect(errors).toBe(0);
      expectNoWork(a, b);
      // the sampler did run: its pages were parked and their next touches seen, and nothing else was
      expect(grown(a, b, 'sampleParks')).toBeGreaterThan(0);
      expect(grown(a, b, 'sampledAccesses')).toBeGreaterThan(0);
      expect(b.reserveArmed).toBe(0);
      expect(b.residentPages).toBe(c.pages);
      expect(mismatches(c)).toBe(0);
      // and what it holds is what the memory node gets back: write back, drop the cache, read it all again
      await c.region.flush();
      c.region.setLimits({ cacheBytes: 16 * PAGE });
      expect(await waitFor(() => c.region.stats().residentPages <= 16, 5000)).toBe(true);
      expect(mismatches(c)).toBe(0);
    } finally {
      await c.region.close();
    }
  });

  it('without sampling, a warm fully cached region takes no missing fault at all', async () => {
    const c = await open(4 * MiB, 6 * MiB, 0);
    try {
      expect(await settle(c, c.pages, 20_000)).toBe(true);
      const a = c.region.stats();
      expect(work(c, c.pages, 200_000, 7)).toBe(0);
      await sleep(30);
      expect(work(c, c.pages, 200_000, 8)).toBe(0);
      const b = c.region.stats();
      // first writes to pages the flush made clean are write-protect faults; nothing else faults
      expect(grown(a, b, 'faults')).toBe(grown(a, b, 'wpFaults'));
      expect(grown(a, b, 'missingFaults')).toBe(0);
      expect(grown(a, b, 'parks')).toBe(0);
      expect(grown(a, b, 'evictions')).toBe(0);
      expect(mismatches(c)).toBe(0);
    } finally {
      await c.region.close();
    }
  });
});

describe('working sets at the cache limit', () => {
  it('a hot set a few pages under the cache stops evicting once warm (no oscillation at the boundary)', async () => {
    // 16 MiB written once through a 4 MiB cache (pressure), then random work on 1016 of its 1024 pages'
    // worth: a reserve of free frames would keep evicting hot pages that come straight back
    const c = await open(16 * MiB, 4 * MiB, 0.02);
    try {
      const cachePages = (4 * MiB) / PAGE;
      const hot = cachePages - 8;
      expect(c.region.stats().evictions).toBeGreaterThan(0);
      expect(await settle(c, hot, 50_000)).toBe(true);
      const s = c.region.stats();
      expect(s.refaults).toBeGreaterThan(0);   // the reserve's evictions came straight back ...
      expect(s.reserveArmed).toBe(0);          // ... so it was dropped
      const a = c.region.stats();
      let errors = 0;
      for (let round = 0; round < 6; round++) {
        errors += work(c, hot, 100_000, 300 + round);
        await sleep(25);
      }
      const b = c.region.stats();
      expect(errors).toBe(0);
      expectNoWork(a, b);
      expect(b.reserveArmed).toBe(0);
      expect(mismatches(c)).toBe(0);
    } finally {
      await c.region.close();
    }
  });

  it('under real pressure the reserve still evicts ahead of demand, within the limit and byte-exact', async () => {
    const c = await open(16 * MiB, 1 * MiB, 0.02);
    try {
      const a = c.region.stats();
      expect(work(c, c.pages, 15_000, 9)).toBe(0);
      const b = c.region.stats();
      expect(grown(a, b, 'evictions')).toBeGreaterThan(5000);  // ~94% of 15 000 accesses miss
      expect(grown(a, b, 'reserveEvictions')).toBeGreaterThan(0);
      // uniform over 16x the cache: few misses are on pages evicted moments ago
      expect(grown(a, b, 'refaults') * 4).toBeLessThan(grown(a, b, 'fetchedPages'));
      expect(b.reserveArmed).toBe(1);
      expect(b.residentPeakPages).toBeLessThanOrEqual(b.cachePagesLimit);
      expect(mismatches(c)).toBe(0);
    } finally {
      await c.region.close();
    }
  });
});
