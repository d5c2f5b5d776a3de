// What `spirit bench cluster` reads while it runs: CPU time of a process (/proc), Redis's own counters (INFO:
// commands, bytes in and out, CPU), a replica's Prometheus counters, lease holders, and every allocation
// announcement with the time it arrived.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import type { Redis } from 'ioredis';
import { channels, keys } from '../../service/bus/keys.ts';
import type { AllocationDoc } from '../../service/bus/types.ts';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User + system CPU seconds a process has used so far (0 once it is gone). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // fields after the command name (which may hold spaces, so split after its closing parenthesis)
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

export const load1 = (): number => Math.round(loadavg()[0] * 100) / 100;

export interface RedisCounters { commands: number; netInBytes: number; netOutBytes: number; cpuSeconds: number; atMs: number }

/** Commands processed, bytes in and out and CPU used by redis-server so far. */
export async function redisCounters(r: Redis): Promise<RedisCounters> {
  const text = (await r.info('all')) as string;
  const num = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    commands: num('total_commands_processed'), netInBytes: num('total_net_input_bytes'), netOutBytes: num('total_net_output_bytes'),
    cpuSeconds: num('used_cpu_sys') + num('used_cpu_user'), atMs: Date.now(),
  };
}

export function diff(a: RedisCounters, b: RedisCounters): RedisCounters {
  return { commands: b.commands - a.commands, netInBytes: b.netInBytes - a.netInBytes, netOutBytes: b.netOutBytes - a.netOutBytes, cpuSeconds: b.cpuSeconds - a.cpuSeconds, atMs: b.atMs - a.atMs };
}

/** A replica's Prometheus text, as name{labels} -> value. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

export const sumOf = (m: Map<string, number>, prefix: string): number => {
  let t = 0;
  for (const [k, v] of m) if (k === prefix || k.startsWith(`${prefix}{`)) t += v;
  return t;
};

/** The holder of every node's lease (one pipelined GET each). */
export async function leaseHolders(r: Redis, nodes: string[]): Promise<(string | null)[]> {
  const res = (await r.pipeline(nodes.map((n) => ['get', keys.lease(n)])).exec()) ?? [];
  return res.map(([, v]) => (v as string | null) ?? null);
}

export interface Seen { atMs: number; replica: string; epoch: number }

/** Every announcement of every node (the last HISTORY of each), with its arrival time. */
export class Announcements {
  static readonly HISTORY = 64;
  readonly byNode = new Map<string, Seen[]>();
  total = 0;

  constructor(private readonly sub: Redis) {}

  async start(): Promise<void> {
    this.sub.on('pmessage', (_p: string, _ch: string, message: string) => {
      const d = JSON.parse(message) as AllocationDoc;
      let list = this.byNode.get(d.node);
      if (!list) this.byNode.set(d.node, (list = []));
      list.push({ atMs: Date.now(), replica: d.replica, epoch: d.epoch });
      if (list.length > Announcements.HISTORY) list.shift();
      this.total++;
    });
    await this.sub.psubscribe(channels.announceAll());
  }

  /** Rounds of each node from `fromMs` to `toMs`, and the longest time a node went without one in that span
   *  (from the window's start to its first round, between rounds, from its last round to the window's end). */
  window(nodes: string[], fromMs: number, toMs: number): { rounds: number; maxGapMs: number; medianGapMs: number; unserved: number; slowest: string | null } {
    let rounds = 0;
    let maxGapMs = 0;
    let slowest: string | null = null;
    let unserved = 0;
    const gaps: number[] = [];
    for (const n of nodes) {
      const list = (this.byNode.get(n) ?? []).filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
      rounds += list.length;
      if (list.length === 0) unserved++;
      let prev = fromMs;
      let worst = 0;
      for (const s of list) {
        worst = Math.max(worst, s.atMs - prev);
        prev = s.atMs;
      }
      worst = Math.max(worst, toMs - prev);
      gaps.push(worst);
      if (worst > maxGapMs) { maxGapMs = worst; slowest = n; }
    }
    gaps.sort((a, b) => a - b);
    return { rounds, maxGapMs, medianGapMs: gaps[gaps.length >> 1] ?? 0, unserved, slowest };
  }

  /** The first announcement for `node` by `replica` at or after `fromMs`. */
  firstBy(node: string, replica: string, fromMs: number): number | null {
    return (this.byNode.get(node) ?? []).find((s) => s.atMs >= fromMs && s.replica === replica)?.atMs ?? null;
  }

  /** The first announcement for `node` by any replica other than `not` at or after `fromMs`. */
  firstNotBy(node: string, not: string, fromMs: number): number | null {
    return (this.byNode.get(node) ?? []).find((s) => s.atMs >= fromMs && s.replica !== not)?.atMs ?? null;
  }
}
