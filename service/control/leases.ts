// Dividing nodes among service replicas with leases (issue 4): each replica heartbeats, reads the live
// replica set, and holds about nodes / replicas leases (SET NX PX, renewed by compare-and-extend). Which nodes
// a replica prefers comes from rendezvous hashing, so the split is stable and replicas rarely contend. A dead
// replica's leases expire after one TTL and its heartbeat after one TTL; the others then take its nodes on
// their next tick: within two TTLs. Shares are exact (targetShare), so the split is even.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { assert } from '../errors.ts';
import type { Bus } from '../bus/types.ts';

export interface LeaseEvents {
  acquired(node: string): void;
  lost(node: string): void;
}

/** Rendezvous (highest random weight) score of a node for a replica. */
function score(node: string, replica: string): number {
  return createHash('sha1').update(`${node}\u0000${replica}`).digest().readUInt32BE(0);
}

export class LeaseKeeper {
  readonly held = new Set<string>();
  private live: string[] = [];

  constructor(private readonly bus: Bus, private readonly replica: string, private readonly ttlMs: number,
    private readonly events: LeaseEvents, private readonly log: Logger) {
    assert(ttlMs > 0, 'lease ttl must be positive');
  }

  get replicas(): readonly string[] { return this.live; }

  /** One tick: heartbeat, renew, give up nodes above our share, take nodes up to it. */
  async tick(nodes: readonly string[]): Promise<void> {
    this.live = await this.bus.heartbeat(this.replica, this.ttlMs);
    const liveCount = Math.max(1, this.live.length);
    const all = new Set(nodes);
    for (const node of [...this.held]) {
      const kept = all.has(node) && (await this.bus.renewLease(node, this.replica, this.ttlMs));
      if (!kept) {
        if (all.has(node)) this.log.warn({ node }, 'lease lost (expired or taken)');
        else await this.bus.releaseLease(node, this.replica);
        this.drop(node);
      }
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
    for (const node of candidates) {
      if (this.held.size >= share) break;
      if (await this.bus.acquireLease(node, this.replica, this.ttlMs)) {
        this.held.add(node);
        this.log.info({ node }, 'lease acquired');
        this.events.acquired(node);
      }
    }
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
