// `spirit node` as a long-running process: flags checked up front (bad ones are InputErrors: exit 2), the
// daemon started, logs (pino JSON lines) on stderr, SIGTERM/SIGINT stop it cleanly (workloads stopped,
// regions closed), a registration the service refuses stops it with exit code 2.
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { defaultControlDirPath } from './control-dir.ts';
import { InputError } from '../errors.ts';
import { parseWorkloadCpu } from './cpu-quota.ts';
import { BUS_ID_PATTERN, MAX_BUS_ID_LENGTH } from '../bus/limits.ts';
import { type CgroupAppSpec, parseCgroupApp } from './cgroup-apps.ts';
import { NodeDaemon, type NodeDaemonOptions } from './daemon.ts';
import {
  BANDWIDTH_MBPS_MAX, BANDWIDTH_MBPS_MIN, CACHE_MB_MAX, CACHE_MB_MIN, CGROUP_APPS_MAX, INTERVAL_MS_DEFAULT, INTERVAL_MS_MAX, INTERVAL_MS_MIN,
  MEMNODES_MAX, WORKLOADS_MAX,
} from './limits.ts';
import { httpLink, redisLink, type ServiceLink } from './link.ts';
import { checkUniqueIds, parseWorkloadSpec, type WorkloadSpec } from './workload-spec.ts';

export interface NodeFlags {
  service?: string;
  redis?: string;
  node?: string;
  cacheMb?: string;
  bandwidthMbps?: string;
  memnode: string[];
  workload: string[];
  cgroupApp: string[];
  cgroupRoot?: string;
  swapDevice?: string;
  workloadCpu?: string;
  intervalMs?: string;
  token?: string;
  memnodeToken?: string;
  controlDir?: string;
  logLevel: string;
}

export const CACHE_MB_DEFAULT = 256;
export const BANDWIDTH_MBPS_DEFAULT = 1000;
const ADDRESS = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function number(flag: string, v: string | undefined, def: number, min: number, max: number, integer = false): number {
  if (v === undefined) return def;
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new InputError(flag, `'${v}' is not a number`);
  if (integer && !Number.isInteger(n)) throw new InputError(flag, `must be a whole number; got ${v}`);
  if (n < min || n > max) throw new InputError(flag, `must be between ${min} and ${max}; got ${n}`);
  return n;
}

/** The host name as a node id (ids allow letters, digits and . _ : -). */
export function defaultNodeId(host = hostname()): string {
  const id = host.replace(/[^A-Za-z0-9._:-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, MAX_BUS_ID_LENGTH);
  return id || 'node';
}

/** Checks every flag; returns the daemon's options without the link and logger. */
export function parseNodeFlags(f: NodeFlags, env: NodeJS.ProcessEnv = process.env): Omit<NodeDaemonOptions, 'link' | 'log'> & { service?: string; redis?: string; token?: string } {
  const service = f.service ?? (env.SPIRIT_SERVICE || undefined);
  if (!service && !f.redis) throw new InputError('--service', 'is required: the URL of `spirit serve` (or give --redis URL to talk to the service through Redis)');
  if (service) {
    let u: URL;
    try {
      u = new URL(service);
    } catch {
      throw new InputError('--service', `'${service}' is not a URL (e.g. http://127.0.0.1:8080)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InputError('--service', `must be an http:// or https:// URL; got '${service}'`);
  }
  if (f.redis !== undefined && !/^(redis|rediss|unix):\/\//.test(f.redis)) throw new InputError('--redis', `'${f.redis}' is not a redis://, rediss:// or unix:// URL`);
  const node = f.node ?? defaultNodeId();
  if (node.length > MAX_BUS_ID_LENGTH || !BUS_ID_PATTERN.test(node)) throw new InputError('--node', `'${node}' is not a valid node id (letters, digits and . _ : -)`);
  const capacity = {
    cacheMB: number('--cache-mb', f.cacheMb, CACHE_MB_DEFAULT, CACHE_MB_MIN, CACHE_MB_MAX),
    bandwidthMbps: number('--bandwidth-mbps', f.bandwidthMbps, BANDWIDTH_MBPS_DEFAULT, BANDWIDTH_MBPS_MIN, BANDWIDTH_MBPS_MAX),
  };
  if (f.workload.length > WORKLOADS_MAX) throw new InputError('--workload', `at most ${WORKLOADS_MAX} workloads per node; got ${f.workload.length}`);
  if (f.cgroupApp.length > CGROUP_APPS_MAX) throw new InputError('--cgroup-app', `at most ${CGROUP_APPS_MAX}; got ${f.cgroupApp.length}`);
  const workloads: WorkloadSpec[] = f.workload.map((w, i) => parseWorkloadSpec(w, i, node));
  const cgroupApps: CgroupAppSpec[] = f.cgroupApp.map((c, i) => parseCgroupApp(c, i));
  if (workloads.length + cgroupApps.length === 0) throw new InputError('--workload', 'the node runs no apps: give at least one --workload SPEC (or --cgroup-app ID=GROUP)');
  checkUniqueIds([...workloads, ...cgroupApps], 'apps');
  if (workloads.length > 0 && f.memnode.length === 0) throw new InputError('--memnode', 'workloads need at least one memory node: --memnode HOST:PORT');
  if (f.memnode.length > MEMNODES_MAX) throw new InputError('--memnode', `at most ${MEMNODES_MAX} memory nodes (replicas); got ${f.memnode.length}`);
  f.memnode.forEach((m, i) => {
    const mm = ADDRESS.exec(m);
    if (!mm || Number(mm[2]) < 1 || Number(mm[2]) > 65535) throw new InputError(`--memnode[${i}]`, `'${m}' is not HOST:PORT`);
  });
  if (new Set(f.memnode).size !== f.memnode.length) throw new InputError('--memnode', 'each memory node may be given once');
  const memnodeToken = f.memnodeToken ?? (env.SPIRIT_MEMNODE_TOKEN || randomBytes(16).toString('hex'));
  if (memnodeToken.length < 8 || memnodeToken.length > 256) throw new InputError('--memnode-token', 'must be 8 to 256 characters');
  const controlDir = f.controlDir ?? defaultControlDirPath(env);
  if (!existsSync(controlDir) || !statSync(controlDir).isDirectory()) throw new InputError('--control-dir', `${controlDir} is not a directory`);
  const workloadCpuCores = f.workloadCpu === undefined ? null : parseWorkloadCpu(f.workloadCpu);
  if (f.swapDevice !== undefined && !/^\d+:\d+$/.test(f.swapDevice)) throw new InputError('--swap-device', `must be MAJ:MIN (e.g. 8:16); got '${f.swapDevice}'`);
  return {
    node, capacity, workloads, cgroupApps, ...(f.cgroupRoot ? { cgroupRoot: f.cgroupRoot } : {}), ...(f.swapDevice ? { swapDevice: f.swapDevice } : {}),
    ...(workloadCpuCores !== null ? { workloadCpuCores } : {}),
    memnodes: f.memnode, memnodeToken, controlDir,
    intervalMs: number('--interval-ms', f.intervalMs, INTERVAL_MS_DEFAULT, INTERVAL_MS_MIN, INTERVAL_MS_MAX, true),
    ...(service ? { service } : {}), ...(f.redis ? { redis: f.redis } : {}),
    ...((f.token ?? env.SPIRIT_TOKEN) ? { token: f.token ?? env.SPIRIT_TOKEN } : {}),
  };
}

/** Connection errors of the Redis client are logged at most this often (it reports every failed reconnect). */
const REDIS_ERROR_LOG_MS = 5000;

export function makeLink(o: { service?: string; redis?: string; token?: string }, log: Logger): ServiceLink {
  if (o.redis) {
    let lastMs = 0;
    return redisLink(o.redis, (err) => {
      if (Date.now() - lastMs < REDIS_ERROR_LOG_MS) return;
      lastMs = Date.now();
      log.warn({ err: err.message }, 'redis connection problem (reconnecting)');
    });
  }
  return httpLink(o.service!, o.token);
}

export async function runNode(f: NodeFlags): Promise<void> {
  const parsed = parseNodeFlags(f);
  const log = pino({ level: f.logLevel, base: { node: parsed.node } }, pino.destination(2));
  const daemon = new NodeDaemon({ ...parsed, link: makeLink(parsed, log), log });
  await daemon.start();
  const outcome = await new Promise<{ sig?: string; err?: Error }>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string): void => {
      if (stopping) {
        log.warn({ sig }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      resolve({ sig });
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
    void daemon.failed.then((err) => resolve({ err }));
  });
  log.info({ ...outcome, err: outcome.err?.message }, 'stopping');
  await daemon.stop();
  if (outcome.err) throw outcome.err;
}
