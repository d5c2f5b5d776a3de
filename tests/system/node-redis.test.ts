// The daemon over Redis (`spirit node --redis`) with real processes: a redis-server, `spirit serve --redis`,
// a memory node and `spirit node --redis` with two workloads (an embedding table and a microservice). The
// estimator's fitted models land in Redis (curves and parameters checked for shape), and the allocation
// stored there is the one the regions carry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBus } from '../../service/bus/redis.ts';
import { startRedis, type RedisProcess } from '../service/redis-server.ts';
import { controlFiles, expectedLimits, type Proc, regionsByLabel, spirit, startMemnode, startServe, tempDir, waitFor } from './procs.ts';

const NODE = 'rnode';
let redis: RedisProcess;
let bus: RedisBus;
const procs: Proc[] = [];
const ctl = tempDir('spirit-redis-ctl-');
let daemon: Proc;

beforeAll(async () => {
  redis = await startRedis();
  bus = await RedisBus.connect(redis.url);
  const memnode = await startMemnode();
  procs.push(memnode.proc);
  const serve = await startServe(['--redis', redis.url, '--interval-ms', '500']);
  procs.push(serve.proc);
  daemon = spirit(['node', '--redis', redis.url, '--node', NODE, '--cache-mb', '12', '--bandwidth-mbps', '300', '--memnode', memnode.address,
    '--workload', 'embedding:id=emb,size-mb=12', '--workload', 'micro:id=svc,size-mb=12', '--interval-ms', '250', '--control-dir', ctl.dir]);
  procs.push(daemon);
});

afterAll(async () => {
  for (const p of procs.reverse()) await p.kill();
  await bus?.close();
  await redis?.stop();
  ctl.cleanup();
});

describe('spirit node --redis', () => {
  it('registers through Redis; the service fits a model per app from its telemetry and stores it', async () => {
    await waitFor('the apps in the registry', async () => (await bus.listApps(NODE)).length === 2);
    const models = await waitFor('fitted models for both apps', async () => {
      const m = await bus.getFittedModels(NODE);
      return m.emb && m.svc ? m : null;
      // as in node.test.ts: seconds on a quiet machine, over 240 s under a CPU hog on both cores
    }, 480_000, 250);
    for (const m of Object.values(models)) {
      expect(m.type).toBe('mrc');
      expect(m.mrc.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < m.mrc.length; i++) {
        expect(m.mrc[i][0]).toBeGreaterThan(m.mrc[i - 1][0]);
        expect(m.mrc[i][1]).toBeLessThanOrEqual(m.mrc[i - 1][1]);
      }
      expect(m.mrc.every(([, r]) => r >= 0 && r <= 1)).toBe(true);
      expect(m.localNs).toBeGreaterThan(0);
      expect(m.remoteNs).toBeGreaterThan(0);
    }
  }, 540_000);

  it('enforces the allocation stored in Redis on the regions', async () => {
    await waitFor('the regions to carry the stored allocation', async () => {
      const a = await bus.getAllocation(NODE);
      const regions = regionsByLabel(ctl.dir);
      return a && a.bundles.length === 2 && a.bundles.every((b) => regions.get(b.app)?.cacheBytes === expectedLimits({ ...b }).cacheBytes &&
        Math.abs(regions.get(b.app)!.bandwidthMbps - expectedLimits({ ...b }).bandwidthMbps) < 1e-9);
    }, 60_000, 50);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    expect(controlFiles(ctl.dir)).toEqual([]);
  }, 300_000);
});
