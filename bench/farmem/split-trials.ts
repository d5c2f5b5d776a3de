// Trials of `spirit bench farmem` about split regions (docs/dataplane.md, "Partitions"), each run in a fresh
// process by trial.ts:
//   cliff    a scan over W MiB given W/2 MiB of cache, unsplit and split at the hull point of its curve
//            (partition A: half the pages, no cache; B: the other half, W/2 MiB, which it exactly fits):
//            hit ratio (predicted 0 and 0.5) and pages scanned per second
//   convex   a workload archetype (kv, embedding) whose curve is convex, on two regions of the same size and
//            cache, one unsplit and one split as the market splits a cache between two knots of a curve:
//            half the pages in a partition that behaves like the whole at the knot below, half like the
//            whole at the knot above (the estimator's curves have 64 points, so knots are region/64 apart;
//            half-way between two is the largest split the market makes on a convex curve): throughput and
//            miss ratio, in alternating rounds so both see the same machine
import { type FarRegion, openRegion, type RegionLimits, type RegionStats } from '../../native/index.ts';
import { ARCHETYPE_DEFS, newCounters, type Archetype } from '../../service/node/workloads/index.ts';
import { bytesFromMiB, secFromMs } from '../../service/units.ts';

const PAGE = 4096;
const WORDS = PAGE / 4;
const UNLIMITED_MBPS = 400000;
const TOKEN = 'bench-farmem-token';
const SETTLE_TIMEOUT_MS = 30_000;
/** Points of the estimator's miss-ratio curves (AppEstimator's curvePoints default): the market's knots. */
const CURVE_POINTS = 64;

export interface SplitParams {
  memnode: string;
  regionMiB: number;
  cacheMiB?: number;
  passes?: number;
  archetype?: Archetype;
  rounds?: number;
  roundMs?: number;
  seed?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pagesIn = (s: RegionStats): number => s.fetchedPages + s.zeroFills + s.writebackRestores;

/** Sets limits and waits until the fault thread applied them and each partition is under its limit. */
async function apply(region: FarRegion, limits: RegionLimits): Promise<void> {
  const before = region.stats().limitChanges;
  region.setLimits(limits);
  const end = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const s = region.stats();
    if (s.limitChanges > before && s.partitionAResidentPages <= s.partitionALimitPages && s.partitionBResidentPages <= s.partitionBLimitPages) return;
    if (Date.now() > end) throw new Error(`limits not in force after ${SETTLE_TIMEOUT_MS} ms`);
    await sleep(5);
  }
}

/** A split of `cacheBytes` at `share`: partition A holds `aBytes` of it, B the rest. */
const split = (cacheBytes: number, share: number, aBytes: number): RegionLimits =>
  ({ cacheBytes, partitions: [{ accessShare: share, cacheBytes: aBytes }, { accessShare: 1 - share, cacheBytes: cacheBytes - aBytes }] });

export async function cliffTrial(p: SplitParams): Promise<Record<string, unknown>> {
  const size = bytesFromMiB(p.regionMiB);
  const pages = size / PAGE;
  const out: Record<string, unknown> = { regionMiB: p.regionMiB, cacheMiB: p.regionMiB / 2, passes: p.passes };
  for (const mode of ['unsplit', 'split'] as const) {
    const region = await openRegion({ memnode: p.memnode, sizeBytes: size, cacheBytes: size, bandwidthMbps: UNLIMITED_MBPS, token: TOKEN });
    try {
      const mem = new Uint32Array(region.buffer);
      for (let q = 0; q < pages; q++) mem[q * WORDS] = q + 1;
      await region.flush();
      // the hull of a scan's curve runs straight from (0, 1) to (W, 0): at W/2, half the pages in a partition
      // of no cache (misses all) and half in one of W/2 (holds all of its pages)
      await apply(region, mode === 'split' ? split(size / 2, 0.5, 0) : { cacheBytes: size / 2 });
      let sum = 0;
      for (let q = 0; q < pages; q++) sum += mem[q * WORDS];  // one pass to fill the cache
      const a = region.stats();
      const t0 = performance.now();
      for (let pass = 0; pass < p.passes!; pass++) for (let q = 0; q < pages; q++) sum += mem[q * WORDS];
      const ms = performance.now() - t0;
      const b = region.stats();
      let errors = 0;
      for (let q = 0; q < pages; q++) if (mem[q * WORDS] !== q + 1) errors++;
      const accesses = p.passes! * pages;
      out[mode] = {
        hitRatio: 1 - (pagesIn(b) - pagesIn(a)) / accesses, pagesPerSec: accesses / secFromMs(ms), errors, sum,
        partitionAPages: b.partitionAPages, limitPages: [b.partitionALimitPages, b.partitionBLimitPages],
        residentPages: [b.partitionAResidentPages, b.partitionBResidentPages],
        pagesIn: [b.partitionAPagesIn - a.partitionAPagesIn, b.partitionBPagesIn - a.partitionBPagesIn], fetchRequests: b.fetchRequests - a.fetchRequests,
      };
    } finally {
      await region.close();
    }
  }
  return out;
}

const defaults = (a: Archetype): Record<string, number> => Object.fromEntries(Object.entries(ARCHETYPE_DEFS[a].params).map(([k, v]) => [k, v.default]));

export async function convexTrial(p: SplitParams): Promise<Record<string, unknown>> {
  const size = bytesFromMiB(p.regionMiB);
  const cache = Math.floor(bytesFromMiB(p.cacheMiB!) / PAGE) * PAGE;
  const knotBytes = size / CURVE_POINTS;
  const lower = Math.floor((cache - knotBytes / 2) / 2 / PAGE) * PAGE;  // partition A: share 0.5 of the knot below
  const a = p.archetype!;
  const regions: Record<'unsplit' | 'split', FarRegion> = {
    unsplit: await openRegion({ memnode: p.memnode, sizeBytes: size, cacheBytes: size, bandwidthMbps: UNLIMITED_MBPS, token: TOKEN }),
    split: await openRegion({ memnode: p.memnode, sizeBytes: size, cacheBytes: size, bandwidthMbps: UNLIMITED_MBPS, token: TOKEN }),
  };
  try {
    const work = {
      unsplit: ARCHETYPE_DEFS[a].create(regions.unsplit.buffer, defaults(a), p.seed ?? 1),
      split: ARCHETYPE_DEFS[a].create(regions.split.buffer, defaults(a), p.seed ?? 1),
    };
    for (const m of ['unsplit', 'split'] as const) {
      while (!work[m].init(4096));
      await regions[m].flush();
    }
    await apply(regions.unsplit, { cacheBytes: cache });
    await apply(regions.split, split(cache, 0.5, lower));
    const perCall = Math.max(1, Math.round(64 / work.unsplit.accessesPerOp));
    const runFor = (m: 'unsplit' | 'split', ms: number) => {
      const c = newCounters();
      const s0 = regions[m].stats();
      const t0 = performance.now();
      while (performance.now() - t0 < ms) work[m].run(perCall, c);
      const el = performance.now() - t0;
      const s1 = regions[m].stats();
      const misses = pagesIn(s1) - pagesIn(s0);
      return { rate: c.accesses / secFromMs(el), missRatio: c.accesses > 0 ? misses / c.accesses : 0, errors: c.errors, accesses: c.accesses, ms: el, pagesIn: misses };
    };
    const warmMs = Math.min(1000, (p.rounds! * p.roundMs!) / 2);
    for (const m of ['unsplit', 'split'] as const) runFor(m, warmMs);  // warm: the caches fill
    // short slices, alternating, so both see the same machine: on a busy 2-core VM the CPU this process gets
    // moves by factors within a second
    const rates = { unsplit: [] as number[], split: [] as number[] };
    const miss = { unsplit: [] as number[], split: [] as number[] };
    const totals = { unsplit: { accesses: 0, ms: 0, pagesIn: 0 }, split: { accesses: 0, ms: 0, pagesIn: 0 } };
    let errors = 0;
    for (let r = 0; r < p.rounds!; r++) {
      const order = r % 2 === 0 ? (['unsplit', 'split'] as const) : (['split', 'unsplit'] as const);
      for (const m of order) {
        const x = runFor(m, p.roundMs!);
        rates[m].push(x.rate);
        miss[m].push(x.missRatio);
        totals[m].accesses += x.accesses;
        totals[m].ms += x.ms;
        totals[m].pagesIn += x.pagesIn;
        errors += x.errors;
      }
    }
    const s = regions.split.stats();
    return {
      archetype: a, regionMiB: p.regionMiB, cacheMiB: p.cacheMiB, rounds: p.rounds, roundMs: p.roundMs, rates, missRatios: miss, totals, errors,
      split: { partitionAPages: s.partitionAPages, limitPages: [s.partitionALimitPages, s.partitionBLimitPages] },
    };
  } finally {
    await regions.unsplit.close();
    await regions.split.close();
  }
}
