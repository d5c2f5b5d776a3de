// One service replica: the bus, the solver engine, estimators, leases, the ingest loop, the round timer and
// the event hub, started and stopped together. `spirit serve` wraps it in HTTP; tests drive it directly.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { assert, InputError } from '../errors.ts';
import type { Engine } from '../market/engine.ts';
import { POLICIES, type Policy } from '../scenario/types.ts';
import { MAX_LEASE_TTL_MS, MIN_LEASE_TTL_MS } from '../bus/limits.ts';
import type { AppRecord, Bus, NodeRecord } from '../bus/types.ts';
import { Estimators, type EstimatorFactory } from './estimators.ts';
import { EventHub } from './events.ts';
import { History } from './history.ts';
import { IngestPacer, ingestNode } from './ingest.ts';
import { LeaseKeeper } from './leases.ts';
import {
  DEFAULT_EXPLORE_SHARE, DEFAULT_HYSTERESIS_SHARE, DEFAULT_INTERVAL_MS, DEFAULT_LEASE_TTL_MS, DEFAULT_SILENT_AFTER_ROUNDS, DEFAULT_TRUST_REGION_SHARE,
  FIRST_ROUNDS_PER_LEASE_TICK, INGEST_BATCH, INGEST_IDLE_MAX_MS, INGEST_IDLE_MIN_MS, INGEST_PARALLEL_NODES, INGEST_PARALLEL_NODES_DURING_ROUNDS,
  LAST_HEARD_WRITE_MS, LEASE_TICK_MAX_MS, LEASE_TICKS_PER_TTL, MAX_ERROR_TEXT, MAX_INTERVAL_MS, MAX_PENDING_WRITES, MIN_INTERVAL_MS, RECLAIM_IDLE_MS,
  REGISTRY_REREAD_MS, ROUNDS_PARALLEL,
} from './limits.ts';
import { MeasuredWindows } from './measured.ts';
import { Metrics } from './metrics.ts';
import { diffRegistry, type RegistryReading } from './registry-events.ts';
import * as registry from './registry.ts';
import { runRound, type RoundDeps, type RoundResult } from './round.ts';
import { secFromMs } from '../units.ts';

export interface ServiceOptions {
  bus: Bus;
  engine: Engine;
  log: Logger;
  estimatorFactory: EstimatorFactory;
  /** replica id (consumer name, lease holder); default: random */
  replica?: string;
  intervalMs?: number;
  leaseTtlMs?: number;
  /** a node whose daemon sent nothing for this long keeps its allocation; default 3 intervals */
  silentAfterMs?: number;
  policy?: Policy;
  /** null turns the trust region off */
  trustRegionShare?: number | null;
  /** null turns hysteresis off */
  hysteresisShare?: number | null;
  /** exploration offset of apps being learned, share of capacity (default 0.05); null turns exploration off */
  exploreShare?: number | null;
  /** the most an exploring app's own model may predict it loses in a round (default 0.3; 1 = no check) */
  exploreMaxLoss?: number;
  reclaimIdleMs?: number;
  /** plan partitionable apps on the convex hulls of their curves, with page splits (default true) */
  convexify?: boolean;
  /** process metrics (CPU, memory, event loop) in /metrics */
  processMetrics?: boolean;
}

export class SpiritService {
  readonly bus: Bus;
  readonly engine: Engine;
  readonly log: Logger;
  readonly replica: string;
  readonly metrics: Metrics;
  readonly events: EventHub;
  readonly estimators: Estimators;
  readonly leases: LeaseKeeper;
  /** the last rounds of every node (the dashboard's charts) */
  readonly history = new History();
  /** telemetry means since each node's last round, carried by its next allocation */
  readonly measured = new MeasuredWindows();
  readonly intervalMs: number;
  readonly leaseTtlMs: number;
  private readonly roundDeps: RoundDeps;
  private readonly reclaimIdleMs: number;
  /** the registry as last read whole from a store that had not lost its data, with every write this
   *  replica acknowledged since on top (the re-seeding source) */
  private snapshot: { nodes: NodeRecord[]; apps: AppRecord[] } = { nodes: [], apps: [] };
  /** registry writes this replica acknowledged, numbered, until a listing started after them holds them */
  private writes: { seq: number; apply: (s: Snapshot) => void }[] = [];
  private writeSeq = 0;
  /** the store's data marker as of the last lease tick (a new one means the store was wiped and re-seeded) */
  private marker: string | null = null;
  private appsByNode = new Map<string, Set<string>>();
  private running = false;
  private timers = new Map<string, ReturnType<typeof setTimeout>>();
  private ingestDone: Promise<void> = Promise.resolve();
  private busy = { lease: false, rounds: false, first: false, takeover: false };
  private pendingFirstRound = new Set<string>();
  /** nodes acquired after start (a peer died or the nodes were rebalanced), waiting for their round: when it
   *  is due (ms since the epoch), null until their allocation was read */
  private takenOver = new Map<string, number | null>();
  /** the round of each node that runs now: a node's rounds never overlap, whichever path starts them */
  private inRound = new Map<string, Promise<unknown>>();
  /** set after the first lease tick: what is acquired then is this replica's share at start, not a takeover */
  private settled = false;
  private silentNodes = new Set<string>();
  /** the registry as last announced (registry events are the differences); null until the first reading */
  private registrySeen: RegistryReading | null = null;
  /** readings are numbered when they start, so an older reading finishing late never undoes a newer one */
  private registryReads = 0;
  private registryApplied = 0;
  private readonly pacer = new IngestPacer();
  /** the registry version the snapshot was read at, and when */
  private registry: { version: string | null; readMs: number } = { version: null, readMs: 0 };

  constructor(o: ServiceOptions) {
    this.bus = o.bus;
    this.engine = o.engine;
    this.log = o.log;
    this.replica = o.replica ?? `replica-${randomBytes(4).toString('hex')}`;
    this.intervalMs = checkRange('intervalMs', o.intervalMs ?? DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS, MAX_INTERVAL_MS);
    this.leaseTtlMs = checkRange('leaseTtlMs', o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS, MIN_LEASE_TTL_MS, MAX_LEASE_TTL_MS);
    const policy = o.policy ?? 'spirit';
    if (!POLICIES.includes(policy)) throw new InputError('policy', `unknown policy '${policy}'; expected one of ${POLICIES.join(', ')}`);
    this.reclaimIdleMs = o.reclaimIdleMs ?? RECLAIM_IDLE_MS;
    this.metrics = new Metrics({
      apps: () => this.snapshot.apps.length,
      nodes: () => this.snapshot.nodes.length,
      leased: () => this.leases.held.size,
      silent: () => this.silentNodes.size,
    }, { processMetrics: o.processMetrics });
    this.events = new EventHub(o.log);
    this.estimators = new Estimators(o.estimatorFactory);
    this.leases = new LeaseKeeper(this.bus, this.replica, this.leaseTtlMs, {
      acquired: (node) => {
        this.pendingFirstRound.add(node);
        if (this.settled) this.takenOver.set(node, null);
        this.pacer.forget(node);
      },
      lost: (node) => { this.estimators.dropNode(node); this.silentNodes.delete(node); this.pendingFirstRound.delete(node); this.takenOver.delete(node); },
    }, o.log);
    const trust = o.trustRegionShare === undefined ? DEFAULT_TRUST_REGION_SHARE : o.trustRegionShare;
    const hyst = o.hysteresisShare === undefined ? DEFAULT_HYSTERESIS_SHARE : o.hysteresisShare;
    const explore = o.exploreShare === undefined ? DEFAULT_EXPLORE_SHARE : o.exploreShare;
    if (explore !== null && !(Number.isFinite(explore) && explore >= 0 && explore <= 0.5)) {
      throw new InputError('exploreShare', `is a share of capacity from 0 to 0.5 (or null: off), got ${explore}`);
    }
    if (o.exploreMaxLoss !== undefined && !(Number.isFinite(o.exploreMaxLoss) && o.exploreMaxLoss > 0 && o.exploreMaxLoss <= 1)) {
      throw new InputError('exploreMaxLoss', `is a share of throughput above 0 and at most 1 (1: no check), got ${o.exploreMaxLoss}`);
    }
    this.roundDeps = {
      bus: this.bus, engine: this.engine, estimators: this.estimators, metrics: this.metrics, log: o.log, replica: this.replica,
      measured: this.measured,
      options: {
        policy, ...(trust !== null ? { trustRegionShare: trust } : {}), ...(hyst !== null ? { hysteresisShare: hyst } : {}),
        ...(explore !== null && explore > 0 ? { exploreShare: trust !== null ? Math.min(explore, trust) : explore } : {}),
        ...(o.exploreMaxLoss !== undefined ? { exploreMaxLoss: o.exploreMaxLoss } : {}),
        silentAfterMs: o.silentAfterMs ?? DEFAULT_SILENT_AFTER_ROUNDS * this.intervalMs,
        ...(o.convexify !== undefined ? { convexify: o.convexify } : {}),
      },
    };
  }

  async start(): Promise<void> {
    assert(!this.running, 'service started twice');
    this.running = true;
    await this.events.start(this.bus);
    this.events.listen((doc) => this.history.record(doc));
    await this.leaseTick();
    this.settled = true;
    this.every('lease', Math.max(1, Math.min(LEASE_TICK_MAX_MS, Math.floor(this.leaseTtlMs / LEASE_TICKS_PER_TTL))), () => this.leaseTick());
    this.every('rounds', this.intervalMs, () => this.roundsTick(), true);
    this.ingestDone = this.ingestLoop();
    this.log.info({ replica: this.replica, bus: this.bus.kind, engine: this.engine.kind, intervalMs: this.intervalMs, leaseTtlMs: this.leaseTtlMs }, 'service started');
  }

  /** Graceful stop: timers off, leases given back (the other replicas take over at once). */
  async stop(): Promise<void> {
    if (!this.halt()) return;
    await this.ingestDone;
    await this.leases.releaseAll().catch(() => {});
    await this.events.stop();
    this.estimators.disposeAll();
    this.log.info({ replica: this.replica }, 'service stopped');
  }

  /** Stops like a crash: nothing is given back; leases expire on their own (tests of takeover). */
  async kill(): Promise<void> {
    if (!this.halt()) return;
    await this.ingestDone;
    this.leases.forget();
    await this.events.stop();
    this.estimators.disposeAll();
  }

  get isRunning(): boolean { return this.running; }

  /** The policy (and whether partitionable apps are convexified) of every round from the next one on:
   *  `spirit experiment live` measures each policy in turn on one running node, with the estimates learned
   *  once. Exploration stays a spirit-only feature (round.ts). */
  setPolicy(policy: Policy, convexify?: boolean): void {
    if (!POLICIES.includes(policy)) throw new InputError('policy', `unknown policy '${policy}'; expected one of ${POLICIES.join(', ')}`);
    const options: RoundDeps['options'] = { ...this.roundDeps.options, policy };
    if (convexify === undefined) delete options.convexify;
    else options.convexify = convexify;
    this.roundDeps.options = options;
  }

  get policy(): { policy: Policy; convexify: boolean } {
    return { policy: this.roundDeps.options.policy, convexify: this.roundDeps.options.convexify ?? true };
  }

  private halt(): boolean {
    if (!this.running) return false;
    this.running = false;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    return true;
  }

  /** Runs `fn` every `ms` (never overlapping itself) while the service runs. `fixedRate`: runs start `ms` apart
   *  (a run that took longer is followed at once), so a pass over many nodes does not stretch every node's
   *  interval by its own duration. */
  private every(name: string, ms: number, fn: () => Promise<void>, fixedRate = false): void {
    const loop = (delayMs: number): void => {
      this.timers.set(name, setTimeout(() => {
        if (!this.running) return;
        const t0 = Date.now();
        void fn().finally(() => { if (this.running) loop(fixedRate ? Math.max(0, ms - (Date.now() - t0)) : ms); });
      }, delayMs));
    };
    loop(ms);
  }

  // registry writes --------------------------------------------------------------------------------------------
  // The HTTP routes write through these, so a write is in the re-seeding snapshot before it is acknowledged:
  // a Redis killed and restarted empty right after a 201 gets it back at the next lease tick.

  async putNode(id: string, input: registry.NodeInput): Promise<{ node: NodeRecord; created: boolean }> {
    const r = await registry.putNode(this.bus, id, input);
    this.noteWrite((s) => { s.nodes = [...s.nodes.filter((n) => n.id !== id), r.node]; });
    return r;
  }

  async deleteNode(id: string): Promise<void> {
    await registry.deleteNode(this.bus, id);
    this.noteWrite((s) => { s.nodes = s.nodes.filter((n) => n.id !== id); });
  }

  async putApp(id: string, input: registry.AppInput): Promise<{ app: AppRecord; created: boolean; warnings: string[] }> {
    const r = await registry.putApp(this.bus, id, input);
    this.noteWrite((s) => { s.apps = [...s.apps.filter((a) => a.id !== id), r.app]; });
    return r;
  }

  async deleteApp(id: string): Promise<void> {
    await registry.deleteApp(this.bus, id);
    this.noteWrite((s) => { s.apps = s.apps.filter((a) => a.id !== id); });
  }

  private noteWrite(apply: (s: Snapshot) => void): void {
    const next = { nodes: this.snapshot.nodes, apps: this.snapshot.apps };
    apply(next);
    this.setSnapshot(next.nodes, next.apps);
    this.writes.push({ seq: ++this.writeSeq, apply });
    // bounded: a listing normally takes them every lease tick; if ticks keep failing, the oldest are
    // folded into the snapshot already and only the order of replays is lost
    if (this.writes.length > MAX_PENDING_WRITES) this.writes.splice(0, this.writes.length - MAX_PENDING_WRITES);
  }

  /** Registry read, data-loss check and re-seed, heartbeat and leases. */
  async leaseTick(): Promise<void> {
    if (this.busy.lease) return;
    this.busy.lease = true;
    try {
      // few round trips one after the other: on a busy replica each waits behind rounds and ingest, and a tick
      // that takes longer than a lease's time-to-live loses the leases
      const [found, version] = await Promise.all([this.bus.dataMarker(), this.bus.registryVersion()]);
      let marker = found;
      // missing: the store lost its data; changed: it lost it and another replica re-seeded it since (with
      // what it knew, which may lack writes acknowledged here). The marker is claimed first and taken as
      // ours only once the re-seed went through: a store lost again midway has no marker, and a re-seed
      // that failed midway leaves a marker that is not ours, so either way the next tick re-seeds again.
      if (marker === null || (this.marker !== null && marker !== this.marker)) {
        marker = await this.bus.markIntact();
        await this.reseed();
        this.registry = { version: null, readMs: 0 };
      }
      this.marker = marker;
      // the whole registry is read only when it changed (or now and then, in case): reading every node and app
      // each second is what kept a replica's lease tick from scaling with the nodes of the cluster
      if (version !== this.registry.version || Date.now() - this.registry.readMs >= REGISTRY_REREAD_MS) {
        const reading = ++this.registryReads;
        const listedAfter = this.writeSeq;
        const [listedNodes, listedApps] = await Promise.all([this.bus.listNodes(), this.bus.listApps()]);
        // only a listing bracketed by two checks of the same marker may replace the snapshot (else it may be
        // of a wiped store); writes acknowledged while it was read are laid on top
        if ((await this.bus.dataMarker()) === marker) {
          this.takeListing(listedNodes, listedApps, listedAfter);
          this.observeRegistry(reading, { nodes: listedNodes, apps: listedApps });
          this.registry = { version, readMs: Date.now() };
        }
      }
      const { nodes, apps } = this.snapshot;
      await this.leases.tick(nodes.map((n) => n.id));
      const keep = new Set(apps.map((a) => a.id));
      this.estimators.prune(keep);
      this.measured.prune(keep);
      if (!this.busy.first) void this.firstRounds();
      if (!this.busy.takeover && this.takenOver.size > 0) void this.takeoverRounds();
    } catch (err) {
      this.metrics.errors.inc({ kind: 'bus' });
      this.log.warn({ err: (err as Error).message }, 'lease tick failed (will retry)');
    } finally {
      this.busy.lease = false;
    }
  }

  /**
   * A node never allocated gets its first round now rather than at the next pass, a few at a time and outside
   * the lease tick: a replica that just took a thousand nodes must keep renewing their leases (the rounds pass
   * covers the rest).
   */
  private async firstRounds(): Promise<void> {
    this.busy.first = true;
    try {
      let first = 0;
      for (const node of this.pendingFirstRound) {
        if (first >= FIRST_ROUNDS_PER_LEASE_TICK || !this.running) break;
        this.pendingFirstRound.delete(node);
        if (this.leases.held.has(node) && !(await this.bus.getAllocation(node))) {
          first++;
          await this.roundFor(node);
        }
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'first rounds failed (the next pass runs them)');
    } finally {
      this.busy.first = false;
    }
  }

  /**
   * Nodes taken over from a peer (or moved here by a rebalance) get their round when it is due (an interval
   * after the allocation in force was made) rather than at this replica's next pass of rounds, which may come
   * up to an interval later: a dead replica's nodes are served again about two lease periods after it died (its
   * leases expiring, then this), not one interval more. A node not due yet stays in the set, checked again
   * every lease tick; one without an allocation is the first rounds' (firstRounds). Its estimators start
   * empty: the round plans on the fitted models the previous holder stored (source 'persisted'). Waits for the
   * node's telemetry to have been read once, so that round sees what arrived since.
   */
  private async takeoverRounds(): Promise<void> {
    this.busy.takeover = true;
    try {
      const now = Date.now();
      const due: string[] = [];
      for (const [node, dueAt] of [...this.takenOver]) {
        if (!this.leases.held.has(node)) { this.takenOver.delete(node); continue; }
        if (!this.pacer.hasRead(node) || this.pendingFirstRound.has(node)) continue;
        let at = dueAt;
        if (at === null) { // read once: the allocation in force says when the node's next round is due
          const doc = await this.bus.getAllocation(node);
          if (!doc) { this.takenOver.delete(node); continue; } // never allocated: a first round's
          at = doc.timeMs + this.intervalMs;
          this.takenOver.set(node, at);
        }
        if (at <= now) due.push(node);
      }
      for (const n of due) this.takenOver.delete(n);
      await this.drainRounds(due);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'takeover rounds failed (the next lease tick retries)');
    } finally {
      this.busy.takeover = false;
    }
  }

  /**
   * Reads the registry now and announces what changed (registry events). The HTTP routes call it after a
   * write, so the replica that took it tells its event clients at once; the others see it at their next lease
   * tick. A failed reading is logged and left to the next tick.
   */
  async syncRegistry(): Promise<void> {
    const reading = ++this.registryReads;
    try {
      const [nodes, apps] = await Promise.all([this.bus.listNodes(), this.bus.listApps()]);
      this.observeRegistry(reading, { nodes, apps });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'registry reading failed (the next lease tick retries)');
    }
  }

  private observeRegistry(reading: number, now: RegistryReading): void {
    if (reading <= this.registryApplied) return; // a newer reading was already announced
    this.registryApplied = reading;
    const before = this.registrySeen;
    this.registrySeen = now;
    if (!before) return; // the first reading is the starting point, not news
    for (const ev of diffRegistry(before, now)) {
      if (ev.kind === 'node' && ev.change === 'deleted') {
        this.history.forget(ev.id);
        this.events.forget(ev.id);
      }
      this.events.emitRegistry(ev);
    }
  }

  private takeListing(nodes: NodeRecord[], apps: AppRecord[], listedAfter: number): void {
    this.writes = this.writes.filter((w) => w.seq > listedAfter);
    const s: Snapshot = { nodes, apps };
    for (const w of this.writes) w.apply(s);
    this.setSnapshot(s.nodes, s.apps);
  }

  private setSnapshot(nodes: NodeRecord[], apps: AppRecord[]): void {
    this.snapshot = { nodes, apps };
    const by = new Map<string, Set<string>>();
    for (const a of apps) {
      let s = by.get(a.node);
      if (!s) by.set(a.node, (s = new Set()));
      s.add(a.id);
    }
    this.appsByNode = by;
  }

  /**
   * The store lost its data (Redis restarted without persistence): write back what this replica knew and the
   * store lacks. Only what is missing: anything in the store was written after the loss, so it is newer.
   */
  private async reseed(): Promise<void> {
    const { nodes, apps } = this.snapshot;
    if (nodes.length === 0 && apps.length === 0) return;
    const [haveNodes, haveApps] = await Promise.all([this.bus.listNodes(), this.bus.listApps()]);
    const hasNode = new Set(haveNodes.map((n) => n.id));
    const hasApp = new Set(haveApps.map((a) => a.id));
    const missingNodes = nodes.filter((n) => !hasNode.has(n.id));
    const missingApps = apps.filter((a) => !hasApp.has(a.id));
    this.log.warn({ nodes: missingNodes.length, apps: missingApps.length }, 'the bus lost its data: re-seeding the registry and allocations');
    for (const n of nodes) {
      if (!hasNode.has(n.id)) await this.bus.putNode(n);
      await this.bus.ensureTelemetryGroup(n.id);
    }
    for (const a of missingApps) await this.bus.putApp(a);
    for (const doc of this.events.latest.values()) await this.bus.publishAllocation(doc, null);
  }

  /** One round for every node this replica holds; one node failing never stops the others. */
  async roundsTick(): Promise<void> {
    if (this.busy.rounds) return;
    this.busy.rounds = true;
    const t0 = performance.now();
    try {
      // a few nodes at a time: a round is mostly waiting on the bus (five reads, a publish, two writes), and a
      // thousand of them one after the other spent most of an interval waiting
      await this.drainRounds([...this.leases.held].sort());
    } finally {
      this.busy.rounds = false;
      this.metrics.tickSeconds.observe(secFromMs(performance.now() - t0));
    }
  }

  /** Rounds for the nodes of `queue` (consumed), ROUNDS_PARALLEL in flight (a node lost meanwhile: its round is fenced off). */
  private async drainRounds(queue: string[]): Promise<void> {
    const worker = async (): Promise<void> => {
      for (let node = queue.shift(); node !== undefined && this.running; node = queue.shift()) await this.roundFor(node);
    };
    await Promise.all(Array.from({ length: ROUNDS_PARALLEL }, worker));
  }

  async roundFor(node: string): Promise<RoundResult | null> {
    // one at a time per node (a takeover round beside a pass, a test driving rounds beside the timer)
    for (let running = this.inRound.get(node); running; running = this.inRound.get(node)) await running;
    const done = this.roundOnce(node);
    this.inRound.set(node, done);
    try {
      return await done;
    } finally {
      this.inRound.delete(node);
    }
  }

  private async roundOnce(node: string): Promise<RoundResult | null> {
    try {
      const r = await runRound(this.roundDeps, node);
      this.takenOver.delete(node); // served: by the pass, a first round or its takeover round
      this.metrics.rounds.inc({ outcome: r.outcome });
      if (r.outcome === 'silent') this.silentNodes.add(node);
      else this.silentNodes.delete(node);
      if (r.doc) this.events.emit(r.doc);
      if (r.outcome === 'lost-lease') this.log.warn({ node }, 'round not published: the lease is held elsewhere');
      return r;
    } catch (err) {
      const reason = (err as Error).message.slice(0, MAX_ERROR_TEXT);
      this.metrics.rounds.inc({ outcome: 'failed' });
      this.metrics.errors.inc({ kind: 'round' });
      this.log.error({ node, err: reason }, 'round failed');
      await this.bus.patchNodeState(node, { lastError: reason, lastErrorMs: Date.now() }).catch(() => {});
      return null;
    }
  }

  /** The apps of a node as this replica knows them; `refresh` re-reads the bus. */
  private async appsOf(node: string, refresh: boolean): Promise<ReadonlySet<string>> {
    if (refresh) this.appsByNode.set(node, new Set((await this.bus.listApps(node)).map((a) => a.id)));
    return this.appsByNode.get(node) ?? new Set();
  }

  /** Telemetry in, continuously: each held node's new records, with a growing pause while there are none. */
  private async ingestLoop(): Promise<void> {
    const deps = {
      bus: this.bus, estimators: this.estimators, metrics: this.metrics, log: this.log, consumer: this.replica,
      reclaimIdleMs: this.reclaimIdleMs, batch: INGEST_BATCH, measured: this.measured,
      heard: { lastWriteMs: new Map<string, number>(), everyMs: Math.min(LAST_HEARD_WRITE_MS, this.roundDeps.options.silentAfterMs / 4) },
    };
    const pacer = this.pacer;
    let idleMs = INGEST_IDLE_MIN_MS;
    while (this.running) {
      let took = 0;
      try {
        // several nodes at once: their Redis round trips overlap (the CPU work interleaves on this thread)
        const now = Date.now();
        const held = [...this.leases.held].filter((n) => pacer.due(n, now));
        // while a pass of rounds runs, fewer nodes at a time: the rounds (and lease renewals) come first, and
        // telemetry that waits is ingested a moment later
        const parallel = this.busy.rounds ? INGEST_PARALLEL_NODES_DURING_ROUNDS : INGEST_PARALLEL_NODES;
        for (let i = 0; i < held.length; i += parallel) {
          const batch = held.slice(i, i + parallel);
          const counts = await Promise.all(batch.map((node) => ingestNode(deps, node, (n, r) => this.appsOf(n, r))));
          batch.forEach((node, k) => pacer.read(node, counts[k], INGEST_BATCH, Date.now()));
          took += counts.reduce((a, b) => a + b, 0);
        }
        idleMs = took > 0 ? INGEST_IDLE_MIN_MS : Math.min(INGEST_IDLE_MAX_MS, idleMs * 2);
      } catch (err) {
        this.metrics.errors.inc({ kind: 'bus' });
        this.log.warn({ err: (err as Error).message }, 'telemetry ingest failed (will retry)');
        idleMs = INGEST_IDLE_MAX_MS;
      }
      if (took === 0) await sleep(Math.max(INGEST_IDLE_MIN_MS, Math.min(idleMs, pacer.untilDue(this.leases.held, Date.now()))));
      else await new Promise((r) => setImmediate(r)); // let HTTP and timers run between batches
    }
  }
}

type Snapshot = { nodes: NodeRecord[]; apps: AppRecord[] };

function checkRange(name: string, v: number, lo: number, hi: number): number {
  if (!(Number.isFinite(v) && v >= lo && v <= hi)) throw new InputError(name, `must be a number from ${lo} to ${hi}, got ${v}`);
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
