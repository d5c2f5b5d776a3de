// The integration suite of the allocation service, run unchanged against the in-process bus
// (integration-memory.test.ts) and a real redis-server (integration-redis.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { busNodeClient } from '../../service/bus/client.ts';
import type { AllocationDoc, Bus } from '../../service/bus/types.ts';
import { putApp, deleteApp, getNode } from '../../service/control/registry.ts';
import type { SpiritService } from '../../service/control/service.ts';
import type { SurfaceModel } from '../../service/scenario/types.ts';
import { example, FakeDaemon, makeService, registerScenario, sleep, timerLateness, waitFor, type Backend } from './harness.ts';

async function metric(service: SpiritService, name: string, labels = ''): Promise<number> {
  const text = await service.metrics.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}

export function integrationSuite(makeBackend: () => Promise<Backend>): void {
  let backend: Backend;
  let bus: Bus;
  const services: SpiritService[] = [];
  const start = async (o: Parameters<typeof makeService>[1] = {}, onBus?: Bus) => {
    const made = await makeService(onBus ?? (await backend.connect()), o);
    services.push(made.service);
    await made.service.start();
    return made;
  };

  beforeEach(async () => {
    backend = await makeBackend();
    bus = await backend.connect();
  });
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop().catch(() => {});
    await backend.close();
  });

  describe('control loop', () => {
    it('telemetry in, allocation out: estimated models move bundles away from the equal split', async () => {
      const s = example('paper-mix');
      await registerScenario(bus, 'n1', s);
      const { service } = await start();
      const daemon = new FakeDaemon('n1', s);
      const client = busNodeClient(await backend.connect());
      const stop = await client.watchAllocation('n1', (doc) => { daemon.allocation = doc; }, { pollMs: 200 });
      const first = await waitFor('a first allocation', () => daemon.allocation);
      // without data every app sits at its equal share
      for (const b of first.bundles) {
        expect(b.source).toBe('equal-share');
        expect(b.cacheMB).toBeCloseTo(s.capacity.cacheMB / s.apps.length, 6);
      }
      const moved = await waitFor('allocations from estimated models', async () => {
        await client.appendTelemetry(daemon.records());
        await sleep(30);
        const d = daemon.allocation;
        return d && d.bundles.every((b) => b.source === 'estimated') &&
          d.bundles.some((b) => Math.abs(b.cacheMB - s.capacity.cacheMB / s.apps.length) > 1) ? d : null;
      });
      const cache = moved.bundles.reduce((t, b) => t + b.cacheMB, 0);
      const bw = moved.bundles.reduce((t, b) => t + b.bandwidthMbps, 0);
      expect(cache).toBeLessThanOrEqual(s.capacity.cacheMB * (1 + 1e-9));
      expect(bw).toBeLessThanOrEqual(s.capacity.bandwidthMbps * (1 + 1e-9));
      expect(moved.certificate.sharingIncentiveViolations).toEqual([]);
      expect(await metric(service, 'spirit_telemetry_records_total')).toBeGreaterThan(0);
      const view = await getNode(bus, 'n1');
      expect(view.lastTelemetryMs).not.toBeNull();
      expect(view.allocation?.epoch).toBeGreaterThanOrEqual(moved.epoch);
      await stop();
    });

    it('epochs increase by one per round, a watcher never sees an older one, and an older epoch is refused', async () => {
      const s = example('stream-vs-kvs');
      await registerScenario(bus, 'n1', s);
      await start();
      const seen: number[] = [];
      const stop = await busNodeClient(await backend.connect()).watchAllocation('n1', (d) => seen.push(d.epoch), { pollMs: 50 });
      await waitFor('ten epochs', () => seen.length >= 10 && seen[seen.length - 1] >= 10);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
      const current = (await bus.getAllocation('n1'))!;
      const older: AllocationDoc = { ...current, epoch: current.epoch - 1, replica: 'someone-else' };
      expect(await bus.publishAllocation(older, null)).toBe('stale');
      expect(await bus.publishAllocation({ ...current }, null)).toBe('stale');
      // a replica without the lease cannot publish even a newer epoch
      expect(await bus.publishAllocation({ ...current, epoch: current.epoch + 1000 }, 'not-the-holder')).toBe('not-holder');
      expect((await bus.getAllocation('n1'))!.epoch).toBeLessThan(current.epoch + 1000);
      await stop();
    });

    it('apps arriving and leaving are handled at the next round', async () => {
      const s = example('stream-vs-kvs');
      await registerScenario(bus, 'n1', s);
      await start();
      await waitFor('first allocation', async () => (await bus.getAllocation('n1'))?.bundles.length === 2);
      await putApp(bus, 'n1.late', { node: 'n1', weight: 2 });
      const withLate = await waitFor('the new app allocated', async () => {
        const d = await bus.getAllocation('n1');
        return d?.bundles.some((b) => b.app === 'n1.late') ? d : null;
      });
      const late = withLate.bundles.find((b) => b.app === 'n1.late')!;
      // weight 2 of 4 with no data: pinned at half the node
      expect(late.source).toBe('equal-share');
      expect(late.cacheMB).toBeCloseTo(s.capacity.cacheMB / 2, 6);
      await deleteApp(bus, 'n1.late');
      await waitFor('the app gone from the allocation', async () => {
        const d = await bus.getAllocation('n1');
        return d && d.epoch > withLate.epoch && !d.bundles.some((b) => b.app === 'n1.late');
      });
    });

    it('a silent node keeps its last allocation and is flagged', async () => {
      const s = example('stream-vs-kvs');
      await registerScenario(bus, 'n1', s);
      const { service } = await start({ intervalMs: 100, silentAfterMs: 400 });
      const client = busNodeClient(await backend.connect());
      const daemon = new FakeDaemon('n1', s);
      await client.appendTelemetry(daemon.records());
      await waitFor('telemetry seen', async () => (await getNode(bus, 'n1')).lastTelemetryMs !== null);
      // flagged silent by a round after its telemetry (a busy machine can take longer than the silence time to
      // ingest the first record, and a round before it flags the node too: that flag is not the one tested)
      const view = await waitFor('the node flagged silent after its telemetry', async () => {
        const v = await getNode(bus, 'n1');
        return v.silent && v.allocation && v.lastTelemetryMs !== null && (v.lastRoundMs ?? 0) > v.lastTelemetryMs ? v : null;
      });
      const frozen = view.allocation!.epoch;
      await sleep(500); // several rounds
      expect((await bus.getAllocation('n1'))!.epoch).toBe(frozen);
      expect(await metric(service, 'spirit_rounds_total', '{outcome="silent"}')).toBeGreaterThan(0);
      // telemetry again: rounds resume
      await client.appendTelemetry(daemon.records());
      // the round stores its epoch before it clears the flag (on a cluster a replica confirms in between)
      await waitFor('rounds resume and the flag clears', async () => {
        const v = await getNode(bus, 'n1');
        return v.allocation!.epoch > frozen && !v.silent;
      });
    });

    it('a solve that fails for one node is logged and counted; the other nodes go on', async () => {
      const s = example('stream-vs-kvs');
      await registerScenario(bus, 'good', s);
      await registerScenario(bus, 'bad', s);
      // valid alone (it does work with the whole node) but zero throughput at half the node: every round of
      // 'bad' fails the market's reference check
      const cliff: SurfaceModel = { type: 'surface', cacheMB: [0, 0.9 * s.capacity.cacheMB, s.capacity.cacheMB], bandwidthMbps: [0, s.capacity.bandwidthMbps], throughput: [[0, 0], [0, 0], [0, 1000]] };
      await putApp(bus, 'bad.cliff', { node: 'bad', model: cliff });
      const { service, lines } = await start();
      await waitFor('the good node allocated', async () => ((await bus.getAllocation('good'))?.epoch ?? 0) >= 3);
      await waitFor('the failure counted', async () => (await metric(service, 'spirit_rounds_total', '{outcome="failed"}')) >= 2);
      const bad = await getNode(bus, 'bad');
      expect(bad.lastError).toMatch(/zero throughput/);
      expect(lines.some((l) => l.msg === 'round failed' && l.node === 'bad' && /zero throughput/.test(String(l.err)))).toBe(true);
      expect(await metric(service, 'spirit_errors_total', '{kind="round"}')).toBeGreaterThanOrEqual(2);
    });
  });

  describe('telemetry', () => {
    it('malformed records are skipped, counted and dead-lettered; good ones still count', async () => {
      const s = example('stream-vs-kvs');
      await registerScenario(bus, 'n1', s);
      const { service } = await start();
      const good = new FakeDaemon('n1', s).records();
      const bad = [
        'not json at all',
        JSON.stringify({ ...good[0], missRatio: 7 }),
        JSON.stringify({ ...good[0], app: 'n1.nobody' }),
        JSON.stringify({ ...good[0], node: 'elsewhere' }),
        JSON.stringify({ app: 'n1.x' }),
        '',
      ];
      await bus.appendTelemetry('n1', [...bad, ...good.map((r) => JSON.stringify(r))]);
      await waitFor('every record processed', async () => (await bus.telemetryBacklog('n1')) === 0 &&
        (await metric(service, 'spirit_telemetry_records_total')) === good.length);
      const skipped = async (reason: string) => metric(service, 'spirit_telemetry_skipped_total', `{reason="${reason}"}`);
      expect(await skipped('malformed')).toBe(4);
      expect(await skipped('unknown_app')).toBe(1);
      expect(await skipped('wrong_node')).toBe(1);
      const dead = await bus.readDeadLetters('n1', 100);
      expect(dead.length).toBe(bad.length);
      expect(dead.map((d) => d.data).sort()).toEqual([...bad].sort());
      expect(dead.find((d) => d.data.includes('"missRatio":7'))!.reason).toMatch(/missRatio/);
      expect(service.isRunning).toBe(true);
    });

    it('the node client refuses a bad record with the field named', async () => {
      const client = busNodeClient(bus);
      const r = new FakeDaemon('n1', example('stream-vs-kvs')).records()[0];
      await expect(client.appendTelemetry({ ...r, throughputOpsPerSec: -1 })).rejects.toThrow(/records\[0\]\.throughputOpsPerSec/);
    });

    it('records a dead consumer left unacknowledged are reclaimed by the next holder', async () => {
      await bus.ensureTelemetryGroup('n1');
      await bus.appendTelemetry('n1', ['{"a":1}', '{"a":2}']);
      const taken = await bus.readTelemetry('n1', 'dead-consumer', 10, 60_000);
      expect(taken.map((t) => t.data)).toEqual(['{"a":1}', '{"a":2}']);
      expect(await bus.readTelemetry('n1', 'heir', 10, 60_000)).toEqual([]); // not idle long enough yet
      await sleep(120);
      const again = await bus.readTelemetry('n1', 'heir', 10, 100);
      expect(again.map((t) => t.data)).toEqual(['{"a":1}', '{"a":2}']);
      expect(again.every((t) => t.deliveries === 2)).toBe(true);
      await bus.ackTelemetry('n1', again.map((t) => t.id));
      expect(await bus.telemetryBacklog('n1')).toBe(0);
    });
  });

  describe('replicas', () => {
    it('a restarted service resumes: registry, epochs and fitted models survive', async () => {
      const s = example('paper-mix');
      await registerScenario(bus, 'n1', s);
      const first = await start();
      const daemon = new FakeDaemon('n1', s);
      const client = busNodeClient(await backend.connect());
      await waitFor('estimated allocation', async () => {
        daemon.allocation = await bus.getAllocation('n1');
        await client.appendTelemetry(daemon.records());
        await sleep(30);
        return daemon.allocation?.bundles.every((b) => b.source === 'estimated');
      });
      await first.service.stop();
      const before = (await bus.getAllocation('n1'))!;
      const second = await start({ replica: 'second' }); // the daemon is quiet meanwhile, but not yet silent (60 s)
      const after = await waitFor('a round by the new replica', async () => {
        const d = await bus.getAllocation('n1');
        return d && d.replica === 'second' ? d : null;
      });
      expect(after.epoch).toBeGreaterThan(before.epoch);
      expect(after.bundles.map((b) => b.app).sort()).toEqual(before.bundles.map((b) => b.app).sort());
      // no telemetry yet on the new replica: it resumes from the stored fitted models, not the equal split
      expect(after.bundles.every((b) => b.source === 'persisted')).toBe(true);
      for (const b of after.bundles) {
        const was = before.bundles.find((x) => x.app === b.app)!;
        expect(Math.abs(b.cacheMB - was.cacheMB)).toBeLessThanOrEqual(0.15 * s.capacity.cacheMB + 1e-6);
      }
      expect(second.service.replica).toBe('second');
    });

    it('two replicas split the nodes; when one dies the other takes its nodes within two lease periods', async () => {
      const s = example('stream-vs-kvs');
      const nodes = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
      for (const n of nodes) await registerScenario(bus, n, s);
      // long enough that a busy machine's late lease tick is small beside it; the bound is still two lease periods
      const ttl = 3000;
      const a = await start({ replica: 'A', leaseTtlMs: ttl });
      const b = await start({ replica: 'B', leaseTtlMs: ttl });
      const holders = async () => Promise.all(nodes.map((n) => bus.leaseHolder(n)));
      await waitFor('an even split', async () => {
        const h = await holders();
        return h.filter((x) => x === 'A').length === 3 && h.filter((x) => x === 'B').length === 3;
      });
      // each node is allocated by its holder only
      await waitFor('every node allocated by its holder', async () => {
        const h = await holders();
        const docs = await Promise.all(nodes.map((n) => bus.getAllocation(n)));
        return docs.every((d, i) => d && d.replica === h[i]);
      });
      expect(a.service.leases.held.size + b.service.leases.held.size).toBe(nodes.length);
      const ofA = nodes.filter((n) => a.service.leases.held.has(n));
      const epochs = new Map(await Promise.all(ofA.map(async (n) => [n, (await bus.getAllocation(n))!.epoch] as const)));
      // the promise is two lease periods of the replicas' own time: a timer that fires late on a busy machine
      // delays B's ticks by as much, so the bound adds the lateness this process's timers saw meanwhile
      const lag = timerLateness(20);
      const diedAt = Date.now();
      await a.service.kill(); // no lease given back
      await waitFor('B holding every node', async () => (await holders()).every((x) => x === 'B'), 30 * ttl, 20);
      const takeoverMs = Date.now() - diedAt;
      const lateMs = lag.stop();
      expect(takeoverMs).toBeLessThanOrEqual(2 * ttl + 3 * lateMs);
      for (const n of ofA) {
        await waitFor(`B allocating ${n}`, async () => {
          const d = await bus.getAllocation(n);
          return d && d.replica === 'B' && d.epoch > epochs.get(n)!;
        });
      }
    });

    it("a dead replica's nodes get their round from the survivor when due, not at its next pass; others are left alone", async () => {
      const s = example('stream-vs-kvs');
      const nodes = ['n1', 'n2', 'n3', 'n4'];
      for (const n of nodes) await registerScenario(bus, n, s);
      // an hour between passes: no round in this test comes from a pass
      const o = { leaseTtlMs: 3000, intervalMs: 3_600_000 };
      const a = await start({ replica: 'A', ...o });
      const b = await start({ replica: 'B', ...o });
      let passes = 0, leaseTicks = 0;
      const pass = b.service.roundsTick.bind(b.service);
      b.service.roundsTick = async () => { passes++; await pass(); };
      const tick = b.service.leaseTick.bind(b.service);
      b.service.leaseTick = async () => { leaseTicks++; await tick(); };
      const holders = async () => Promise.all(nodes.map((n) => bus.leaseHolder(n)));
      await waitFor('an even split', async () => (await holders()).filter((x) => x === 'B').length === 2);
      await waitFor('every node allocated', async () => (await Promise.all(nodes.map((n) => bus.getAllocation(n)))).every((d) => d !== null));
      const ofA = nodes.filter((n) => a.service.leases.held.has(n));
      expect(ofA.length).toBe(2);
      // one of A's nodes had its last round an interval ago (it is due); the other's is fresh (due in an hour)
      const [due, fresh] = ofA;
      const old = (await bus.getAllocation(due))!;
      expect(await bus.publishAllocation({ ...old, epoch: old.epoch + 1, timeMs: Date.now() - o.intervalMs }, 'A')).toBe('published');
      const freshDoc = (await bus.getAllocation(fresh))!;
      await a.service.kill();
      await waitFor(`B allocating ${due}`, async () => {
        const d = await bus.getAllocation(due);
        return d && d.replica === 'B' && d.epoch > old.epoch + 1;
      }, 60_000);
      // the fresh one: leased by B, and still A's allocation several lease ticks later (its round is not due)
      await waitFor(`B holding ${fresh}`, async () => (await bus.leaseHolder(fresh)) === 'B', 60_000);
      const ticks = leaseTicks;
      await waitFor('three more lease ticks of B', async () => leaseTicks >= ticks + 3, 60_000);
      const after = (await bus.getAllocation(fresh))!;
      expect(after.epoch).toBe(freshDoc.epoch);
      expect(after.replica).toBe('A');
      expect(passes).toBe(0);
    });

    it('a replica that stops gracefully hands its nodes over at once', async () => {
      const s = example('stream-vs-kvs');
      for (const n of ['n1', 'n2']) await registerScenario(bus, n, s);
      const a = await start({ replica: 'A', leaseTtlMs: 60_000 });
      await waitFor('A holds both', async () => a.service.leases.held.size === 2);
      const b = await start({ replica: 'B', leaseTtlMs: 60_000 });
      await a.service.stop();
      // far sooner than the 60 s lease would expire
      await waitFor('B holds both', async () => b.service.leases.held.size === 2, 10_000);
    });
  });
}

