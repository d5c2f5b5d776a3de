// What the bus does only on a Redis Cluster (3 primaries + 3 replicas, real redis-server processes): nodes'
// keys spread over the shards with each node's keys on one; sharded pub/sub to one node's listener and to the
// every-node listener (including nodes registered later); an allocation announced only after a replica
// confirmed it; `spirit serve --redis redis+cluster://...` as a real process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keys, nodeKeys } from '../../service/bus/keys.ts';
import { RedisBus } from '../../service/bus/redis.ts';
import type { AllocationDoc } from '../../service/bus/types.ts';
import { putNode } from '../../service/control/registry.ts';
import { clusterBackend, ROOT, sleep, stopSharedCluster, waitFor, type Backend } from './harness.ts';
import { startRedisCluster, type RedisClusterProcess } from './redis-cluster.ts';

const capacity = { cacheMB: 1000, bandwidthMbps: 1000 };
const doc = (node: string, epoch: number): AllocationDoc => ({
  node, epoch, timeMs: Date.now(), replica: 'test', policy: 'spirit', bundles: [],
  certificate: { cleared: true, iterations: 0, leftoverCacheMB: 0, leftoverBandwidthMbps: 0, maxEnvy: 0, sharingIncentiveViolations: [] }, elapsedMs: 0,
});

describe('bus on a Redis Cluster', () => {
  let backend: Backend;
  beforeEach(async () => { backend = await clusterBackend(); });
  afterEach(async () => { await backend.close(); });
  afterAll(stopSharedCluster);

  it('keeps a node on one shard and spreads nodes over all three', async () => {
    const bus = (await backend.connect()) as RedisBus;
    expect(bus.cluster).toBe(true);
    const nodes = Array.from({ length: 24 }, (_, i) => `spread-${i}`);
    for (const n of nodes) await putNode(bus, n, { capacity });
    const c = backend.cluster!;
    const primaries = new Set(nodes.map((n) => c.primaryOf(keys.node(n))));
    expect(primaries.size).toBe(3);
    for (const n of nodes.slice(0, 4)) expect(new Set(nodeKeys(n).map((k) => c.primaryOf(k))).size).toBe(1);
    // listing crosses every shard; deleting a node is one DEL of all its keys (legal: one slot)
    expect((await bus.listNodes()).map((n) => n.id).sort()).toEqual([...nodes].sort());
    for (const n of nodes.slice(0, 3)) expect(await bus.deleteNode(n)).toBe(true);
    expect((await bus.listNodes()).map((n) => n.id).sort()).toEqual(nodes.slice(3).sort());
  });

  it('delivers a node\'s announcements to its listener only, and every node\'s to the every-node listener', async () => {
    const bus = await backend.connect();
    const other = await backend.connect();
    for (const n of ['a1', 'a2']) await putNode(bus, n, { capacity });
    const one: AllocationDoc[] = [];
    const all: AllocationDoc[] = [];
    const stopOne = await other.subscribeAllocations((d) => one.push(d), 'a1');
    const stopAll = await other.subscribeAllocations((d) => all.push(d));
    // a node registered through another bus after the subscription: picked up by the periodic sync
    await putNode(bus, 'a3', { capacity });
    let tries = 0;
    await waitFor('a3 followed', async () => {
      await bus.publishAllocation(doc('a3', ++tries), null);
      return all.some((d) => d.node === 'a3');
    }, 30_000, 200);
    expect(await bus.publishAllocation(doc('a1', 1), null)).toBe('published');
    expect(await bus.publishAllocation(doc('a2', 1), null)).toBe('published');
    await waitFor('both announcements', () => all.some((d) => d.node === 'a1') && all.some((d) => d.node === 'a2'));
    await waitFor('a1 to its listener', () => one.length === 1);
    await sleep(200);
    expect(one.map((d) => d.node)).toEqual(['a1']);
    await stopOne();
    await stopAll();
    // after unsubscribing nothing more arrives
    const count = all.length;
    await bus.publishAllocation(doc('a1', 2), null);
    await sleep(300);
    expect(all.length).toBe(count);
    expect(one.length).toBe(1);
  });
});

describe('replica confirmation on a Redis Cluster', () => {
  let cluster: RedisClusterProcess;
  afterEach(async () => { await cluster?.stop(); });

  it('announces an allocation only after its shard\'s replica was asked to confirm it; a silent replica is reported', async () => {
    cluster = await startRedisCluster();
    const errors: string[] = [];
    const bus = await RedisBus.connect(cluster.url, { connectTimeoutMs: 20_000, onError: (e) => errors.push(e.message) });
    const listener = await RedisBus.connect(cluster.url, { connectTimeoutMs: 20_000 });
    try {
      await putNode(bus, 'w1', { capacity });
      expect(errors.filter((e) => /no replica confirmed/.test(e))).toEqual([]);
      const heard: { epoch: number; errorsThen: number }[] = [];
      await listener.subscribeAllocations((d) => heard.push({ epoch: d.epoch, errorsThen: errors.length }), 'w1');
      expect(await bus.publishAllocation(doc('w1', 1), null)).toBe('published');
      await waitFor('epoch 1 announced', () => heard.length === 1);
      expect(heard[0].errorsThen).toBe(0);
      // the replica stops answering: the write is stored, WAIT gives up, that is reported, then it is announced
      const replica = cluster.replicaOf(keys.alloc('w1'));
      cluster.pause(replica);
      try {
        expect(await bus.publishAllocation(doc('w1', 2), null)).toBe('published');
      } finally {
        cluster.resume(replica);
      }
      await waitFor('epoch 2 announced', () => heard.length === 2);
      expect(heard[1].errorsThen).toBeGreaterThan(0);
      expect(errors.some((e) => e.includes(`no replica confirmed a write to ${keys.alloc('w1')}`))).toBe(true);
      expect((await bus.getAllocation('w1'))!.epoch).toBe(2);
    } finally {
      await bus.close();
      await listener.close();
    }
  });
});

describe('spirit serve on a Redis Cluster', () => {
  let backend: Backend;
  beforeEach(async () => { backend = await clusterBackend(); });
  afterEach(async () => { await backend.close(); });
  afterAll(stopSharedCluster);

  it('runs with REDIS_URL=redis+cluster://..., is ready, and allocates a registered node', async () => {
    const bus = await backend.connect();
    const url = backend.cluster!.url;
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'spirit.js'), 'serve', '--port', '0', '--interval-ms', '200'],
      { env: { ...process.env, REDIS_URL: url, SPIRIT_TOKEN: '', PORT: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      const base = await waitFor('the listening line', () => /"url":"(http:[^"]+)"/.exec(err)?.[1] ?? (child.exitCode !== null ? Promise.reject(new Error(err)) : null), 60_000);
      const ready = (await (await fetch(`${base}/readyz`)).json()) as { ready: boolean; bus: { kind: string } };
      expect(ready).toMatchObject({ ready: true, bus: { kind: 'redis' } });
      expect((await fetch(`${base}/v1/nodes/c1`, { method: 'PUT', body: JSON.stringify({ capacity }) })).status).toBe(201);
      expect((await fetch(`${base}/v1/apps/c1.app`, { method: 'PUT', body: JSON.stringify({ node: 'c1' }) })).status).toBe(201);
      const alloc = await waitFor('an allocation', async () => {
        const r = await fetch(`${base}/v1/nodes/c1/allocation`);
        return r.ok ? ((await r.json()) as AllocationDoc) : null;
      });
      expect(alloc.bundles.map((b) => b.app)).toEqual(['c1.app']);
      // written to the cluster, readable through another client
      expect((await bus.getAllocation('c1'))!.epoch).toBeGreaterThanOrEqual(alloc.epoch);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
