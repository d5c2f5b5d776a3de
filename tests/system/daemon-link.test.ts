// The daemon's link logic against a scripted service link (a stand-in only for the link, inside this unit
// test): registration retried with growing back-off while the service is unreachable, a refused registration
// is fatal before the first success, a service that forgot the node is registered again and watched afresh,
// allocations reach the app (here a cgroup app on a directory laid out like cgroup v2).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AllocationDoc } from '../../service/bus/types.ts';
import { InputError } from '../../service/errors.ts';
import { NodeDaemon } from '../../service/node/daemon.ts';
import type { ServiceLink } from '../../service/node/link.ts';
import { memoryLogger } from '../service/harness.ts';
import { tempDir, waitFor } from './procs.ts';

interface Script {
  registerFailures: Error[];
  registered: number;
  watches: ((doc: AllocationDoc) => void)[];
  unwatched: number;
  knows: boolean[];
  telemetry: number;
}

function scriptedLink(s: Script): ServiceLink {
  return {
    kind: 'http',
    target: 'scripted',
    async register() {
      const e = s.registerFailures.shift();
      if (e) throw e;
      s.registered++;
    },
    async isRegistered() {
      return s.knows.shift() ?? true;
    },
    async appendTelemetry(records) {
      s.telemetry += records.length;
    },
    async watchAllocation(_node, cb) {
      s.watches.push(cb);
      return async () => { s.unwatched++; };
    },
    async close() {},
  };
}

function cgroupRoot(): { dir: string; cleanup(): void } {
  const t = tempDir('spirit-cg-');
  writeFileSync(join(t.dir, 'cgroup.controllers'), 'cpu io memory pids\n');
  mkdirSync(join(t.dir, 'spirit'));
  return t;
}

const doc = (epoch: number, cacheMB: number, bandwidthMbps: number): AllocationDoc => ({
  node: 'n', epoch, timeMs: Date.now(), replica: 'r', policy: 'spirit', elapsedMs: 1, certificate: {} as AllocationDoc['certificate'],
  bundles: [{ app: 'db', cacheMB, bandwidthMbps, normalizedPerf: 1, source: 'equal-share', confidence: 0 }],
});

let daemons: NodeDaemon[] = [];
let roots: { cleanup(): void }[] = [];
afterEach(async () => {
  for (const d of daemons) await d.stop();
  for (const r of roots) r.cleanup();
  daemons = [];
  roots = [];
});

function daemonWith(s: Script, apps = [{ id: 'db', group: 'spirit/db', weight: 1 }]): { d: NodeDaemon; lines: Record<string, unknown>[]; root: string } {
  const root = cgroupRoot();
  roots.push(root);
  const { log, lines } = memoryLogger();
  const d = new NodeDaemon({
    node: 'n', capacity: { cacheMB: 64, bandwidthMbps: 100 }, workloads: [], cgroupApps: apps,
    cgroupRoot: root.dir, swapDevice: '8:16', memnodes: [], memnodeToken: 'unused-token', controlDir: root.dir, intervalMs: 100,
    link: scriptedLink(s), log, registrationCheckMs: 100,
  });
  daemons.push(d);
  return { d, lines, root: root.dir };
}

const script = (p: Partial<Script> = {}): Script => ({ registerFailures: [], registered: 0, watches: [], unwatched: 0, knows: [], telemetry: 0, ...p });

describe('node daemon and its service link', () => {
  it('retries registration with growing back-off until the service answers, then enforces its allocations', async () => {
    const s = script({ registerFailures: [new Error('connect ECONNREFUSED'), new Error('connect ECONNREFUSED'), new Error('HTTP 503')] });
    const { d, lines, root } = daemonWith(s);
    await d.start();
    // before any allocation the app runs at its equal share: the whole node here
    expect(Number(readFileSync(join(root, 'spirit/db/memory.max'), 'utf8'))).toBe(64 * 1048576);
    await waitFor('registration', () => s.registered === 1, 30_000, 10);
    const retries = lines.filter((l) => l.msg === 'cannot register with the service; retrying').map((l) => l.retryInMs as number);
    expect(retries.length).toBe(3);
    expect(retries[1]).toBeGreaterThan(retries[0] * 1.5);  // doubling (jitter takes at most 20% off)
    expect(retries[2]).toBeGreaterThan(retries[1] * 1.5);
    expect(d.status().registered).toBe(true);
    await waitFor('a watch', () => s.watches.length === 1);
    s.watches[0](doc(1, 16, 40));
    await waitFor('the cache limit', () => readFileSync(join(root, 'spirit/db/memory.max'), 'utf8').trim() === String(16 * 1048576), 10_000, 10);
    expect(readFileSync(join(root, 'spirit/db/io.max'), 'utf8')).toBe(`8:16 rbps=${40e6 / 8} wbps=${40e6 / 8}`);
    expect(d.status().appliedEpoch).toBe(1);
  });

  it('leaves an app the allocation does not name at its limits', async () => {
    const s = script();
    const { d, lines, root } = daemonWith(s, [{ id: 'db', group: 'spirit/db', weight: 1 }, { id: 'web', group: 'spirit/web', weight: 1 }]);
    await d.start();
    await waitFor('a watch', () => s.watches.length === 1, 30_000, 10);
    const webMax = (): string => readFileSync(join(root, 'spirit/web/memory.max'), 'utf8').trim();
    await waitFor('the equal split applied', () => webMax() === String(32 * 1048576), 10_000, 10);
    s.watches[0](doc(5, 8, 30));  // names db only
    await waitFor('db limited', () => readFileSync(join(root, 'spirit/db/memory.max'), 'utf8').trim() === String(8 * 1048576), 10_000, 10);
    expect(webMax()).toBe(String(32 * 1048576));
    expect(lines.find((l) => l.msg === 'allocation applied' && l.epoch === 5)?.keptLimits).toEqual(['web']);
  });

  it('registers again, and watches afresh, when the service forgot the node', async () => {
    const s = script({ knows: [true, false] });
    const { d, lines } = daemonWith(s);
    await d.start();
    await waitFor('a second registration', () => s.registered === 2, 30_000, 10);
    await waitFor('a second watch', () => s.watches.length === 2, 30_000, 10);
    expect(s.unwatched).toBe(1);  // the first watch was stopped before the new one began
    expect(lines.some((l) => l.msg === 'the service no longer knows this node (restarted?); registering again')).toBe(true);
  });

  it('stops with the error when the service refuses the registration before ever accepting it', async () => {
    const s = script({ registerFailures: [new Error('ECONNREFUSED'), new InputError('PUT /v1/apps/db limits.minCacheMB', 'too big')] });
    const { d } = daemonWith(s);
    await d.start();
    const err = await d.failed;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/limits\.minCacheMB: too big/);
    expect(s.registered).toBe(0);
  });
});
