// Child processes of `spirit bench service`: servers (spirit serve, the bare ceiling, redis-server), the load
// generator (autocannon, in its own process so it does not share the server's event loop) and redis-benchmark.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Start-up deadline of any child server. */
const START_MS = 60_000;

export interface Child { proc: ChildProcess; url: string; stop(): Promise<void> }

/** Children still running: killed if the benchmark itself is interrupted, so no server outlives it. */
const live = new Set<ChildProcess>();
let cleanupInstalled = false;
function track(proc: ChildProcess): void {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => { for (const p of live) p.kill('SIGKILL'); });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const p of live) p.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** spawn, with the child killed if the benchmark is interrupted. */
export function spawnTracked(cmd: string, args: string[], opts: Parameters<typeof spawn>[2]): ChildProcess {
  const proc = spawn(cmd, args, opts);
  track(proc);
  return proc;
}

/** Starts a process and waits until it prints a JSON line with a `url` (on stdout or stderr). */
export async function startWithUrl(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  track(proc);
  let out = '';
  const onData = (d: Buffer): void => { out += d.toString(); if (out.length > 1e6) out = out.slice(-1e5); };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${args.join(' ')}: no URL within ${START_MS} ms:\n${out.slice(-2000)}`));
    }, START_MS);
    const check = (): void => {
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]); }
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`${args.join(' ')} exited with ${code}:\n${out.slice(-2000)}`)); });
  });
  return { proc, url, stop: () => stopChild(proc) };
}

export function stopChild(proc: ChildProcess): Promise<void> {
  // exited, or killed by a signal (then exitCode stays null): its 'exit' has been and will not come again
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => { clearTimeout(t); resolve(); });
    proc.kill('SIGTERM');
  });
}

/**
 * The command line that runs `cmd args` on one CPU (taskset), or as is on a single-CPU machine or one without
 * taskset. The HTTP bench pins the server under test to CPU 0 and the load generator to CPU 1: left to the
 * scheduler, the two sometimes shared a core, and the ceiling moved by +-30% between runs.
 */
export function pinned(cpu: number, cmd: string, args: string[]): [string, string[]] {
  if (cpus().length < 2 || !HAS_TASKSET) return [cmd, args];
  return ['taskset', ['-c', String(cpu), cmd, ...args]];
}
const HAS_TASKSET = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

export interface LoadResult { requestsPerSec: number; p50Ms: number; p99Ms: number; non2xx: number; errors: number; requests: number }

/** autocannon in a child process: POST `body` to `url` with `connections` clients for `durationS`. */
export function autocannon(url: string, body: string, connections: number, durationS: number): LoadResult {
  const dir = mkdtempSync(join(tmpdir(), 'spirit-bench-'));
  const file = join(dir, 'body.json');
  writeFileSync(file, body);
  try {
    const [cmd, args] = pinned(LOAD_CPU, join(ROOT, 'node_modules', '.bin', 'autocannon'), ['-c', String(connections), '-d', String(durationS), '-m', 'POST',
      '-H', 'content-type=application/json', '-i', file, '-j', '-n', url]);
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`autocannon failed: ${r.stderr}`);
    const j = JSON.parse(r.stdout) as {
      requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number;
    };
    return { requestsPerSec: j.requests.average, p50Ms: j.latency.p50, p99Ms: j.latency.p99, non2xx: j.non2xx, errors: j.errors, requests: j.requests.total };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Distinct 6-app scenarios a varied load cycles through (bench/service/varied-load.ts). */
export const VARIED_POOL = 2048;

/**
 * bench/service/varied-load.ts in a child process (pinned like autocannon): POSTs to `url` with `connections`
 * clients for `durationS`, every request a different scenario of a pool of VARIED_POOL distinct mixes.
 */
export function variedLoad(url: string, connections: number, durationS: number, seed: number): LoadResult & { distinct: number } {
  const [cmd, args] = pinned(LOAD_CPU, process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'service', 'varied-load.ts'),
    url, String(connections), String(durationS), String(VARIED_POOL), String(seed)]);
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`varied load failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as LoadResult & { distinct: number };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisChild { url: string; port: number; stop(): Promise<void> }

export async function startRedisServer(): Promise<RedisChild> {
  const dir = mkdtempSync(join(tmpdir(), 'spirit-bench-redis-'));
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  track(proc);
  // a missing binary is an 'error' event, not an exit: without a listener it would crash the benchmark
  let spawnError: Error | null = null;
  proc.once('error', (err) => { spawnError = err; });
  const deadline = Date.now() + START_MS;
  while (Date.now() < deadline) {
    if (spawnError) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot start redis-server (${(spawnError as Error).message}): install it, e.g. apt-get install -y redis-server`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (proc.exitCode !== null) throw new Error('redis-server exited at start');
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `redis://127.0.0.1:${port}`, port,
    async stop() {
      await stopChild(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** redis-benchmark XADD of `payload` (capped stream, as the service's streams are): requests per second. */
export function redisBenchmarkXadd(port: number, payload: string, requests: number, pipeline: number, clients: number): { requestsPerSec: number; p99Ms: number } {
  const r = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', String(clients), '-n', String(requests), '-P', String(pipeline),
    '--csv', 'XADD', 'bench:xadd', 'MAXLEN', '~', '100000', '*', 'r', payload], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop()!;
  const f = last.split('","');
  return { requestsPerSec: Number(f[f.length - 7]), p99Ms: Number(f[f.length - 2]) };
}
