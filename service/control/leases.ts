// Dividing nodes among service replicas with leases (issue 4): each replica heartbeats, reads the live
// replica set, and holds about nodes / replicas leases (SET NX PX, renewed by compare-and-extend). Which nodes
// a replica prefers comes from rendezvous hashing, so the split is stable and replicas rarely contend. A dead
// replica's leases expire after one TTL and its heartbeat after one TTL; the others then take its nodes on
// their next tick: within two TTLs. Shares are exact (targetShare), so the split is even.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { assert } from '../errors.ts';
import type { Bus } from '../bus/types.ts';
import { LEASE_PARALLEL, LEASE_TICKS_PER_TTL } from './limits.ts';

export interface LeaseEvents {
  acquired(node: string): void;
  lost(node: string): void;
}

/** Rendezvous (highest random weight) score of a node for a replica. */
function score(node: string, replica: string): number {
  return createHash('sha1').update(`${node}\u0000${replica}`).digest().readUInt32BE(0);
}

/** `fn` over `items`, LEASE_PARALLEL at a time (overlapping round trips; a replica holds a thousand nodes). */
async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += LEASE_PARALLEL) out.push(...(await Promise.all(items.slice(i, i + LEASE_PARALLEL).map(fn))));
  return out;
}

export class LeaseKeeper {
  readonly held = new Set<string>();
  /** when each held lease was last set or extended */
  private readonly renewedMs = new Map<string, number>();
  private live: string[] = [];

  constructor(private readonly bus: Bus, private readonly replica: string, private readonly ttlMs: number,
    private readonly events: LeaseEvents, private readonly log: Logger) {
    assert(ttlMs > 0, 'lease ttl must be positive');
  }

  get replicas(): readonly string[] { return this.live; }

  /** One tick: heartbeat, renew, give up nodes above our share, take nodes up to it. */
  async tick(nodes: readonly string[]): Promise<void> {
    const all = new Set(nodes);
    // a lease is renewed once a third of its time-to-live has passed (ticks come at least every second, which
    // for long leases is more often than that); a node gone from the registry is given back. The heartbeat and
    // the renewals go out together: on a busy replica every round trip waits its turn on the event loop.
    const now = Date.now();
    const due = [...this.held].filter((n) => !all.has(n) || now - (this.renewedMs.get(n) ?? 0) >= this.ttlMs / LEASE_TICKS_PER_TTL);
    const [live, kept] = await Promise.all([
      this.bus.heartbeat(this.replica, this.ttlMs),
      inBatches(due, async (node) => all.has(node) && this.bus.renewLease(node, this.replica, this.ttlMs)),
    ]);
    this.live = live;
    const liveCount = Math.max(1, this.live.length);
    for (let i = 0; i < due.length; i++) {
      const node = due[i];
      if (kept[i]) {
        this.renewedMs.set(node, now);
        continue;
      }
      if (all.has(node)) this.log.warn({ node }, 'lease lost (expired or taken)');
      else await this.bus.releaseLease(node, this.replica);
      this.drop(node);
    }
    const share = this.targetShare(nodes.length, liveCount);
    const mine = (n: string): boolean => this.preferredReplica(n) === this.replica;
    // above our share (a replica joined): give up the nodes we do not prefer first
    if (this.held.size > share) {
      const extra = [...this.held].sort((a, b) => Number(mine(a)) - Number(mine(b))).slice(0, this.held.size - share);
      for (const node of extra) {
        await this.bus.releaseLease(node, this.replica);
        this.log.info({ node }, 'lease released (rebalancing)');
        this.drop(node);
      }
    }
    if (this.held.size >= share) return;
    // preferred nodes first, then any free node (its preferred replica may be dead)
    const candidates = nodes.filter((n) => !this.held.has(n)).sort((a, b) => Number(mine(b)) - Number(mine(a)));
    // tried a batch at a time, never more than the share still missing (each try may succeed)
    const before = this.held.size;
    for (let i = 0; i < candidates.length && this.held.size < share;) {
      const batch = candidates.slice(i, i + Math.min(LEASE_PARALLEL, share - this.held.size));
      i += batch.length;
      const took = await inBatches(batch, (node) => this.bus.acquireLease(node, this.replica, this.ttlMs));
      batch.forEach((node, k) => {
        if (!took[k]) return;
        this.held.add(node);
        this.renewedMs.set(node, Date.now());
        this.log.debug({ node }, 'lease acquired');
        this.events.acquired(node);
      });
    }
    if (this.held.size > before) this.log.info({ acquired: this.held.size - before, held: this.held.size }, 'leases acquired');
  }

  /**
   * How many nodes this replica should hold: N = q * R + r nodes over R live replicas gives the first r
   * replicas (in sorted order) q + 1 and the others q, so the targets add up to exactly N (a ceiling for
   * everybody could leave one replica with far fewer than the others).
   */
  private targetShare(nodeCount: number, liveCount: number): number {
    const q = Math.floor(nodeCount / liveCount);
    const r = nodeCount % liveCount;
    const index = this.live.indexOf(this.replica);
    return q + (index >= 0 && index < r ? 1 : 0);
  }

  /** The live replica that prefers `node`. */
  private preferredReplica(node: string): string {
    let best = this.replica;
    let bestScore = -1;
    for (const r of this.live.length > 0 ? this.live : [this.replica]) {
      const s = score(node, r);
      if (s > bestScore || (s === bestScore && r < best)) { best = r; bestScore = s; }
    }
    return best;
  }

  private drop(node: string): void {
    this.held.delete(node);
    this.renewedMs.delete(node);
    this.events.lost(node);
  }

  /** Graceful stop: give every lease back so the other replicas take the nodes at once. */
  async releaseAll(): Promise<void> {
    for (const node of [...this.held]) {
      try {
        await this.bus.releaseLease(node, this.replica);
      } catch (err) {
        this.log.warn({ node, err: (err as Error).message }, 'could not release lease (it will expire)');
      }
      this.drop(node);
    }
    await this.bus.removeReplica(this.replica).catch(() => {});
  }

  /** Crash-like stop (tests): forget the leases without giving them back. */
  forget(): void {
    for (const node of [...this.held]) this.drop(node);
  }
}
