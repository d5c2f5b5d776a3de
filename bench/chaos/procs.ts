// Processes of the chaos probes: a `spirit memnode` with a tokens list, and a redis-server that can be
// killed and started again empty on the same port. Loopback only; everything is killed if the probe stops.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, spawnTracked, stopChild } from '../service/procs.ts';

const START_MS = 60_000;
const SPIRIT = join(ROOT, 'bin', 'spirit.js');

export interface MemnodeChild { address: string; proc: ChildProcess; stop(): Promise<void>; kill(): Promise<void> }

/** `spirit memnode` accepting `tokens` (none: --insecure), with extra flags. */
export async function startMemnode(tokens: string[], args: string[] = []): Promise<MemnodeChild> {
  const proc = spawnTracked(process.execPath, [SPIRIT, 'memnode', '--port', '0', ...(tokens.length ? [] : ['--insecure']), ...args],
    { cwd: ROOT, env: { ...process.env, SPIRIT_MEMNODE_TOKENS: tokens.join(',') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const address = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`memnode: no address within ${START_MS} ms: ${err}`)), START_MS);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+:\d+)/.exec(err);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    proc.once('exit', (c) => { clearTimeout(t); reject(new Error(`memnode exited with ${c}: ${err}`)); });
  });
  const kill = (): Promise<void> => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
  return { address, proc, stop: () => stopChild(proc), kill };
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export interface RestartableRedis { url: string; kill(): Promise<void>; start(): Promise<void>; stop(): Promise<void> }

/** A redis-server without persistence: kill() loses everything, start() comes back empty on the same port. */
export async function restartableRedis(): Promise<RestartableRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'spirit-chaos-redis-'));
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    const p = spawnTracked('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    proc = p;
    let failed: Error | null = null;
    p.once('error', (e) => { failed = e; });
    const end = Date.now() + START_MS;
    while (Date.now() < end) {
      if (failed) throw new Error(`cannot start redis-server (${(failed as Error).message}): apt-get install -y redis-server`);
      if (await canConnect(port)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('redis-server did not start');
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => { p.once('exit', () => resolve()); p.kill('SIGKILL'); });
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, kill, start, async stop() { await kill(); rmSync(dir, { recursive: true, force: true }); } };
}
