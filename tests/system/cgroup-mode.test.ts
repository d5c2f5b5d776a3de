// Kernel-swap mode with real processes: `spirit node --cgroup-app` registers cgroup apps (not partitionable:
// their pages cannot be split by hash) and enforces the
// service's allocations as cgroup limits (memory.max / memory.high for cache, io.max on the swap device for
// bandwidth). The cgroup root is a directory laid out like cgroup v2 (no processes are moved, nothing on
// this machine is limited); the enforcer's stepping against a real kernel is tested in tests/native.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Allocation, getJson, type Proc, spirit, startServe, tempDir, waitFor } from './procs.ts';

const procs: Proc[] = [];
const root = tempDir('spirit-cgroot-');
afterAll(async () => {
  for (const p of procs) await p.kill();
  root.cleanup();
});

describe('spirit node --cgroup-app', () => {
  it('registers the cgroup apps and writes their allocations as cgroup limits', async () => {
    writeFileSync(join(root.dir, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    mkdirSync(join(root.dir, 'spirit'));
    const serve = await startServe(['--interval-ms', '300']);
    procs.push(serve.proc);
    const node = spirit(['node', '--service', serve.url, '--node', 'swapnode', '--cache-mb', '300', '--bandwidth-mbps', '600',
      '--cgroup-app', 'db=spirit/db:2', '--cgroup-app', 'web=spirit/web', '--cgroup-root', root.dir, '--swap-device', '8:16', '--interval-ms', '200']);
    procs.push(node);
    const doc = await waitFor('an allocation', async () => {
      const r = await getJson<Allocation>(`${serve.url}/v1/nodes/swapnode/allocation`);
      return r.status === 200 && r.body.bundles.length === 2 ? r.body : null;
    });
    // registered as not partitionable: the kernel's LRU cannot split their pages, so the market must not plan on it
    for (const app of ['db', 'web']) {
      const r = await getJson<{ partitionable?: boolean }>(`${serve.url}/v1/apps/${app}`);
      expect(r.status).toBe(200);
      expect(r.body.partitionable).toBe(false);
    }
    // weights 2:1 without models: the weighted equal split
    const db = doc.bundles.find((b) => b.app === 'db')!;
    expect(db.cacheMB).toBeCloseTo(200, 6);
    const read = (group: string, file: string): string => readFileSync(join(root.dir, 'spirit', group, file), 'utf8').trim();
    for (const b of doc.bundles) {
      const bytes = Math.floor((b.cacheMB * 1048576) / 4096) * 4096;
      const bps = Math.floor((b.bandwidthMbps * 1e6) / 8);
      await waitFor(`the limits of ${b.app}`, () => read(b.app, 'memory.max') === String(bytes) && read(b.app, 'io.max') === `8:16 rbps=${bps} wbps=${bps}`, 30_000);
      expect(read(b.app, 'memory.high')).toBe(String(bytes));
    }
    node.child.kill('SIGTERM');
    expect((await node.exited).code).toBe(0);
  });
});
