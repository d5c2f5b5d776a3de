// Which Redis a URL names, and the ioredis client for it: one server (`redis://`, `rediss://`, `unix://`) or a
// Redis Cluster named by its seeds (`redis+cluster://host:port[,host:port...]`, `rediss+cluster://` for TLS),
// which uses ioredis' Cluster client (it learns the slots from the seeds, follows MOVED/ASK and re-reads the
// slots after a failover). Both clients have the same command methods; RedisClient is either.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { InputError } from '../errors.ts';
import {
  MAX_CLUSTER_SEEDS, REDIS_CLUSTER_SLOTS_REFRESH_MS, REDIS_COMMAND_TIMEOUT_MS, REDIS_MAX_RETRIES_PER_REQUEST, REDIS_RECONNECT_BASE_MS,
  REDIS_RECONNECT_MAX_MS,
} from './limits.ts';

export type RedisClient = Redis | Cluster;

export type RedisTarget =
  | { kind: 'single'; url: string; socketPath?: string }
  | { kind: 'cluster'; seeds: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

const SCHEMES = 'redis://, rediss://, unix:// or redis+cluster://';

/** Parses a Redis URL; bad input is an InputError that names the URL and what is wrong with it. */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis+cluster' || scheme === 'rediss+cluster') return parseClusterUrl(url, scheme === 'rediss+cluster');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError('redis', `'${url}' is not a URL (expected redis://host:port, unix:///path/to/socket or redis+cluster://host:port,host:port)`);
  }
  if (!['redis:', 'rediss:', 'unix:'].includes(parsed.protocol)) throw new InputError('redis', `'${url}': the scheme must be ${SCHEMES}`);
  return parsed.protocol === 'unix:' ? { kind: 'single', url, socketPath: parsed.pathname } : { kind: 'single', url };
}

/** `redis+cluster://[user:password@]host:port[,host:port...]`: every seed needs a port (no default guessed). */
function parseClusterUrl(url: string, tls: boolean): RedisTarget {
  const rest = url.slice(url.indexOf('://') + 3).replace(/\/$/, '');
  if (/[/?#]/.test(rest)) throw new InputError('redis', `'${url}': a cluster URL is seeds only (host:port,host:port); no path or query`);
  const at = rest.lastIndexOf('@');
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const list = at >= 0 ? rest.slice(at + 1) : rest;
  const seeds = list.split(',').map((s, i) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(s.trim());
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new InputError('redis', `'${url}': seed ${i + 1} ('${s}') is not host:port with a port from 1 to 65535`);
    }
    return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
  if (seeds.length > MAX_CLUSTER_SEEDS) throw new InputError('redis', `'${url}': ${seeds.length} seeds; at most ${MAX_CLUSTER_SEEDS}`);
  const colon = auth.indexOf(':');
  const username = auth === '' ? undefined : decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : auth) || undefined;
  const password = colon >= 0 ? decodeURIComponent(auth.slice(colon + 1)) : undefined;
  return { kind: 'cluster', seeds, tls, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** Connection options shared by every connection of the bus (and the node client). */
export function redisOptions(): RedisOptions & { lazyConnect: true } {
  return {
    maxRetriesPerRequest: REDIS_MAX_RETRIES_PER_REQUEST,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(REDIS_RECONNECT_MAX_MS, REDIS_RECONNECT_BASE_MS * 2 ** Math.min(times, 16)),
    lazyConnect: true,
  };
}

function clusterOptions(t: Extract<RedisTarget, { kind: 'cluster' }>, o: { shardedSubscribers?: boolean }): ClusterOptions {
  const { retryStrategy: _single, lazyConnect: _lazy, ...node } = redisOptions();
  return {
    lazyConnect: true,
    // a seed or the whole cluster unreachable: keep trying with the same bounded back-off as one server
    clusterRetryStrategy: (times: number) => Math.min(REDIS_RECONNECT_MAX_MS, REDIS_RECONNECT_BASE_MS * 2 ** Math.min(times, 16)),
    // re-read the slot map this often besides on MOVED and on a lost node, so a promoted replica is found
    slotsRefreshInterval: REDIS_CLUSTER_SLOTS_REFRESH_MS,
    // several commands of one tick to one shard go out as one write (listing 2000 nodes is 2000 GETs)
    enableAutoPipelining: true,
    shardedSubscribers: o.shardedSubscribers ?? false,
    redisOptions: { ...node, ...(t.username ? { username: t.username } : {}), ...(t.password ? { password: t.password } : {}), ...(t.tls ? { tls: {} } : {}) },
  };
}

/** A new client for the target, not yet connected (call `connect()`). `shardedSubscribers`: a cluster client
 *  that will SSUBSCRIBE (one subscriber connection per primary). */
export function makeClient(t: RedisTarget, o: { shardedSubscribers?: boolean } = {}): RedisClient {
  if (t.kind === 'cluster') return new Cluster(t.seeds, clusterOptions(t, o));
  // commands issued in one turn of the event loop (a replica's rounds and reads overlap) go out in one write:
  // a write per command was a tenth of a busy replica's CPU in system calls
  const opts = { ...redisOptions(), enableAutoPipelining: true };
  return t.socketPath !== undefined ? new Redis(t.socketPath, opts) : new Redis(t.url, opts);
}

export const isCluster = (c: RedisClient): c is Cluster => c instanceof Cluster;
