// Allocation events of every node, whichever replica computed them: the hub follows the bus's announcements
// and fans them out to in-process listeners (SSE clients of GET /v1/events, the history). It also remembers
// the newest allocation of each node (re-seeding a Redis that lost its data needs it). Registry changes (nodes
// and apps registered, updated, deleted: registry-events.ts) go to their own listeners.
import type { Logger } from 'pino';
import { assert } from '../errors.ts';
import { MAX_ANNOUNCE_LISTENERS } from '../bus/limits.ts';
import type { AllocationDoc, Bus } from '../bus/types.ts';
import type { RegistryEvent } from './registry-events.ts';

export type EventListener = (doc: AllocationDoc) => void;
export type RegistryListener = (ev: RegistryEvent) => void;

export class EventHub {
  private readonly listeners = new Set<EventListener>();
  private readonly registryListeners = new Set<RegistryListener>();
  readonly latest = new Map<string, AllocationDoc>();
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly log: Logger) {}

  async start(bus: Bus): Promise<void> {
    this.unsubscribe = await bus.subscribeAllocations((doc) => this.emit(doc));
  }

  /** Records and fans out a document once: announcements and the replica's own results both come here. */
  emit(doc: AllocationDoc): void {
    const prev = this.latest.get(doc.node);
    if (prev && prev.epoch >= doc.epoch) return;
    this.latest.set(doc.node, doc);
    for (const l of this.listeners) {
      try {
        l(doc);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'event listener failed');
      }
    }
  }

  /** Forgets a deleted node: a node registered again under its id starts over at epoch 1. */
  forget(node: string): void { this.latest.delete(node); }

  emitRegistry(ev: RegistryEvent): void {
    for (const l of this.registryListeners) {
      try {
        l(ev);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'registry event listener failed');
      }
    }
  }

  listenRegistry(l: RegistryListener): () => void {
    assert(this.registryListeners.size < MAX_ANNOUNCE_LISTENERS, `more than ${MAX_ANNOUNCE_LISTENERS} registry event listeners`);
    this.registryListeners.add(l);
    return () => { this.registryListeners.delete(l); };
  }

  listen(l: EventListener): () => void {
    assert(this.listeners.size < MAX_ANNOUNCE_LISTENERS, `more than ${MAX_ANNOUNCE_LISTENERS} event listeners`);
    this.listeners.add(l);
    return () => { this.listeners.delete(l); };
  }

  get listenerCount(): number { return this.listeners.size; }

  async stop(): Promise<void> {
    this.listeners.clear();
    this.registryListeners.clear();
    await this.unsubscribe?.().catch(() => {});
    this.unsubscribe = null;
  }
}
