// A shard's primary killed under live rounds on a real Redis Cluster (3 primaries + 3 replicas): its replica
// takes over, no acknowledged registration or allocation epoch is lost, rounds and announcements resume.
// Failover takes about cluster-node-timeout plus an election; nothing here bounds how long (the machine is
// busy), only what must hold after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busNodeClient } from '../../service/bus/client.ts';
import { keys } from '../../service/bus/keys.ts';
import { RedisBus } from '../../service/bus/redis.ts';
import type { AllocationDoc, Bus } from '../../service/bus/types.ts';
import { putApp } from '../../service/control/registry.ts';
import type { SpiritService } from '../../service/control/service.ts';
import { example, FakeDaemon, makeService, registerScenario, sleep, waitFor } from './harness.ts';
import { startRedisCluster, type RedisClusterProcess } from './redis-cluster.ts';

let cluster: RedisClusterProcess;
const buses: Bus[] = [];
const services: SpiritService[] = [];
const connect = async (): Promise<RedisBus> => {
  const b = await RedisBus.connect(cluster.url, { connectTimeoutMs: 20_000 });
  buses.push(b);
  return b;
};

beforeAll(async () => { cluster = await startRedisCluster(); });
afterAll(async () => {
  for (const s of services) await s.stop().catch(() => {});
  for (const b of buses) await b.close().catch(() => {});
  await cluster?.stop();
});

describe('Redis Cluster failover', () => {
  it('a primary killed during live rounds: its replica takes over, nothing acknowledged is lost, rounds resume', async () => {
    const admin = await connect();
    const s = example('stream-vs-kvs');
    const nodes = Array.from({ length: 9 }, (_, i) => `fn${i}`);
    for (const n of nodes) await registerScenario(admin, n, s);
    // the primary serving the most nodes' slots is the one to kill
    const owner = new Map(nodes.map((n) => [n, cluster.primaryOf(keys.alloc(n))]));
    const counts = new Map<number, number>();
    for (const p of owner.values()) counts.set(p, (counts.get(p) ?? 0) + 1);
    const victim = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    const onVictim = nodes.filter((n) => owner.get(n) === victim);
    expect(onVictim.length).toBeGreaterThan(0);

    // every epoch that was acknowledged (a service published it) or announced (a subscriber got it), by node
    const seen = new Map<string, Map<number, string>>(nodes.map((n) => [n, new Map()]));
    const conflicts: string[] = [];
    const record = (d: AllocationDoc, how: string): void => {
      const byEpoch = seen.get(d.node);
      if (!byEpoch) return;
      const sig = `${d.replica}@${d.timeMs}`;
      const had = byEpoch.get(d.epoch);
      if (had !== undefined && had !== sig) conflicts.push(`${d.node} epoch ${d.epoch}: ${had} and ${sig} (${how})`);
      byEpoch.set(d.epoch, sig);
    };
    const unsubscribe = await (await connect()).subscribeAllocations((d) => record(d, 'announced'));
    for (const replica of ['A', 'B']) {
      const made = await makeService(await connect(), { replica, intervalMs: 150, leaseTtlMs: 2000 });
      made.service.events.listen((d) => { if (d.replica === replica) record(d, `acknowledged by ${replica}`); });
      services.push(made.service);
      await made.service.start();
    }
    // daemons: telemetry flows and each follows its node's allocation
    const client = busNodeClient(await connect());
    const daemons = nodes.map((n) => new FakeDaemon(n, s));
    const stops = await Promise.all(daemons.map((d) => client.watchAllocation(d.node, (doc) => { d.allocation = doc; }, { pollMs: 200 })));
    let feeding = true;
    const feeder = (async () => {
      while (feeding) {
        for (const d of daemons) await client.appendTelemetry(d.records()).catch(() => {});
        await sleep(100);
      }
    })();
    // registrations keep arriving through the failover; those whose call returned are acknowledged
    const acknowledged: string[] = [];
    let registering = true;
    const registrar = (async () => {
      for (let k = 0; registering; k++) {
        const node = nodes[k % nodes.length];
        try {
          await putApp(admin, `${node}.reg-${k}`, { node });
          acknowledged.push(`${node}.reg-${k}`);
        } catch {
          // refused or failed during the failover: not acknowledged, nothing promised
        }
        await sleep(40);
      }
    })();

    const epochOf = async (n: string): Promise<number> => (await admin.getAllocation(n))?.epoch ?? 0;
    await waitFor('rounds on every node', async () => (await Promise.all(nodes.map(epochOf))).every((e) => e >= 3), 60_000);
    const beforeKill = new Map(await Promise.all(nodes.map(async (n) => [n, await epochOf(n)] as const)));
    const registeredBeforeKill = acknowledged.length;

    await cluster.kill(victim);
    // the replica is promoted: every slot served again by a live primary
    await cluster.waitHealthy(120_000);
    const promoted = cluster.nodes().filter((n) => n.role === 'master' && !n.failed);
    expect(promoted.map((n) => n.port)).not.toContain(victim);
    expect(promoted.length).toBe(3);
    expect(cluster.primaryOf(keys.alloc(onVictim[0]))).not.toBe(victim);

    // rounds resume on every node, announced to subscribers and daemons, including the failed shard's nodes
    await waitFor('rounds after the failover', async () => {
      const now = await Promise.all(nodes.map(epochOf));
      return nodes.every((n, i) => now[i] >= beforeKill.get(n)! + 3);
    }, 120_000);
    for (const n of onVictim) {
      await waitFor(`an announcement for ${n} after the failover`, () => [...seen.get(n)!.keys()].some((e) => e > beforeKill.get(n)! + 1), 60_000);
      await waitFor(`${n}'s daemon following again`, () => (daemons.find((d) => d.node === n)!.allocation?.epoch ?? 0) > beforeKill.get(n)! + 1, 60_000);
    }
    registering = false;
    await registrar;
    feeding = false;
    await feeder;

    // no epoch was acknowledged or announced twice with different contents: none was lost and reissued
    expect(conflicts).toEqual([]);
    // the store never went below an epoch it had acknowledged
    for (const n of nodes) {
      const top = Math.max(...seen.get(n)!.keys());
      expect(await epochOf(n), n).toBeGreaterThanOrEqual(top);
    }
    // every acknowledged registration is there, including those made while the shard failed over
    expect(acknowledged.length).toBeGreaterThan(registeredBeforeKill);
    const missing: string[] = [];
    for (const id of acknowledged) if (!(await admin.getApp(id))) missing.push(id);
    expect(missing).toEqual([]);
    // telemetry still flows (the consumer groups survived or were re-created)
    const ingested = async (): Promise<number> => {
      let t = 0;
      for (const sv of services) {
        const line = (await sv.metrics.text()).split('\n').find((l) => l.startsWith('spirit_telemetry_records_total '));
        t += line ? Number(line.split(' ')[1]) : 0;
      }
      return t;
    };
    const before = await ingested();
    await waitFor('telemetry ingested after the failover', async () => {
      for (const d of daemons) await client.appendTelemetry(d.records());
      return (await ingested()) > before;
    }, 60_000);
    for (const stop of stops) await stop();
    await unsubscribe();
  });
});
