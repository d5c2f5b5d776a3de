// Units of the control layer: the round's scenario (model sources, equal-share pinning, partitionable apps)
// and the lease split.
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../service/bus/memory.ts';
import type { AppRecord } from '../../service/bus/types.ts';
import { IngestPacer } from '../../service/control/ingest.ts';
import { LeaseKeeper } from '../../service/control/leases.ts';
import { INGEST_NODE_IDLE_MAX_MS, INGEST_NODE_WAIT_MS } from '../../service/control/limits.ts';
import { buildRoundScenario, type AppInput } from '../../service/control/round-scenario.ts';
import type { MrcModel } from '../../service/scenario/types.ts';
import { makeService, memoryLogger } from './harness.ts';

const cap = { cacheMB: 1200, bandwidthMbps: 600 };
const model = (localNs: number): MrcModel => ({ type: 'mrc', mrc: [[0, 1], [600, 0.1], [1200, 0.05]], pageBytes: 4096, localNs, remoteNs: 5000 });
const app = (id: string, o: Partial<AppRecord> = {}): AppRecord => ({ id, node: 'n', weight: 1, createdMs: 0, updatedMs: 0, ...o });

describe('buildRoundScenario', () => {
  it('uses the best model source each app has: estimated, persisted, declared, else pinned at its equal share', () => {
    const inputs: AppInput[] = [
      { app: app('est', { model: model(300) }), estimate: { model: model(100), confidence: 0.9, enoughData: true }, persisted: model(200) },
      { app: app('per', { model: model(300) }), estimate: { model: model(100), confidence: 0.1, enoughData: false }, persisted: model(200) },
      { app: app('dec', { model: model(300), weight: 2 }), estimate: null },
      { app: app('none', { weight: 2 }), estimate: null },
    ];
    const r = buildRoundScenario('n', cap, inputs, null);
    expect(Object.fromEntries([...r.sources].map(([k, v]) => [k, v.source]))).toEqual({ est: 'estimated', per: 'persisted', dec: 'declared', none: 'equal-share' });
    const byId = new Map(r.scenario.apps.map((a) => [a.id, a]));
    expect((byId.get('est')!.model as MrcModel).localNs).toBe(100);
    expect((byId.get('per')!.model as MrcModel).localNs).toBe(200);
    expect((byId.get('dec')!.model as MrcModel).localNs).toBe(300);
    // weight 2 of 6: a third of the node, pinned
    expect(byId.get('none')!.limits).toEqual({ minCacheMB: 400, maxCacheMB: 400, minBandwidthMbps: 200, maxBandwidthMbps: 200 });
    expect(r.sources.get('per')!.confidence).toBe(0.1);
  });

  it('pins within the app limits, and carries the bundle in force as `current` (within capacity)', () => {
    const inputs: AppInput[] = [
      { app: app('capped', { limits: { maxCacheMB: 100 } }), estimate: null },
      { app: app('free'), estimate: null },
    ];
    const prev = { node: 'n', epoch: 4, timeMs: 0, replica: 'r', policy: 'spirit' as const, certificate: {} as never, elapsedMs: 0,
      bundles: [{ app: 'free', cacheMB: 5000, bandwidthMbps: 100, normalizedPerf: 1, source: 'equal-share' as const, confidence: 0 }] };
    const r = buildRoundScenario('n', cap, inputs, prev);
    const [capped, free] = r.scenario.apps;
    expect(capped.limits!.maxCacheMB).toBeCloseTo(100, 9);
    expect(free.limits!.minCacheMB).toBeCloseTo(1100, 9); // what the capped app cannot use goes to the other
    expect(free.current).toEqual({ cacheMB: 1200, bandwidthMbps: 100 });
    expect(capped.current).toBeUndefined();
  });

  it('tells the market which apps the data plane can split: partitionable as registered, default left to it, never a pinned app', () => {
    const inputs: AppInput[] = [
      { app: app('swap', { model: model(300), partitionable: false }), estimate: null },
      { app: app('region', { model: model(300), partitionable: true }), estimate: null },
      { app: app('plain', { model: model(300) }), estimate: null },
      { app: app('pinned', { partitionable: true }), estimate: null },
    ];
    const byId = new Map(buildRoundScenario('n', cap, inputs, null).scenario.apps.map((a) => [a.id, a]));
    expect(byId.get('swap')!.partitionable).toBe(false);
    expect(byId.get('region')!.partitionable).toBe(true);
    expect(byId.get('plain')!.partitionable).toBeUndefined();  // mrc models default to partitionable (spec)
    expect(byId.get('pinned')!.partitionable).toBe(false);  // pinned on a placeholder model: a split would mean nothing
  });

  it('falls back to the next source when a model is invalid for the node, and says why', () => {
    const broken = { ...model(100), mrc: [[0, 1], [0, 0.5]] as [number, number][] };
    const r = buildRoundScenario('n', cap, [{ app: app('a', { model: model(300) }), estimate: { model: broken, confidence: 1, enoughData: true } }], null);
    expect(r.sources.get('a')!.source).toBe('declared');
    expect(r.rejected.get('a')).toMatch(/^estimated model: .*strictly increasing/);
  });
});

describe('LeaseKeeper', () => {
  it('splits nodes evenly among live replicas, never holding one node twice, and rebalances when one leaves', async () => {
    const bus = new MemoryBus();
    const { log } = memoryLogger();
    const nodes = Array.from({ length: 7 }, (_, i) => `n${i}`);
    const events: string[] = [];
    const keepers = ['A', 'B', 'C'].map((r) => new LeaseKeeper(bus, r, 10_000, {
      acquired: (n) => events.push(`+${r}:${n}`), lost: (n) => events.push(`-${r}:${n}`),
    }, log));
    for (let round = 0; round < 4; round++) for (const k of keepers) await k.tick(nodes);
    const sizes = keepers.map((k) => k.held.size).sort();
    expect(sizes).toEqual([2, 2, 3]);
    const all = keepers.flatMap((k) => [...k.held]);
    expect(new Set(all).size).toBe(nodes.length);
    for (const n of nodes) expect(keepers.find((k) => k.held.has(n))!.held.has(n)).toBe(true);
    for (const k of keepers) for (const n of k.held) expect(await bus.leaseHolder(n)).toBe((k as unknown as { replica: string }).replica);
    await keepers[2].releaseAll();
    for (let round = 0; round < 3; round++) for (const k of keepers.slice(0, 2)) await k.tick(nodes);
    expect(keepers[0].held.size + keepers[1].held.size).toBe(nodes.length);
    expect(Math.abs(keepers[0].held.size - keepers[1].held.size)).toBeLessThanOrEqual(1);
    expect(events.some((e) => e.startsWith('-C:'))).toBe(true);
  });

  it('drops a lease that another replica took (renewal fails)', async () => {
    const bus = new MemoryBus();
    const lost: string[] = [];
    const k = new LeaseKeeper(bus, 'A', 150, { acquired: () => {}, lost: (n) => lost.push(n) }, memoryLogger().log);
    await k.tick(['n1']);
    expect(k.held.has('n1')).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // expired without renewal
    expect(await bus.acquireLease('n1', 'B', 10_000)).toBe(true);
    await k.tick(['n1']);
    expect(k.held.has('n1')).toBe(false);
    expect(lost).toEqual(['n1']);
  });
});

describe('IngestPacer', () => {
  it('re-reads a backlog at once, a drained stream after a wait, an empty one ever less often up to the cap', () => {
    const p = new IngestPacer();
    expect(p.due('n', 0)).toBe(true);
    p.read('n', 1000, 1000, 0); // a full batch: a backlog
    expect(p.due('n', 0)).toBe(true);
    p.read('n', 8, 1000, 0); // drained
    expect(p.due('n', INGEST_NODE_WAIT_MS - 1)).toBe(false);
    expect(p.due('n', INGEST_NODE_WAIT_MS)).toBe(true);
    const waits: number[] = [];
    let t = 0;
    for (let k = 0; k < 6; k++) {
      p.read('n', 0, 1000, t);
      const w = p.untilDue(['n'], t);
      waits.push(w);
      t += w;
    }
    expect(waits).toEqual([500, 1000, 1000, 1000, 1000, 1000].map((x) => Math.min(x, INGEST_NODE_IDLE_MAX_MS)));
    p.read('n', 3, 1000, t);
    expect(p.untilDue(['n', 'unknown'], t)).toBe(0); // a node never read is due now
    p.forget('n');
    expect(p.due('n', t)).toBe(true);
  });
});

describe('registry reads of the lease tick', () => {
  it('reads the whole registry only when its version moved', async () => {
    const bus = new MemoryBus();
    let listings = 0;
    const counted = new Proxy(bus, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'listApps' || prop === 'listNodes') return (...args: unknown[]) => { listings++; return (v as (...a: unknown[]) => unknown).apply(target, args); };
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const v0 = await bus.registryVersion();
    await bus.putNode({ id: 'n', capacity: { cacheMB: 100, bandwidthMbps: 100 }, createdMs: 0, updatedMs: 0 });
    expect(await bus.registryVersion()).not.toBe(v0);
    const { service } = await makeService(counted, { intervalMs: 60_000 });
    await service.leaseTick();
    const first = listings;
    expect(first).toBeGreaterThan(0);
    await service.leaseTick();
    await service.leaseTick();
    expect(listings).toBe(first); // nothing changed: no listing
    await bus.putApp(app('a1', { node: 'n' }));
    await service.leaseTick();
    expect(listings).toBeGreaterThan(first);
    const v1 = await bus.registryVersion();
    await bus.patchNodeState('n', { silent: true }); // not the registry
    expect(await bus.registryVersion()).toBe(v1);
    await bus.deleteApp('a1');
    expect(await bus.registryVersion()).not.toBe(v1);
  });
});
