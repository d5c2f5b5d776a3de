// The compute-node daemon (`spirit node`): runs the node's workloads, measures them every interval through
// their regions' control blocks and their own operation counts, sends the telemetry, follows the node's
// allocation (increasing epochs only) and enforces it on the regions (or cgroups). It survives: a workload
// that dies is restarted with bounded back-off, an unreachable service is retried forever with bounded
// back-off, and stop() closes every region so no control block or remote page is left behind.
import type { Logger } from 'pino';
import { removeStale } from '../../native/index.ts';
import type { AllocationDoc } from '../bus/types.ts';
import { InputError } from '../errors.ts';
import type { Capacity } from '../scenario/types.ts';
import { bytesFromMiB, mbpsFromBytesPerSec, mibFromBytes } from '../units.ts';
import { Backoff, sleep } from './backoff.ts';
import { CgroupApp, type CgroupAppSpec } from './cgroup-apps.ts';
import { CpuQuota } from './cpu-quota.ts';
import { initialBundles, limitsOfBundle, planAllocation, type RegionBounds, regionBounds } from './enforce.ts';
import { CPU_GROUP_REMOVE_WAIT_MS, LINK_BACKOFF_MAX_MS, LINK_BACKOFF_MIN_MS, PENDING_PAGES_MAX, PENDING_RECORDS_MAX, RECORD_PAGES_MAX, REGISTRATION_CHECK_MS, SAMPLE_PAGES_TARGET } from './limits.ts';
import type { AppRegistration, ServiceLink } from './link.ts';
import { type WorkloadEvent, type WorkloadSnapshot, type WorkloadStatus, WorkloadSupervisor } from './supervisor.ts';
import { TelemetryQueue } from './telemetry-queue.ts';
import { SampleCarry } from './sample-carry.ts';
import { recordOfWindow, type WindowSkip, windowSkip } from './window.ts';
import { sampleRateFor, type WorkloadSpec } from './workload-spec.ts';
import type { PhaseChange } from './ipc.ts';
import { ARCHETYPES } from './workloads/index.ts';
import type { TelemetryRecord } from '../telemetry/record.ts';

export interface NodeDaemonOptions {
  node: string;
  /** what the node shares among its apps */
  capacity: Capacity;
  workloads: WorkloadSpec[];
  cgroupApps?: CgroupAppSpec[];
  cgroupRoot?: string;
  swapDevice?: string;
  memnodes: string[];
  /** the token regions are bound to on the memory node(s) */
  memnodeToken: string;
  controlDir: string;
  intervalMs: number;
  link: ServiceLink;
  log: Logger;
  /** how often the registration is re-checked; default REGISTRATION_CHECK_MS */
  registrationCheckMs?: number;
  /** each workload's CPU quota in cores (its own cgroup under `cpuGroup`, see cpu-quota.ts); none when undefined */
  workloadCpuCores?: number;
  /** the parent cgroup of the workloads' CPU groups, relative to the cgroup root; default `spirit-node/NODE` */
  cpuGroup?: string;
  /** every telemetry window as it is recorded, with the window's sampled operation latencies (experiments) */
  onWindow?: (rec: TelemetryRecord, opLatencyCounts: number[]) => void;
}

export interface AppWindowSummary {
  throughputOpsPerSec: number;
  missRatio: number;
  trafficMbps: number;
  cacheMB: number;
  bandwidthMbps: number;
  residentMB: number;
  /** a split region's partitions over the window: share of pages, cache limit and residency, misses per second */
  partitions?: { accessShare: number; limitMB: number; residentMB: number; missesPerSec: number }[];
  /** a split partition's loop overflowed it in the window and the loop guard kept the rest (docs/dataplane.md) */
  loopGuard?: boolean;
}

export interface DaemonStatus {
  node: string;
  registered: boolean;
  appliedEpoch: number;
  appliedAtMs: number | null;
  recordsSent: number;
  recordsPending: number;
  recordsDropped: number;
  windowsSkipped: Partial<Record<WindowSkip, number>>;
  dataErrors: number;
  lastLinkError: string | null;
  workloads: WorkloadStatus[];
  cgroupApps: string[];
  lastWindow: Record<string, AppWindowSummary>;
}

/** Status lines in the log this often (a human watching the node sees throughput and limits move). */
const SUMMARY_EVERY_MS = 10_000;

export class NodeDaemon {
  private readonly sups = new Map<string, WorkloadSupervisor>();
  private readonly cgroups = new Map<string, CgroupApp>();
  private cpuQuota: CpuQuota | null = null;
  private readonly last = new Map<string, WorkloadSnapshot>();
  private readonly queue = new TelemetryQueue(PENDING_RECORDS_MAX, PENDING_PAGES_MAX);
  private readonly carry = new SampleCarry(RECORD_PAGES_MAX);
  private readonly abort = new AbortController();
  private readonly linkBackoff = new Backoff(LINK_BACKOFF_MIN_MS, LINK_BACKOFF_MAX_MS);
  private readonly bounds: RegionBounds;
  private readonly log: Logger;
  private loops: Promise<void>[] = [];
  private unwatch: (() => Promise<void>) | null = null;
  private registered = false;
  private everRegistered = false;
  private sendAfterMs = 0;
  private appliedEpoch = 0;
  private appliedAtMs: number | null = null;
  private sent = 0;
  private skipped: Partial<Record<WindowSkip, number>> = {};
  private dataErrors = 0;
  private lastLinkError: string | null = null;
  private lastWindow: Record<string, AppWindowSummary> = {};
  private lastSummaryMs = 0;
  private started = false;
  private failWith: (err: Error) => void = () => {};
  /** Settles with the error when the daemon cannot go on (the service rejected its registration). */
  readonly failed: Promise<Error>;

  constructor(private readonly o: NodeDaemonOptions) {
    this.log = o.log;
    this.bounds = regionBounds();
    this.failed = new Promise((resolve) => { this.failWith = resolve; });
    if (o.workloads.length + (o.cgroupApps?.length ?? 0) === 0) throw new InputError('--workload', 'the node runs no apps: give at least one --workload (or --cgroup-app)');
  }

  private get apps(): AppRegistration[] {
    return [
      ...this.o.workloads.map((w) => ({ id: w.id, weight: w.weight, ...(w.limits ? { limits: w.limits } : {}), ...(w.partitionable === false ? { partitionable: false } : {}) })),
      // kernel-swap apps page through the kernel's LRU: nothing can split their pages, so the market must
      // plan them on their curve as it is, not on its convex hull
      ...(this.o.cgroupApps ?? []).map((c) => ({ id: c.id, weight: c.weight, partitionable: false })),
    ];
  }

  /** Starts the workloads (on the equal split until the first allocation), the link and the ticks. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.cleanStale('start-up');
    const initial = initialBundles(this.apps, this.o.capacity);
    if (this.o.workloadCpuCores !== undefined && this.o.workloads.length > 0) {
      this.cpuQuota = new CpuQuota({ root: this.o.cgroupRoot, parent: this.o.cpuGroup ?? `spirit-node/${cgroupName(this.o.node)}`, cores: this.o.workloadCpuCores });
    }
    for (const c of this.o.cgroupApps ?? []) {
      const app = new CgroupApp(c, this.o.cgroupRoot, this.o.swapDevice, this.log);
      this.cgroups.set(c.id, app);
      void app.apply(initial.get(c.id)!);
    }
    for (const w of this.o.workloads) {
      const sizeBytes = bytesFromMiB(w.sizeMB);
      const sup = new WorkloadSupervisor({
        id: w.id, archetype: w.archetype, params: w.params, seed: w.seed, sizeBytes, memnodes: this.o.memnodes, token: this.o.memnodeToken,
        sampleRate: sampleRateFor(w, sizeBytes / this.bounds.pageBytes, SAMPLE_PAGES_TARGET), controlDir: this.o.controlDir,
      }, limitsOfBundle(initial.get(w.id)!, this.bounds), {
        onEvent: (e) => this.onWorkloadEvent(e),
        ...(this.cpuQuota ? { cpuQuota: this.cpuQuota, onCpuQuotaError: (app: string, err: Error) => this.log.error({ app, err: err.message }, 'cannot put the workload under its CPU quota: it runs without one') } : {}),
      });
      this.sups.set(w.id, sup);
      sup.start();
    }
    this.log.info({ capacity: this.o.capacity, apps: this.apps.map((a) => a.id), service: this.o.link.target, intervalMs: this.o.intervalMs }, 'node daemon started');
    this.loops = [this.linkLoop(), this.tickLoop()];
  }

  /** Stops everything: ticks and link, then every workload (regions closed), then stale blocks. */
  async stop(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    await Promise.all(this.loops);
    await this.unwatch?.().catch(() => {});
    this.unwatch = null;
    await Promise.all([...this.sups.values()].map((s) => s.stop()));
    let busy = this.cpuQuota?.remove() ?? [];
    // a workload that just exited may hold its group a moment longer (the kernel reaps it): retry, bounded
    for (const until = Date.now() + CPU_GROUP_REMOVE_WAIT_MS; busy.length > 0 && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 50));
      busy = this.cpuQuota?.remove() ?? [];
    }
    if (busy.length > 0) this.log.warn({ apps: busy }, 'CPU groups still hold processes: left in place');
    await Promise.all([...this.cgroups.values()].map((c) => c.settled()));
    if (this.everRegistered && this.lastLinkError === null && this.queue.length > 0) await this.send();  // one last try, bounded by the request timeout
    await this.o.link.close().catch(() => {});
    this.cleanStale('shut-down');
    this.log.info({ recordsSent: this.sent, recordsDropped: this.queue.dropped + this.queue.length }, 'node daemon stopped');
  }

  /** A workload's phase change: it reloads its region as `archetype` and runs that pattern from then on. */
  setPhase(app: string, p: PhaseChange): void {
    const sup = this.sups.get(app);
    if (!sup) throw new InputError('app', `no workload '${app}' on node ${this.o.node}`);
    if (!(ARCHETYPES as readonly string[]).includes(p.archetype)) throw new InputError('archetype', `'${p.archetype}' is not an archetype; expected one of ${ARCHETYPES.join(', ')}`);
    sup.setPhase(p);
  }

  status(): DaemonStatus {
    return {
      node: this.o.node, registered: this.registered, appliedEpoch: this.appliedEpoch, appliedAtMs: this.appliedAtMs, recordsSent: this.sent,
      recordsPending: this.queue.length, recordsDropped: this.queue.dropped, windowsSkipped: { ...this.skipped }, dataErrors: this.dataErrors,
      lastLinkError: this.lastLinkError, workloads: [...this.sups.values()].map((s) => s.status()), cgroupApps: [...this.cgroups.keys()],
      lastWindow: { ...this.lastWindow },
    };
  }

  // -- the link: register, watch, re-check; retried forever with bounded back-off -------------------------

  private async linkLoop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.o.link.register(this.o.node, this.o.capacity, this.apps);
        this.registered = true;
        this.everRegistered = true;
        this.linkBackoff.reset();
        this.sendAfterMs = 0;
        this.log.info({ service: this.o.link.target }, 'registered node and apps');
        this.unwatch = await this.o.link.watchAllocation(this.o.node, (doc) => this.onAllocation(doc));
        await this.watchRegistration(signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof InputError && !this.everRegistered) {
          this.log.error({ err: err.message }, 'the service refused this node\'s registration');
          this.failWith(err);
          return;
        }
        const retryInMs = Math.round(this.linkBackoff.next());
        this.lastLinkError = (err as Error).message;
        this.log.warn({ err: this.lastLinkError, retryInMs, service: this.o.link.target }, 'cannot register with the service; retrying');
        await sleep(retryInMs, signal);
      } finally {
        this.registered = false;
        const u = this.unwatch;
        this.unwatch = null;
        await u?.().catch(() => {});
      }
    }
  }

  /** Returns when the service no longer knows the node (it restarted without its registry) or on stop. */
  private async watchRegistration(signal: AbortSignal): Promise<void> {
    const ids = this.apps.map((a) => a.id);
    while (!signal.aborted) {
      await sleep(this.o.registrationCheckMs ?? REGISTRATION_CHECK_MS, signal);
      if (signal.aborted) return;
      try {
        if (!(await this.o.link.isRegistered(this.o.node, ids))) {
          this.log.warn({}, 'the service no longer knows this node (restarted?); registering again');
          return;
        }
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, 'registration check failed (service unreachable?)');
      }
    }
  }

  private onAllocation(doc: AllocationDoc): void {
    const plan = planAllocation(doc, this.sups.keys(), this.bounds);
    for (const [app, limits] of plan.apply) {
      try {
        this.sups.get(app)?.setLimits(limits);
      } catch (err) {
        this.log.error({ app, err: (err as Error).message }, 'cannot apply limits to the region');
      }
    }
    for (const { app, why } of plan.badSplits) this.log.warn({ app, epoch: doc.epoch, why }, 'the allocation\'s split cannot be applied: applied unsplit');
    for (const b of doc.bundles) void this.cgroups.get(b.app)?.apply(b);
    this.appliedEpoch = doc.epoch;
    this.appliedAtMs = Date.now();
    const named = new Set(doc.bundles.map((b) => b.app));
    const foreign = plan.foreign.filter((a) => !this.cgroups.has(a));
    const missing = [...this.sups.keys(), ...this.cgroups.keys()].filter((a) => !named.has(a));
    this.log.info({
      epoch: doc.epoch, policy: doc.policy,
      bundles: doc.bundles.map((b) => ({
        app: b.app, cacheMB: round(b.cacheMB), bandwidthMbps: round(b.bandwidthMbps), source: b.source,
        ...(b.partitions && b.partitions.length > 1 ? { partitions: b.partitions.map((p) => ({ accessShare: round(p.accessShare), cacheMB: round(p.cacheMB) })) } : {}),
      })),
      ...(missing.length ? { keptLimits: missing } : {}), ...(foreign.length ? { notOnThisNode: foreign } : {}),
    }, 'allocation applied');
  }

  // -- ticks: snapshots, records, sending -----------------------------------------------------------------

  private async tickLoop(): Promise<void> {
    const signal = this.abort.signal;
    let next = Date.now() + this.o.intervalMs;
    while (!signal.aborted) {
      await sleep(Math.max(0, next - Date.now()), signal);
      if (signal.aborted) return;
      const now = Date.now();
      next = next + this.o.intervalMs <= now ? now + this.o.intervalMs : next + this.o.intervalMs;  // skip missed ticks, never burst
      try {
        await this.tick();
      } catch (err) {
        this.log.error({ err: (err as Error).stack }, 'tick failed');
      }
    }
  }

  private async tick(): Promise<void> {
    const sups = [...this.sups.values()];
    const snaps = await Promise.all(sups.map((s) => s.snapshot()));
    sups.forEach((sup, i) => {
      const snap = snaps[i];
      if (snap) this.takeSnapshot(sup.app, snap);
    });
    if (this.registered && Date.now() >= this.sendAfterMs && this.queue.length > 0) await this.send();
    if (Date.now() - this.lastSummaryMs >= SUMMARY_EVERY_MS) {
      this.lastSummaryMs = Date.now();
      this.log.info({ epoch: this.appliedEpoch, registered: this.registered, sent: this.sent, pending: this.queue.length, skipped: this.skipped, apps: this.lastWindow }, 'node status');
    }
  }

  private takeSnapshot(app: string, snap: WorkloadSnapshot): void {
    const prev = this.last.get(app);
    this.last.set(app, snap);
    if (!prev) return;
    if (snap.generation === prev.generation && snap.errors > prev.errors) {
      this.dataErrors += snap.errors - prev.errors;
      this.log.error({ app, errors: snap.errors - prev.errors }, 'the workload read back data it did not write');
    }
    const skip = windowSkip(prev, snap);
    const accesses = Math.max(0, snap.accesses - prev.accesses);
    if (skip) {
      this.skipped[skip] = (this.skipped[skip] ?? 0) + 1;
      if (skip === 'limits_changed' || skip === 'no_time') this.carry.skip(app, snap.generation, snap.sampledPages, accesses);
      else this.carry.drop(app);
      return;
    }
    const rec = this.carry.apply(recordOfWindow(app, this.o.node, prev, snap), snap.generation, accesses);
    this.queue.push(rec);
    this.lastWindow[app] = { ...summarize(rec), ...splitSummary(prev, snap) };
    this.o.onWindow?.(rec, (snap.opLatencyCounts ?? []).map((c, k) => Math.max(0, c - (prev.opLatencyCounts?.[k] ?? 0))));
  }

  private async send(): Promise<void> {
    const batch = this.queue.takeAll();
    try {
      await this.o.link.appendTelemetry(batch);
      this.sent += batch.length;
      this.linkBackoff.reset();
      this.lastLinkError = null;
    } catch (err) {
      if (err instanceof InputError) {
        // the service will never take these records: drop them, loudly
        this.log.error({ err: err.message, records: batch.length }, 'the service rejected telemetry records; dropped');
        return;
      }
      this.queue.putBack(batch);
      const waitMs = Math.round(this.linkBackoff.next());
      this.sendAfterMs = Date.now() + waitMs;
      this.lastLinkError = (err as Error).message;
      this.log.warn({ err: this.lastLinkError, pending: this.queue.length, retryInMs: waitMs }, 'cannot send telemetry; keeping it');
    }
  }

  // -- workloads --------------------------------------------------------------------------------------------

  private onWorkloadEvent(e: WorkloadEvent): void {
    if (e.kind === 'started') {
      this.log.info({ app: e.app, pid: e.pid, generation: e.generation, controlPath: e.controlPath }, 'workload started');
      return;
    }
    const fields = { app: e.app, pid: e.pid, code: e.code, signal: e.signal, reason: e.reason, message: e.message, stderr: e.stderrTail.slice(-5) };
    if (e.gaveUp) this.log.error({ ...fields, why: e.gaveUp }, 'workload failed; not restarting it');
    else this.log.warn({ ...fields, restartInMs: e.restartInMs }, 'workload exited; restarting it');
    this.cleanStale(`exit of ${e.app}`);
  }

  private cleanStale(when: string): void {
    try {
      const removed = removeStale(this.o.controlDir);
      if (removed.length > 0) this.log.info({ removed, when }, 'removed stale control blocks');
    } catch (err) {
      this.log.warn({ err: (err as Error).message, dir: this.o.controlDir }, 'cannot clean stale control blocks');
    }
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;

/** The partitions of a split region over a window, for the status line (nothing when unsplit). */
function splitSummary(prev: WorkloadSnapshot, snap: WorkloadSnapshot): Partial<AppWindowSummary> {
  const a = prev.stats;
  const b = snap.stats;
  if (b.partitions !== 2 || b.split.length !== 2) return {};
  const sec = (snap.atMs - prev.atMs) / 1000;
  const pageMB = mibFromBytes(b.pageBytes);
  const part = (share: number, limit: number, resident: number, pagesIn: number) => ({
    accessShare: round(share), limitMB: round(limit * pageMB), residentMB: round(resident * pageMB), missesPerSec: Math.round(pagesIn / sec),
  });
  return {
    partitions: [
      part(b.split[0].accessShare, b.partitionALimitPages, b.partitionAResidentPages, b.partitionAPagesIn - a.partitionAPagesIn),
      part(b.split[1].accessShare, b.partitionBLimitPages, b.partitionBResidentPages, b.partitionBPagesIn - a.partitionBPagesIn),
    ],
    ...(b.loopGuardEvictions > a.loopGuardEvictions ? { loopGuard: true } : {}),
  };
}

function summarize(r: TelemetryRecord): AppWindowSummary {
  return {
    throughputOpsPerSec: Math.round(r.throughputOpsPerSec), missRatio: round(r.missRatio), trafficMbps: round(mbpsFromBytesPerSec(r.pageTrafficBytesPerSec)),
    cacheMB: round(r.cacheMB), bandwidthMbps: round(r.bandwidthMbps), residentMB: round(mibFromBytes(r.residentBytes)),
  };
}

/** A node id as one cgroup path component. */
const cgroupName = (node: string): string => node.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
