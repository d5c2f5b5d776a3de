// Enforcement for deployments that page through the kernel's swap device (as the paper does): an app's
// cache is its cgroup's memory limit, its bandwidth the swap device's throttle. Works on cgroup v2
// (memory.max / memory.high, io.max) and v1 (memory.limit_in_bytes, blkio.throttle.*), over any directory
// laid out like cgroupfs (tests use a temporary one).
//
// Shrinking never OOM-kills: the limit is lowered in steps, and a hard limit is only ever set to a level
// the group's usage is already under. v2: memory.high (reclaim + throttling, never OOM) goes first, then
// memory.max once usage followed. v1: the kernel refuses (EBUSY) a limit it cannot reclaim down to, and
// the enforcer stops there and reports how far it got.
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../service/errors.ts';
import { bytesFromMiB, bytesPerSecFromMbps } from '../../service/units.ts';
import { optionalNumber, requireNumber, requireObject, requireString } from './validate.ts';

export type CgroupVersion = 1 | 2;

export interface CgroupPaths {
  version: CgroupVersion;
  /** the group's directory holding memory.* files */
  memoryDir: string;
  /** the group's directory holding io.max (v2) or blkio.throttle.* (v1); null without that controller */
  ioDir: string | null;
}

export interface CgroupEnforcerOptions {
  /** cgroupfs mount point; default /sys/fs/cgroup */
  root?: string;
  /** the app's group, relative to the root (e.g. "spirit/app-1") */
  group: string;
  /** the swap device "MAJ:MIN"; default: the first entry of /proc/swaps */
  swapDevice?: string;
  /** how much each shrink step lowers the limit; default 64 MiB */
  stepBytes?: number;
  /** how long one step may wait for usage to follow; default 2000 ms */
  stepTimeoutMs?: number;
  /** how often usage is polled during a step; default 20 ms */
  pollMs?: number;
}

export interface ShrinkStep {
  targetBytes: number;
  usageBytes: number;
  reached: boolean;
  waitedMs: number;
}

export interface CacheResult {
  requestedBytes: number;
  /** the hard limit in force afterwards (requestedBytes if reached) */
  limitBytes: number;
  usageBytes: number;
  reached: boolean;
  steps: ShrinkStep[];
}

const STEP_BYTES_DEFAULT = bytesFromMiB(64);
const STEP_TIMEOUT_MS_DEFAULT = 2000;
const POLL_MS_DEFAULT = 20;
const STEPS_MAX = 4096;  // bounds a shrink even with a tiny step
const PAGE_BYTES = 4096;
// v1 reports "no limit" as the largest page-aligned signed 64-bit value; anything this big is unlimited
const V1_UNLIMITED_FROM = 2 ** 62;
const DEVICE = /^\d+:\d+$/;

/** v2 if the root is a unified hierarchy with the memory controller, v1 if it has a memory hierarchy. */
export function detectCgroupVersion(root: string): CgroupVersion {
  const controllers = join(root, 'cgroup.controllers');
  if (existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('memory')) return 2;
  if (existsSync(join(root, 'memory')) && statSync(join(root, 'memory')).isDirectory()) return 1;
  throw new InputError('cgroup.root', `${root} has neither a cgroup v2 hierarchy with the memory controller nor a v1 memory hierarchy`);
}

export function cgroupPaths(root: string, group: string): CgroupPaths {
  const version = detectCgroupVersion(root);
  if (version === 2) return { version, memoryDir: join(root, group), ioDir: join(root, group) };
  const blkio = join(root, 'blkio');
  return { version, memoryDir: join(root, 'memory', group), ioDir: existsSync(blkio) ? join(blkio, group) : null };
}

function majorMinor(dev: number): string {
  // glibc's encoding of dev_t
  const major = ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & ~0xff);
  return `${major}:${minor}`;
}

/** "MAJ:MIN" of the first swap device: the partition itself, or the block device holding a swap file. */
export function detectSwapDevice(procSwaps = '/proc/swaps'): string | null {
  const lines = readFileSync(procSwaps, 'utf8').trim().split('\n').slice(1).filter(Boolean);
  if (lines.length === 0) return null;
  const [path, type] = lines[0].split(/\s+/);
  const st = statSync(path);
  return majorMinor(type === 'partition' ? st.rdev : st.dev);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class CgroupEnforcer {
  readonly paths: CgroupPaths;
  readonly root: string;
  readonly group: string;
  readonly #swapDevice: string | undefined;
  readonly #stepBytes: number;
  readonly #stepTimeoutMs: number;
  readonly #pollMs: number;

  constructor(options: CgroupEnforcerOptions) {
    const o = requireObject('cgroup', options);
    this.root = o.root === undefined ? '/sys/fs/cgroup' : requireString('cgroup.root', o.root, 1, 4096);
    this.group = requireString('cgroup.group', o.group, 1, 255);
    if (this.group.startsWith('/') || this.group.split('/').some((part) => part === '..' || part === '.' || part === ''))
      throw new InputError('cgroup.group', `must be a relative path without '.', '..' or empty parts; got '${this.group}'`);
    if (o.swapDevice !== undefined) {
      const dev = requireString('cgroup.swapDevice', o.swapDevice, 3, 32);
      if (!DEVICE.test(dev)) throw new InputError('cgroup.swapDevice', `must look like "MAJ:MIN" (e.g. "8:16"); got '${dev}'`);
      this.#swapDevice = dev;
    }
    this.#stepBytes = optionalNumber('cgroup.stepBytes', o.stepBytes, PAGE_BYTES, Number.MAX_SAFE_INTEGER, STEP_BYTES_DEFAULT, true);
    this.#stepTimeoutMs = optionalNumber('cgroup.stepTimeoutMs', o.stepTimeoutMs, 1, 600_000, STEP_TIMEOUT_MS_DEFAULT, true);
    this.#pollMs = optionalNumber('cgroup.pollMs', o.pollMs, 1, 10_000, POLL_MS_DEFAULT, true);
    this.paths = cgroupPaths(this.root, this.group);
  }

  /** Creates the group (and its io/blkio twin on v1). On v2, enables memory and io for children of the parent. */
  create(): void {
    mkdirSync(this.paths.memoryDir, { recursive: true });
    if (this.paths.ioDir && this.paths.ioDir !== this.paths.memoryDir) mkdirSync(this.paths.ioDir, { recursive: true });
    if (this.paths.version === 2) {
      const parent = join(this.paths.memoryDir, '..', 'cgroup.subtree_control');
      for (const c of ['+memory', '+io']) {
        try {
          writeFileSync(parent, c);
        } catch {
          // already enabled, or the parent does not allow it: the files' absence will say so on use
        }
      }
    }
  }

  /** Moves a process into the group. */
  addProcess(pid: number): void {
    requireNumber('addProcess.pid', pid, 1, 2 ** 22, true);
    writeFileSync(join(this.paths.memoryDir, 'cgroup.procs'), String(pid));
    if (this.paths.ioDir && this.paths.ioDir !== this.paths.memoryDir) writeFileSync(join(this.paths.ioDir, 'cgroup.procs'), String(pid));
  }

  usageBytes(): number {
    return this.#readNumber(this.paths.version === 2 ? 'memory.current' : 'memory.usage_in_bytes') ?? 0;
  }

  /** The hard limit in force, or null if unlimited. */
  limitBytes(): number | null {
    return this.#readNumber(this.paths.version === 2 ? 'memory.max' : 'memory.limit_in_bytes');
  }

  /**
   * Sets the group's memory (cache) limit. Growing is immediate; shrinking goes in steps of stepBytes and
   * stops at the lowest level usage could follow (reached=false) rather than risk an OOM kill.
   */
  async setCacheBytes(targetBytes: number): Promise<CacheResult> {
    const target = requireNumber('setCacheBytes.targetBytes', targetBytes, PAGE_BYTES, Number.MAX_SAFE_INTEGER, true);
    const current = this.limitBytes();
    if (current !== null && target >= current) {
      this.#raise(target);
      return { requestedBytes: target, limitBytes: target, usageBytes: this.usageBytes(), reached: true, steps: [] };
    }
    let level = current ?? Math.max(this.usageBytes(), target);
    const steps: ShrinkStep[] = [];
    for (let i = 0; i < STEPS_MAX && level > target; i++) {
      const next = Math.max(target, level - this.#stepBytes);
      const step = await this.#stepDown(level, next);
      steps.push(step);
      if (!step.reached) break;
      level = next;
    }
    if (level === target && current === null) this.#raise(target);  // unlimited and already under: just set it
    return { requestedBytes: target, limitBytes: level, usageBytes: this.usageBytes(), reached: level === target, steps };
  }

  /** Throttles swap traffic of the group to bandwidthMbps (null removes the throttle). */
  setBandwidthMbps(bandwidthMbps: number | null): { device: string; bytesPerSec: number | null } {
    if (bandwidthMbps !== null) requireNumber('setBandwidthMbps.bandwidthMbps', bandwidthMbps, 0.001, 1e7);
    if (!this.paths.ioDir) throw new InputError('cgroup.root', `${this.root} has no blkio hierarchy to throttle with`);
    const device = this.#swapDevice ?? detectSwapDevice();
    if (!device) throw new InputError('cgroup.swapDevice', 'no swap device is configured on this machine (/proc/swaps is empty); pass swapDevice "MAJ:MIN"');
    const bps = bandwidthMbps === null ? null : Math.max(1, Math.floor(bytesPerSecFromMbps(bandwidthMbps)));
    if (this.paths.version === 2) {
      writeFileSync(join(this.paths.ioDir, 'io.max'), `${device} rbps=${bps ?? 'max'} wbps=${bps ?? 'max'}`);
    } else {
      writeFileSync(join(this.paths.ioDir, 'blkio.throttle.read_bps_device'), `${device} ${bps ?? 0}`);
      writeFileSync(join(this.paths.ioDir, 'blkio.throttle.write_bps_device'), `${device} ${bps ?? 0}`);
    }
    return { device, bytesPerSec: bps };
  }

  /** Removes the group's directories (the kernel refuses while processes are inside). */
  remove(): void {
    if (this.paths.ioDir && this.paths.ioDir !== this.paths.memoryDir && existsSync(this.paths.ioDir)) rmdirSync(this.paths.ioDir);
    if (existsSync(this.paths.memoryDir)) rmdirSync(this.paths.memoryDir);
  }

  // One shrink step from `level` to `next`: ask the kernel to reclaim, wait for usage to follow, and only
  // then make `next` the hard limit. On failure the hard limit stays at `level`.
  async #stepDown(level: number, next: number): Promise<ShrinkStep> {
    const t0 = Date.now();
    if (this.paths.version === 2) {
      this.#write('memory.high', String(next));
    } else {
      try {
        this.#write('memory.limit_in_bytes', String(next));  // the kernel reclaims synchronously
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
        return { targetBytes: next, usageBytes: this.usageBytes(), reached: false, waitedMs: Date.now() - t0 };
      }
    }
    let usage = this.usageBytes();
    while (usage > next && Date.now() - t0 < this.#stepTimeoutMs) {
      await sleep(this.#pollMs);
      usage = this.usageBytes();
    }
    const reached = usage <= next;
    if (this.paths.version === 2) {
      if (reached) this.#write('memory.max', String(next));
      else this.#write('memory.high', String(level));  // stop reclaiming toward a level it cannot hold
    } else if (!reached) {
      this.#write('memory.limit_in_bytes', String(level));
    }
    return { targetBytes: next, usageBytes: usage, reached, waitedMs: Date.now() - t0 };
  }

  // Growing: the hard limit first (v2 max, v1 memsw), so the soft one never sits above it.
  #raise(target: number): void {
    if (this.paths.version === 2) {
      this.#write('memory.max', String(target));
      this.#write('memory.high', String(target));
      return;
    }
    const memsw = this.#readNumber('memory.memsw.limit_in_bytes');
    if (memsw !== null && memsw < target) this.#write('memory.memsw.limit_in_bytes', String(target));
    this.#write('memory.limit_in_bytes', String(target));
  }

  #readNumber(file: string): number | null {
    const path = join(this.paths.memoryDir, file);
    if (!existsSync(path)) return null;
    const text = readFileSync(path, 'utf8').trim();
    if (text === 'max' || text === '') return null;
    const n = Number(text);
    if (!Number.isFinite(n)) throw new Error(`${path} holds '${text}', not a number`);
    return this.paths.version === 1 && n >= V1_UNLIMITED_FROM ? null : n;
  }

  #write(file: string, value: string): void {
    writeFileSync(join(this.paths.memoryDir, file), value);
  }
}
