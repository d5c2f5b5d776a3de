// Allocation announcements on a Redis Cluster, over sharded pub/sub (SSUBSCRIBE): a node's channel lives on its
// node's shard, so an announcement goes to that shard's subscribers only, where classic PUBLISH in a cluster is
// broadcast to every node. Sharded pub/sub has no patterns, so a listener of every node's announcements (the
// service's event hub) subscribes to each registered node's channel: the set is re-read every ANNOUNCE_SYNC_MS
// and a node registered through this bus is subscribed at once. ioredis keeps one subscriber connection per
// primary and re-subscribes after a failover; announcements sent meanwhile are lost, which is why watchers
// also re-read the allocation periodically (client.ts).
import type { Cluster } from 'ioredis';
import { assert } from '../errors.ts';
import { channels, nodeOfChannel } from './keys.ts';
import { ANNOUNCE_SYNC_MS, MAX_ANNOUNCE_LISTENERS, MAX_NODES } from './limits.ts';
import type { AllocationDoc, AllocationListener } from './types.ts';

/** SSUBSCRIBE commands in flight at once while following a large registry. */
const SUBSCRIBE_PARALLEL = 256;

export class ClusterSubscriber {
  private readonly byChannel = new Map<string, Set<AllocationListener>>();
  private readonly all = new Set<AllocationListener>();
  /** channels subscribed on the cluster (for one-node listeners, or for every node while `all` is non-empty) */
  private readonly subscribed = new Set<string>();
  private count = 0;
  private connected: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private syncing: Promise<void> | null = null;

  constructor(private readonly conn: Cluster, private readonly listNodes: () => Promise<string[]>, private readonly onError: (err: Error) => void) {
    conn.on('error', onError);
    conn.on('node error', (err: Error) => onError(err));
    conn.on('smessage', (channel: string, message: string) => this.deliver(channel, message));
  }

  async add(listener: AllocationListener, node?: string): Promise<() => Promise<void>> {
    assert(this.count < MAX_ANNOUNCE_LISTENERS, `more than ${MAX_ANNOUNCE_LISTENERS} allocation listeners`);
    this.connected ??= this.conn.connect();
    await this.connected;
    this.count++;
    if (node === undefined) {
      this.all.add(listener);
      if (this.all.size === 1) {
        await this.sync();
        this.timer = setInterval(() => void this.sync().catch((err: Error) => this.onError(err)), ANNOUNCE_SYNC_MS);
        this.timer.unref();
      }
      return async () => {
        if (!this.all.delete(listener)) return;
        this.count--;
        if (this.all.size === 0) {
          if (this.timer) clearInterval(this.timer);
          this.timer = null;
          await this.sync().catch(() => {});
        }
      };
    }
    const ch = channels.announce(node);
    let set = this.byChannel.get(ch);
    if (!set) this.byChannel.set(ch, (set = new Set()));
    set.add(listener);
    await this.subscribe([ch]);
    return async () => {
      if (!set.delete(listener)) return;
      this.count--;
      if (set.size === 0) {
        this.byChannel.delete(ch);
        if (this.all.size === 0) await this.unsubscribe([ch]).catch(() => {});
      }
    };
  }

  /** A node just registered through this bus: follow it now rather than at the next sync. */
  async nodeAdded(node: string): Promise<void> {
    if (this.all.size > 0) await this.subscribe([channels.announce(node)]);
  }

  /** Subscribes exactly the channels wanted now: one-node listeners' plus, while any listener wants every node,
   *  each registered node's (bounded by MAX_NODES). One sync at a time. */
  private sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        const want = new Set(this.byChannel.keys());
        if (this.all.size > 0) for (const id of (await this.listNodes()).slice(0, MAX_NODES)) want.add(channels.announce(id));
        await this.subscribe([...want].filter((c) => !this.subscribed.has(c)));
        await this.unsubscribe([...this.subscribed].filter((c) => !want.has(c)));
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  // one channel per command: channels of different nodes hash to different slots
  private async subscribe(chs: string[]): Promise<void> {
    const todo = chs.filter((c) => !this.subscribed.has(c));
    for (let i = 0; i < todo.length; i += SUBSCRIBE_PARALLEL) {
      await Promise.all(todo.slice(i, i + SUBSCRIBE_PARALLEL).map(async (c) => {
        await this.conn.ssubscribe(c);
        this.subscribed.add(c);
      }));
    }
  }

  private async unsubscribe(chs: string[]): Promise<void> {
    for (let i = 0; i < chs.length; i += SUBSCRIBE_PARALLEL) {
      await Promise.all(chs.slice(i, i + SUBSCRIBE_PARALLEL).map(async (c) => {
        this.subscribed.delete(c);
        await this.conn.sunsubscribe(c);
      }));
    }
  }

  private deliver(channel: string, message: string): void {
    const one = this.byChannel.get(channel);
    if ((!one || one.size === 0) && this.all.size === 0) return;
    let doc: AllocationDoc;
    try {
      doc = JSON.parse(message) as AllocationDoc;
    } catch {
      return; // not ours: only the bus announces on these channels, with JSON
    }
    if (doc?.node !== nodeOfChannel(channel)) return;
    for (const l of one ?? []) l(doc);
    for (const l of this.all) l(doc);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.all.clear();
    this.byChannel.clear();
    try {
      await this.conn.quit();
    } catch {
      this.conn.disconnect();
    }
  }
}
