// A fixed CPU quota per workload process (`--workload-cpu CORES`): each workload runs in its own cgroup
// capped at CORES cores (v2 cpu.max, v1 cpu.cfs_quota_us), so that what an allocation of cache and bandwidth
// does to an app is not hidden by CPU the other apps take or leave. Without it, on a node whose cores are
// shared, an app that misses less runs faster and takes CPU from its neighbours: their throughput then falls
// for a reason the market's curves (throughput as a function of cache and bandwidth) cannot see. Apps on a real
// node have CPU reservations; this gives the node daemon's own workloads theirs.
// A quota alone is only a ceiling: every level of groups competes with its siblings by weight, and at the
// default weight all the workloads of a node together weigh as much as one busy process outside. On a machine
// whose cores are all busy (two spinning processes were enough) each workload then got well under its quota,
// by an amount that changed with whatever else ran, and its throughput followed the scheduler instead of its
// memory: the estimator saw noise, took it for phase changes, and no model was fitted in 8 minutes (43 s
// quiet). So every level this module writes also gets a high weight (RESERVED_WEIGHT): the workloads get their
// quotas first, and the quota still caps each of them.
// Works over any directory laid out like cgroupfs (tests use a temporary one as well as the real one).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.ts';

/** The quota's period: 100 ms, the kernel's default. */
export const CPU_PERIOD_US = 100_000;
/** A quota under this many cores would starve a workload's own fault thread. */
export const CPU_CORES_MIN = 0.01;
/**
 * The weight of the workloads' groups at every level: 16x a process's default on v1 (cpu.shares 1024 ->
 * 16384) and on v2 (cpu.weight 100 -> 1600, of 1..10000). Against up to 16 busy processes at the default
 * weight the workloads still get their quotas first; their quotas cap what they take.
 */
export const RESERVED_WEIGHT = { v1Shares: 16 * 1024, v2Weight: 16 * 100 };

export interface CpuQuotaOptions {
  /** cgroupfs mount point; default /sys/fs/cgroup */
  root?: string;
  /** the parent group of the workloads' groups, relative to the root (e.g. "spirit-node/live") */
  parent: string;
  /** each workload's quota, in cores */
  cores: number;
}

type Layout = { version: 2; parentDir: string } | { version: 1; parentDir: string };

/** Parse `--workload-cpu`: a number of cores (> 0), or `off`. */
export function parseWorkloadCpu(text: string, where = '--workload-cpu'): number | null {
  if (text === 'off') return null;
  const v = Number(text);
  if (!Number.isFinite(v) || v < CPU_CORES_MIN) throw new InputError(where, `must be a number of cores >= ${CPU_CORES_MIN} (e.g. 0.25) or 'off', got '${text}'`);
  return v;
}

export class CpuQuota {
  private readonly layout: Layout;
  private readonly quotaUs: number;
  private readonly made = new Set<string>();
  /** the first directory the constructor made on the way to the parent (removed, with the rest, at the end) */
  private madeFrom: string | undefined;

  constructor(o: CpuQuotaOptions) {
    if (!(Number.isFinite(o.cores) && o.cores >= CPU_CORES_MIN)) throw new InputError('cpuQuota.cores', `must be >= ${CPU_CORES_MIN} cores, got ${o.cores}`);
    if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(o.parent) || o.parent.split('/').some((p) => p === '.' || p === '..')) {
      throw new InputError('cpuQuota.parent', `'${o.parent}' must be a path relative to the cgroup root, without '.', '..' or empty parts`);
    }
    const root = o.root ?? '/sys/fs/cgroup';
    this.quotaUs = Math.max(1000, Math.round(o.cores * CPU_PERIOD_US));
    const controllers = join(root, 'cgroup.controllers');
    if (existsSync(controllers)) {
      if (!readFileSync(controllers, 'utf8').split(/\s+/).includes('cpu')) throw new InputError('cpuQuota.root', `${root}: the cpu controller is not available (cgroup.controllers)`);
      this.layout = { version: 2, parentDir: join(root, o.parent) };
      // every level down to the parent must hand the cpu controller to its children
      let dir = root;
      for (const part of o.parent.split('/')) {
        enableCpu(dir);
        dir = join(dir, part);
        const first = mkdirSync(dir, { recursive: true });
        this.madeFrom ??= first;
        reserve(this.layout, dir);
      }
      enableCpu(dir);
    } else if (existsSync(join(root, 'cpu'))) {
      this.layout = { version: 1, parentDir: join(root, 'cpu', o.parent) };
      this.madeFrom = mkdirSync(this.layout.parentDir, { recursive: true });
      let dir = join(root, 'cpu');
      for (const part of o.parent.split('/')) reserve(this.layout, dir = join(dir, part));
    } else {
      throw new InputError('cpuQuota.root', `${root} has neither a cgroup v2 hierarchy nor a v1 cpu hierarchy`);
    }
  }

  /** Put process `pid` in app's group (made on first use) under the quota. */
  place(app: string, pid: number): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(app) || app === '.' || app === '..') throw new InputError('app', `'${app}' cannot name a cgroup`);
    const dir = join(this.layout.parentDir, app);
    if (!this.made.has(app)) {
      mkdirSync(dir, { recursive: true });
      if (this.layout.version === 2) {
        writeFileSync(join(dir, 'cpu.max'), `${this.quotaUs} ${CPU_PERIOD_US}`);
      } else {
        writeFileSync(join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(this.quotaUs));
      }
      reserve(this.layout, dir);
      this.made.add(app);
    }
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  }

  /** The quota in force for app's group, in cores (null if it has none). */
  coresOf(app: string): number | null {
    const dir = join(this.layout.parentDir, app);
    if (!existsSync(dir)) return null;
    if (this.layout.version === 2) {
      const [q, p] = readFileSync(join(dir, 'cpu.max'), 'utf8').trim().split(/\s+/);
      return q === 'max' ? null : Number(q) / Number(p);
    }
    const q = Number(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim());
    return q < 0 ? null : q / Number(readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8').trim());
  }

  /**
   * Remove the groups made (their processes have exited; a group still busy is left, named, and tried again by
   * the next call: a process that just exited can keep its group busy for a moment while the kernel tears it down).
   */
  remove(): string[] {
    const left: string[] = [];
    for (const app of [...this.made]) {
      try {
        rmdirSync(join(this.layout.parentDir, app));
        this.made.delete(app);
      } catch { left.push(app); }
    }
    if (left.length > 0) return left;
    // the parent and the levels above it that the constructor made, while no other group is in them
    const stop = this.madeFrom;
    for (let dir = this.layout.parentDir; stop !== undefined && dir.startsWith(stop); dir = dirname(dir)) {
      try {
        if (readdirSync(dir).some((f) => isGroupDir(dir, f))) break;
        rmdirSync(dir);
      } catch { break; /* shared, or gone: left as is */ }
    }
    return left;
  }
}

/** Give group `dir` the reserved weight (RESERVED_WEIGHT). */
function reserve(layout: Layout, dir: string): void {
  if (layout.version === 2) writeFileSync(join(dir, 'cpu.weight'), String(RESERVED_WEIGHT.v2Weight));
  else writeFileSync(join(dir, 'cpu.shares'), String(RESERVED_WEIGHT.v1Shares));
}

function enableCpu(dir: string): void {
  const ctl = join(dir, 'cgroup.subtree_control');
  if (existsSync(ctl) && readFileSync(ctl, 'utf8').split(/\s+/).includes('cpu')) return;
  writeFileSync(ctl, '+cpu');
}

function isGroupDir(parent: string, name: string): boolean {
  return existsSync(join(parent, name, 'cgroup.procs'));
}
