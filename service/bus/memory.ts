// The in-process bus: the Bus interface over plain maps, for one machine with nothing installed. It keeps the
// Redis semantics the service relies on (consumer-group delivery with pending entries and reclaim, epoch
// fencing, lease expiry, capped streams) so the same integration suite passes on both. Values are stored as
// JSON text, as in Redis, so callers never share objects with the store.
import { assert } from '../errors.ts';
import type { MrcModel } from '../scenario/types.ts';
import { DEAD_LETTER_MAXLEN, MAX_ANNOUNCE_LISTENERS, MAX_REPLICAS, TELEMETRY_STREAM_MAXLEN } from './limits.ts';
import {
  EMPTY_NODE_STATE, type AllocationDoc, type AllocationListener, type AppRecord, type Bus, type NodeRecord,
  type NodeState, type PublishOutcome, type TelemetryEntry,
} from './types.ts';

interface Pending { entry: { id: string; data: string }; consumer: string; deliveredMs: number; deliveries: number }

interface Stream {
  seq: number;
  /** appended, not yet delivered to any consumer */
  fresh: { id: string; data: string }[];
  /** delivered, not yet acknowledged (insertion order = delivery order) */
  pending: Map<string, Pending>;
  dead: { id: string; data: string; reason: string }[];
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private nodes = new Map<string, string>();
  private apps = new Map<string, string>();
  private models = new Map<string, Map<string, string>>();
  private states = new Map<string, NodeState>();
  private allocs = new Map<string, { epoch: number; doc: string }>();
  private leases = new Map<string, { holder: string; expiresMs: number }>();
  private replicas = new Map<string, number>();
  private streams = new Map<string, Stream>();
  private listeners = new Set<{ node?: string; fn: AllocationListener }>();
  private closed = false;
  private version = 0;

  async putNode(node: NodeRecord): Promise<void> {
    this.nodes.set(node.id, JSON.stringify(node));
    this.version++;
  }
  async getNode(id: string): Promise<NodeRecord | null> { return parse<NodeRecord>(this.nodes.get(id)); }
  async listNodes(): Promise<NodeRecord[]> { return [...this.nodes.values()].map((t) => JSON.parse(t) as NodeRecord); }

  async deleteNode(id: string): Promise<boolean> {
    const had = this.nodes.delete(id);
    for (const m of [this.models, this.states, this.allocs, this.leases, this.streams]) m.delete(id);
    this.version++;
    return had;
  }

  async putApp(app: AppRecord): Promise<void> {
    this.apps.set(app.id, JSON.stringify(app));
    this.version++;
  }
  async getApp(id: string): Promise<AppRecord | null> { return parse<AppRecord>(this.apps.get(id)); }

  async listApps(node?: string): Promise<AppRecord[]> {
    const all = [...this.apps.values()].map((t) => JSON.parse(t) as AppRecord);
    return node === undefined ? all : all.filter((a) => a.node === node);
  }

  async deleteApp(id: string): Promise<boolean> {
    const app = await this.getApp(id);
    if (!app) return false;
    this.apps.delete(id);
    this.models.get(app.node)?.delete(id);
    this.version++;
    return true;
  }

  async putFittedModels(node: string, models: Record<string, MrcModel>): Promise<void> {
    let m = this.models.get(node);
    if (!m) this.models.set(node, (m = new Map()));
    for (const [app, model] of Object.entries(models)) m.set(app, JSON.stringify(model));
  }

  async getFittedModels(node: string): Promise<Record<string, MrcModel>> {
    const out: Record<string, MrcModel> = {};
    for (const [app, t] of this.models.get(node) ?? []) out[app] = JSON.parse(t) as MrcModel;
    return out;
  }

  async getNodeState(node: string): Promise<NodeState> { return { ...(this.states.get(node) ?? EMPTY_NODE_STATE) }; }
  async patchNodeState(node: string, patch: Partial<NodeState>): Promise<void> {
    this.states.set(node, { ...(this.states.get(node) ?? EMPTY_NODE_STATE), ...patch });
  }

  private stream(node: string): Stream {
    let s = this.streams.get(node);
    if (!s) this.streams.set(node, (s = { seq: 0, fresh: [], pending: new Map(), dead: [] }));
    return s;
  }

  async appendTelemetry(node: string, records: string[]): Promise<void> {
    const s = this.stream(node);
    for (const data of records) s.fresh.push({ id: `${Date.now()}-${s.seq++}`, data });
    // like XADD MAXLEN: the oldest entries go first, delivered or not
    if (s.fresh.length > TELEMETRY_STREAM_MAXLEN) s.fresh.splice(0, s.fresh.length - TELEMETRY_STREAM_MAXLEN);
  }

  async ensureTelemetryGroup(node: string): Promise<void> { this.stream(node); }

  async readTelemetry(node: string, consumer: string, max: number, reclaimIdleMs: number): Promise<TelemetryEntry[]> {
    assert(max > 0, 'readTelemetry: max must be positive');
    const s = this.stream(node);
    const now = Date.now();
    const out: TelemetryEntry[] = [];
    for (const p of s.pending.values()) {
      if (out.length >= max) break;
      if (now - p.deliveredMs >= reclaimIdleMs) {
        p.consumer = consumer;
        p.deliveredMs = now;
        p.deliveries++;
        out.push({ id: p.entry.id, data: p.entry.data, deliveries: p.deliveries });
      }
    }
    const fresh = s.fresh.splice(0, max - out.length);
    for (const e of fresh) {
      s.pending.set(e.id, { entry: e, consumer, deliveredMs: now, deliveries: 1 });
      out.push({ id: e.id, data: e.data, deliveries: 1 });
    }
    return out;
  }

  async ackTelemetry(node: string, ids: string[]): Promise<void> {
    const s = this.stream(node);
    for (const id of ids) s.pending.delete(id);
  }

  async deadLetter(node: string, entry: TelemetryEntry, reason: string): Promise<void> {
    const s = this.stream(node);
    s.dead.push({ id: `${Date.now()}-${s.seq++}`, data: entry.data, reason });
    if (s.dead.length > DEAD_LETTER_MAXLEN) s.dead.splice(0, s.dead.length - DEAD_LETTER_MAXLEN);
    s.pending.delete(entry.id);
  }

  async readDeadLetters(node: string, max: number): Promise<{ id: string; data: string; reason: string }[]> {
    return this.stream(node).dead.slice(-max).map((d) => ({ ...d }));
  }

  async telemetryBacklog(node: string): Promise<number> {
    const s = this.stream(node);
    return s.fresh.length + s.pending.size;
  }

  async publishAllocation(doc: AllocationDoc, holder: string | null): Promise<PublishOutcome> {
    if (holder !== null && (await this.leaseHolder(doc.node)) !== holder) return 'not-holder';
    const cur = this.allocs.get(doc.node);
    if (cur && doc.epoch <= cur.epoch) return 'stale';
    const text = JSON.stringify(doc);
    this.allocs.set(doc.node, { epoch: doc.epoch, doc: text });
    for (const l of this.listeners) {
      if (l.node === undefined || l.node === doc.node) queueMicrotask(() => l.fn(JSON.parse(text) as AllocationDoc));
    }
    return 'published';
  }

  async getAllocation(node: string): Promise<AllocationDoc | null> { return parse<AllocationDoc>(this.allocs.get(node)?.doc); }

  async subscribeAllocations(listener: AllocationListener, node?: string): Promise<() => Promise<void>> {
    assert(this.listeners.size < MAX_ANNOUNCE_LISTENERS, `more than ${MAX_ANNOUNCE_LISTENERS} allocation listeners`);
    const entry = { node, fn: listener };
    this.listeners.add(entry);
    return async () => { this.listeners.delete(entry); };
  }

  async acquireLease(node: string, holder: string, ttlMs: number): Promise<boolean> {
    if ((await this.leaseHolder(node)) !== null) return false;
    this.leases.set(node, { holder, expiresMs: Date.now() + ttlMs });
    return true;
  }

  async renewLease(node: string, holder: string, ttlMs: number): Promise<boolean> {
    if ((await this.leaseHolder(node)) !== holder) return false;
    this.leases.set(node, { holder, expiresMs: Date.now() + ttlMs });
    return true;
  }

  async releaseLease(node: string, holder: string): Promise<boolean> {
    if ((await this.leaseHolder(node)) !== holder) return false;
    this.leases.delete(node);
    return true;
  }

  async leaseHolder(node: string): Promise<string | null> {
    const l = this.leases.get(node);
    if (!l) return null;
    if (l.expiresMs <= Date.now()) {
      this.leases.delete(node);
      return null;
    }
    return l.holder;
  }

  async heartbeat(replica: string, ttlMs: number): Promise<string[]> {
    const now = Date.now();
    for (const [id, exp] of this.replicas) if (exp <= now) this.replicas.delete(id);
    assert(this.replicas.size < MAX_REPLICAS || this.replicas.has(replica), `more than ${MAX_REPLICAS} replicas`);
    this.replicas.set(replica, now + ttlMs);
    return [...this.replicas.keys()].sort();
  }

  async removeReplica(replica: string): Promise<void> { this.replicas.delete(replica); }

  async ping(): Promise<boolean> { return !this.closed; }
  unavailable(): string | null { return this.closed ? 'the bus is closed' : null; }
  async whenReady(): Promise<void> {}
  /** The store lives as long as the process, so it cannot lose data behind the service's back. */
  async registryVersion(): Promise<string> { return String(this.version); }
  async dataMarker(): Promise<string | null> { return 'memory'; }
  async markIntact(): Promise<string> { return 'memory'; }
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
}

function parse<T>(text: string | undefined): T | null {
  return text === undefined ? null : (JSON.parse(text) as T);
}
