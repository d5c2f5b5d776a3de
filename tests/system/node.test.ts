// The whole path with real processes: a memory node, `spirit serve` (in-process bus) and `spirit node` with
// two far-memory workloads (a scan and a key-value store). Telemetry reaches the service, the estimator fits
// models for both apps, allocations with increasing epochs are published and the daemon applies them to the
// regions (read back from the control blocks), a killed workload is restarted on the allocation in force,
// and SIGTERM stops everything leaving no control block behind. Each workload runs under a CPU quota (--workload-cpu).
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Allocation, controlFiles, expectedLimits, getJson, type Proc, regionsByLabel, spirit, startMemnode, startServe, tempDir, waitFor,
} from './procs.ts';

const NODE = 'sys-n1';
const APPS = ['scan', 'kv'];

let memnode: { proc: Proc; address: string };
let serve: { proc: Proc; url: string };
let daemon: Proc;
const ctl = tempDir('spirit-node-ctl-');

beforeAll(async () => {
  memnode = await startMemnode();
  serve = await startServe(['--interval-ms', '500']);
  daemon = spirit([
    'node', '--service', serve.url, '--node', NODE, '--cache-mb', '16', '--bandwidth-mbps', '400', '--memnode', memnode.address,
    '--workload', 'stream:id=scan,size-mb=16', '--workload', 'kv:id=kv,size-mb=16,seed=7', '--interval-ms', '250', '--control-dir', ctl.dir,
    '--workload-cpu', '0.5',
  ]);
});

afterAll(async () => {
  await daemon?.kill();
  await serve?.proc.kill();
  await memnode?.proc.kill();
  ctl.cleanup();
});

/** The cgroup of a process under the cpu controller (v1), or its unified one (v2); null if it is gone. */
function cpuGroupOf(pid: number): string | null {
  try {
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'));
    const v1 = lines.find(([, ctl]) => ctl.split(',').includes('cpu'));
    return (v1 ?? lines.find(([id]) => id === '0'))?.[2] ?? null;
  } catch { return null; }
}

const allocation = async (): Promise<Allocation | null> => {
  const r = await getJson<Allocation>(`${serve.url}/v1/nodes/${NODE}/allocation`);
  return r.status === 200 ? r.body : null;
};

describe('spirit node with a memory node and spirit serve', () => {
  it('registers the node and its apps and runs one region per workload', async () => {
    const node = await waitFor('the node to be registered', async () => {
      const r = await getJson<{ apps: string[]; capacity: { cacheMB: number; bandwidthMbps: number } }>(`${serve.url}/v1/nodes/${NODE}`);
      return r.status === 200 && r.body.apps.length === 2 ? r.body : null;
    });
    expect(node.apps.sort()).toEqual([...APPS].sort());
    expect(node.capacity).toEqual({ cacheMB: 16, bandwidthMbps: 400 });
    const regions = await waitFor('both regions running', () => (regionsByLabel(ctl.dir).size === 2 ? regionsByLabel(ctl.dir) : null));
    expect([...regions.keys()].sort()).toEqual([...APPS].sort());
    for (const r of regions.values()) expect(r.sizeBytes).toBe(16 * 1048576);
    // --workload-cpu: each workload's process in its own CPU group under the quota
    for (const [app, r] of regions) await waitFor(`${app} in its CPU group`, () => cpuGroupOf(r.ownerPid)?.endsWith(`/spirit-node/${NODE}/${app}`));
  });

  it('sends telemetry that reaches the service, which fits a model for each app', async () => {
    await waitFor('telemetry to be ingested', async () => (await getJson<{ lastTelemetryMs: number | null }>(`${serve.url}/v1/nodes/${NODE}`)).body.lastTelemetryMs);
    // 'estimated' means the estimator had enough measured data to fit the app's model; 'persisted' is that
    // fitted model stored by an earlier round (used while the estimator's confidence dips on noisy windows)
    const fitted = new Set<string>();
    const doc = await waitFor('models fitted for both apps', async () => {
      const a = await allocation();
      for (const b of a?.bundles ?? []) if (b.source === 'estimated' || b.source === 'persisted') fitted.add(b.app);
      return fitted.size === 2 ? a : null;
      // 5-50 s on a quiet machine (the workloads' live telemetry decides when the confidence is reached); more
      // than 240 s once under a CPU hog on both cores, with each workload held to half a core
    }, 480_000, 250);
    expect([...fitted].sort()).toEqual([...APPS].sort());
    expect(doc.bundles.map((b) => b.app).sort()).toEqual([...APPS].sort());
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    const ingested = Number(/^spirit_telemetry_records_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    expect(ingested).toBeGreaterThan(0);
    // every record the daemon sent was usable: none skipped as malformed, unknown or rejected by the estimator
    const skipped = [...metrics.matchAll(/^spirit_telemetry_skipped_total\{reason="(\w+)"\} (\d+)/gm)].filter((m) => Number(m[2]) > 0).map((m) => m[1]);
    expect(skipped).toEqual([]);
  }, 540_000);

  it('applies allocations to the regions, in increasing epochs only', async () => {
    // the limits in the control blocks follow the allocation in force (allow for a newer round meanwhile)
    const matched = await waitFor('the regions to carry the current allocation', async () => {
      const a = await allocation();
      if (!a) return null;
      const regions = regionsByLabel(ctl.dir);
      const ok = a.bundles.every((b) => {
        const r = regions.get(b.app);
        const want = expectedLimits(b);
        return r && r.cacheBytes === want.cacheBytes && Math.abs(r.bandwidthMbps - want.bandwidthMbps) < 1e-9;
      });
      return ok ? a : null;
    }, 60_000, 50);
    expect(matched.epoch).toBeGreaterThan(0);
    const applied = daemon.logs().filter((l) => l.msg === 'allocation applied').map((l) => l.epoch as number);
    expect(applied.length).toBeGreaterThan(1);
    for (let i = 1; i < applied.length; i++) expect(applied[i]).toBeGreaterThan(applied[i - 1]);
  }, 300_000);

  it('restarts a killed workload, which comes back under the allocation in force', async () => {
    const before = regionsByLabel(ctl.dir).get('kv');
    expect(before).toBeDefined();
    process.kill(before!.ownerPid, 'SIGKILL');
    const after = await waitFor('a new kv region', () => {
      const r = regionsByLabel(ctl.dir).get('kv');
      return r && r.ownerPid !== before!.ownerPid ? r : null;
    });
    expect(after.ownerPid).not.toBe(before!.ownerPid);
    expect(daemon.logs().some((l) => l.msg === 'workload exited; restarting it' && l.app === 'kv' && l.signal === 'SIGKILL')).toBe(true);
    // the dead process's block was removed as stale; exactly two blocks remain
    await waitFor('the stale block to go', () => controlFiles(ctl.dir).length === 2);
    await waitFor('the restarted region to carry the allocation', async () => {
      const a = await allocation();
      const b = a?.bundles.find((x) => x.app === 'kv');
      const r = regionsByLabel(ctl.dir).get('kv');
      return b && r && r.cacheBytes === expectedLimits(b).cacheBytes;
    }, 60_000, 50);
    // and the new run works on far memory: its region keeps faulting pages in
    const faults = regionsByLabel(ctl.dir).get('kv')!.missingFaults;
    await waitFor('the restarted workload to run', () => (regionsByLabel(ctl.dir).get('kv')?.missingFaults ?? 0) > faults);
    // the daemon logs the start when it has handled the workload's ready message, which at high load may come
    // after the new region has already faulted pages in: wait for the line rather than expect it at once
    await waitFor('the daemon to log the second start of kv', () => daemon.logs().some((l) => l.msg === 'workload started' && l.app === 'kv' && l.generation === 2));
    await waitFor('the restarted kv in its CPU group', () => cpuGroupOf(regionsByLabel(ctl.dir).get('kv')!.ownerPid)?.endsWith(`/spirit-node/${NODE}/kv`));
  }, 300_000);

  it('stops cleanly on SIGTERM: workloads stopped, regions closed, no control block left', async () => {
    daemon.child.kill('SIGTERM');
    const { code } = await daemon.exited;
    expect(code).toBe(0);
    expect(controlFiles(ctl.dir)).toEqual([]);
    // the CPU groups it made are gone with their processes
    expect(existsSync(`/sys/fs/cgroup/cpu/spirit-node/${NODE}`) || existsSync(`/sys/fs/cgroup/spirit-node/${NODE}`)).toBe(false);
    expect(daemon.logs().some((l) => l.msg === 'node daemon stopped')).toBe(true);
    expect(daemon.logs().filter((l) => (l.level as number) >= 50)).toEqual([]);  // no errors logged (a restart is a warning)
  });
});
