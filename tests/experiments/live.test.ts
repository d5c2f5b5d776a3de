// `spirit experiment live --quick`, as a user runs it (a real process: memory node, service, daemon and six
// workload processes on far memory): the report's shape, and that its figures were measured (traffic on the
// link, allocations that differ between policies where they must, splits only where the market splits).
// Nothing here checks a speed or a gain: those are measured and reported, on whatever this machine is doing.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SPIRIT = join(ROOT, 'bin', 'spirit.js');
const POLICIES = ['static', 'static-split', 'drf', 'harvest', 'trade', 'spirit-unsplit', 'spirit'];
const APPS = ['scan-s', 'scan-m', 'scan-l', 'kv', 'embed', 'micro'];

function runLive(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SPIRIT, 'experiment', 'live', '--quick', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('spirit experiment live', () => {
  it('--quick: every policy measured on live workloads, a report with its figures and plots', async () => {
    const out = mkdtempSync(join(tmpdir(), 'spirit-live-'));
    const r = await runLive(out);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    // progress on stderr: what runs, time left
    expect(r.stderr).toMatch(/paper repeat 1\/1, spirit \(\d\/7\); ~.* left/);
    const doc = JSON.parse(r.stdout);
    expect(doc.experiment).toBe('live');
    expect(doc.policies).toEqual(POLICIES);
    expect(doc.dataErrors).toBe(0);
    // every workload under the same CPU quota (--workload-cpu auto: 3/4 of the cores among six; root has cgroups)
    expect(doc.workloadCpuCores).toBeCloseTo((0.75 * cpus().length) / APPS.length, 3);
    const dir = join(out, 'live', 'paper');
    for (const f of ['report.md', 'results.json', 'throughput.svg', 'allocations.svg', 'bandwidth.svg', 'throughput-over-time.svg']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(readFileSync(join(dir, 'throughput.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<rect[\s\S]*<\/svg>\n$/);

    const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(res.runs.map((x: { policy: string }) => x.policy).sort()).toEqual([...POLICIES].sort());
    const byPolicy = Object.fromEntries(res.runs.map((x: { policy: string }) => [x.policy, x]));
    // measured: every app made windows under every policy, moved pages over the link, had a latency figure
    for (const run of res.runs) {
      for (const app of APPS) {
        const a = run.apps[app];
        expect(a.windows, `${run.policy} ${app}`).toBeGreaterThan(0);
        expect(a.opsPerSec).toBeGreaterThan(0);
        expect(a.p99OpUs).toBeGreaterThan(0);
        expect(a.bandwidthMbps).toBeGreaterThan(0);
      }
      // pages moved over the link (an app whose whole region a policy caches may move none)
      expect(APPS.reduce((s, app) => s + run.apps[app].trafficMbps, 0), run.policy).toBeGreaterThan(0);
      // the cache held, as the apps' records report it: each app's mean over its own records, taken at
      // different instants, so a round that moves cache between apps inside the window can make the means add
      // up to a little more than the node (32.59 of 32 MiB seen under a CPU hog); the allocations are below
      const cache = APPS.reduce((s, app) => s + run.apps[app].cacheMB, 0);
      expect(cache).toBeLessThanOrEqual(res.mix.capacity.cacheMB * 1.04);
    }
    // every allocation in force fits the node (bundles rounded to 0.001 MiB in the report)
    expect(res.rounds.length).toBeGreaterThan(0);
    for (const r of res.rounds) {
      const bundles = Object.values(r.bundles as Record<string, { cacheMB: number }>);
      expect(bundles.reduce((s, b) => s + b.cacheMB, 0), `${r.policy} at ${r.tS} s`).toBeLessThanOrEqual(res.mix.capacity.cacheMB + 0.001 * bundles.length);
    }
    // static holds every app at its equal share (smaller than every region: each app fetches pages), unsplit
    for (const app of APPS) expect(byPolicy.static.apps[app].trafficMbps, app).toBeGreaterThan(0);
    for (const app of APPS) expect(byPolicy.static.apps[app].cacheMB).toBeCloseTo(res.mix.capacity.cacheMB / APPS.length, 1);
    expect(byPolicy.static.lastDoc.partitions).toEqual({});
    // static-split: the same equal shares; unsplit policies never split
    for (const app of APPS) expect(byPolicy['static-split'].apps[app].cacheMB).toBeCloseTo(res.mix.capacity.cacheMB / APPS.length, 1);
    for (const p of ['drf', 'harvest', 'trade', 'spirit-unsplit']) expect(byPolicy[p].lastDoc.partitions, p).toEqual({});
    // the market moved resources where static did not: some app's bundle differs from its equal share
    const moved = (p: string): number => Math.max(...APPS.map((app) => Math.abs(byPolicy[p].apps[app].cacheMB - byPolicy.static.apps[app].cacheMB) / res.mix.capacity.cacheMB +
      Math.abs(byPolicy[p].apps[app].bandwidthMbps - byPolicy.static.apps[app].bandwidthMbps) / res.mix.capacity.bandwidthMbps));
    // (a policy moves only apps with a model: the estimator must have fitted some from telemetry, and where
    // two apps or more have one, every trading policy moved something)
    expect(res.learned.estimated.length, 'apps the estimator fitted from telemetry').toBeGreaterThan(0);
    const modelled = (p: string): number => Object.values(byPolicy[p].lastDoc.sources as Record<string, string>).filter((s) => s === 'estimated' || s === 'persisted').length;
    for (const p of ['drf', 'spirit-unsplit', 'spirit']) if (modelled(p) >= 2) expect(moved(p), p).toBeGreaterThan(0.02);
    expect(Math.max(moved('spirit-unsplit'), moved('spirit')), 'the market moved resources').toBeGreaterThan(0.02);
    // the summary: ratios to static (static itself exactly 1), spreads, targets with what was measured
    expect(res.summary.policies.static.geoMean.median).toBe(1);
    for (const p of POLICIES) {
      const g = res.summary.policies[p].geoMean;
      expect(g.min).toBeLessThanOrEqual(g.median);
      expect(g.median).toBeLessThanOrEqual(g.max);
      expect(Number.isFinite(g.median)).toBe(true);
    }
    expect(res.summary.targets.length).toBe(4);
    for (const t of res.summary.targets) expect(typeof t.met).toBe('boolean');
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/## Throughput over static, per app/);
    expect(md).toMatch(/load average at start/);
    for (const p of POLICIES) expect(md).toContain(`| ${p} |`);
    // nothing left behind: the workload processes are gone, and their control blocks with their directory
    expect(res.started.workloadPids).toHaveLength(APPS.length);
    for (const pid of res.started.workloadPids) expect(() => process.kill(pid, 0), `workload ${pid}`).toThrow();
    expect(existsSync(res.started.controlDir)).toBe(false);
    expect(readdirSync(out)).toEqual(['live']);
  }, 900_000);

  it('bad input: an unknown mix, policy or count is a clear error (exit 2)', () => {
    const run = (...a: string[]) => spawnSync(process.execPath, [SPIRIT, 'experiment', ...a], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    let r = run('live', '--mix', 'huge');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--mix.*'huge' is not a mix; expected one of paper, dynamic, many/);
    r = run('live', '--policies', 'static,fastest');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--policies.*'fastest' is not a policy/);
    r = run('live', '--repeats', '0');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--repeats.*must be above 0/);
    r = run('live', '--minutes', 'soon');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--minutes.*'soon' is not a number/);
    r = run('policies', '--mix', 'paper');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--mix.*only/);
    r = run('live', '--workload-cpu', '-1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--workload-cpu.*must be a number of cores >= 0.01 .* got '-1'/);
    r = run('policies', '--workload-cpu', '0.5');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--workload-cpu.*only/);
  });
});
