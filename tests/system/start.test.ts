// `npm start` (spirit start): the whole system on this machine (memory node, service with dashboard, node
// daemon with the paper mix's six far-memory workloads), its dashboard's address first and the policy tables
// after, stopped after --duration-s or on Ctrl-C,
// leaving no control block behind. Also: --no-system, and the plain message when far memory is unavailable.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { FarMemoryError } from '../../native/index.ts';
import { probeFailure, startSystem } from '../../service/node/system.ts';
import { type Allocation, cleanEnv, controlFiles, getJson, type Proc, SPIRIT, spirit, tempDir, waitFor } from './procs.ts';

const procs: Proc[] = [];
const dirs: { cleanup(): void }[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill();
  for (const d of dirs) d.cleanup();
});

/** The paper mix `npm start` runs (service/experiments/live/mixes.ts). */
const PAPER_APPS = ['embed', 'kv', 'micro', 'scan-l', 'scan-m', 'scan-s'];

const dashboardUrl = (out: string): string | null => /dashboard\s+(http:\/\/\S+?)\/?\n/.exec(out)?.[1] ?? null;

describe('spirit start', () => {
  it('--no-system prints the policy tables only', () => {
    const r = spawnSync(process.execPath, [SPIRIT, 'start', '--no-system'], { encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/policy spirit/);
    expect(r.stdout).toMatch(/policy static/);
    expect(r.stdout).not.toMatch(/Spirit is running/);
  });

  it('npm start -- --duration-s N: the dashboard address first, the system up (node, six workloads, allocations), the tables, then down', async () => {
    const ctl = tempDir('spirit-start-ctl-');
    dirs.push(ctl);
    const p = spirit(['start', '--', '--duration-s', '40', '--port', '0'], { SPIRIT_CONTROL_DIR: ctl.dir }, ['npm']);
    procs.push(p);
    const url = await waitFor('the dashboard URL', () => dashboardUrl(p.stdout()) ?? (p.child.exitCode !== null ? Promise.reject(new Error(p.stdout() + p.stderr())) : null), 90_000);
    const out = await waitFor('the policy tables', () => (p.stdout().includes('policy spirit') ? p.stdout() : null));
    expect(out.indexOf('dashboard')).toBeLessThan(out.indexOf('policy spirit'));  // the dashboard's address comes first
    const dash = await fetch(`${url}/`);
    expect(dash.status).toBe(200);
    expect(await dash.text()).toMatch(/<html/i);
    const node = await waitFor('the node registered', async () => {
      const r = await getJson<{ apps: string[] }>(`${url}/v1/nodes/local`);
      return r.status === 200 && r.body.apps.length === PAPER_APPS.length ? r.body : null;
    });
    expect(node.apps.sort()).toEqual(PAPER_APPS);
    await waitFor('six far-memory regions', () => controlFiles(ctl.dir).length === PAPER_APPS.length);
    await waitFor('telemetry from the node', async () => (await getJson<{ lastTelemetryMs: number | null }>(`${url}/v1/nodes/local`)).body.lastTelemetryMs);
    const doc = await waitFor('an allocation', async () => {
      const r = await getJson<Allocation>(`${url}/v1/nodes/local/allocation`);
      return r.status === 200 ? r.body : null;
    });
    expect(doc.bundles.map((b) => b.app).sort()).toEqual(PAPER_APPS);
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expect(p.stdout()).toMatch(/Stopped\. Node 'local': allocation epoch \d+, \d+ telemetry records sent, 0 workload restarts, 0 data errors\./);
    expect(controlFiles(ctl.dir)).toEqual([]);
    expect((await fetch(`${url}/healthz`).catch(() => null))?.ok ?? false).toBe(false);  // the service is gone too
  }, 300_000);

  it('stops everything on Ctrl-C (SIGINT)', async () => {
    const ctl = tempDir('spirit-start-ctl-');
    dirs.push(ctl);
    const p = spirit(['start', '--port', '0'], { SPIRIT_CONTROL_DIR: ctl.dir });
    procs.push(p);
    await waitFor('the dashboard URL', () => dashboardUrl(p.stdout()), 90_000);
    await waitFor('six far-memory regions', () => controlFiles(ctl.dir).length === PAPER_APPS.length);
    p.child.kill('SIGINT');
    expect((await p.exited).code).toBe(0);
    expect(p.stdout()).toMatch(/Stopped\./);
    expect(controlFiles(ctl.dir)).toEqual([]);
  }, 300_000);

  it('without far memory it says why plainly and still serves the dashboard, with no node', async () => {
    // this machine has userfaultfd; the probe is replaced to reach the path a machine without it takes
    const why = probeFailure(new FarMemoryError('userfaultfd: Operation not permitted', 'uffd'));
    expect(why).toMatch(/userfaultfd is not available/);
    expect(why).toMatch(/sysctl -w vm\.unprivileged_userfaultfd=1/);
    const sys = await startSystem({ port: 0, portExplicit: true, host: '127.0.0.1', intervalMs: 500, nodeIntervalMs: 200, log: pino({ level: 'silent' }, { write: () => {} }), probe: async () => why });
    try {
      expect(sys.daemon).toBeNull();
      expect(sys.noNode).toBe(why);
      expect((await fetch(`${sys.url}/`)).status).toBe(200);
      expect((await getJson<unknown[]>(`${sys.url}/v1/nodes`)).body).toEqual([]);  // nothing simulated
    } finally {
      await sys.stop();
    }
  });
});
