// The cgroup enforcer (kernel-swap deployments): against temporary directories laid out like cgroupfs v1
// and v2, with a simulated kernel that reclaims toward memory.high / the v1 limit down to an unreclaimable
// floor, and against this machine's real cgroup v1 memory controller with a real process inside.
// The invariant throughout: a hard limit is never set below the group's usage, so nothing is OOM-killed.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CgroupEnforcer, detectCgroupVersion } from '../../native/lib/cgroup.ts';
import { InputError } from '../../service/errors.ts';
import { MiB, tempDir, waitFor } from './helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const V1_UNLIMITED = '9223372036854771712';

interface FakeKernel {
  violations: string[];
  stop(): void;
}

/** Reclaims usage toward the soft target every 2 ms, never below floorBytes; flags max < usage. */
function fakeKernel(dir: string, usageFile: string, targetFile: string, maxFile: string, floorBytes: number): FakeKernel {
  const violations: string[] = [];
  let lastMax = readFileSync(join(dir, maxFile), 'utf8').trim();
  const t = setInterval(() => {
    const usage = Number(readFileSync(join(dir, usageFile), 'utf8'));
    const max = readFileSync(join(dir, maxFile), 'utf8').trim();
    if (max !== lastMax && max !== 'max' && Number(max) < usage) violations.push(`max ${max} set below usage ${usage}`);
    lastMax = max;
    const target = readFileSync(join(dir, targetFile), 'utf8').trim();
    if (target !== 'max' && Number(target) < usage) writeFileSync(join(dir, usageFile), String(Math.max(Number(target), floorBytes, usage - 16 * MiB)));
  }, 2);
  return { violations, stop: () => clearInterval(t) };
}

function fakeV2(usageBytes: number): { root: string; group: string; dir: string } {
  const { dir: root, cleanup } = tempDir('spirit-cg2-');
  cleanups.push(cleanup);
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  writeFileSync(join(root, 'cgroup.subtree_control'), '');
  const group = 'spirit/app-1';
  const dir = join(root, group);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(root, 'spirit', 'cgroup.subtree_control'), '');
  for (const [f, v] of [['memory.max', 'max'], ['memory.high', 'max'], ['memory.current', String(usageBytes)], ['io.max', ''], ['cgroup.procs', '']])
    writeFileSync(join(dir, f), v);
  return { root, group, dir };
}

function fakeV1(usageBytes: number): { root: string; group: string; memDir: string; blkDir: string } {
  const { dir: root, cleanup } = tempDir('spirit-cg1-');
  cleanups.push(cleanup);
  const group = 'spirit-app-1';
  const memDir = join(root, 'memory', group);
  const blkDir = join(root, 'blkio', group);
  mkdirSync(memDir, { recursive: true });
  mkdirSync(blkDir, { recursive: true });
  for (const [f, v] of [['memory.limit_in_bytes', V1_UNLIMITED], ['memory.memsw.limit_in_bytes', V1_UNLIMITED], ['memory.usage_in_bytes', String(usageBytes)], ['cgroup.procs', '']])
    writeFileSync(join(memDir, f), v);
  for (const f of ['blkio.throttle.read_bps_device', 'blkio.throttle.write_bps_device', 'cgroup.procs']) writeFileSync(join(blkDir, f), '');
  return { root, group, memDir, blkDir };
}

describe('cgroup enforcer on a cgroupfs-like directory', () => {
  it('v2: shrinks in steps through memory.high, sets memory.max only under usage, grows at once', async () => {
    const { root, group, dir } = fakeV2(200 * MiB);
    const k = fakeKernel(dir, 'memory.current', 'memory.high', 'memory.max', 0);
    try {
      const e = new CgroupEnforcer({ root, group, stepBytes: 32 * MiB, stepTimeoutMs: 2000, pollMs: 2 });
      expect(e.paths.version).toBe(2);
      const r = await e.setCacheBytes(80 * MiB);
      expect(r.reached).toBe(true);
      expect(r.steps.map((s) => s.targetBytes / MiB)).toEqual([168, 136, 104, 80]);
      expect(r.steps.every((s) => s.reached && s.usageBytes <= s.targetBytes)).toBe(true);
      expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe(String(80 * MiB));
      expect(readFileSync(join(dir, 'memory.high'), 'utf8')).toBe(String(80 * MiB));
      const grow = await e.setCacheBytes(256 * MiB);
      expect(grow.steps).toEqual([]);
      expect(e.limitBytes()).toBe(256 * MiB);
      expect(readFileSync(join(dir, 'memory.high'), 'utf8')).toBe(String(256 * MiB));
      expect(k.violations).toEqual([]);
    } finally {
      k.stop();
    }
  });

  it('v2: stops at the lowest level usage can follow instead of forcing an OOM', async () => {
    const { root, group, dir } = fakeV2(200 * MiB);
    const k = fakeKernel(dir, 'memory.current', 'memory.high', 'memory.max', 120 * MiB);  // 120 MiB cannot be reclaimed
    try {
      const e = new CgroupEnforcer({ root, group, stepBytes: 32 * MiB, stepTimeoutMs: 150, pollMs: 2 });
      const r = await e.setCacheBytes(80 * MiB);
      expect(r.reached).toBe(false);
      expect(r.limitBytes).toBe(136 * MiB);
      expect(r.steps.map((s) => s.reached)).toEqual([true, true, false]);
      expect(e.limitBytes()).toBe(136 * MiB);
      expect(readFileSync(join(dir, 'memory.high'), 'utf8')).toBe(String(136 * MiB));  // reclaim pressure released
      expect(e.usageBytes()).toBeLessThanOrEqual(e.limitBytes()!);
      expect(k.violations).toEqual([]);
    } finally {
      k.stop();
    }
  });

  it('v2: throttles the swap device with io.max, and removes the throttle', () => {
    const { root, group, dir } = fakeV2(10 * MiB);
    const e = new CgroupEnforcer({ root, group, swapDevice: '8:16' });
    expect(e.setBandwidthMbps(100)).toEqual({ device: '8:16', bytesPerSec: 12_500_000 });
    expect(readFileSync(join(dir, 'io.max'), 'utf8')).toBe('8:16 rbps=12500000 wbps=12500000');
    e.setBandwidthMbps(null);
    expect(readFileSync(join(dir, 'io.max'), 'utf8')).toBe('8:16 rbps=max wbps=max');
  });

  it('v1: shrinks memory.limit_in_bytes in steps, restores it when usage cannot follow, raises memsw first', async () => {
    const { root, group, memDir, blkDir } = fakeV1(200 * MiB);
    const k = fakeKernel(memDir, 'memory.usage_in_bytes', 'memory.limit_in_bytes', 'memory.limit_in_bytes', 150 * MiB);
    try {
      const e = new CgroupEnforcer({ root, group, swapDevice: '254:0', stepBytes: 40 * MiB, stepTimeoutMs: 150, pollMs: 2 });
      expect(e.paths.version).toBe(1);
      expect(e.limitBytes()).toBeNull();
      const r = await e.setCacheBytes(100 * MiB);
      expect(r.steps.map((s) => [s.targetBytes / MiB, s.reached])).toEqual([[160, true], [120, false]]);
      expect(r.reached).toBe(false);
      expect(e.limitBytes()).toBe(160 * MiB);
      // grow above the memsw limit: memsw is raised first so the kernel accepts the new limit
      writeFileSync(join(memDir, 'memory.memsw.limit_in_bytes'), String(300 * MiB));
      await e.setCacheBytes(400 * MiB);
      expect(readFileSync(join(memDir, 'memory.memsw.limit_in_bytes'), 'utf8')).toBe(String(400 * MiB));
      expect(e.limitBytes()).toBe(400 * MiB);
      e.setBandwidthMbps(500);
      expect(readFileSync(join(blkDir, 'blkio.throttle.read_bps_device'), 'utf8')).toBe('254:0 62500000');
      expect(readFileSync(join(blkDir, 'blkio.throttle.write_bps_device'), 'utf8')).toBe('254:0 62500000');
      e.addProcess(4242);
      expect(readFileSync(join(memDir, 'cgroup.procs'), 'utf8')).toBe('4242');
      expect(readFileSync(join(blkDir, 'cgroup.procs'), 'utf8')).toBe('4242');
    } finally {
      k.stop();
    }
  });

  it('rejects bad configuration with clear errors', async () => {
    const { dir: empty, cleanup } = tempDir('spirit-cg-empty-');
    cleanups.push(cleanup);
    expect(() => detectCgroupVersion(empty)).toThrow(/neither a cgroup v2 hierarchy.*nor a v1 memory hierarchy/);
    const { root, group } = fakeV2(MiB);
    expect(() => new CgroupEnforcer({ root, group: '../escape' })).toThrow(InputError);
    expect(() => new CgroupEnforcer({ root, group: '/abs' })).toThrow(/relative path/);
    expect(() => new CgroupEnforcer({ root, group, swapDevice: 'sda' })).toThrow(/MAJ:MIN/);
    expect(() => new CgroupEnforcer({ root, group, stepBytes: 0 })).toThrow(/stepBytes/);
    const e = new CgroupEnforcer({ root, group });
    if (readFileSync('/proc/swaps', 'utf8').trim().split('\n').length <= 1)
      expect(() => e.setBandwidthMbps(100)).toThrow(/no swap device/);
    expect(() => e.setBandwidthMbps(-1)).toThrow(InputError);
    await expect(e.setCacheBytes(1)).rejects.toThrow(InputError);
  });
});

// The real v1 memory controller (this machine mounts v1 controllers under /sys/fs/cgroup). As root the test
// creates its own group, puts a process with anonymous memory and page cache in it, and shrinks the limit:
// first to a level reclaim can reach (page cache), then below the anonymous memory (no swap): the kernel
// refuses, the enforcer stops, and the process lives.
const REAL_ROOT = '/sys/fs/cgroup';
const realV1 = existsSync(join(REAL_ROOT, 'memory', 'memory.limit_in_bytes')) && process.getuid?.() === 0;

describe('cgroup enforcer on the real cgroup v1 memory controller', () => {
  it(realV1 ? 'shrinks a live process\'s group without OOM-killing it' : 'reports that no writable v1 memory controller is here', async () => {
    if (!realV1) {
      // not root or no v1 hierarchy: the enforcer must say which, not crash
      expect(() => new CgroupEnforcer({ root: REAL_ROOT, group: 'spirit-probe' }).create()).toThrow();
      return;
    }
    const group = `spirit-test-${process.pid}-${Date.now() % 100000}`;
    const e = new CgroupEnforcer({ root: REAL_ROOT, group, stepBytes: 16 * MiB, stepTimeoutMs: 3000, swapDevice: majorMinorOfRoot() });
    expect(e.paths.version).toBe(1);
    e.create();
    const { dir, cleanup } = tempDir('spirit-cg-real-');
    let child: ChildProcess | null = null;
    cleanups.push(() => {
      cleanup();
    });
    try {
      child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, DIR: dir } });
      const lines: string[] = [];
      child.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
      e.addProcess(child.pid!);
      child.stdin!.write('go\n');
      expect(await waitFor(() => lines.includes('ready'), 30_000, 20)).toBe(true);
      const usage0 = e.usageBytes();
      expect(usage0).toBeGreaterThan(120 * MiB);  // 48 MiB anonymous + 96 MiB page cache + the runtime

      // 1) down by 64 MiB: reclaimable page cache covers it
      const first = await e.setCacheBytes(Math.floor((usage0 - 64 * MiB) / 4096) * 4096);
      expect(first.reached).toBe(true);
      expect(e.limitBytes()).toBe(first.requestedBytes);
      expect(e.usageBytes()).toBeLessThanOrEqual(first.requestedBytes);

      // 2) below the anonymous memory with no swap: refused step by step, never an OOM kill
      const second = await e.setCacheBytes(24 * MiB);
      expect(second.reached).toBe(false);
      expect(second.limitBytes).toBeGreaterThan(24 * MiB);
      expect(e.limitBytes()).toBe(second.limitBytes);
      expect(e.usageBytes()).toBeLessThanOrEqual(second.limitBytes);
      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();
      const oom = readFileSync(join(e.paths.memoryDir, 'memory.oom_control'), 'utf8');
      expect(oom).toMatch(/oom_kill 0/);

      // 3) the kernel accepts the blkio throttle format for a real block device
      e.setBandwidthMbps(100);
      expect(readFileSync(join(e.paths.ioDir!, 'blkio.throttle.read_bps_device'), 'utf8')).toContain('12500000');
      e.setBandwidthMbps(null);
    } finally {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      await waitFor(() => {
        try {
          e.remove();
          return true;
        } catch {
          return false;
        }
      }, 5000, 50);
    }
    expect(existsSync(e.paths.memoryDir)).toBe(false);
  }, 120_000);
});

function majorMinorOfRoot(): string {
  const dev = statSync('/').dev;
  return `${(dev >> 8) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & ~0xff)}`;
}

// The process inside the group: waits for "go" (so it is in the group before it allocates), then holds
// 48 MiB of anonymous memory and 96 MiB of clean page cache.
const CHILD = `
const fs = require('fs');
const path = require('path');
process.stdin.once('data', () => {
  const anon = Buffer.alloc(48 << 20, 1);
  const file = path.join(process.env.DIR, 'cache.bin');
  const chunk = Buffer.alloc(1 << 20, 2);
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < 96; i++) fs.writeSync(fd, chunk);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const rfd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  for (let i = 0; i < 96; i++) fs.readSync(rfd, buf, 0, buf.length, i << 20);
  fs.closeSync(rfd);
  globalThis.keep = anon;
  process.stdout.write('ready\\n');
  setInterval(() => { anon[0]++; }, 1000);
});
`;
