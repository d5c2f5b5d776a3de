// One workload process under the daemon's care: started with the limits currently in force, watched through
// its region's control block, restarted with bounded back-off when it dies, given up after a permanent setup
// failure (userfaultfd unavailable, token refused) or a long crash loop, and stopped cleanly (its region
// closed, so its control block and remote pages are freed).
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { attachControl, type ControlHandle, type RegionLimits, type RegionPartition, type RegionStats } from '../../native/index.ts';
import { assert } from '../errors.ts';
import { Backoff } from './backoff.ts';
import { type FromWorkload, isFromWorkload, PERMANENT_REASONS, type Phase, type PhaseChange, type ToWorkload, type WorkloadConfig } from './ipc.ts';
import {
  RECORD_PAGES_MAX, RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MIN_MS, RESTART_STABLE_MS, RESTARTS_IN_A_ROW_MAX, SNAPSHOT_TIMEOUT_MS,
  STDERR_TAIL_LINES, WORKLOAD_START_TIMEOUT_MS, WORKLOAD_STOP_TIMEOUT_MS,
} from './limits.ts';

const WORKLOAD_MAIN = join(dirname(fileURLToPath(import.meta.url)), 'workload-main.ts');
/** The TypeScript loader the workload processes run under (resolved here, so any working directory works). */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Limits as a region takes them: an unsplit one says so, so a split in force is undone. */
function regionLimits(l: RegionLimitsInForce): RegionLimits {
  return { cacheBytes: l.cacheBytes, bandwidthMbps: l.bandwidthMbps, partitions: l.partitions ?? [{ accessShare: 1, cacheBytes: l.cacheBytes }] };
}

export type WorkloadState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface RegionLimitsInForce {
  cacheBytes: number;
  bandwidthMbps: number;
  /** the hash split of the cache (two partitions); absent: unsplit */
  partitions?: RegionPartition[];
}

/** Counters of the workload and its region, read at the same moment. */
export interface WorkloadSnapshot {
  /** which run of the workload (each restart is a new generation: windows never span two) */
  generation: number;
  phase: Phase;
  ops: number;
  accesses: number;
  errors: number;
  /** daemon clock (ms since the Unix epoch) when the control block was read */
  atMs: number;
  stats: RegionStats;
  /** sampled page accesses drained from the ring since the previous snapshot */
  sampledPages: number[];
  samplesLost: number;
  /** cumulative operation latency histogram of this run (ipc.ts OP_LATENCY_BUCKETS) */
  opLatencyCounts?: number[];
}

export type WorkloadEvent =
  | { kind: 'started'; app: string; pid: number; generation: number; controlPath: string }
  | { kind: 'exited'; app: string; pid: number; generation: number; code: number | null; signal: string | null; reason: string | null;
      message: string | null; stderrTail: string[]; restartInMs: number | null; gaveUp: string | null };

export interface WorkloadStatus {
  app: string;
  state: WorkloadState;
  pid: number | null;
  generation: number;
  restarts: number;
  controlPath: string | null;
  lastExit: Omit<Extract<WorkloadEvent, { kind: 'exited' }>, 'kind' | 'app'> | null;
  gaveUp: string | null;
}

export interface SupervisorOptions {
  onEvent: (e: WorkloadEvent) => void;
  /** puts the workload's process under its CPU quota once it is ready (--workload-cpu); a failure is reported */
  cpuQuota?: { place(app: string, pid: number): void };
  onCpuQuotaError?: (app: string, err: Error) => void;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  backoff?: Backoff;
}

export class WorkloadSupervisor {
  private child: ChildProcess | null = null;
  private control: ControlHandle | null = null;
  private controlPath: string | null = null;
  private st: WorkloadState = 'stopped';
  private gen = 0;
  private restarts = 0;
  private inARow = 0;
  private startedAtMs = 0;
  private lastFatal: { reason: string; message: string } | null = null;
  private lastExit: WorkloadStatus['lastExit'] = null;
  private gaveUp: string | null = null;
  private stderrTail: string[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;
  private pending = new Map<number, (m: Extract<FromWorkload, { type: 'snap' }> | null) => void>();
  private exited: Promise<void> = Promise.resolve();
  private readonly backoff: Backoff;
  /** the phase a restart begins in (the last phase change) */
  private phase: PhaseChange | null = null;

  constructor(private readonly base: Omit<WorkloadConfig, 'cacheBytes' | 'bandwidthMbps'>, private limits: RegionLimitsInForce,
    private readonly opts: SupervisorOptions) {
    this.backoff = opts.backoff ?? new Backoff(RESTART_BACKOFF_MIN_MS, RESTART_BACKOFF_MAX_MS);
  }

  get app(): string { return this.base.id; }
  get state(): WorkloadState { return this.st; }
  get limitsInForce(): RegionLimitsInForce { return { ...this.limits }; }

  start(): void {
    assert(this.st === 'stopped', `workload ${this.app} started twice`);
    this.spawn();
  }

  private spawn(): void {
    this.timer = null;
    this.gen++;
    this.st = 'starting';
    this.lastFatal = null;
    this.stderrTail = [];
    const cfg: WorkloadConfig = { ...this.base, ...this.limits, ...(this.phase ?? {}) };
    const child = fork(WORKLOAD_MAIN, [JSON.stringify(cfg)], { execArgv: ['--import', TSX_LOADER], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child = child;
    this.startedAtMs = Date.now();
    let buf = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      this.stderrTail.push(...lines.filter((l) => l.trim() !== ''));
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.splice(0, this.stderrTail.length - STDERR_TAIL_LINES);
      if (buf.length > 4096) buf = buf.slice(-4096);  // a line without end must not grow forever
    });
    child.on('message', (m: unknown) => { if (isFromWorkload(m)) this.onMessage(child, m); });
    child.on('error', () => { /* spawn or IPC errors end in 'exit', handled there */ });
    const gen = this.gen;
    const startTimer = setTimeout(() => {
      if (this.gen === gen && this.st === 'starting') {
        this.lastFatal = { reason: 'start_timeout', message: `not ready within ${this.opts.startTimeoutMs ?? WORKLOAD_START_TIMEOUT_MS} ms` };
        child.kill('SIGKILL');
      }
    }, this.opts.startTimeoutMs ?? WORKLOAD_START_TIMEOUT_MS);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      clearTimeout(startTimer);
      this.onExit(child, code, signal);
      resolve();
    }));
  }

  private onMessage(child: ChildProcess, m: FromWorkload): void {
    if (child !== this.child) return;
    if (m.type === 'fatal') {
      this.lastFatal = { reason: m.reason, message: m.message };
    } else if (m.type === 'ready') {
      try {
        this.control = attachControl(m.controlPath);
        this.control.setLimits(regionLimits(this.limits));  // limits may have changed while it started
      } catch (err) {
        this.lastFatal = { reason: 'control', message: `cannot use control block ${m.controlPath}: ${(err as Error).message}` };
        child.kill('SIGKILL');
        return;
      }
      this.controlPath = m.controlPath;
      if (this.opts.cpuQuota && child.pid !== undefined) {
        // after start-up (loading the workload code is not held to the quota), before any measured window
        try { this.opts.cpuQuota.place(this.app, child.pid); } catch (err) { this.opts.onCpuQuotaError?.(this.app, err as Error); }
      }
      if (this.st === 'starting') this.st = 'running';
      this.opts.onEvent({ kind: 'started', app: this.app, pid: child.pid ?? 0, generation: this.gen, controlPath: m.controlPath });
    } else {
      const resolve = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      resolve?.(m);
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = null;
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
    this.control?.close();
    this.control = null;
    this.controlPath = null;
    const exit = {
      pid: child.pid ?? 0, generation: this.gen, code, signal, reason: this.lastFatal?.reason ?? null, message: this.lastFatal?.message ?? null,
      stderrTail: [...this.stderrTail],
    };
    if (this.st === 'stopping') {
      this.st = 'stopped';
      this.lastExit = { ...exit, restartInMs: null, gaveUp: null };
      return;
    }
    if (Date.now() - this.startedAtMs >= RESTART_STABLE_MS) {
      this.backoff.reset();
      this.inARow = 0;
    }
    this.inARow++;
    let gaveUp: string | null = null;
    if (exit.reason && PERMANENT_REASONS.has(exit.reason)) gaveUp = `permanent failure (${exit.reason}): ${exit.message}`;
    else if (this.inARow >= RESTARTS_IN_A_ROW_MAX) gaveUp = `${this.inARow} failed runs in a row`;
    const restartInMs = gaveUp ? null : Math.round(this.backoff.next());
    this.lastExit = { ...exit, restartInMs, gaveUp };
    this.opts.onEvent({ kind: 'exited', app: this.app, ...exit, restartInMs, gaveUp });
    if (gaveUp) {
      this.st = 'failed';
      this.gaveUp = gaveUp;
      return;
    }
    this.st = 'backoff';
    this.restarts++;
    this.timer = setTimeout(() => this.spawn(), restartInMs ?? 0);
  }

  /** Counters and region statistics at one moment, or null if the workload is not running or did not answer. */
  async snapshot(timeoutMs = SNAPSHOT_TIMEOUT_MS): Promise<WorkloadSnapshot | null> {
    const child = this.child;
    if (this.st !== 'running' || !child || !this.control) return null;
    const seq = ++this.seq;
    const gen = this.gen;
    const reply = await new Promise<Extract<FromWorkload, { type: 'snap' }> | null>((resolve) => {
      const t = setTimeout(() => { this.pending.delete(seq); resolve(null); }, timeoutMs);
      this.pending.set(seq, (m) => { clearTimeout(t); resolve(m); });
      try {
        child.send({ type: 'snap', seq } satisfies ToWorkload);
      } catch {
        this.pending.delete(seq);
        clearTimeout(t);
        resolve(null);
      }
    });
    if (!reply || gen !== this.gen || !this.control) return null;
    try {
      const stats = this.control.read();
      const drained = this.control.drainSamples(RECORD_PAGES_MAX);
      return {
        generation: gen, phase: reply.phase, ops: reply.ops, accesses: reply.accesses, errors: reply.errors, atMs: Date.now(), stats,
        sampledPages: drained.pages, samplesLost: drained.lost, opLatencyCounts: reply.opLatencyCounts ?? [],
      };
    } catch {
      return null;  // the workload died between its answer and the read: its exit is handled separately
    }
  }

  /** Sets the region's limits now (if running) and for every later (re)start. */
  setLimits(limits: RegionLimitsInForce): void {
    this.limits = { ...limits };
    this.control?.setLimits(regionLimits(this.limits));
  }

  /** Changes the workload's phase now (if running) and for every later (re)start. */
  setPhase(p: PhaseChange): void {
    this.phase = { archetype: p.archetype, params: { ...p.params } };
    try {
      this.child?.send({ type: 'phase', ...this.phase } satisfies ToWorkload);
    } catch {
      // not connected: the next start begins in the new phase
    }
  }

  /** The limits as the region's control block reports them (what the fault thread enforces). */
  readLimits(): RegionLimitsInForce | null {
    if (!this.control) return null;
    const s = this.control.read();
    return { cacheBytes: s.cacheBytes, bandwidthMbps: s.bandwidthMbps, ...(s.split.length === 2 ? { partitions: s.split } : {}) };
  }

  /** Stops the workload: asks it to close its region, kills it if it does not exit in time. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.st === 'stopped' || this.st === 'failed') return;
    this.st = 'stopping';
    const child = this.child;
    if (!child) {
      this.st = 'stopped';
      return;
    }
    try {
      child.send({ type: 'stop' } satisfies ToWorkload);
    } catch {
      child.kill('SIGTERM');
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), this.opts.stopTimeoutMs ?? WORKLOAD_STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(killer);
  }

  status(): WorkloadStatus {
    return {
      app: this.app, state: this.st, pid: this.child?.pid ?? null, generation: this.gen, restarts: this.restarts, controlPath: this.controlPath,
      lastExit: this.lastExit, gaveUp: this.gaveUp,
    };
  }
}
