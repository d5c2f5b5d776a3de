// Partitions: a region's pages split in two by a hash of the page number, each partition with its own cache
// limit and eviction (docs/dataplane.md, "Partitions"). Real regions on a real memory-node process: the split
// puts exactly round(share x pages) pages in A, independently of the sampler's hash; a scan over W pages in
// W/2 of cache hits on half of them when split at the hull point (and on none unsplit); a fault in one
// partition never evicts the other's pages; the limits hold per partition, also right after live changes of
// the split; bad splits are refused naming the field.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { attachControl, type FarRegion, nativeLimits, openRegion, partitionOfPages, type RegionLimits, type RegionStats } from '../../native/index.ts';
import { InputError } from '../../service/errors.ts';
import { isSampledPage } from '../../service/estimator/hash.ts';
import { MiB, type MemNodeProc, PAGE, rng, startMemNodeProc, tempDir, waitFor } from './helpers.ts';

const TOKEN = 'partitions-test-token';
const WORDS = PAGE / 4;

let node: MemNodeProc;
const tmp = tempDir('spirit-partitions-');
const regions: FarRegion[] = [];

beforeAll(async () => {
  node = await startMemNodeProc(['--capacity-mb', '256']);
});
afterEach(async () => {
  for (const r of regions.splice(0)) await r.close();
});
afterAll(async () => {
  await node?.kill();
  tmp.cleanup();
});

async function open(sizeBytes: number, cacheBytes: number, sampleRate = 0): Promise<FarRegion> {
  const r = await openRegion({ memnode: node.address, sizeBytes, cacheBytes, bandwidthMbps: 400000, token: TOKEN, controlDir: tmp.dir, sampleRate });
  regions.push(r);
  return r;
}

/** Writes every page (so all of them live on the memory node) and flushes. */
async function populate(region: FarRegion): Promise<Uint32Array> {
  const mem = new Uint32Array(region.buffer);
  for (let p = 0; p < region.sizeBytes / PAGE; p++) mem[p * WORDS] = p + 1;
  await region.flush();
  return mem;
}

const pagesIn = (s: RegionStats): number => s.fetchedPages + s.zeroFills + s.writebackRestores;

/** Sets limits and waits until the fault thread applied them and every partition is within its limit. */
async function apply(region: FarRegion, limits: RegionLimits): Promise<RegionStats> {
  const before = region.stats().limitChanges;
  region.setLimits(limits);
  await waitFor(() => region.stats().limitChanges > before, 10_000);
  return settled(region);
}

/** Waits until every partition is within its limit (the eviction after a change is asynchronous). */
async function settled(region: FarRegion): Promise<RegionStats> {
  await waitFor(() => region.stats().loopIterations > 0, 10_000);  // gauges published
  await waitFor(() => {
    const s = region.stats();
    return s.partitionAResidentPages <= s.partitionALimitPages && s.partitionBResidentPages <= s.partitionBLimitPages && s.readsInflight === 0;
  }, 10_000);
  return region.stats();
}

describe('the page split', () => {
  it('puts exactly round(share x pages) pages in partition A, for any share and region size', () => {
    for (const pages of [64, 1000, 8192, 65_537]) {
      for (const share of [0.001, 0.1, 0.25, 0.5, 0.7311, 0.999]) {
        const part = partitionOfPages(pages, share);
        const inA = part.reduce((t, x) => t + (x === 0 ? 1 : 0), 0);
        const want = Math.round(share * pages);
        expect(inA, `pages ${pages}, share ${share}`).toBe(want === 0 || want === pages ? pages : want);
      }
    }
    // nested: a page in A at share r stays in A at any larger share (the threshold only moves up)
    const small = partitionOfPages(8192, 0.3);
    const large = partitionOfPages(8192, 0.6);
    for (let p = 0; p < 8192; p++) if (small[p] === 0) expect(large[p]).toBe(0);
  });

  it('spreads the sampler\'s pages over both partitions in proportion (independent hashes)', () => {
    const pages = 1 << 20;
    const rate = 0.02;
    for (const share of [0.2, 0.5, 0.85]) {
      const part = partitionOfPages(pages, share);
      let sampled = 0;
      let sampledInA = 0;
      for (let p = 0; p < pages; p++) {
        if (!isSampledPage(p, rate)) continue;
        sampled++;
        if (part[p] === 0) sampledInA++;
      }
      const sd = Math.sqrt(share * (1 - share) / sampled);
      expect(sampled).toBeGreaterThan(15_000);
      expect(Math.abs(sampledInA / sampled - share)).toBeLessThan(5 * sd);  // binomial, 5 sigma
    }
  });
});

describe('a split region', () => {
  it('a scan over W pages given W/2 of cache hits on half of them split at the hull point, on none unsplit', async () => {
    const size = 8 * MiB;
    const pages = size / PAGE;
    const figures: Record<string, number> = {};
    for (const split of [false, true]) {
      const region = await open(size, size);
      const mem = await populate(region);
      await apply(region, split
        ? { cacheBytes: size / 2, partitions: [{ accessShare: 0.5, cacheBytes: 0 }, { accessShare: 0.5, cacheBytes: size / 2 }] }
        : { cacheBytes: size / 2 });
      let sum = 0;
      for (let p = 0; p < pages; p++) sum += mem[p * WORDS];  // the first pass fills the partitions
      const a = region.stats();
      for (let pass = 0; pass < 3; pass++) for (let p = 0; p < pages; p++) sum += mem[p * WORDS];
      const b = region.stats();
      figures[split ? 'split' : 'unsplit'] = 1 - (pagesIn(b) - pagesIn(a)) / (3 * pages);
      expect(sum).toBeGreaterThan(0);
      if (split) {
        expect(b.partitions).toBe(2);
        expect(b.partitionAPages).toBe(pages / 2);
        expect(b.partitionBLimitPages).toBe(pages / 2);           // exactly its pages: the loop fits
        expect(b.partitionALimitPages).toBe(nativeLimits().partitionPagesMin);  // the floor (no cache given)
        expect(b.partitionBResidentPages).toBe(pages / 2);
        expect(b.partitionBPagesIn - a.partitionBPagesIn).toBe(0); // every miss is in A
      }
      for (let p = 0; p < pages; p++) expect(mem[p * WORDS]).toBe(p + 1);
      await region.close();
    }
    expect(figures.unsplit).toBeLessThan(0.05);
    expect(figures.split).toBeGreaterThan(0.45);
    expect(figures.split).toBeLessThanOrEqual(0.5);
  });

  it('a partition whose loop overflows its cache by a few pages keeps the rest of it (the loop guard), not none', async () => {
    const size = 8 * MiB;
    const pages = size / PAGE;
    const region = await open(size, size);
    const mem = await populate(region);
    // the cliff top estimated 24 pages low: partition B holds 1000 frames for its 1024 pages
    const bLimit = (pages / 2 - 24) * PAGE;
    await apply(region, { cacheBytes: bLimit, partitions: [{ accessShare: 0.5, cacheBytes: 0 }, { accessShare: 0.5, cacheBytes: bLimit }] });
    let sum = 0;
    const pass = () => { for (let p = 0; p < pages; p++) sum += mem[p * WORDS]; };
    // CLOCK first misses on every page of B; once 64 misses were mostly refaults, the guard holds the loop
    const engaged = await waitFor(() => {
      pass();
      return region.stats().loopGuardEvictions > 0;
    }, 30_000, 0);
    expect(engaged).toBe(true);
    pass();
    const a = region.stats();
    for (let i = 0; i < 3; i++) pass();
    const b = region.stats();
    const hit = 1 - (pagesIn(b) - pagesIn(a)) / (3 * pages);
    expect(hit).toBeGreaterThan(0.45);                                    // (1000 - 1) / 1024 of B's half, not 0
    expect((b.partitionBPagesIn - a.partitionBPagesIn) / 3).toBeLessThan(64);  // B misses only on its overflow
    expect(b.partitionBResidentPages).toBeLessThanOrEqual(b.partitionBLimitPages);
    // the control loop nudges the split every round: a small step keeps the guard engaged (no 64 misses again)
    const nudged = (pages / 2 - 20) * PAGE;
    await apply(region, { cacheBytes: nudged, partitions: [{ accessShare: 0.501, cacheBytes: 0 }, { accessShare: 0.499, cacheBytes: nudged }] });
    const c = region.stats();
    pass();
    const d = region.stats();
    expect(1 - (pagesIn(d) - pagesIn(c)) / pages).toBeGreaterThan(0.4);
    expect(d.loopGuardEvictions).toBeGreaterThan(c.loopGuardEvictions);
    expect(sum).toBeGreaterThan(0);
    for (let p = 0; p < pages; p++) expect(mem[p * WORDS]).toBe(p + 1);
  });

  it('a fault in one partition evicts from that partition only', async () => {
    const size = 8 * MiB;
    const pages = size / PAGE;
    const share = 0.4;
    const part = partitionOfPages(pages, share);
    const inA = [...part.keys()].filter((p) => part[p] === 0);
    const inB = [...part.keys()].filter((p) => part[p] === 1);
    const region = await open(size, size);
    const mem = await populate(region);
    const limitB = inB.length * PAGE;           // B holds all of its pages
    const limitA = 256 * PAGE;                 // A a small part of its pages
    await apply(region, { cacheBytes: limitA + limitB, partitions: [{ accessShare: share, cacheBytes: limitA }, { accessShare: 1 - share, cacheBytes: limitB }] });
    for (const p of inB) mem[p * WORDS] += 0;   // B fully resident
    const a = region.stats();
    expect(a.partitionBResidentPages).toBe(inB.length);
    // thousands of misses in A, random and sequential
    const next = rng(3);
    for (let i = 0; i < 20_000; i++) {
      const p = i % 3 === 0 ? inA[i % inA.length] : inA[next() % inA.length];
      mem[p * WORDS + (i % WORDS)] = i;
    }
    const b = region.stats();
    expect(b.partitionAPagesIn - a.partitionAPagesIn).toBeGreaterThan(5000);
    expect(b.partitionBPagesIn - a.partitionBPagesIn).toBe(0);
    expect(b.partitionBResidentPages).toBe(inB.length);  // nothing of B was evicted for A
    expect(b.partitionAResidentPages).toBeLessThanOrEqual(b.partitionALimitPages);
    // and B's pages are still there, mapped: touching all of them brings nothing in
    for (const p of inB) expect(mem[p * WORDS]).toBe(p + 1);
    expect(pagesIn(region.stats()) - pagesIn(b)).toBe(0);
  });

  it('one partition behaves like no split at all', async () => {
    const size = 4 * MiB;
    const cache = MiB;
    const runs: RegionStats[] = [];
    for (const partitions of [undefined, [{ accessShare: 1, cacheBytes: cache }]]) {
      const region = await open(size, cache);
      const mem = await populate(region);
      await apply(region, { cacheBytes: cache, ...(partitions ? { partitions } : {}) });
      const next = rng(99);
      const a = region.stats();
      for (let i = 0; i < 20_000; i++) {
        const p = i % 2 === 0 ? i % (size / PAGE) : next() % (size / PAGE);
        void mem[p * WORDS];
      }
      const b = region.stats();
      expect(b.partitions).toBe(1);
      expect(b.partitionAPages).toBe(size / PAGE);
      expect(b.partitionALimitPages).toBe(cache / PAGE);
      expect(b.partitionBLimitPages).toBe(0);
      expect(b.partitionBResidentPages).toBe(0);
      expect(b.split).toEqual([{ accessShare: 1, cacheBytes: cache }]);
      runs.push({ ...b, fetchedPages: b.fetchedPages - a.fetchedPages, missingFaults: b.missingFaults - a.missingFaults } as RegionStats);
      await region.close();
    }
    // the same accesses, about the same paging (the reserve's timing moves a few evictions), nothing re-counted
    expect(Math.abs(runs[1].fetchedPages - runs[0].fetchedPages)).toBeLessThan(0.15 * runs[0].fetchedPages);
    expect(runs[0].partitionMovedPages).toBe(0);
    expect(runs[1].partitionMovedPages).toBe(0);
  });

  it('re-counts local pages when the split changes, and each partition evicts down under its new limit', async () => {
    const size = 8 * MiB;
    const pages = size / PAGE;
    const region = await open(size, size);
    const mem = await populate(region);
    for (let p = 0; p < pages; p++) mem[p * WORDS] += 0;  // everything resident, in A (unsplit)
    expect(region.stats().residentPages).toBe(pages);
    const steps: { share: number; a: number; b: number }[] = [
      { share: 0.5, a: pages / 4, b: pages / 4 },
      { share: 0.2, a: pages / 2, b: 64 },
      { share: 0.9, a: 1000, b: 100 },
    ];
    let moved = 0;
    for (const st of steps) {
      const s = await apply(region, { cacheBytes: (st.a + st.b) * PAGE, partitions: [{ accessShare: st.share, cacheBytes: st.a * PAGE }, { accessShare: 1 - st.share, cacheBytes: st.b * PAGE }] });
      expect(s.partitionAPages).toBe(Math.round(st.share * pages));
      expect(s.partitionALimitPages).toBe(st.a);
      expect(s.partitionBLimitPages).toBe(st.b);
      expect(s.partitionAResidentPages).toBeLessThanOrEqual(st.a);
      expect(s.partitionBResidentPages).toBeLessThanOrEqual(st.b);
      expect(s.partitionAResidentPages + s.partitionBResidentPages).toBe(s.residentPages);
      expect(s.partitionMovedPages).toBeGreaterThan(moved);  // pages changed partition and were re-counted
      moved = s.partitionMovedPages;
      for (let p = 0; p < pages; p++) expect(mem[p * WORDS]).toBe(p + 1);
    }
    // a new cache limit without a split: unsplit again, everything counted in A
    const s = await apply(region, { cacheBytes: MiB });
    expect(s.partitions).toBe(1);
    expect(s.partitionBResidentPages).toBe(0);
    expect(s.residentPages).toBeLessThanOrEqual(MiB / PAGE);
    expect(s.split).toEqual([{ accessShare: 1, cacheBytes: MiB }]);
  });

  it('a daemon sets the split through the control block; stats and the block agree', async () => {
    const size = 4 * MiB;
    const region = await open(size, 2 * MiB);
    const h = attachControl(region.controlPath);
    try {
      h.setLimits({ partitions: [{ accessShare: 0.25, cacheBytes: 256 * PAGE }, { accessShare: 0.75, cacheBytes: 256 * PAGE }] });
      await waitFor(() => region.stats().partitions === 2, 5000);
      const s = region.stats();
      expect(s.cacheBytes).toBe(512 * PAGE);  // without cacheBytes the limit is the sizes' sum
      expect(s.split).toEqual([{ accessShare: 0.25, cacheBytes: 256 * PAGE }, { accessShare: 0.75, cacheBytes: 256 * PAGE }]);
      expect(h.read().split).toEqual(s.split);
      expect(s.partitionAPages).toBe(size / PAGE / 4);
      // a bandwidth change alone keeps the split
      h.setLimits({ bandwidthMbps: 1000 });
      await waitFor(() => region.stats().limitChanges >= 3, 5000);
      expect(region.stats().partitions).toBe(2);
      // sizes leaving part of the cache go to the larger partition
      h.setLimits({ cacheBytes: 600 * PAGE, partitions: [{ accessShare: 0.5, cacheBytes: 100 * PAGE }, { accessShare: 0.5, cacheBytes: 300 * PAGE }] });
      await waitFor(() => region.stats().partitionBLimitPages === 500, 5000);
      expect(region.stats().partitionALimitPages).toBe(100);
    } finally {
      h.close();
    }
  });

  it('refuses bad splits, naming the field', async () => {
    const region = await open(4 * MiB, MiB);
    const bad: [unknown, RegExp][] = [
      [[], /setLimits\.partitions: must be an array of 1 or 2/],
      [[{ accessShare: 0.5, cacheBytes: 0 }, { accessShare: 0.25, cacheBytes: 0 }, { accessShare: 0.25, cacheBytes: 0 }], /setLimits\.partitions: must be an array of 1 or 2/],
      [[{ accessShare: 0.5, cacheBytes: 0 }, { accessShare: 0.4, cacheBytes: 0 }], /setLimits\.partitions: the partitions' accessShare must sum to 1; got 0\.9/],
      [[{ accessShare: 1.5, cacheBytes: 0 }], /setLimits\.partitions\[0\]\.accessShare: must be between 0 and 1/],
      [[{ accessShare: 1, cacheBytes: -1 }], /setLimits\.partitions\[0\]\.cacheBytes: must be between 0/],
      [[{ accessShare: 1, cacheBytes: 1.5 }], /setLimits\.partitions\[0\]\.cacheBytes: must be an integer/],
      [[{ accessShare: 1, cacheMB: 4 }], /setLimits\.partitions\[0\]\.cacheMB: is not a known field/],
      [[{ accessShare: 0.5, cacheBytes: MiB }, { accessShare: 0.5, cacheBytes: MiB }], /setLimits\.partitions: the partitions' cacheBytes sum to 2097152, more than cacheBytes \(1048576\)/],
      ['half', /setLimits\.partitions: must be an array/],
    ];
    for (const [partitions, message] of bad) {
      let err: unknown;
      try {
        region.setLimits({ cacheBytes: MiB, partitions } as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(partitions)).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(message);
    }
    expect(() => region.setLimits({ partitions: [{ accessShare: 1, cacheBytes: PAGE }] })).toThrow(/without cacheBytes the cache limit is the partitions' sum, which must be at least/);
    const s = await settled(region);
    expect(s.partitions).toBe(1);  // nothing bad was applied
    expect(s.limitChanges).toBe(1);
  });
});
