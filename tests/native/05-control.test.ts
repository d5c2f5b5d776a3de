// The node daemon's view: regions found in the control directory, counters read and limits set through
// shared memory from another process, sampled page accesses drained from the ring, and control blocks of
// dead owners reported stale and removable.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachControl, FarMemoryError, listRegions, openRegion, removeStale } from '../../native/index.ts';
import { InputError } from '../../service/errors.ts';
import { isSampledPage } from '../../service/estimator/hash.ts';
import { MrcBuilder } from '../../service/estimator/mrc.ts';
import { MiB, type MemNodeProc, PAGE, ROOT, sleep, startMemNodeProc, tempDir, waitFor } from './helpers.ts';

let node: MemNodeProc;
const tmp = tempDir('spirit-control-');
const children: ChildProcess[] = [];

beforeAll(async () => {
  node = await startMemNodeProc(['--capacity-mb', '128']);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await node?.kill();
  tmp.cleanup();
});

async function holdRegion(dir: string, label: string, sampleRate: number, pages: number): Promise<{ proc: ChildProcess; controlPath: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/native/fixtures/hold-region.ts'),
    node.address, dir, label, String(sampleRate), String(pages)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  const line = await new Promise<string>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    proc.once('exit', (c) => reject(new Error(`hold-region exited with ${c}`)));
  });
  return { proc, controlPath: JSON.parse(line).controlPath };
}

describe('control blocks (daemon side)', () => {
  it('lists regions of other processes, reads their counters and sets their limits', async () => {
    const dir = tempDir('spirit-ctl-list-');
    try {
      const a = await holdRegion(dir.dir, 'app-a', 0, 100);
      const b = await holdRegion(dir.dir, 'app-b', 0, 10);
      const list = listRegions(dir.dir);
      expect(list.map((r) => r.ok && r.stats.label).sort()).toEqual(['app-a', 'app-b']);
      for (const r of list) {
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        expect(r.stats.state).toBe('running');
        expect(r.stats.stale).toBe(false);
        expect(r.stats.ownerPid).toBe(r.stats.label === 'app-a' ? a.proc.pid : b.proc.pid);
        expect(r.stats.zeroFills).toBe(r.stats.label === 'app-a' ? 100 : 10);
        expect(r.stats.sizeBytes).toBe(8 * MiB);
      }
      const h = attachControl(a.controlPath);
      const before = h.read();
      expect(before.cacheBytes).toBe(1 * MiB);
      expect(before.heartbeatWallMs).toBeGreaterThan(Date.now() - 5000);
      h.setLimits({ cacheBytes: 32 * PAGE, bandwidthMbps: 250 });
      // the owner's fault thread applies it within its poll interval; the 100 touched pages shrink to 32
      expect(await waitFor(() => h.read().cachePagesLimit === 32 && h.read().residentPages <= 32, 3000)).toBe(true);
      expect(h.read().bandwidthMbps).toBe(250);
      expect(h.read().evictions).toBeGreaterThanOrEqual(100 - 32);
      expect(() => h.setLimits({ cacheBytes: 100 })).toThrow(InputError);
      expect(() => h.setLimits({ bandwidthMbps: 0 })).toThrow(/bandwidthMbps/);
      expect(() => h.setLimits({ cacheMB: 4 } as never)).toThrow(/cacheMB.*not a known field/);
      h.close();
      expect(() => h.read()).toThrow(FarMemoryError);
    } finally {
      dir.cleanup();
    }
  });

  it('reports a dead owner\'s block as stale and removes it; lists unreadable files with why', async () => {
    const dir = tempDir('spirit-ctl-stale-');
    try {
      const live = await holdRegion(dir.dir, 'alive', 0, 1);
      const dead = await holdRegion(dir.dir, 'dead', 0, 1);
      const exited = new Promise((r) => dead.proc.once('exit', r));
      dead.proc.kill('SIGKILL');
      await exited;
      writeFileSync(join(dir.dir, 'spirit-999999-0.ctl'), 'not a control block');
      const list = listRegions(dir.dir);
      const byLabel = Object.fromEntries(list.filter((r) => r.ok).map((r) => [r.ok && r.stats.label, r.ok && r.stats.stale]));
      expect(byLabel).toEqual({ alive: false, dead: true });
      const bad = list.find((r) => !r.ok);
      expect(bad && !bad.ok && bad.error).toMatch(/too small|not a spirit control block/);
      expect(removeStale(dir.dir)).toEqual([dead.controlPath]);
      expect(existsSync(dead.controlPath)).toBe(false);
      expect(existsSync(live.controlPath)).toBe(true);
    } finally {
      dir.cleanup();
    }
  });

  it('records sampled accesses: each sampled page at most once per period, again in the next period', async () => {
    const region = await openRegion({ memnode: node.address, sizeBytes: 4 * MiB, cacheBytes: 4 * MiB, bandwidthMbps: 10000,
      token: 'sampling-test-token', controlDir: tmp.dir, sampleRate: 1, samplePeriodMs: 60000 });
    try {
      const mem = new Uint8Array(region.buffer);
      const touch = (pages: number[]) => pages.forEach((p) => (mem[p * PAGE + 7] += 1));
      const pages = [3, 5, 8, 13, 21, 34, 55, 89];
      touch(pages);
      touch(pages);  // same period: not recorded again
      const first = region.drainSamples();
      expect(first.pages).toEqual(pages);
      expect(first.lost).toBe(0);
      // the daemon drains through shared memory too; nothing new yet
      const h = attachControl(region.controlPath);
      expect(h.drainSamples().pages).toEqual([]);
      // a new period takes the sampled pages out of place again: the next touches are recorded
      region.setLimits({ samplePeriodMs: 20 });
      await sleep(100);
      // back to a long period: the tick already due fires, then none comes during the touches below
      region.setLimits({ samplePeriodMs: 60000 });
      await sleep(50);
      touch([89, 3]);
      expect(h.drainSamples().pages).toEqual([89, 3]);
      h.close();
      const s = region.stats();
      expect(s.sampledAccesses).toBe(10);
      expect(s.sampleRate).toBe(1);
    } finally {
      await region.close();
    }
  });

  it('samples about the configured fraction of pages', async () => {
    const region = await openRegion({ memnode: node.address, sizeBytes: 16 * MiB, cacheBytes: 16 * MiB, bandwidthMbps: 10000,
      token: 'sampling-test-token', controlDir: tmp.dir, sampleRate: 0.1, samplePeriodMs: 60000 });
    try {
      const mem = new Uint8Array(region.buffer);
      const pages = (16 * MiB) / PAGE;
      for (let p = 0; p < pages; p++) mem[p * PAGE] = 1;
      const d = region.drainSamples();
      const distinct = new Set(d.pages);
      expect(distinct.size).toBe(d.pages.length);
      // 4096 pages at 10%: the hash sample is binomial, sd ~19 pages
      expect(distinct.size).toBeGreaterThan(pages * 0.1 - 100);
      expect(distinct.size).toBeLessThan(pages * 0.1 + 100);
      expect(d.pages.every((p) => Number.isInteger(p) && p >= 0 && p < pages)).toBe(true);
    } finally {
      await region.close();
    }
  });

  // The service's curve builder re-applies its spatial filter to the pages a daemon sends: a region sampling
  // by any other hash would have its sample cut to rate^2 there and its reuse distances mis-scaled.
  it.each([0.1, 0.0625, 0.013])('samples exactly the pages the service\'s builder keeps at rate %s', async (rate) => {
    const region = await openRegion({ memnode: node.address, sizeBytes: 16 * MiB, cacheBytes: 16 * MiB, bandwidthMbps: 10000,
      token: 'sampling-test-token', controlDir: tmp.dir, sampleRate: rate, samplePeriodMs: 60000 });
    try {
      const mem = new Uint8Array(region.buffer);
      const pages = (16 * MiB) / PAGE;
      for (let p = 0; p < pages; p++) mem[p * PAGE] = 1;
      const got = [...region.drainSamples().pages].sort((a, b) => a - b);
      const sampleRate = region.stats().sampleRate;
      const want = Array.from({ length: pages }, (_, p) => p).filter((p) => isSampledPage(p, sampleRate));
      expect(want.length).toBeGreaterThan(0);
      expect(got).toEqual(want);
      // and the builder, told the rate the record carries, keeps every one of them
      const b = new MrcBuilder({ presampledRate: sampleRate });
      try {
        b.addPages(got);
        expect(b.sampledAccesses).toBe(got.length);
      } finally {
        b.dispose();
      }
    } finally {
      await region.close();
    }
  });
});

describe('telemetry from control-block windows', () => {
  it('turns two snapshots into a TelemetryRecord with traffic, misses and samples', async () => {
    const { telemetryFromWindow, missesBetween, demandMissesBetween } = await import('../../native/index.ts');
    const region = await openRegion({ memnode: node.address, sizeBytes: 8 * MiB, cacheBytes: 1 * MiB, bandwidthMbps: 10000,
      token: 'telemetry-test-token', controlDir: tmp.dir, sampleRate: 0.5 });
    try {
      const h = attachControl(region.controlPath);
      const mem = new Uint8Array(region.buffer);
      const pages = (8 * MiB) / PAGE;
      for (let p = 0; p < pages; p++) mem[p * PAGE] = 1;  // first pass: zero fills, write-backs
      const before = h.read();
      const t0 = Date.now();
      for (let p = 0; p < pages; p++) mem[p * PAGE] += 1;  // second pass: every page is fetched back
      await sleep(20);
      const after = h.read();
      const sampled = h.drainSamples().pages;
      const rec = telemetryFromWindow({ app: 'a1', node: 'n1', before, after, beforeMs: t0, afterMs: Date.now(), throughputOpsPerSec: 123, accesses: pages * 2, sampledPages: sampled });
      expect(rec.app).toBe('a1');
      expect(rec.cacheMB).toBe(1);
      expect(rec.bandwidthMbps).toBe(10000);
      expect(rec.throughputOpsPerSec).toBe(123);
      expect(rec.pageTrafficBytesPerSec).toBeGreaterThan(0);
      // the second pass used every page once and none was in the 1 MiB cache when the pass began (the last
      // 256 pages of the first pass were, but were evicted before the pass came back to them): a miss per
      // page brought in, although readahead brought most of them in before they faulted
      const grown = (k: 'prefetchedPages' | 'writebackRestores' | 'fetchedPages' | 'zeroFills') => after[k] - before[k];
      const misses = missesBetween(before, after);
      const demand = demandMissesBetween(before, after);
      expect(misses).toBe(demand + grown('prefetchedPages') + grown('writebackRestores'));
      expect(misses).toBeGreaterThanOrEqual(pages * 0.95);
      expect(Math.abs(misses - (grown('fetchedPages') + grown('zeroFills') + grown('writebackRestores')))).toBeLessThanOrEqual(pages * 0.02);
      expect(demand).toBeLessThan(misses / 2);
      expect(rec.missRatio).toBeCloseTo(misses / (pages * 2), 9);
      expect(rec.residentBytes).toBeLessThanOrEqual(1 * MiB);
      expect(rec.sampleRate).toBe(0.5);
      expect(sampled.length).toBeGreaterThan(0);
      expect(() => telemetryFromWindow({ app: 'a', node: 'n', before, after, beforeMs: 5, afterMs: 5, throughputOpsPerSec: 1 })).toThrow(InputError);
      h.close();
    } finally {
      await region.close();
    }
  });
});
