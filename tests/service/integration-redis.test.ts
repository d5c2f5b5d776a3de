// The integration suite on a real redis-server (started by the tests on a free port), plus what only Redis
// can do: be restarted under the running service.
import { afterEach, describe, expect, it } from 'vitest';
import { busNodeClient } from '../../service/bus/client.ts';
import { RedisBus } from '../../service/bus/redis.ts';
import type { Bus } from '../../service/bus/types.ts';
import type { SpiritService } from '../../service/control/service.ts';
import { example, FakeDaemon, makeService, redisBackend, registerScenario, sleep, waitFor } from './harness.ts';
import { startRedis, type RedisProcess } from './redis-server.ts';
import { integrationSuite } from './suite.ts';

describe('service on Redis', () => integrationSuite(redisBackend));

describe('Redis restarted mid-run', () => {
  let redis: RedisProcess | null = null;
  const buses: Bus[] = [];
  let service: SpiritService | null = null;
  afterEach(async () => {
    await service?.stop().catch(() => {});
    for (const b of buses.splice(0)) await b.close().catch(() => {});
    await redis?.stop();
  });

  async function runThroughRestart(appendonly: boolean): Promise<Record<string, unknown>[]> {
    redis = await startRedis({ appendonly });
    const connect = async () => {
      const b = await RedisBus.connect(redis!.url);
      buses.push(b);
      return b;
    };
    const admin = await connect();
    const s = example('paper-mix');
    await registerScenario(admin, 'n1', s);
    await registerScenario(admin, 'n2', example('stream-vs-kvs'));
    const appsBefore = (await admin.listApps()).map((a) => a.id).sort();
    const made = await makeService(await connect());
    service = made.service;
    await service.start();
    const client = busNodeClient(await connect());
    const daemon = new FakeDaemon('n1', s);
    await waitFor('rounds on both nodes', async () => ((await admin.getAllocation('n1'))?.epoch ?? 0) >= 3 && ((await admin.getAllocation('n2'))?.epoch ?? 0) >= 3);
    await client.appendTelemetry(daemon.records());
    const epochBefore = (await admin.getAllocation('n1'))!.epoch;
    const ingestedBefore = await waitFor('telemetry ingested', () => records(service!));
    expect(ingestedBefore).toBe(s.apps.length);

    await redis.kill();
    await sleep(300); // the service runs (and fails its ticks) without Redis for a while
    await redis.start();

    // the service reconnects: every registered app is back (re-seeded if Redis lost its data)
    await waitFor('registry intact', async () => (await admin.listApps()).map((a) => a.id).sort().join() === appsBefore.join());
    // epochs go on from where they were, never restart at 1
    const after = await waitFor('rounds after the restart', async () => {
      const d = await admin.getAllocation('n1');
      return d && d.epoch > epochBefore + 2 ? d : null;
    });
    expect(after.bundles.length).toBe(s.apps.length);
    // telemetry flows again (the consumer group is re-created when Redis lost it)
    await waitFor('telemetry after the restart', async () => {
      await client.appendTelemetry(daemon.records());
      return (await records(service!)) > ingestedBefore;
    });
    expect(service.isRunning).toBe(true);
    expect(await admin.ping()).toBe(true);
    return made.lines;
  }

  const reseeded = (lines: Record<string, unknown>[]) => lines.some((l) => String(l.msg).includes('lost its data'));

  it('without persistence: the service re-seeds registry and allocations and loses no app', async () => {
    const lines = await runThroughRestart(false);
    expect(reseeded(lines)).toBe(true);
    const text = await service!.metrics.text();
    expect(text).toMatch(/spirit_errors_total\{kind="bus"\} [1-9]/); // the outage was noticed, and survived
  });

  it('with append-only persistence: Redis keeps everything and the service carries on', async () => {
    const lines = await runThroughRestart(true);
    expect(reseeded(lines)).toBe(false);
  });
});

async function records(service: SpiritService): Promise<number> {
  const line = (await service.metrics.text()).split('\n').find((l) => l.startsWith('spirit_telemetry_records_total '));
  return line ? Number(line.split(' ')[1]) : 0;
}
