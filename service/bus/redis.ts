// The Redis bus (ioredis): the Bus interface over the key schema of redis/README.md (keys from keys.ts), on one
// Redis server or a Redis Cluster (redis-client.ts). Three connections (or cluster clients): commands (with the
// Lua scripts), a dedicated one for stream reads (its command timeout is the watchdog), and a subscriber made
// on first use. The client reconnects forever with bounded back-off, so a Redis restart or a shard's failover
// costs the service some failed ticks, never its process.
//
// In a cluster every multi-key command stays inside one node's hash tag (one slot); commands across nodes are
// sent one by one (auto-pipelined per shard), never as one cross-slot pipeline. Writes that are acknowledged
// (registrations) or announced (allocations) are confirmed by a replica of their shard first (WAIT), so a
// primary killed right after does not take them with it; announcements use sharded pub/sub (SPUBLISH), which
// stays on the node's shard instead of being broadcast to every node of the cluster.
import type { ChainableCommander, Cluster } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { assert } from '../errors.ts';
import type { MrcModel } from '../scenario/types.ts';
import { channels, keys, nodeKeys, TELEMETRY_GROUP } from './keys.ts';
import {
  DEAD_LETTER_MAXLEN, MAX_REPLICAS, RECLAIM_BATCH, REDIS_REPLICA_WAIT_MS, TELEMETRY_APPEND_BATCH, TELEMETRY_STREAM_MAXLEN,
} from './limits.ts';
import { isCluster, makeClient, parseRedisUrl, type RedisClient, type RedisTarget } from './redis-client.ts';
import { ClusterSubscriber } from './redis-cluster-subscriber.ts';
import { defineScripts, ScriptCode, type ScriptCommands } from './scripts.ts';
import { StreamReader } from './redis-streams.ts';
import { RedisSubscriber } from './redis-subscriber.ts';
import {
  EMPTY_NODE_STATE, type AllocationDoc, type AllocationListener, type AppRecord, type Bus, type NodeRecord,
  type NodeState, type PublishOutcome, type TelemetryEntry,
} from './types.ts';

export { redisOptions } from './redis-client.ts';

export interface RedisBusOptions {
  /** where connection errors go (ioredis reports every failed reconnect) */
  onError?: (err: Error) => void;
  /** how long connect() waits for the first connection */
  connectTimeoutMs?: number;
}

/** How long a health check waits for PONG. */
const PING_TIMEOUT_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  /** true on a Redis Cluster (redis+cluster://) */
  readonly cluster: boolean;
  private subscriber: RedisSubscriber | ClusterSubscriber | null = null;
  private readonly streams: StreamReader;

  private constructor(private readonly url: string, private readonly target: RedisTarget, private readonly cmd: RedisClient & ScriptCommands,
    private readonly reader: RedisClient, private readonly onError: (err: Error) => void) {
    this.cluster = isCluster(cmd);
    this.streams = new StreamReader(cmd, reader);
  }

  /** Connects (and fails with a clear message when Redis cannot be reached in time). */
  static async connect(url: string, opts: RedisBusOptions = {}): Promise<RedisBus> {
    const { target, cmd, reader, onError } = RedisBus.clients(url, opts);
    const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    try {
      await withTimeout(Promise.all([cmd.connect(), reader.connect()]), timeoutMs, `no connection within ${timeoutMs} ms`);
    } catch (err) {
      cmd.disconnect();
      reader.disconnect();
      throw new Error(`cannot reach Redis at ${url}: ${(err as Error).message}`, { cause: err });
    }
    return new RedisBus(url, target, cmd, reader, onError);
  }

  /**
   * The bus at once, connecting in the background: the clients retry with their back-off (50 ms doubling to
   * 2 s) until Redis is up, and `unavailable()` says so meanwhile. Only a malformed URL throws.
   */
  static open(url: string, opts: RedisBusOptions = {}): RedisBus {
    const { target, cmd, reader, onError } = RedisBus.clients(url, opts);
    // a first attempt that fails rejects, and the client goes on retrying (ioredis' retry strategies)
    for (const c of [cmd, reader]) c.connect().catch(() => {});
    return new RedisBus(url, target, cmd, reader, onError);
  }

  /** Resolves once both connections are ready (at once if they are); rejects when the bus is closed first. */
  async whenReady(): Promise<void> {
    const ready = (c: RedisClient): Promise<void> => c.status === 'ready' ? Promise.resolve() : new Promise((resolve, reject) => {
      const onReady = (): void => { c.off('end', onEnd); resolve(); };
      const onEnd = (): void => { c.off('ready', onReady); reject(new Error(`the connection to Redis at ${this.url} was closed`)); };
      c.once('ready', onReady);
      c.once('end', onEnd);
    });
    await Promise.all([ready(this.cmd), ready(this.reader)]);
  }

  private static clients(url: string, opts: RedisBusOptions): { target: RedisTarget; cmd: RedisClient & ScriptCommands; reader: RedisClient; onError: (err: Error) => void } {
    const target = parseRedisUrl(url);
    const onError = opts.onError ?? (() => {});
    const make = (): RedisClient => listen(makeClient(target), onError);
    return { target, cmd: defineScripts(make()), reader: make(), onError };
  }

  // registry ------------------------------------------------------------------------------------------------

  async putNode(node: NodeRecord): Promise<void> {
    await this.write(keys.node(node.id), (p) => p.set(keys.node(node.id), JSON.stringify(node)));
    await this.write(keys.nodes(), (p) => p.sadd(keys.nodes(), node.id));
    await this.bumpRegistry();
    if (this.subscriber instanceof ClusterSubscriber) await this.subscriber.nodeAdded(node.id);
  }

  async getNode(id: string): Promise<NodeRecord | null> { return parse<NodeRecord>(await this.cmd.get(keys.node(id))); }

  async listNodes(): Promise<NodeRecord[]> {
    const ids = (await this.cmd.smembers(keys.nodes())).sort();
    if (ids.length === 0) return [];
    // one GET per node (an MGET would cross cluster slots)
    const replies = await this.perKey(ids.map((id) => ['get', keys.node(id)]));
    return replies.map((t) => parse<NodeRecord>(t as string | null)).filter((n): n is NodeRecord => n !== null);
  }

  async deleteNode(id: string): Promise<boolean> {
    const [removed] = await this.write(keys.nodes(), (p) => p.srem(keys.nodes(), id));
    await this.write(keys.node(id), (p) => p.del(...nodeKeys(id)));
    await this.bumpRegistry();
    return (removed as number) > 0;
  }

  async putApp(app: AppRecord): Promise<void> {
    const prev = await this.cmd.hget(keys.appIndex(), app.id);
    // new place first, then the index, then the old place: a crash in between leaves a findable app
    await this.write(keys.apps(app.node), (p) => p.hset(keys.apps(app.node), app.id, JSON.stringify(app)));
    await this.write(keys.appIndex(), (p) => p.hset(keys.appIndex(), app.id, app.node));
    if (prev !== null && prev !== app.node) await this.write(keys.apps(prev), (p) => p.hdel(keys.apps(prev), app.id).hdel(keys.models(prev), app.id));
    await this.bumpRegistry();
  }

  async getApp(id: string): Promise<AppRecord | null> {
    const node = await this.cmd.hget(keys.appIndex(), id);
    return node === null ? null : parse<AppRecord>(await this.cmd.hget(keys.apps(node), id));
  }

  async listApps(node?: string): Promise<AppRecord[]> {
    const nodes = node !== undefined ? [node] : (await this.cmd.smembers(keys.nodes())).sort();
    if (nodes.length === 0) return [];
    const replies = await this.perKey(nodes.map((n) => ['hvals', keys.apps(n)]));
    return replies.flatMap((vals) => (vals as string[]).map((t) => JSON.parse(t) as AppRecord));
  }

  async deleteApp(id: string): Promise<boolean> {
    const node = await this.cmd.hget(keys.appIndex(), id);
    if (node === null) return false;
    await this.write(keys.apps(node), (p) => p.hdel(keys.apps(node), id).hdel(keys.models(node), id));
    await this.write(keys.appIndex(), (p) => p.hdel(keys.appIndex(), id));
    await this.bumpRegistry();
    return true;
  }

  /** after the write it announces: a replica that reads the new version then reads the registry with the write */
  private async bumpRegistry(): Promise<void> { await this.write(keys.registryVersion(), (p) => p.incr(keys.registryVersion())); }

  async registryVersion(): Promise<string> { return (await this.cmd.get(keys.registryVersion())) ?? '0'; }

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
    const text = JSON.stringify(doc);
    let code: number;
    if (this.cluster) {
      // stored, confirmed by a replica, then announced on the node's shard: a daemon never applies an epoch
      // that a failover right after could take back
      const alloc = keys.alloc(doc.node);
      [code] = (await this.write(alloc, (p) => (p as unknown as ScriptCommands).publishAllocation(alloc, keys.lease(doc.node), doc.epoch, text, holder ?? '', ''))) as number[];
      if (code >= 0) await this.cmd.spublish(channels.announce(doc.node), text);
    } else {
      code = await this.cmd.publishAllocation(keys.alloc(doc.node), keys.lease(doc.node), doc.epoch, text, holder ?? '', channels.announce(doc.node));
    }
    if (code === ScriptCode.Stale) return 'stale';
    if (code === ScriptCode.NotHolder) return 'not-holder';
    return 'published';
  }

  async getAllocation(node: string): Promise<AllocationDoc | null> {
    return parse<AllocationDoc>(await this.cmd.hget(keys.alloc(node), 'doc'));
  }

  async subscribeAllocations(listener: AllocationListener, node?: string): Promise<() => Promise<void>> {
    if (!this.subscriber) {
      this.subscriber = isCluster(this.cmd)
        ? new ClusterSubscriber(makeClient(this.target, { shardedSubscribers: true }) as Cluster, () => this.cmd.smembers(keys.nodes()), this.onError)
        : new RedisSubscriber(this.cmd.duplicate({ enableAutoPipelining: false }), this.onError);
    }
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

  unavailable(): string | null {
    return this.cmd.status === 'ready' ? null : `Redis at ${this.url} is not connected (${this.cmd.status})`;
  }

  dataMarker(): Promise<string | null> { return this.cmd.get(keys.marker()); }

  async markIntact(): Promise<string> {
    await this.cmd.set(keys.marker(), `${Date.now()}-${randomBytes(6).toString('hex')}`, 'NX');
    const m = await this.cmd.get(keys.marker());
    if (m === null) throw new Error('the data marker vanished right after it was set (Redis lost its data again)');
    return m;
  }

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

  /**
   * Commands of one key's slot in one round trip. In a cluster, the shard's primary must then hear from a
   * replica that it has them (ROLE says whether the shard has one; WAIT 1 on the same connection): a write
   * the caller acknowledges or announces must survive that primary's failover. A replica that does not
   * confirm in time is reported (onError) and the write stands unconfirmed.
   */
  private async write(key: string, build: (p: ChainableCommander) => unknown): Promise<unknown[]> {
    const p = this.cmd.pipeline();
    build(p);
    if (!this.cluster) return this.exec(p);
    p.role();
    const replies = await this.exec(p);
    const role = replies.pop() as unknown[];
    const replicas = Array.isArray(role?.[2]) ? role[2].length : 0;
    if (replicas > 0) {
      const [, acked] = await this.exec(this.cmd.pipeline().exists(key).wait(1, REDIS_REPLICA_WAIT_MS));
      if ((acked as number) < 1) this.onError(new Error(`no replica confirmed a write to ${key} within ${REDIS_REPLICA_WAIT_MS} ms`));
    }
    return replies;
  }

  /** One command per key, answers in order: one pipeline on a single server; on a cluster the commands go out
   *  together and the client groups them per shard (a pipeline may not cross slots there). */
  private async perKey(cmds: [string, string][]): Promise<unknown[]> {
    if (!this.cluster) return this.exec(this.cmd.pipeline(cmds));
    const c = this.cmd as unknown as Record<string, (key: string) => Promise<unknown>>;
    return Promise.all(cmds.map(([name, key]) => {
      assert(name === 'get' || name === 'hvals', `perKey: unexpected command ${name}`);
      return c[name].call(this.cmd, key);
    }));
  }

  /** Runs a pipeline; the first failed command's error is thrown. */
  private async exec(p: ChainableCommander): Promise<unknown[]> {
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

/** Reports a client's errors (ioredis reports every failed reconnect; a cluster also per node). */
function listen<C extends RedisClient>(c: C, onError: (err: Error) => void): C {
  c.on('error', onError);
  if (isCluster(c)) c.on('node error', (err: Error) => onError(err));
  return c;
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

