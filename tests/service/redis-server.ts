// A real redis-server for tests: started on a free TCP port in a temporary directory, stopped (or killed and
// restarted on the same port) on demand. Not a test file itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
const START_DEADLINE_MS = 10_000;

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

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * The pid of the redis-server answering on `port` (INFO server), or null. Suites run in parallel, and a port
 * freed by a killed server can be taken by another suite's server before this one restarts on it: answering
 * is not enough, it must be our process.
 */
async function serverPid(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const t = setTimeout(() => { s.destroy(); resolve(null); }, 2000);
    s.once('connect', () => s.write('INFO server\r\n'));
    s.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /process_id:(\d+)/.exec(text);
      if (m) { clearTimeout(t); s.destroy(); resolve(Number(m[1])); }
    });
    s.once('error', () => { clearTimeout(t); resolve(null); });
  });
}

export interface RedisProcess {
  port: number;
  url: string;
  dir: string;
  /** SIGKILL: the data in memory is gone (no persistence unless `appendonly`) */
  kill(): Promise<void>;
  /** start again on the same port and directory */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `port`: this port (a test waiting for Redis to come up there); default: a free one. */
export async function startRedis(opts: { appendonly?: boolean; port?: number } = {}): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'spirit-redis-'));
  let port = 0;
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', opts.appendonly ? 'yes' : 'no', '--protected-mode', 'no', '--loglevel', 'warning'];
    const c = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    child = c;
    let exited = false;
    c.once('exit', () => { exited = true; });
    const deadline = Date.now() + START_DEADLINE_MS;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`redis-server exited at start (port ${port})`);
      if (await canConnect(port)) {
        const pid = await serverPid(port);
        if (pid === c.pid) return;
        if (pid !== null) {
          c.kill('SIGKILL');
          throw new Error(`port ${port} is held by another redis-server (pid ${pid}), not ours (pid ${c.pid})`);
        }
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    c.kill('SIGKILL');
    throw new Error(`redis-server did not accept connections on port ${port} within ${START_DEADLINE_MS} ms`);
  };
  for (let attempt = 0; ; attempt++) {
    port = opts.port ?? await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 4 || opts.port !== undefined) throw err; // the port was taken between probing and binding: try another
    }
  }
  const kill = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); });
  };
  return {
    port, dir, url: `redis://127.0.0.1:${port}`,
    kill,
    start: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
