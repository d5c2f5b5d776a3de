// Probe: Redis killed and restarted empty around registrations, against a real `spirit serve --redis`:
// rounds of a PUT answered 201 followed at once by the kill, and PUTs sent while the kill happens (in
// flight). Every registration the service acknowledged must be in Redis afterwards (re-seeded); the ones
// sent into the outage must be refused cleanly (503), never half-done or answered 500.
import { join } from 'node:path';
import { ROOT, startWithUrl } from '../service/procs.ts';
import { restartableRedis } from './procs.ts';

const SPIRIT = join(ROOT, 'bin', 'spirit.js');

export interface RedisKillFigures {
  tried: number; acknowledged: number; refused503: number; other: string[]; lost: string[];
}

export async function redisKillRestart(o: { rounds: number }): Promise<RedisKillFigures> {
  const redis = await restartableRedis();
  const serve = await startWithUrl(process.execPath, [SPIRIT, 'serve', '--port', '0', '--log-level', 'warn', '--redis', redis.url, '--lease-ttl-ms', '600'],
    { REDIS_URL: '', PORT: '', SPIRIT_TOKEN: '' });
  const acknowledged: string[] = [];
  const outcomes: string[] = [];
  const ready = async (): Promise<void> => {
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      if ((await fetch(`${serve.url}/readyz`).catch(() => null))?.status === 200) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the service did not become ready');
  };
  const put = async (id: string): Promise<void> => {
    const res = await fetch(`${serve.url}/v1/nodes/${id}`, { method: 'PUT', body: JSON.stringify({ capacity: { cacheMB: 1000, bandwidthMbps: 1000 } }) }).catch((e: Error) => e);
    const outcome = res instanceof Response ? String(res.status) : res.name;
    outcomes.push(outcome);
    if (outcome === '201') acknowledged.push(id);
  };
  try {
    for (let i = 0; i < o.rounds; i++) {
      await ready();
      // one answered just before the kill, one sent while it happens
      await put(`ack-${i}`);
      const inFlight = put(`flight-${i}`);
      await redis.kill();
      await inFlight;
      await redis.start();
    }
    await ready();
    // every acknowledged registration is back (the replica re-seeds within a lease tick or two)
    let lost = acknowledged;
    const end = Date.now() + 60_000;
    while (Date.now() < end && lost.length > 0) {
      const have = new Set(((await (await fetch(`${serve.url}/v1/nodes`)).json()) as { id: string }[]).map((n) => n.id));
      lost = acknowledged.filter((id) => !have.has(id));
      if (lost.length) await new Promise((r) => setTimeout(r, 200));
    }
    return {
      tried: outcomes.length, acknowledged: acknowledged.length, refused503: outcomes.filter((x) => x === '503').length,
      other: outcomes.filter((x) => x !== '201' && x !== '503'), lost,
    };
  } finally {
    await serve.stop();
    await redis.stop();
  }
}
