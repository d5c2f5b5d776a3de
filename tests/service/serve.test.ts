// `spirit serve` as a real process: start-up on a free port, graceful shutdown, bad flags, and two replica
// processes sharing a real redis-server, one of them killed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, timerLateness, waitFor } from './harness.ts';
import { startRedis, type RedisProcess } from './redis-server.ts';

const SPIRIT = join(ROOT, 'bin', 'spirit.js');

interface Serve { child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }

async function serve(args: string[], env: Record<string, string> = {}): Promise<Serve> {
  const child = spawn(process.execPath, [SPIRIT, 'serve', '--port', '0', ...args], {
    env: { ...process.env, REDIS_URL: '', SPIRIT_TOKEN: '', PORT: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await waitFor('the listening line', () => /"url":"(http:[^"]+)"/.exec(err)?.[1] ?? (child.exitCode !== null ? Promise.reject(new Error(err)) : null), 60_000);
  return { child, url, stderr: () => err, exited };
}

const running: Serve[] = [];
let redis: RedisProcess | null = null;
afterEach(async () => {
  for (const s of running.splice(0)) {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await s.exited;
  }
  await redis?.stop();
  redis = null;
});

describe('spirit serve', () => {
  it('serves on a free port with the in-process bus, needs the token for writes, stops on SIGTERM', async () => {
    const s = await serve(['--interval-ms', '200'], { SPIRIT_TOKEN: 'sekrit' });
    running.push(s);
    expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await (await fetch(`${s.url}/readyz`)).json() as { ready: boolean; bus: { kind: string } };
    expect(ready).toMatchObject({ ready: true, bus: { kind: 'memory' } });
    const body = JSON.stringify({ capacity: { cacheMB: 100, bandwidthMbps: 100 } });
    expect((await fetch(`${s.url}/v1/nodes/n1`, { method: 'PUT', body })).status).toBe(401);
    expect((await fetch(`${s.url}/v1/nodes/n1`, { method: 'PUT', body, headers: { authorization: 'Bearer sekrit' } })).status).toBe(201);
    expect((await fetch(`${s.url}/v1/apps/a1`, { method: 'PUT', body: JSON.stringify({ node: 'n1' }), headers: { authorization: 'Bearer sekrit' } })).status).toBe(201);
    await waitFor('a round', async () => (await fetch(`${s.url}/v1/apps/a1/allocation`)).status === 200);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toMatch(/"msg":"service stopped"/);
  });

  it('rejects bad flags with exit code 2 and a message naming the flag', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [SPIRIT, 'serve', ...args], { encoding: 'utf8', env: { ...process.env, REDIS_URL: '', PORT: '' }, timeout: 60_000 });
    const port = run(['--port', 'eighty']);
    expect(port.status).toBe(2);
    expect(port.stderr).toMatch(/spirit: bad input: --port: must be a non-negative integer/);
    const url = run(['--port', '0', '--redis', 'not a url']);
    expect(url.status).toBe(2);
    expect(url.stderr).toMatch(/spirit: bad input: redis: /);
    const interval = run(['--port', '0', '--interval-ms', '5']);
    expect(interval.status).toBe(2);
    expect(interval.stderr).toMatch(/intervalMs: must be a number from 50/);
  });

  it('waits for a Redis that is not up yet: not ready meanwhile, retrying with back-off, then serving', async () => {
    const { freePort } = await import('./redis-server.ts');
    const p = await freePort();
    const s = await serve(['--redis', `redis://127.0.0.1:${p}`]);
    running.push(s);
    // up and answering, but not ready; routes that need Redis refuse at once, solve works
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { bus: { reachable: boolean } }).bus.reachable).toBe(false);
    const nodes = await fetch(`${s.url}/v1/nodes`);
    expect(nodes.status).toBe(503);
    expect(nodes.headers.get('retry-after')).toMatch(/^\d+$/);
    const solve = await fetch(`${s.url}/v1/solve`, { method: 'POST', body: readFileSync(join(ROOT, 'examples', 'stream-vs-kvs.json'), 'utf8') });
    expect(solve.status).toBe(200);
    expect(s.child.exitCode).toBeNull();
    // Redis comes up on that port: the replica connects, starts and becomes ready
    redis = await startRedis({ port: p });
    await waitFor('ready once Redis is up', async () => (await fetch(`${s.url}/readyz`)).status === 200, 60_000);
    expect((await fetch(`${s.url}/v1/nodes/late`, { method: 'PUT', body: JSON.stringify({ capacity: { cacheMB: 10, bandwidthMbps: 10 } }) })).status).toBe(201);
    expect(s.stderr()).toMatch(/waiting for Redis/);
    expect(s.stderr()).not.toMatch(/"level":50/);
  });

  it('fails clearly (and exits) when the port is taken', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = spawnSync(process.execPath, [SPIRIT, 'serve', '--port', String(port)], { encoding: 'utf8', env: { ...process.env, REDIS_URL: '', PORT: '' }, timeout: 60_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('two replica processes on one Redis split the nodes; the survivor takes over a killed one', async () => {
    redis = await startRedis();
    const ttl = 1500;
    const common = ['--redis', redis.url, '--interval-ms', '200', '--lease-ttl-ms', String(ttl)];
    const a = await serve([...common, '--replica', 'A']);
    const b = await serve([...common, '--replica', 'B']);
    running.push(a, b);
    const nodes = ['n1', 'n2', 'n3', 'n4'];
    for (const n of nodes) {
      expect((await fetch(`${a.url}/v1/nodes/${n}`, { method: 'PUT', body: JSON.stringify({ capacity: { cacheMB: 1000, bandwidthMbps: 1000 } }) })).status).toBe(201);
      expect((await fetch(`${b.url}/v1/apps/${n}.app`, { method: 'PUT', body: JSON.stringify({ node: n }) })).status).toBe(201);
    }
    // a daemon per node keeps sending telemetry (a node without it would be silent and keep its allocation)
    let t = 1_700_000_000_000;
    const record = (n: string) => ({ app: `${n}.app`, node: n, timeMs: t, cacheMB: 500, bandwidthMbps: 500, throughputOpsPerSec: 1e5,
      missRatio: 0.2, pageTrafficBytesPerSec: 8e7, residentBytes: 5e8 });
    const feeder = setInterval(() => {
      t += 1000;
      void fetch(`${a.url}/v1/telemetry`, { method: 'POST', body: JSON.stringify({ records: nodes.map(record) }) }).catch(() => {});
    }, 150);
    try {
      type View = { id: string; leaseHolder: string | null; allocation: { replica: string; epoch: number } | null };
      const views = async (): Promise<View[]> => (await fetch(`${a.url}/v1/nodes`)).json() as Promise<View[]>;
      await waitFor('two nodes each, each allocated by its holder', async () => {
        const v = await views();
        return v.filter((x) => x.leaseHolder === 'A').length === 2 && v.filter((x) => x.leaseHolder === 'B').length === 2 &&
          v.every((x) => x.allocation?.replica === x.leaseHolder);
      });
      // both replicas see every round on /v1/nodes (shared state), whoever computed it (waited for: on a busy
      // machine a lease can lapse between two reads and be taken again a tick later)
      const fromB = await waitFor('B to see both holders', async () => {
        const v = await (await fetch(`${b.url}/v1/nodes`)).json() as View[];
        return v.map((x) => x.leaseHolder).sort().join() === 'A,A,B,B' ? v : null;
      });
      expect(fromB.map((x) => x.leaseHolder).sort()).toEqual(['A', 'A', 'B', 'B']);
      expect(fromB.every((x) => x.allocation?.replica === 'A' || x.allocation?.replica === 'B')).toBe(true);
      // two lease periods of the replicas' own time: timers firing late on a busy machine delay A's ticks by
      // as much, so the bound adds the lateness timers saw meanwhile (in this process, sharing the machine)
      const lag = timerLateness(20);
      const diedAt = Date.now();
      b.child.kill('SIGKILL');
      await b.exited;
      await waitFor('A holding every node', async () => (await views()).every((x) => x.leaseHolder === 'A'), 30 * ttl, 20);
      expect(Date.now() - diedAt).toBeLessThanOrEqual(2 * ttl + 3 * lag.stop());
      await waitFor('A allocating every node', async () => (await views()).every((x) => x.allocation?.replica === 'A'));
    } finally {
      clearInterval(feeder);
    }
  });
});

