// Integrity: random reads and writes through a far-memory region ten times larger than its cache, with
// real faults, evictions and write-backs against real memory-node processes; everything reads back
// byte-exact (per-page checksums against a local model), also across limit changes mid-run (the cache, the
// bandwidth, the page split into partitions, by a fixed and by a seeded random schedule) and across the
// death of a replica.
import { afterEach, describe, expect, it } from 'vitest';
import { type FarRegion, openRegion } from '../../native/index.ts';
import { MiB, type MemNodeProc, PAGE, rng, startMemNodeProc, tempDir } from './helpers.ts';

const SIZE = 16 * MiB;
const CACHE = Math.floor(SIZE / PAGE / 10) * PAGE; // whole pages: a tenth of the region
const WORDS_PER_PAGE = PAGE / 4;
const TOKEN = 'integrity-test-token';

const nodes: MemNodeProc[] = [];
const regions: FarRegion[] = [];
const tmp = tempDir('spirit-integrity-');

afterEach(async () => {
  for (const r of regions.splice(0)) await r.close();
  for (const n of nodes.splice(0)) await n.kill();
});

/** FNV-1a over a page's words: a checksum per page of region and model. */
function pageSum(words: Uint32Array, page: number): number {
  let h = 0x811c9dc5;
  const base = page * WORDS_PER_PAGE;
  for (let i = 0; i < WORDS_PER_PAGE; i++) h = Math.imul(h ^ words[base + i], 0x01000193) >>> 0;
  return h;
}

interface RunResult {
  readMismatches: number;
  pageMismatches: number;
  ops: number;
}

/**
 * Random operations: write a run of words, overwrite a whole page, or read words and compare with the
 * model. `at(i)` runs a hook before op i (limit changes, killing a replica).
 */
function runOps(region: FarRegion, model: Uint32Array, seed: number, ops: number, at: (i: number) => void): RunResult {
  const mem = new Uint32Array(region.buffer);
  const next = rng(seed);
  const pages = SIZE / PAGE;
  let readMismatches = 0;
  for (let i = 0; i < ops; i++) {
    at(i);
    const page = next() % pages;
    const kind = next() % 10;
    const base = page * WORDS_PER_PAGE;
    if (kind < 4) {
      const start = next() % WORDS_PER_PAGE;
      const len = 1 + (next() % 64);
      for (let k = 0; k < len && start + k < WORDS_PER_PAGE; k++) {
        const v = next();
        mem[base + start + k] = v;
        model[base + start + k] = v;
      }
    } else if (kind < 5) {
      const v = next();
      mem.fill(v, base, base + WORDS_PER_PAGE);
      model.fill(v, base, base + WORDS_PER_PAGE);
    } else {
      const w = base + (next() % WORDS_PER_PAGE);
      if (mem[w] !== model[w]) readMismatches++;
    }
  }
  let pageMismatches = 0;
  for (let p = 0; p < pages; p++) if (pageSum(mem, p) !== pageSum(model, p)) pageMismatches++;
  return { readMismatches, pageMismatches, ops };
}

async function open(memnodes: string[]): Promise<FarRegion> {
  const r = await openRegion({ memnodes, sizeBytes: SIZE, cacheBytes: CACHE, bandwidthMbps: 20000, token: TOKEN, controlDir: tmp.dir, timeoutMs: 1000 });
  regions.push(r);
  return r;
}

describe('far-memory region integrity', () => {
  it('random reads and writes over a region 10x its cache read back byte-exact', async () => {
    nodes.push(await startMemNodeProc(['--capacity-mb', '64']));
    const region = await open([nodes[0].address]);
    const model = new Uint32Array(SIZE / 4);
    const res = runOps(region, model, 12345, 40_000, () => {});
    const s = region.stats();
    expect(res.readMismatches).toBe(0);
    expect(res.pageMismatches).toBe(0);
    // the run really paged: evictions, write-backs and fetches happened, and the cache held
    expect(s.evictions).toBeGreaterThan(1000);
    expect(s.writebackPages).toBeGreaterThan(1000);
    expect(s.fetchedPages).toBeGreaterThan(1000);
    expect(s.residentPeakPages).toBeLessThanOrEqual(CACHE / PAGE);
    // a flush writes back what is still dirty; a second full check then still matches
    await region.flush();
    expect(region.stats().dirtyPages).toBe(0);
    const mem = new Uint32Array(region.buffer);
    let bad = 0;
    for (let p = 0; p < SIZE / PAGE; p++) if (pageSum(mem, p) !== pageSum(model, p)) bad++;
    expect(bad).toBe(0);
  });

  it('stays byte-exact across cache and bandwidth limit changes mid-run', async () => {
    nodes.push(await startMemNodeProc(['--capacity-mb', '64']));
    const region = await open([nodes[0].address]);
    const model = new Uint32Array(SIZE / 4);
    const changes: Record<number, () => void> = {
      8000: () => region.setLimits({ cacheBytes: Math.floor(CACHE / PAGE / 4) * PAGE }),
      16000: () => region.setLimits({ cacheBytes: CACHE * 2, bandwidthMbps: 5000 }),
      24000: () => region.setLimits({ cacheBytes: 16 * PAGE }),
      32000: () => region.setLimits({ cacheBytes: CACHE, bandwidthMbps: 20000 }),
    };
    const res = runOps(region, model, 777, 40_000, (i) => changes[i]?.());
    expect(res.readMismatches).toBe(0);
    expect(res.pageMismatches).toBe(0);
    const s = region.stats();
    expect(s.limitChanges).toBeGreaterThanOrEqual(5);
    expect(s.cachePagesLimit).toBe(CACHE / PAGE);
  });

  it('stays byte-exact across changes of the page split mid-run (split, moved, resized, unsplit)', async () => {
    nodes.push(await startMemNodeProc(['--capacity-mb', '64']));
    const region = await open([nodes[0].address]);
    const model = new Uint32Array(SIZE / 4);
    const split = (share: number, aPages: number, bPages: number) => () =>
      region.setLimits({ cacheBytes: (aPages + bPages) * PAGE, partitions: [{ accessShare: share, cacheBytes: aPages * PAGE }, { accessShare: 1 - share, cacheBytes: bPages * PAGE }] });
    const changes: Record<number, () => void> = {
      5000: split(0.5, 200, 200),
      10000: split(0.1, 16, 400),        // A shrinks to its floor: most of A evicted, B grows
      15000: split(0.8, 300, 20),        // pages change partition: re-counted, B over its limit
      20000: () => region.setLimits({ cacheBytes: CACHE }),  // unsplit again
      25000: split(0.3, 64, 64),
      30000: split(0.3, 400, 100),       // same share, new sizes
    };
    const res = runOps(region, model, 2468, 40_000, (i) => changes[i]?.());
    expect(res.readMismatches).toBe(0);
    expect(res.pageMismatches).toBe(0);
    const s = region.stats();
    expect(s.partitionMovedPages).toBeGreaterThan(0);
    expect(s.evictions).toBeGreaterThan(1000);
    await region.flush();
    expect(region.stats().dirtyPages).toBe(0);
  });

  it('stays byte-exact while a seeded schedule moves the split\'s share and sizes every few thousand operations', async () => {
    nodes.push(await startMemNodeProc(['--capacity-mb', '64']));
    const region = await open([nodes[0].address]);
    const model = new Uint32Array(SIZE / 4);
    const seed = 1 + (Date.now() % 100_000);  // a different schedule each run, replayable from the log
    const next = rng(seed);
    const pagesMax = (2 * CACHE) / PAGE;
    let at = 0;
    let changes = 0;
    const schedule = (i: number): void => {
      if (i < at) return;
      at = i + 2000 + (next() % 3000);
      changes++;
      if (next() % 5 === 0) return region.setLimits({ cacheBytes: (16 + (next() % pagesMax)) * PAGE });  // now and then unsplit
      const share = (1 + (next() % 65535)) / 65536;  // 16-bit resolution
      const a = next() % pagesMax;
      const b = next() % pagesMax;
      region.setLimits({ cacheBytes: Math.max(16, a + b) * PAGE, partitions: [{ accessShare: share, cacheBytes: a * PAGE }, { accessShare: 1 - share, cacheBytes: b * PAGE }] });
    };
    const res = runOps(region, model, seed, 60_000, schedule);
    expect(res.readMismatches, `seed ${seed}`).toBe(0);
    expect(res.pageMismatches, `seed ${seed}`).toBe(0);
    expect(changes).toBeGreaterThan(10);
    await region.flush();
    const mem = new Uint32Array(region.buffer);
    let bad = 0;
    for (let p = 0; p < SIZE / PAGE; p++) if (pageSum(mem, p) !== pageSum(model, p)) bad++;
    expect(bad, `seed ${seed}`).toBe(0);
  });

  for (const victim of [0, 1]) {
    it(`loses nothing when the ${victim === 0 ? 'primary' : 'secondary'} replica is killed mid-run`, async () => {
      nodes.push(await startMemNodeProc(['--capacity-mb', '64']), await startMemNodeProc(['--capacity-mb', '64']));
      const region = await open([nodes[0].address, nodes[1].address]);
      const lost: string[] = [];
      region.on('replica_lost', (e: { memnode: string }) => lost.push(e.memnode));
      const model = new Uint32Array(SIZE / 4);
      let killed = false;
      const res = runOps(region, model, 4242 + victim, 30_000, (i) => {
        if (i === 15_000) {
          nodes[victim].proc.kill('SIGKILL');
          killed = true;
        }
      });
      expect(killed).toBe(true);
      expect(res.readMismatches).toBe(0);
      expect(res.pageMismatches).toBe(0);
      const s = region.stats();
      expect(s.replicasAlive).toBe(1);
      expect(s.replicasLost).toBe(1);
      expect(region.failure).toBeNull();
      await new Promise((r) => setImmediate(r));
      expect(lost).toEqual([nodes[victim].address]);
    });
  }
});
