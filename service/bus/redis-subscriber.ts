// Allocation announcements over Redis pub/sub: one subscriber connection per bus, shared by every listener.
// A listener of one node subscribes to that node's channel; a listener of all nodes to the pattern. ioredis
// re-subscribes after a reconnect; announcements sent while disconnected are lost, which is why watchers also
// re-read the allocation periodically (client.ts).
import type { Redis } from 'ioredis';
import { assert } from '../errors.ts';
import { channels, nodeOfChannel } from './keys.ts';
import { MAX_ANNOUNCE_LISTENERS } from './limits.ts';
import type { AllocationDoc, AllocationListener } from './types.ts';

export class RedisSubscriber {
  private readonly byChannel = new Map<string, Set<AllocationListener>>();
  private readonly all = new Set<AllocationListener>();
  private count = 0;
  private connected: Promise<void> | null = null;

  constructor(private readonly conn: Redis, onError: (err: Error) => void) {
    conn.on('error', onError);
    conn.on('message', (channel: string, message: string) => this.deliver(channel, message, this.byChannel.get(channel)));
    conn.on('pmessage', (_pattern: string, channel: string, message: string) => this.deliver(channel, message, this.all));
  }

  async add(listener: AllocationListener, node?: string): Promise<() => Promise<void>> {
    assert(this.count < MAX_ANNOUNCE_LISTENERS, `more than ${MAX_ANNOUNCE_LISTENERS} allocation listeners`);
    this.connected ??= this.conn.connect();
    await this.connected;
    this.count++;
    if (node === undefined) {
      if (this.all.size === 0) await this.conn.psubscribe(channels.announceAll());
      this.all.add(listener);
      return async () => {
        if (!this.all.delete(listener)) return;
        this.count--;
        if (this.all.size === 0) await this.conn.punsubscribe(channels.announceAll()).catch(() => {});
      };
    }
    const ch = channels.announce(node);
    let set = this.byChannel.get(ch);
    if (!set) {
      this.byChannel.set(ch, (set = new Set()));
      await this.conn.subscribe(ch);
    }
    set.add(listener);
    return async () => {
      if (!set.delete(listener)) return;
      this.count--;
      if (set.size === 0) {
        this.byChannel.delete(ch);
        await this.conn.unsubscribe(ch).catch(() => {});
      }
    };
  }

  private deliver(channel: string, message: string, listeners: Set<AllocationListener> | undefined): void {
    if (!listeners || listeners.size === 0) return;
    let doc: AllocationDoc;
    try {
      doc = JSON.parse(message) as AllocationDoc;
    } catch {
      return; // not ours: only the publish script writes these channels, with JSON
    }
    if (doc?.node !== nodeOfChannel(channel)) return;
    for (const l of listeners) l(doc);
  }

  async close(): Promise<void> {
    this.all.clear();
    this.byChannel.clear();
    try {
      await this.conn.quit();
    } catch {
      this.conn.disconnect();
    }
  }
}
