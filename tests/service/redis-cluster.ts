// A real Redis Cluster for tests: 3 primaries + 3 replicas of redis-server in cluster mode on free loopback
// ports, joined with `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes`. A primary can be
// killed (its replica is promoted after cluster-node-timeout) and started again (it rejoins as a replica).
// Not a test file itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REDIS_SERVER } from './redis-server.ts';

export const REDIS_CLI = process.env.REDIS_CLI ?? '/usr/bin/redis-cli';
/** Short enough that a failover happens within seconds; long enough that a busy 2-core machine does not mark
 *  a node failed because it was slow to answer a ping (tests never assert how long a failover took). */
const NODE_TIMEOUT_MS = 5000;
const START_DEADLINE_MS = 60_000;

export interface ClusterNodeInfo {
  id: string; port: number; role: 'master' | 'slave'; primaryId: string | null; failed: boolean;
  /** slot ranges served (primaries), inclusive */
  ranges: [number, number][];
  slots: number;
}

export interface RedisClusterProcess {
  ports: number[];
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...` (every node as a seed) */
  url: string;
  dir: string;
  /** the cluster's view of its nodes, as one live node reports it */
  nodes(): ClusterNodeInfo[];
  /** the port of the primary serving `key`'s slot */
  primaryOf(key: string): number;
  /** the port of a replica of the primary serving `key`'s slot */
  replicaOf(key: string): number;
  /** SIGSTOP / SIGCONT one node (a stopped replica confirms no write) */
  pause(port: number): void;
  resume(port: number): void;
  /** SIGKILL one node (its data in memory is gone; a replica takes over a killed primary's slots) */
  kill(port: number): Promise<void>;
  /** start a killed node again on its port and directory (it rejoins, as a replica if it was replaced) */
  restart(port: number): Promise<void>;
  /** waits until every slot is served by a live primary and every live node says cluster_state:ok */
  waitHealthy(deadlineMs?: number): Promise<void>;
  /** FLUSHALL on every primary (tests share one cluster) */
  flush(): void;
  stop(): Promise<void>;
}

function cli(port: number, ...args: string[]): string {
  const r = spawnSync(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`redis-cli -p ${port} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function tryCli(port: number, ...args: string[]): string | null {
  try {
    return cli(port, ...args);
  } catch {
    return null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Parses CLUSTER NODES. */
export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    const flags = f[2].split(',');
    const ranges = f.slice(8).filter((s) => !s.startsWith('[')).map((s): [number, number] => {
      const [a, b] = s.split('-').map(Number);
      return [a, b ?? a];
    });
    return {
      id: f[0], port: Number(f[1].split('@')[0].split(':').pop()), role: flags.includes('master') ? 'master' : 'slave',
      primaryId: f[3] === '-' ? null : f[3], failed: flags.includes('fail') || flags.includes('fail?') || f[7] === 'disconnected',
      ranges, slots: ranges.reduce((n, [a, b]) => n + b - a + 1, 0),
    };
  });
}

export async function startRedisCluster(opts: { primaries?: number } = {}): Promise<RedisClusterProcess> {
  const primaries = opts.primaries ?? 3;
  const count = primaries * 2;
  const dir = mkdtempSync(join(tmpdir(), 'spirit-redis-cluster-'));
  const ports: number[] = [];
  while (ports.length < count) {
    const p = await freePort();
    // the cluster bus listens on port + 10000: both must be free and distinct from the others
    if (p + 10000 <= 65535 && !ports.includes(p) && !ports.some((q) => q + 10000 === p || p + 10000 === q)) ports.push(p);
  }
  const children = new Map<number, ChildProcess>();

  const launch = async (port: number): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
      // a replica may always be promoted, however long it was cut off (tests kill primaries on purpose)
      '--cluster-replica-validity-factor', '0', '--protected-mode', 'no', '--loglevel', 'warning',
      '--logfile', join(dir, `redis-${port}.log`)];
    const c = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    children.set(port, c);
    let exited = false;
    c.once('exit', () => { exited = true; });
    const deadline = Date.now() + START_DEADLINE_MS;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`redis-server (cluster node on port ${port}) exited at start; see ${dir}/redis-${port}.log`);
      if (tryCli(port, 'PING')?.trim() === 'PONG') return;
      await sleep(50);
    }
    c.kill('SIGKILL');
    throw new Error(`redis-server did not answer on port ${port} within ${START_DEADLINE_MS} ms`);
  };

  const kill = async (port: number): Promise<void> => {
    const c = children.get(port);
    children.delete(port);
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); });
  };

  const liveNodes = (): ClusterNodeInfo[] => {
    for (const p of ports) {
      if (!children.has(p)) continue;
      const t = tryCli(p, 'CLUSTER', 'NODES');
      if (t) return parseClusterNodes(t);
    }
    throw new Error('no live cluster node answers CLUSTER NODES');
  };

  const waitHealthy = async (deadlineMs = START_DEADLINE_MS): Promise<void> => {
    const end = Date.now() + deadlineMs;
    let why = '';
    while (Date.now() < end) {
      const live = [...children.keys()];
      const states = live.map((p) => /cluster_state:(\w+)/.exec(tryCli(p, 'CLUSTER', 'INFO') ?? '')?.[1]);
      const nodes = (() => { try { return liveNodes(); } catch { return []; } })();
      // only primaries whose process runs: right after a kill the others still list the dead one as a healthy
      // primary (until the node timeout), and the cluster state stays ok meanwhile
      const served = nodes.filter((n) => n.role === 'master' && !n.failed && children.has(n.port)).reduce((t, n) => t + n.slots, 0);
      if (states.every((s) => s === 'ok') && served === 16384) return;
      why = `states ${states.join(',')}; slots served by live primaries ${served}`;
      await sleep(100);
    }
    throw new Error(`the Redis Cluster did not become healthy within ${deadlineMs} ms (${why}); logs in ${dir}`);
  };

  try {
    for (const p of ports) await launch(p);
    const create = spawnSync(REDIS_CLI, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 });
    if (create.status !== 0 || !/All 16384 slots covered/.test(create.stdout)) {
      throw new Error(`redis-cli --cluster create failed: ${create.stderr || create.stdout}`);
    }
    await waitHealthy();
    // every replica attached and in sync, so the first failover of a test has a replica to promote
    const end = Date.now() + START_DEADLINE_MS;
    for (;;) {
      const nodes = liveNodes();
      const synced = nodes.filter((n) => n.role === 'slave').every((n) => /master_link_status:up/.test(tryCli(n.port, 'INFO', 'replication') ?? ''));
      if (nodes.filter((n) => n.role === 'slave').length === primaries && synced) break;
      if (Date.now() > end) throw new Error('the cluster replicas did not come up in sync');
      await sleep(100);
    }
  } catch (err) {
    for (const p of [...children.keys()]) await kill(p);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const primaryOf = (key: string): number => {
    const live = [...children.keys()][0];
    const slot = Number(cli(live, 'CLUSTER', 'KEYSLOT', key).trim());
    const owner = liveNodes().find((n) => n.role === 'master' && !n.failed && n.ranges.some(([a, b]) => a <= slot && slot <= b));
    if (!owner) throw new Error(`no live primary serves slot ${slot}`);
    return owner.port;
  };

  return {
    ports, dir, url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    nodes: liveNodes,
    primaryOf,
    replicaOf(key) {
      const primary = primaryOf(key);
      const nodes = liveNodes();
      const id = nodes.find((n) => n.port === primary)!.id;
      const replica = nodes.find((n) => n.role === 'slave' && n.primaryId === id && !n.failed);
      if (!replica) throw new Error(`the primary on port ${primary} has no live replica`);
      return replica.port;
    },
    pause(port) { children.get(port)?.kill('SIGSTOP'); },
    resume(port) { children.get(port)?.kill('SIGCONT'); },
    kill,
    restart: launch,
    waitHealthy,
    flush() {
      for (const n of liveNodes().filter((x) => x.role === 'master' && !x.failed)) cli(n.port, 'FLUSHALL');
    },
    async stop() {
      for (const p of [...children.keys()]) await kill(p);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
