// The Redis bus (ioredis): the Bus interface over the key schema of redis/README.md (keys from keys.ts).
// Three connections: commands (with the Lua scripts), a dedicated one for stream reads (its command timeout
// is the watchdog), and a subscriber made on first use. The client reconnects forever with bounded back-off,
// so a Redis restart costs the service some failed ticks, never its process.
import { Redis } from 'ioredis';
import { InputError } from '../errors.ts';
import type { MrcModel } from '../scenario/types.ts';
import { channels, keys, nodeKeys, TELEMETRY_GROUP } from './keys.ts';
import {
  DEAD_LETTER_MAXLEN, MAX_REPLICAS, RECLAIM_BATCH, REDIS_COMMAND_TIMEOUT_MS, REDIS_MAX_RETRIES_PER_REQUEST,
  REDIS_RECONNECT_BASE_MS, REDIS_RECONNECT_MAX_MS, TELEMETRY_APPEND_BATCH, TELEMETRY_STREAM_MAXLEN,
} from './limits.ts';
import { defineScripts, ScriptCode, type ScriptCommands } from './scripts.ts';
import { StreamReader } from './redis-streams.ts';
import { RedisSubscriber } from './redis-subscriber.ts';
import {
  EMPTY_NODE_STATE, type AllocationDoc, type AllocationListener, type AppRecord, type Bus, type NodeRecord,
  type NodeState, type PublishOutcome, type TelemetryEntry,
} from './types.ts';

export interface RedisBusOptions {
  /** where connection errors go (ioredis reports every failed reconnect) */
  onError?: (err: Error) => void;
  /** how long connect() waits for the first connection */
  connectTimeoutMs?: number;
}

/** How long a health check waits for PONG. */
const PING_TIMEOUT_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Connection options shared by every connection of the bus (and the node client). */
export function redisOptions() {
  return {
    maxRetriesPerRequest: REDIS_MAX_RETRIES_PER_REQUEST,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(REDIS_RECONNECT_MAX_MS, REDIS_RECONNECT_BASE_MS * 2 ** Math.min(times, 16)),
    lazyConnect: true,
  };
}

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  private subscriber: RedisSubscriber | null = null;
  private readonly streams: StreamReader;

  private constructor(private readonly url: string, private readonly cmd: Redis & ScriptCommands,
    private readonly reader: Redis, private readonly onError: (err: Error) => void) {
    this.streams = new StreamReader(cmd, reader);
  }

  /** Connects (and fails with a clear message when Redis cannot be reached in time). */
  static async connect(url: string, opts: RedisBusOptions = {}): Promise<RedisBus> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InputError('redis', `'${url}' is not a URL (expected redis://host:port or unix:///path/to/socket)`);
    }
    if (!['redis:', 'rediss:', 'unix:'].includes(parsed.protocol)) {
      throw new InputError('redis', `'${url}': the scheme must be redis://, rediss:// or unix://`);
    }
    const onError = opts.onError ?? (() => {});
    const make = (): Redis => {
      const r = parsed.protocol === 'unix:' ? new Redis(parsed.pathname, redisOptions()) : new Redis(url, redisOptions());
      r.on('error', onError);
      return r;
    };
    const cmd = defineScripts(make());
    const reader = make();
    const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    try {
      await withTimeout(Promise.all([cmd.connect(), reader.connect()]), timeoutMs, `no connection within ${timeoutMs} ms`);
    } catch (err) {
      cmd.disconnect();
      reader.disconnect();
      throw new Error(`cannot reach Redis at ${url}: ${(err as Error).message}`, { cause: err });
    }
    return new RedisBus(url, cmd, reader, onError);
  }

  // registry ------------------------------------------------------------------------------------------------

  async putNode(node: NodeRecord): Promise<void> {
    await this.cmd.set(keys.node(node.id), JSON.stringify(node));
    await this.cmd.sadd(keys.nodes(), node.id);
  }

  async getNode(id: string): Promise<NodeRecord | null> { return parse<NodeRecord>(await this.cmd.get(keys.node(id))); }

  async listNodes(): Promise<NodeRecord[]> {
    const ids = (await this.cmd.smembers(keys.nodes())).sort();
    if (ids.length === 0) return [];
    // one GET per node in one round trip (an MGET would cross cluster slots)
    const replies = await this.exec(this.cmd.pipeline(ids.map((id) => ['get', keys.node(id)])));
    return replies.map((t) => parse<NodeRecord>(t as string | null)).filter((n): n is NodeRecord => n !== null);
  }

  async deleteNode(id: string): Promise<boolean> {
    const removed = await this.cmd.srem(keys.nodes(), id);
    await this.cmd.del(...nodeKeys(id));
    return removed > 0;
  }

  async putApp(app: AppRecord): Promise<void> {
    const prev = await this.cmd.hget(keys.appIndex(), app.id);
    // new place first, then the index, then the old place: a crash in between leaves a findable app
    await this.cmd.hset(keys.apps(app.node), app.id, JSON.stringify(app));
    await this.cmd.hset(keys.appIndex(), app.id, app.node);
    if (prev !== null && prev !== app.node) {
      await this.cmd.hdel(keys.apps(prev), app.id);
      await this.cmd.hdel(keys.models(prev), app.id);
    }
  }

  async getApp(id: string): Promise<AppRecord | null> {
    const node = await this.cmd.hget(keys.appIndex(), id);
    return node === null ? null : parse<AppRecord>(await this.cmd.hget(keys.apps(node), id));
  }

  async listApps(node?: string): Promise<AppRecord[]> {
    const nodes = node !== undefined ? [node] : (await this.cmd.smembers(keys.nodes())).sort();
    if (nodes.length === 0) return [];
    const replies = await this.exec(this.cmd.pipeline(nodes.map((n) => ['hvals', keys.apps(n)])));
    return replies.flatMap((vals) => (vals as string[]).map((t) => JSON.parse(t) as AppRecord));
  }

  async deleteApp(id: string): Promise<boolean> {
    const node = await this.cmd.hget(keys.appIndex(), id);
    if (node === null) return false;
    await this.cmd.hdel(keys.apps(node), id);
    await this.cmd.hdel(keys.models(node), id);
    await this.cmd.hdel(keys.appIndex(), id);
    return true;
  }

  async putFittedModels(node: string, models: Record<string, MrcModel>): Promise<void> {
    const entries = Object.entries(models);
    if (entries.length === 0) return;
    await this.cmd.hset(keys.models(node), Object.fromEntries(entries.map(([app, m]) => [app, JSON.stringify(m)])));
  }

  async getFittedModels(node: string): Promise<Record<string, MrcModel>> {
    const all = await this.cmd.hgetall(keys.models(node));
    return Object.fromEntries(Object.entries(all).map(([app, t]) => [app, JSON.parse(t) as MrcModel]));
  }

  // node state ----------------------------------------------------------------------------------------------

  async getNodeState(node: string): Promise<NodeState> {
    const all = await this.cmd.hgetall(keys.state(node));
    const state: NodeState = { ...EMPTY_NODE_STATE };
    for (const k of Object.keys(EMPTY_NODE_STATE) as (keyof NodeState)[]) {
      if (all[k] !== undefined) (state as unknown as Record<string, unknown>)[k] = JSON.parse(all[k]);
    }
    return state;
  }

  async patchNodeState(node: string, patch: Partial<NodeState>): Promise<void> {
    const fields = Object.entries(patch).filter(([, v]) => v !== undefined).map(([k, v]) => [k, JSON.stringify(v)]);
    if (fields.length > 0) await this.cmd.hset(keys.state(node), Object.fromEntries(fields));
  }

  // telemetry -----------------------------------------------------------------------------------------------

  async appendTelemetry(node: string, records: string[]): Promise<void> {
    const key = keys.telemetry(node);
    // one script call per batch: client-side cost per command dominates otherwise (redis/append-telemetry-1.lua)
    for (let i = 0; i < records.length; i += TELEMETRY_APPEND_BATCH) {
      await this.cmd.appendTelemetry(key, TELEMETRY_STREAM_MAXLEN, ...records.slice(i, i + TELEMETRY_APPEND_BATCH));
    }
  }

  ensureTelemetryGroup(node: string): Promise<void> { return this.streams.ensureGroup(node); }

  readTelemetry(node: string, consumer: string, max: number, reclaimIdleMs: number): Promise<TelemetryEntry[]> {
    return this.streams.read(node, consumer, max, reclaimIdleMs, RECLAIM_BATCH);
  }

  async ackTelemetry(node: string, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.cmd.xack(keys.telemetry(node), TELEMETRY_GROUP, ...ids);
  }

  async deadLetter(node: string, entry: TelemetryEntry, reason: string): Promise<void> {
    await this.cmd.deadLetter(keys.telemetry(node), keys.dead(node), TELEMETRY_GROUP, entry.id, entry.data, reason, DEAD_LETTER_MAXLEN);
  }

  async readDeadLetters(node: string, max: number): Promise<{ id: string; data: string; reason: string }[]> {
    const rows = (await this.cmd.xrevrange(keys.dead(node), '+', '-', 'COUNT', max)) as [string, string[]][];
    return rows.reverse().map(([id, f]) => {
      const m = fieldMap(f);
      return { id, data: m.r ?? '', reason: m.reason ?? '' };
    });
  }

  telemetryBacklog(node: string): Promise<number> { return this.streams.backlog(node); }

  // allocations ---------------------------------------------------------------------------------------------

  async publishAllocation(doc: AllocationDoc, holder: string | null): Promise<PublishOutcome> {
    const code = await this.cmd.publishAllocation(keys.alloc(doc.node), keys.lease(doc.node), doc.epoch,
      JSON.stringify(doc), holder ?? '', channels.announce(doc.node));
    if (code === ScriptCode.Stale) return 'stale';
    if (code === ScriptCode.NotHolder) return 'not-holder';
    return 'published';
  }

  async getAllocation(node: string): Promise<AllocationDoc | null> {
    return parse<AllocationDoc>(await this.cmd.hget(keys.alloc(node), 'doc'));
  }

  async subscribeAllocations(listener: AllocationListener, node?: string): Promise<() => Promise<void>> {
    if (!this.subscriber) this.subscriber = new RedisSubscriber(this.cmd.duplicate(), this.onError);
    return this.subscriber.add(listener, node);
  }

  // leases and replicas -------------------------------------------------------------------------------------

  async acquireLease(node: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.cmd.set(keys.lease(node), holder, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async renewLease(node: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.cmd.renewLease(keys.lease(node), holder, ttlMs)) === 1;
  }

  async releaseLease(node: string, holder: string): Promise<boolean> {
    return (await this.cmd.releaseLease(keys.lease(node), holder)) === 1;
  }

  leaseHolder(node: string): Promise<string | null> { return this.cmd.get(keys.lease(node)); }

  async heartbeat(replica: string, ttlMs: number): Promise<string[]> {
    const now = Date.now();
    const r = await this.cmd.heartbeat(keys.replicas(), replica, now + ttlMs, now, MAX_REPLICAS);
    if (r === ScriptCode.TooMany) throw new Error(`more than ${MAX_REPLICAS} service replicas share ${this.url}`);
    return r as string[];
  }

  async removeReplica(replica: string): Promise<void> { await this.cmd.zrem(keys.replicas(), replica); }

  // health --------------------------------------------------------------------------------------------------

  async ping(): Promise<boolean> {
    if (this.cmd.status !== 'ready') return false;
    try {
      return (await withTimeout(this.cmd.ping(), PING_TIMEOUT_MS, 'ping timed out')) === 'PONG';
    } catch {
      return false;
    }
  }

  async isIntact(): Promise<boolean> { return (await this.cmd.exists(keys.marker())) === 1; }
  async markIntact(): Promise<void> { await this.cmd.set(keys.marker(), String(Date.now()), 'NX'); }

  async close(): Promise<void> {
    await this.subscriber?.close();
    for (const c of [this.reader, this.cmd]) {
      try {
        await withTimeout(c.quit(), PING_TIMEOUT_MS, 'quit timed out');
      } catch {
        c.disconnect();
      }
    }
  }

  /** Runs a pipeline; the first failed command's error is thrown. */
  private async exec(p: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
    const res = (await p.exec()) ?? [];
    return res.map(([err, v]) => {
      if (err) throw err;
      return v;
    });
  }
}

export function fieldMap(fields: string[] | null): Record<string, string> {
  const m: Record<string, string> = {};
  for (let i = 0; fields && i + 1 < fields.length; i += 2) m[fields[i]] = fields[i + 1];
  return m;
}

function parse<T>(text: string | null | undefined): T | null {
  return text === null || text === undefined ? null : (JSON.parse(text) as T);
}

export async function withTimeout<T>(p: Promise<T>, ms: number, msg: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(msg)), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

