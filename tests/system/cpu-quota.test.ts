// Workloads under a fixed CPU quota (service/node/cpu-quota.ts, `--workload-cpu`): the files it writes on
// cgroup v2 and v1 layouts (temporary directories), and on this machine's real cgroups a busy process placed
// under 0.2 cores gets no more than that (a quota is a ceiling: the check holds however busy the machine is),
// and, with the groups' reserved weight, no less than most of it while busy processes take every core.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuQuota, parseWorkloadCpu, RESERVED_WEIGHT } from '../../service/node/cpu-quota.ts';
import { InputError } from '../../service/errors.ts';
import { workloadCpuOf } from '../../service/experiments/live/cpu.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function fakeRoot(version: 1 | 2): string {
  const root = mkdtempSync(join(tmpdir(), `spirit-cpu-v${version}-`));
  dirs.push(root);
  if (version === 2) {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(root, 'cgroup.subtree_control'), '');
  } else {
    mkdirSync(join(root, 'cpu'));
  }
  return root;
}

/** CPU time (user + system) of a process, seconds, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

describe('CPU quota per workload', () => {
  it('v2: hands the cpu controller down to the parent, writes cpu.max and the pid', () => {
    const root = fakeRoot(2);
    const q = new CpuQuota({ root, parent: 'spirit-node/n1', cores: 0.25 });
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu');
    expect(readFileSync(join(root, 'spirit-node', 'cgroup.subtree_control'), 'utf8')).toBe('+cpu');
    q.place('kv', 4242);
    expect(readFileSync(join(root, 'spirit-node/n1/kv/cpu.max'), 'utf8')).toBe('25000 100000');
    expect(readFileSync(join(root, 'spirit-node/n1/kv/cgroup.procs'), 'utf8')).toBe('4242');
    expect(q.coresOf('kv')).toBe(0.25);
    expect(q.coresOf('other')).toBeNull();
    // the reserved weight on every level made, down to the app's group
    for (const dir of ['spirit-node', 'spirit-node/n1', 'spirit-node/n1/kv']) {
      expect(readFileSync(join(root, dir, 'cpu.weight'), 'utf8')).toBe(String(RESERVED_WEIGHT.v2Weight));
    }
  });

  it('v1: writes cpu.cfs_period_us and cpu.cfs_quota_us under the cpu hierarchy', () => {
    const root = fakeRoot(1);
    const q = new CpuQuota({ root, parent: 'spirit-live/7', cores: 1.5 });
    q.place('scan-s', 99);
    expect(readFileSync(join(root, 'cpu/spirit-live/7/scan-s/cpu.cfs_quota_us'), 'utf8')).toBe('150000');
    expect(readFileSync(join(root, 'cpu/spirit-live/7/scan-s/cpu.cfs_period_us'), 'utf8')).toBe('100000');
    expect(q.coresOf('scan-s')).toBe(1.5);
    for (const dir of ['spirit-live', 'spirit-live/7', 'spirit-live/7/scan-s']) {
      expect(readFileSync(join(root, 'cpu', dir, 'cpu.shares'), 'utf8')).toBe(String(RESERVED_WEIGHT.v1Shares));
    }
  });

  it('refuses bad quotas, groups and roots, naming what is wrong', () => {
    const root = fakeRoot(2);
    const bad = (f: () => unknown): InputError => { try { f(); } catch (e) { if (e instanceof InputError) return e; throw e; } throw new Error('no error'); };
    expect(bad(() => new CpuQuota({ root, parent: 'x', cores: 0 })).message).toMatch(/cpuQuota\.cores: must be >= 0.01 cores, got 0/);
    expect(bad(() => new CpuQuota({ root, parent: '../etc', cores: 1 })).message).toMatch(/cpuQuota\.parent: '\.\.\/etc' must be a path relative/);
    expect(bad(() => new CpuQuota({ root: join(root, 'nowhere'), parent: 'x', cores: 1 })).message).toMatch(/neither a cgroup v2 hierarchy nor a v1 cpu hierarchy/);
    const noCpu = fakeRoot(2);
    writeFileSync(join(noCpu, 'cgroup.controllers'), 'memory pids\n');
    expect(bad(() => new CpuQuota({ root: noCpu, parent: 'x', cores: 1 })).message).toMatch(/the cpu controller is not available/);
    const q = new CpuQuota({ root, parent: 'p', cores: 1 });
    expect(bad(() => q.place('a/b', 1)).message).toMatch(/app: 'a\/b' cannot name a cgroup/);
    expect(parseWorkloadCpu('off')).toBeNull();
    expect(parseWorkloadCpu('0.5')).toBe(0.5);
    expect(bad(() => parseWorkloadCpu('lots')).message).toMatch(/--workload-cpu: must be a number of cores/);
    // the live experiment: auto shares out 3/4 of the cores; a quota given explicitly must be possible
    const auto = workloadCpuOf('auto', 6, fakeRoot(1));
    expect(auto.cores).toBeGreaterThan(0);
    expect(auto.cores).toBeLessThanOrEqual(1);
    expect(workloadCpuOf('off', 6)).toEqual({ cores: null, why: '--workload-cpu off' });
    expect(bad(() => workloadCpuOf('0.3', 6, join(root, 'nowhere'))).message).toMatch(/--workload-cpu: cannot put workloads under a CPU quota here/);
    expect(workloadCpuOf('auto', 6, join(root, 'nowhere')).cores).toBeNull();
  });

  it('holds a busy process to its quota on this machine\'s cgroups, and removes its groups', async () => {
    const parent = `spirit-test/cpu-${process.pid}`;
    const q = new CpuQuota({ parent, cores: 0.2 });
    let left: string[];
    const child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      q.place('busy', child.pid!);
      expect(q.coresOf('busy')).toBeCloseTo(0.2, 9);
      const c0 = cpuSeconds(child.pid!);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 2000));
      const cores = (cpuSeconds(child.pid!) - c0) / ((performance.now() - t0) / 1000);
      // a ceiling, whatever else runs: 0.2 cores, with room for one period's slack and tick rounding
      expect(cores).toBeLessThan(0.2 * 1.25 + 0.02);
      expect(cores).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // removed even when a check above failed: a group left behind would fail the next run's last check
      await new Promise((r) => setTimeout(r, 200));
      left = q.remove();
    }
    expect(left).toEqual([]);
    expect(q.coresOf('busy')).toBeNull();
    expect(existsSync('/sys/fs/cgroup/cpu/spirit-test') || existsSync('/sys/fs/cgroup/spirit-test')).toBe(false);
  });

  it('gives a busy process most of its quota while busy processes outside take every core (the reserved weight)', async () => {
    const parent = `spirit-test/cpu-r-${process.pid}`;
    const q = new CpuQuota({ parent, cores: 0.25 });
    let left: string[];
    const spin = (): ReturnType<typeof spawn> => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    // as many spinning processes outside as there are cores, and two more: every core is contended
    const hogs = Array.from({ length: Math.max(2, availableParallelism()) + 2 }, spin);
    const children = [spin(), spin()];
    try {
      await new Promise((r) => setTimeout(r, 300));
      children.forEach((c, i) => q.place(`busy${i}`, c.pid!));
      const c0 = children.map((c) => cpuSeconds(c.pid!));
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 3000));
      const s = (performance.now() - t0) / 1000;
      const cores = children.map((c, i) => (cpuSeconds(c.pid!) - c0[i]) / s);
      // at the default weight the two together weighed as one process against the spinners (measured: about
      // 0.1 cores each with 4 spinners on 2 cores); reserved, each gets its quota, less tick rounding
      for (const c of cores) {
        expect(c).toBeGreaterThan(0.25 * 0.8);
        expect(c).toBeLessThan(0.25 * 1.25 + 0.02);
      }
    } finally {
      for (const c of [...children, ...hogs]) c.kill('SIGKILL');
      await Promise.all([...children, ...hogs].map((c) => new Promise((r) => c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r))));
      await new Promise((r) => setTimeout(r, 200));
      left = q.remove();
    }
    expect(left).toEqual([]);
    expect(existsSync('/sys/fs/cgroup/cpu/spirit-test') || existsSync('/sys/fs/cgroup/spirit-test')).toBe(false);
  });
});
