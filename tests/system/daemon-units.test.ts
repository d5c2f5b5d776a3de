// Unit tests of the node daemon's pieces: workload specs and flags (bad input named precisely), back-off
// bounds, telemetry windows (record fields, stall per miss), allocation to region limits, the pending
// telemetry queue, and the archetypes' access patterns on plain memory.
import { describe, expect, it } from 'vitest';
import type { RegionStats } from '../../native/index.ts';
import { InputError } from '../../service/errors.ts';
import { Backoff, sleep } from '../../service/node/backoff.ts';
import { parseCgroupApp } from '../../service/node/cgroup-apps.ts';
import { initialBundles, limitsOfBundle, planAllocation, type RegionBounds } from '../../service/node/enforce.ts';
import { defaultNodeId, type NodeFlags, parseNodeFlags } from '../../service/node/run.ts';
import type { WorkloadSnapshot } from '../../service/node/supervisor.ts';
import { SampleCarry } from '../../service/node/sample-carry.ts';
import { TelemetryQueue } from '../../service/node/telemetry-queue.ts';
import { missStallNs, missTokenWaitNs, recordOfWindow, waitedShare, windowSkip } from '../../service/node/window.ts';
import { checkUniqueIds, parseWorkloadSpec, sampleRateFor } from '../../service/node/workload-spec.ts';
import { ARCHETYPE_DEFS, newCounters } from '../../service/node/workloads/index.ts';
import { affinePermutation, Rng } from '../../service/node/workloads/rng.ts';
import { ZipfSampler } from '../../service/node/workloads/zipf.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';
import { isSampledPage } from '../../service/estimator/hash.ts';
import { MrcBuilder } from '../../service/estimator/mrc.ts';
import { mibFromPages } from '../../service/units.ts';

const badInput = (f: () => unknown): InputError => {
  try {
    f();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
};

describe('--workload specs', () => {
  it('fills defaults and reads every kind of key', () => {
    const s = parseWorkloadSpec('kv:id=cache-1,size-mb=64,skew=1.2,weight=2,max-cache-mb=40,sample-rate=0.05', 3, 'n1');
    expect(s).toMatchObject({ id: 'cache-1', archetype: 'kv', sizeMB: 64, weight: 2, limits: { maxCacheMB: 40 }, sampleRate: 0.05 });
    expect(s.params).toEqual({ 'value-bytes': 512, skew: 1.2, 'write-ratio': 0.05 });
    const d = parseWorkloadSpec(' stream ', 0, 'n1');
    expect(d).toMatchObject({ id: 'n1-stream-0', archetype: 'stream', sizeMB: ARCHETYPE_DEFS.stream.sizeMBDefault, weight: 1, seed: 1 });
    expect(d.limits).toBeUndefined();
    expect(parseWorkloadSpec('micro:', 1, 'n1').params['hot-prob']).toBe(0.95);
  });

  it('names the flag, position and key of bad specs', () => {
    expect(badInput(() => parseWorkloadSpec('redis:size-mb=4', 2, 'n')).message).toMatch(/^--workload\[2\]: 'redis' is not an archetype; expected one of stream, kv, embedding, micro/);
    expect(badInput(() => parseWorkloadSpec('kv:zipf=1', 0, 'n')).message).toMatch(/^--workload\[0\]\.zipf: is not a key of a kv workload/);
    expect(badInput(() => parseWorkloadSpec('kv:skew=lots', 0, 'n')).message).toMatch(/^--workload\[0\]\.skew: 'lots' is not a number/);
    expect(badInput(() => parseWorkloadSpec('kv:value-bytes=100', 0, 'n')).message).toMatch(/value-bytes: must be a power of two; got 100/);
    expect(badInput(() => parseWorkloadSpec('stream:size-mb=0', 0, 'n')).message).toMatch(/size-mb: must be between 1 and 16384; got 0/);
    expect(badInput(() => parseWorkloadSpec('stream:size-mb=1.5', 0, 'n')).message).toMatch(/size-mb: must be a whole number/);
    expect(badInput(() => parseWorkloadSpec('stream:size-mb=4,size-mb=5', 0, 'n')).message).toMatch(/size-mb: is given twice/);
    expect(badInput(() => parseWorkloadSpec('stream:size-mb', 0, 'n')).message).toMatch(/'size-mb' is not key=value/);
    expect(badInput(() => parseWorkloadSpec('stream:id=has space', 0, 'n')).message).toMatch(/\.id: 'has space' is not a valid app id/);
    expect(badInput(() => parseWorkloadSpec('kv:size-mb=16384,value-bytes=64', 0, 'n')).message).toMatch(/more than 67108864 keys/);
    expect(() => checkUniqueIds([{ id: 'a' }, { id: 'b' }, { id: 'a' }], 'apps')).toThrow(/apps\[2\]\.id: app id 'a' is used twice/);
  });

  it('samples about the target number of pages, within bounds', () => {
    const s = parseWorkloadSpec('stream:size-mb=32', 0, 'n');
    expect(sampleRateFor(s, 8192, 256)).toBeCloseTo(256 / 8192, 12);
    expect(sampleRateFor(s, 100, 256)).toBe(0.1);
    expect(sampleRateFor(s, 1e9, 256)).toBe(0.001);
    expect(sampleRateFor({ ...s, sampleRate: 0.5 }, 8192, 256)).toBe(0.5);
  });
});

describe('flags of spirit node', () => {
  const flags = (f: Partial<NodeFlags>): NodeFlags => ({ memnode: ['127.0.0.1:7070'], workload: ['kv'], cgroupApp: [], logLevel: 'info', service: 'http://127.0.0.1:8080', ...f });

  it('accepts a complete set and fills defaults', () => {
    const o = parseNodeFlags(flags({ node: 'n9', cacheMb: '64', intervalMs: '500', workload: ['kv', 'stream:id=s'] }), {});
    expect(o).toMatchObject({ node: 'n9', capacity: { cacheMB: 64, bandwidthMbps: 1000 }, intervalMs: 500, memnodes: ['127.0.0.1:7070'], service: 'http://127.0.0.1:8080' });
    expect(o.workloads.map((w) => w.id)).toEqual(['n9-kv-0', 's']);
    expect(o.memnodeToken.length).toBeGreaterThanOrEqual(8);
    expect(parseNodeFlags(flags({ service: undefined }), { SPIRIT_SERVICE: 'http://h:1' }).service).toBe('http://h:1');
    expect(defaultNodeId('my host/01')).toBe('my-host-01');
  });

  it('names the flag of every bad value', () => {
    const cases: [Partial<NodeFlags>, RegExp][] = [
      [{ service: undefined }, /^--service: is required/],
      [{ service: 'not a url' }, /^--service: 'not a url' is not a URL/],
      [{ service: 'ftp://x' }, /^--service: must be an http/],
      [{ redis: 'http://x' }, /^--redis: 'http:\/\/x' is not a redis/],
      [{ node: 'a b' }, /^--node: 'a b' is not a valid node id/],
      [{ cacheMb: '-1' }, /^--cache-mb: must be between 1 and/],
      [{ bandwidthMbps: 'fast' }, /^--bandwidth-mbps: 'fast' is not a number/],
      [{ intervalMs: '10' }, /^--interval-ms: must be between 100 and 600000; got 10/],
      [{ workload: [] }, /^--workload: the node runs no apps/],
      [{ memnode: [] }, /^--memnode: workloads need at least one memory node/],
      [{ memnode: ['nohost'] }, /^--memnode\[0\]: 'nohost' is not HOST:PORT/],
      [{ memnode: ['a:1', 'a:1'] }, /^--memnode: each memory node may be given once/],
      [{ workload: ['kv:id=x', 'stream:id=x'] }, /^apps\[1\]\.id: app id 'x' is used twice/],
      [{ controlDir: '/nonexistent/dir' }, /^--control-dir: \/nonexistent\/dir is not a directory/],
      [{ memnodeToken: 'short' }, /^--memnode-token: must be 8 to 256/],
      [{ swapDevice: 'sda' }, /^--swap-device: must be MAJ:MIN/],
      [{ workloadCpu: '0' }, /^--workload-cpu: must be a number of cores >= 0.01/],
      [{ workloadCpu: 'half' }, /^--workload-cpu: must be a number of cores .* or 'off', got 'half'/],
      [{ cgroupApp: ['db'] }, /^--cgroup-app\[0\]: 'db' is not ID=GROUP/],
    ];
    for (const [f, re] of cases) expect(badInput(() => parseNodeFlags(flags(f), {})).message).toMatch(re);
  });

  it('parses cgroup apps and refuses paths that leave the root', () => {
    expect(parseCgroupApp('db=spirit/db:2', 0)).toEqual({ id: 'db', group: 'spirit/db', weight: 2 });
    expect(parseCgroupApp('web=web', 1)).toEqual({ id: 'web', group: 'web', weight: 1 });
    expect(badInput(() => parseCgroupApp('db=../etc', 0)).message).toMatch(/group: '..\/etc' must be a path relative/);
    expect(badInput(() => parseCgroupApp('db=/abs', 0)).message).toMatch(/group/);
    expect(badInput(() => parseCgroupApp('db=g:-1', 3)).message).toMatch(/^--cgroup-app\[3\]\.weight: '-1' is not a positive number/);
  });
});

describe('back-off', () => {
  it('doubles from the minimum, never exceeds the maximum, jitters below, resets', () => {
    let r = 0;
    const b = new Backoff(100, 1000, () => r);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.attempts).toBe(6);
    for (let i = 0; i < 100; i++) b.next();  // the exponent stops growing; still bounded
    r = 0.999;
    const d = b.next();
    expect(d).toBeLessThanOrEqual(1000);
    expect(d).toBeGreaterThanOrEqual(800);
    b.reset();
    r = 0;
    expect(b.next()).toBe(100);
    expect(() => new Backoff(0, 10)).toThrow(/back-off bounds/);
    expect(() => new Backoff(10, Infinity)).toThrow(/back-off bounds/);
  });

  it('sleep ends early when aborted', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await p;
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});

// -- telemetry windows --------------------------------------------------------------------------------------

function stats(p: Partial<RegionStats> & { hist?: number[] } = {}): RegionStats {
  const hist = p.hist ?? new Array(40).fill(0);
  const zero = Object.fromEntries(['faults', 'missingFaults', 'wpFaults', 'softFaults', 'fetchedPages', 'fetchRequests', 'prefetchedPages', 'zeroFills',
    'writebackPages', 'writebackRequests', 'evictions', 'parks', 'bytesIn', 'bytesOut', 'admittedBytes', 'throttledNs', 'residentPages', 'residentPeakPages',
    'dirtyPages', 'writebackInflightPages', 'readsInflight', 'sampledAccesses', 'reconnects', 'replicasLost', 'replicasAlive', 'requestTimeouts',
    'eventsDropped', 'failedFaults', 'limitChanges', 'cachePagesLimit', 'loopIterations'].map((k) => [k, 0]));
  const { hist: _h, ...rest } = p;
  return {
    ...(zero as unknown as RegionStats), state: 'running', failReason: 'none', ownerPid: 1, sizeBytes: 1 << 24, pageBytes: 4096, residentBytes: 0,
    cacheBytes: 8 << 20, bandwidthMbps: 500, sampleRate: 0.01, samplePeriodMs: 100, label: 'a', controlPath: '/dev/shm/spirit-1-0.ctl',
    heartbeatWallMs: 0, createdWallMs: 0, sampleRingDropped: 0, faultLatency: { count: hist.reduce((a, b) => a + b, 0), p50Ns: 0, p99Ns: 0, hist },
    softFaultLatency: { count: 0, p50Ns: 0, p99Ns: 0, hist: new Array(40).fill(0) }, split: [{ accessShare: 1, cacheBytes: 8 << 20 }],
    fetchStageNs: { planNs: 0, roundTripNs: 0, installNs: 0 }, ...rest,
  };
}

function snap(s: RegionStats, p: Partial<WorkloadSnapshot> = {}): WorkloadSnapshot {
  return { generation: 1, phase: 'run', ops: 0, accesses: 0, errors: 0, atMs: 1_000_000, stats: s, sampledPages: [], samplesLost: 0, ...p };
}

const histWith = (entries: [number, number][]): number[] => {
  const h = new Array(40).fill(0);
  for (const [i, n] of entries) h[i] = n;
  return h;
};

describe('telemetry windows', () => {
  it('builds a record of measured throughput, misses, traffic, residency and samples', () => {
    const a = snap(stats({ missingFaults: 100, softFaults: 10, bytesIn: 1000, bytesOut: 0 }), { accesses: 5000, atMs: 10_000 });
    const b = snap(stats({
      missingFaults: 400, softFaults: 60, bytesIn: 1000 + 4096 * 250, bytesOut: 4096 * 50, residentPages: 2000, residentBytes: 2000 * 4096,
      cacheBytes: 8 << 20, bandwidthMbps: 500, sampleRate: 0.01, hist: histWith([[16, 250]]),
    }), { accesses: 7000, atMs: 12_000, sampledPages: [5, 9, 5] });
    expect(windowSkip(a, b)).toBeNull();
    const r: TelemetryRecord = recordOfWindow('kv', 'n1', a, b);
    expect(r).toMatchObject({ app: 'kv', node: 'n1', timeMs: 12_000, cacheMB: 8, bandwidthMbps: 500, residentBytes: 2000 * 4096, sampledPages: [5, 9, 5], sampleRate: 0.01 });
    expect(r.throughputOpsPerSec).toBeCloseTo(2000 / 2, 9);                // accesses per second over the 2 s window
    expect(r.missRatio).toBeCloseTo((300 - 50) / 2000, 9);                 // (missing - soft) faults per access
    expect(r.pageTrafficBytesPerSec).toBeCloseTo(4096 * 300 / 2, 9);
    expect(r.missStallNs).toBeGreaterThanOrEqual(2 ** 16);                 // the median of faults in [2^16, 2^17) ns
    expect(r.missStallNs).toBeLessThan(2 ** 17);
    expect(r.missTokenWaitNs).toBe(0);                                      // nothing was throttled
  });

  it('makes no record across a restart, during init, or across a limit change', () => {
    const s = stats();
    expect(windowSkip(snap(s), snap(s, { generation: 2, atMs: 2_000_000 }))).toBe('restarted');
    expect(windowSkip(snap(s, { phase: 'init' }), snap(s, { atMs: 2_000_000 }))).toBe('initializing');
    expect(windowSkip(snap(s), snap(stats({ cacheBytes: 4 << 20 }), { atMs: 2_000_000 }))).toBe('limits_changed');
    expect(windowSkip(snap(s), snap(stats({ bandwidthMbps: 100 }), { atMs: 2_000_000 }))).toBe('limits_changed');
    // the same cache split differently is another allocation too
    const split = stats({ split: [{ accessShare: 0.5, cacheBytes: 0 }, { accessShare: 0.5, cacheBytes: 8 << 20 }] });
    expect(windowSkip(snap(s), snap(split, { atMs: 2_000_000 }))).toBe('limits_changed');
    const moved = stats({ split: [{ accessShare: 0.4, cacheBytes: 0 }, { accessShare: 0.6, cacheBytes: 8 << 20 }] });
    expect(windowSkip(snap(split), snap(moved, { atMs: 2_000_000 }))).toBe('limits_changed');
    expect(windowSkip(snap(split), snap(split, { atMs: 2_000_000 }))).toBeNull();
    expect(windowSkip(snap(s), snap(s))).toBe('no_time');
  });

  it('takes the stall per miss from the window\'s fault latencies, without token waits', () => {
    const before = stats({ hist: histWith([[14, 1000]]), throttledNs: 5e9 });
    // unthrottled window: the median of the window's own faults (the earlier 2^14 ns ones do not count)
    const quiet = stats({ hist: histWith([[14, 1000], [17, 100], [20, 1]]), throttledNs: 5e9 });
    const m = missStallNs(before, quiet)!;
    expect(m).toBeGreaterThanOrEqual(2 ** 17);
    expect(m).toBeLessThan(2 ** 18);
    // throttled window: mean latency (bucket midpoints) less the token wait spread over the misses
    const waitNs = 100 * 2 ** 17;
    const throttled = stats({ hist: histWith([[14, 1000], [18, 100]]), throttledNs: 5e9 + waitNs });
    expect(missStallNs(before, throttled)).toBeCloseTo(1.5 * 2 ** 18 - waitNs / 100, 6);
    expect(missTokenWaitNs(before, throttled)).toBeCloseTo(waitNs / 100, 6);  // stall + wait = the whole wait per miss
    const rec = recordOfWindow('a', 'n', snap(before, { atMs: 1000 }), snap(throttled, { atMs: 2000, accesses: 10 }));
    expect(rec.missStallNs! + rec.missTokenWaitNs!).toBeCloseTo(1.5 * 2 ** 18, 6);
    // a wait larger than the latencies explain: never below the fastest bucket's lower edge
    const over = stats({ hist: histWith([[14, 1000], [18, 100]]), throttledNs: 5e9 + 1e12 });
    expect(missStallNs(before, over)).toBe(2 ** 18);
    // readahead served most misses before the application touched them: the waits are spread over all misses
    const ahead = stats({ hist: histWith([[14, 1000], [18, 100]]), throttledNs: 5e9 + waitNs, missingFaults: 100, prefetchedPages: 4900 });
    expect(waitedShare(before, ahead)).toBeCloseTo(100 / 5000, 12);
    const scan = recordOfWindow('a', 'n', snap(before, { atMs: 1000 }), snap(ahead, { atMs: 2000, accesses: 5000 }));
    expect(scan.missStallNs).toBeCloseTo((1.5 * 2 ** 18 - waitNs / 100) / 50, 6);
    expect(scan.missTokenWaitNs).toBeCloseTo(waitNs / 5000, 6);
    expect(scan.missStallNs! + scan.missTokenWaitNs!).toBeCloseTo((100 * 1.5 * 2 ** 18) / 5000, 6);  // the whole wait, per miss
    // no fetch in the window: nothing to say
    expect(missStallNs(before, stats({ hist: histWith([[14, 1000]]), throttledNs: 6e9 }))).toBeUndefined();
    expect(missTokenWaitNs(before, stats({ hist: histWith([[14, 1000]]), throttledNs: 6e9 }))).toBeUndefined();
  });
});

describe('allocations to region limits', () => {
  const bounds: RegionBounds = { cacheBytesMin: 65536, pageBytes: 4096, bandwidthMbpsMin: 1, bandwidthMbpsMax: 400_000 };

  it('rounds cache down to whole pages and clamps both to what a region accepts', () => {
    expect(limitsOfBundle({ cacheMB: 10, bandwidthMbps: 250.5 }, bounds)).toEqual({ cacheBytes: 10 * 1048576, bandwidthMbps: 250.5 });
    expect(limitsOfBundle({ cacheMB: 1.0001, bandwidthMbps: 1 }, bounds).cacheBytes).toBe(1048576);
    expect(limitsOfBundle({ cacheMB: 0, bandwidthMbps: 0 }, bounds)).toEqual({ cacheBytes: 65536, bandwidthMbps: 1 });
    expect(limitsOfBundle({ cacheMB: 1, bandwidthMbps: 1e7 }, bounds).bandwidthMbps).toBe(400_000);
  });

  it('applies bundles of its own apps; the others keep their limits; strangers are reported', () => {
    const doc = {
      node: 'n', epoch: 7, timeMs: 0, replica: 'r', policy: 'spirit' as const, certificate: {} as never,
      bundles: [{ app: 'a', cacheMB: 4, bandwidthMbps: 100, normalizedPerf: 1, source: 'estimated' as const, confidence: 1 },
        { app: 'z', cacheMB: 4, bandwidthMbps: 100, normalizedPerf: 1, source: 'estimated' as const, confidence: 1 }],
      elapsedMs: 1,
    };
    const plan = planAllocation(doc, ['a', 'b'], bounds);
    expect(plan.epoch).toBe(7);
    expect([...plan.apply.entries()]).toEqual([['a', { cacheBytes: 4 * 1048576, bandwidthMbps: 100 }]]);
    expect(plan.missing).toEqual(['b']);
    expect(plan.foreign).toEqual(['z']);
  });

  it('turns a bundle\'s partitions into the region\'s split: whole pages, shares summing to exactly 1', () => {
    const MiB = 1048576;
    // a scan at its hull point: half the pages in no cache, half in the whole bundle
    expect(limitsOfBundle({ cacheMB: 8, bandwidthMbps: 100, partitions: [{ accessShare: 0.5, cacheMB: 0 }, { accessShare: 0.5, cacheMB: 8 }] }, bounds))
      .toEqual({ cacheBytes: 8 * MiB, bandwidthMbps: 100, partitions: [{ accessShare: 0.5, cacheBytes: 0 }, { accessShare: 0.5, cacheBytes: 8 * MiB }] });
    // sizes rounded down to pages, never more than the cache; shares normalized (a solver's doubles through JSON)
    const l = limitsOfBundle({ cacheMB: 8, bandwidthMbps: 100, partitions: [{ accessShare: 0.3000000001, cacheMB: 2.7 }, { accessShare: 0.7, cacheMB: 5.3000001 }] }, bounds);
    expect(l.partitions![0].cacheBytes % 4096).toBe(0);
    expect(l.partitions![1].cacheBytes % 4096).toBe(0);
    expect(l.partitions![0].cacheBytes + l.partitions![1].cacheBytes).toBeLessThanOrEqual(l.cacheBytes);
    expect(l.cacheBytes - l.partitions![0].cacheBytes - l.partitions![1].cacheBytes).toBeLessThan(2 * 4096);
    expect(l.partitions![0].accessShare + l.partitions![1].accessShare).toBe(1);
    // sizes a hair over the cache (doubles): the larger gives the rounding back
    const over = limitsOfBundle({ cacheMB: 4, bandwidthMbps: 1, partitions: [{ accessShare: 0.5, cacheMB: 1 }, { accessShare: 0.5, cacheMB: 3.0000000001 }] }, bounds);
    expect(over.partitions!.reduce((t, p) => t + p.cacheBytes, 0)).toBeLessThanOrEqual(over.cacheBytes);
    // one partition, or one holding every page, is no split
    expect(limitsOfBundle({ cacheMB: 4, bandwidthMbps: 1, partitions: [{ accessShare: 1, cacheMB: 4 }] }, bounds).partitions).toBeUndefined();
    expect(limitsOfBundle({ cacheMB: 4, bandwidthMbps: 1, partitions: [{ accessShare: 1, cacheMB: 4 }, { accessShare: 0, cacheMB: 0 }] }, bounds).partitions).toBeUndefined();
  });

  it('applies a split it cannot take unsplit, and says which app and why', () => {
    const bundle = (app: string, partitions: unknown) => ({ app, cacheMB: 4, bandwidthMbps: 100, normalizedPerf: 1, source: 'estimated' as const, confidence: 1, partitions: partitions as never });
    const doc = {
      node: 'n', epoch: 9, timeMs: 0, replica: 'r', policy: 'spirit' as const, certificate: {} as never, elapsedMs: 1,
      bundles: [
        bundle('sum', [{ accessShare: 0.5, cacheMB: 2 }, { accessShare: 0.4, cacheMB: 2 }]),
        bundle('three', [{ accessShare: 0.5, cacheMB: 1 }, { accessShare: 0.25, cacheMB: 1 }, { accessShare: 0.25, cacheMB: 2 }]),
        bundle('negative', [{ accessShare: 0.5, cacheMB: -1 }, { accessShare: 0.5, cacheMB: 5 }]),
        bundle('nan', [{ accessShare: Number.NaN, cacheMB: 1 }, { accessShare: 0.5, cacheMB: 3 }]),
        bundle('good', [{ accessShare: 0.25, cacheMB: 1 }, { accessShare: 0.75, cacheMB: 3 }]),
      ],
    };
    const plan = planAllocation(doc, ['sum', 'three', 'negative', 'nan', 'good'], bounds);
    expect(plan.badSplits.map((b) => b.app)).toEqual(['sum', 'three', 'negative', 'nan']);
    expect(plan.badSplits[0].why).toMatch(/partitions: the shares must sum to 1; got 0\.9/);
    expect(plan.badSplits[1].why).toMatch(/partitions: must hold 1 or 2 partitions; got 3/);
    expect(plan.badSplits[2].why).toMatch(/partitions\[0\]\.cacheMB: must be a non-negative number/);
    expect(plan.badSplits[3].why).toMatch(/partitions\[0\]\.accessShare: must be a number in \[0, 1\]/);
    for (const app of ['sum', 'three', 'negative', 'nan']) expect(plan.apply.get(app)).toEqual({ cacheBytes: 4 * 1048576, bandwidthMbps: 100 });
    expect(plan.apply.get('good')!.partitions).toEqual([{ accessShare: 0.25, cacheBytes: 1048576 }, { accessShare: 0.75, cacheBytes: 3 * 1048576 }]);
  });

  it('registers kernel-swap apps and apps marked partitionable=0 as not partitionable', () => {
    expect(parseWorkloadSpec('stream:partitionable=0', 0, 'n').partitionable).toBe(false);
    expect(parseWorkloadSpec('stream:partitionable=1', 0, 'n').partitionable).toBeUndefined();
    expect(parseWorkloadSpec('stream', 0, 'n').partitionable).toBeUndefined();
    expect(badInput(() => parseWorkloadSpec('stream:partitionable=2', 0, 'n')).message).toMatch(/partitionable: must be between 0 and 1; got 2/);
  });

  it('starts from the weighted equal split, within each app\'s limits', () => {
    const b = initialBundles([{ id: 'a', weight: 1 }, { id: 'b', weight: 3, limits: { maxCacheMB: 50, minBandwidthMbps: 900 } }], { cacheMB: 100, bandwidthMbps: 1000 });
    expect(b.get('a')).toEqual({ cacheMB: 25, bandwidthMbps: 250 });
    expect(b.get('b')).toEqual({ cacheMB: 50, bandwidthMbps: 900 });
  });
});

describe('pending telemetry', () => {
  const rec = (t: number, pages = 0): TelemetryRecord => ({
    app: 'a', node: 'n', timeMs: t, cacheMB: 1, bandwidthMbps: 1, throughputOpsPerSec: 1, missRatio: 0, pageTrafficBytesPerSec: 0, residentBytes: 0,
    ...(pages ? { sampledPages: new Array(pages).fill(1) } : {}),
  });

  it('keeps order, drops the oldest beyond its bounds and counts them', () => {
    const q = new TelemetryQueue(3, 100);
    for (let t = 1; t <= 5; t++) q.push(rec(t));
    expect(q.length).toBe(3);
    expect(q.dropped).toBe(2);
    const taken = q.takeAll();
    expect(taken.map((r) => r.timeMs)).toEqual([3, 4, 5]);
    q.push(rec(6));
    q.putBack(taken);
    expect(q.takeAll().map((r) => r.timeMs)).toEqual([4, 5, 6]);  // put back in front, still bounded
    q.push(rec(7, 60));
    q.push(rec(8, 60));
    expect(q.length).toBe(1);
    expect(q.sampledPages).toBe(60);
    expect(q.takeAll()[0].timeMs).toBe(8);
  });
});

describe('workload archetypes on plain memory', () => {
  const defaults = (name: keyof typeof ARCHETYPE_DEFS): Record<string, number> =>
    Object.fromEntries(Object.entries(ARCHETYPE_DEFS[name].params).map(([k, v]) => [k, v.default]));

  it('every archetype writes its region, reads back what it wrote, and counts its accesses', () => {
    for (const name of Object.keys(ARCHETYPE_DEFS) as (keyof typeof ARCHETYPE_DEFS)[]) {
      const run = (seed: number): { c: ReturnType<typeof newCounters>; pages: number; perOp: number } => {
        const w = ARCHETYPE_DEFS[name].create(new ArrayBuffer(1 << 20), defaults(name), seed);
        let steps = 0;
        while (!w.init(7)) steps++;
        expect(steps).toBeLessThan(w.pages);  // init is bounded by the pages
        const c = newCounters();
        w.run(500, c);
        return { c, pages: w.pages, perOp: w.accessesPerOp };
      };
      const a = run(11);
      expect(a.pages).toBe(256);
      expect(a.c.errors).toBe(0);
      expect(a.c.ops).toBe(500);
      expect(a.c.accesses).toBe(500 * a.perOp);
      expect(run(11).c.checksum).toBe(a.c.checksum);  // seeded: the same run twice
    }
  });

  it('detects data that is not what it wrote', () => {
    const buf = new ArrayBuffer(1 << 20);
    const w = ARCHETYPE_DEFS.stream.create(buf, defaults('stream'), 1);
    while (!w.init(64));
    new Float64Array(buf)[512 * 3] = -1;  // page 3's stamp
    const c = newCounters();
    w.run(256, c);
    expect(c.errors).toBe(1);
  });

  it('draws Zipf ranks with the configured skew', () => {
    const z = new ZipfSampler(1000, 1, new Rng(5));
    const h = new Array(1000).fill(0);
    for (let i = 0; i < 400_000; i++) h[z.sample()]++;
    expect(h[0] / h[9]).toBeGreaterThan(10 * 0.85);    // p(k) ~ 1/k: rank 1 is 10x rank 10
    expect(h[0] / h[9]).toBeLessThan(10 * 1.15);
    expect(h.every((n, i) => i === 0 || n <= h[0])).toBe(true);
    const u = new ZipfSampler(50, 0, new Rng(5));
    const hu = new Array(50).fill(0);
    for (let i = 0; i < 100_000; i++) hu[u.sample()]++;
    expect(Math.min(...hu)).toBeGreaterThan(2000 * 0.8);  // s = 0: uniform
  });

  it('scatters keys with a bijection and inverts it', () => {
    for (const n of [1, 2, 97, 1000, 4096]) {
      const p = affinePermutation(n, 3);
      const seen = new Set<number>();
      for (let k = 0; k < n; k++) {
        const v = p.forward(k);
        expect(p.inverse(v)).toBe(k);
        seen.add(v);
      }
      expect(seen.size).toBe(n);
    }
  });

  it('sends the configured share of micro touches to its hot set', () => {
    const buf = new ArrayBuffer(4 << 20);
    const params: Record<string, number> = { ...defaults('micro'), 'hot-fraction': 0.25, 'hot-prob': 0.9, 'write-ratio': 1 };
    const w = ARCHETYPE_DEFS.micro.create(buf, params, 9);
    while (!w.init(256));
    w.run(20_000, newCounters());
    // every touch wrote +1 into word 1 of its page: count touches per page
    const a = new Float64Array(buf);
    let hot = 0;
    let all = 0;
    for (let p = 0; p < w.pages; p++) {
      const n = a[p * 512 + 1];
      all += n;
      if (p < w.pages / 4) hot += n;
    }
    expect(all).toBe(20_000 * params['pages-per-request']);
    expect(hot / all).toBeGreaterThan(0.88);
    expect(hot / all).toBeLessThan(0.92);
  });
});

describe('sampled pages of skipped windows', () => {
  const rec = (pages: number[]): TelemetryRecord => ({
    app: 'scan', node: 'n1', timeMs: 1, cacheMB: 8, bandwidthMbps: 200, throughputOpsPerSec: 1, missRatio: 1, pageTrafficBytesPerSec: 0,
    residentBytes: 0, sampledPages: pages, sampleRate: RATE,
  });
  const RATE = 0.0625;

  it('carries them, with their accesses, into the next record of the same run only', () => {
    const c = new SampleCarry(8);
    c.skip('scan', 1, [1, 2], 30);
    c.skip('scan', 1, [3], 20);
    expect(c.apply(rec([4, 5]), 1, 40)).toMatchObject({ sampledPages: [1, 2, 3, 4, 5], accessesSampled: 90 });
    expect(c.apply(rec([6]), 1, 10)).toMatchObject({ sampledPages: [6], accessesSampled: 10 }); // carried once
    c.skip('scan', 1, [7], 5);
    expect(c.apply(rec([8]), 2, 10)).toMatchObject({ sampledPages: [8], accessesSampled: 10 }); // another run
    c.skip('scan', 1, [7], 5);
    c.drop('scan');
    expect(c.apply(rec([8]), 1, 10)).toMatchObject({ sampledPages: [8], accessesSampled: 10 });
    // bounded: a record never holds more than maxPages; what would overflow is dropped whole, never a hole in the middle
    c.skip('scan', 1, [1, 2, 3, 4, 5, 6], 60);
    expect(c.apply(rec([7, 8, 9]), 1, 30)).toMatchObject({ sampledPages: [7, 8, 9], accessesSampled: 30 });
    c.skip('scan', 1, [1, 2, 3, 4, 5, 6], 60);
    c.skip('scan', 1, [7, 8, 9], 30);
    expect(c.apply(rec([10]), 1, 10)).toMatchObject({ sampledPages: [7, 8, 9, 10], accessesSampled: 40 });
  });

  it('so the service sees a cyclic scan as the cliff it is, even when every third window is skipped', () => {
    // 4096 pages read in order, over and over; windows of 1500 accesses, every third one across a limit change
    const PAGES = 4096, WINDOW = 1500;
    const curveWith = (carry: boolean): number => {
      const c = new SampleCarry(65_536);
      const b = new MrcBuilder({ presampledRate: RATE });
      let page = 0;
      let sinceRecord = 0;
      for (let w = 0; w < 30; w++) {
        const pages: number[] = [];
        for (let i = 0; i < WINDOW; i++, page = (page + 1) % PAGES) if (isSampledPage(page, RATE)) pages.push(page);
        sinceRecord += WINDOW;
        if (w % 3 === 2) { if (carry) c.skip('scan', 1, pages, WINDOW); continue; }
        const r = carry ? c.apply(rec(pages), 1, WINDOW) : rec(pages);
        // without the carry, the service counts the accesses since the app's previous record (what it did before)
        b.addPages(r.sampledPages!, { accesses: r.accessesSampled ?? sinceRecord });
        sinceRecord = 0;
      }
      const [half] = b.missRatiosAt([mibFromPages(PAGES / 2)]);
      b.dispose();
      return half;
    };
    expect(curveWith(true)).toBeGreaterThan(0.97);
    expect(curveWith(false)).toBeLessThan(0.8);
  });
});
