// `spirit node` as a process facing bad input and an unreliable service: bad flags exit 2 naming the flag; a
// registration the service refuses exits 2 naming the field; a service that is not up yet, dies, and comes
// back empty (in-process bus) is retried forever: the workloads keep running, the node registers again and
// follows the new service's allocations.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Allocation, cleanEnv, controlFiles, freePort, getJson, type Proc, regionsByLabel, SPIRIT, spirit, startMemnode, startServe, tempDir, waitFor,
} from './procs.ts';

let memnode: { proc: Proc; address: string };
const procs: Proc[] = [];
const ctl = tempDir('spirit-nodecli-ctl-');

beforeAll(async () => {
  memnode = await startMemnode();
});
afterAll(async () => {
  for (const p of procs) await p.kill();
  await memnode?.proc.kill();
  ctl.cleanup();
});

const run = (args: string[]) => spawnSync(process.execPath, [SPIRIT, 'node', ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });

describe('spirit node: bad input', () => {
  it('exits 2 with a message naming the flag', () => {
    const cases: [string[], RegExp][] = [
      [['--memnode', '127.0.0.1:1', '--workload', 'kv'], /spirit: bad input: --service: is required/],
      [['--service', 'http://127.0.0.1:1', '--memnode', '127.0.0.1:1', '--workload', 'kv:skew=x'], /spirit: bad input: --workload\[0\]\.skew: 'x' is not a number/],
      [['--service', 'http://127.0.0.1:1', '--workload', 'kv'], /spirit: bad input: --memnode: workloads need at least one memory node/],
      [['--service', 'http://127.0.0.1:1', '--memnode', '127.0.0.1:1', '--workload', 'disk'], /spirit: bad input: --workload\[0\]: 'disk' is not an archetype/],
      [['--service', 'http://127.0.0.1:1', '--memnode', '127.0.0.1:1', '--workload', 'kv', '--interval-ms', '5'], /spirit: bad input: --interval-ms: must be between 100/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(re);
    }
  });

  it('exits 2 naming the field when the service refuses the registration', async () => {
    const serve = await startServe(['--interval-ms', '500']);
    procs.push(serve.proc);
    const p = spirit(['node', '--service', serve.url, '--node', 'refused', '--cache-mb', '8', '--memnode', memnode.address,
      '--workload', 'kv:id=big,size-mb=4,min-cache-mb=64', '--control-dir', ctl.dir]);
    procs.push(p);
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.stderr()).toMatch(/spirit: bad input: PUT \/v1\/apps\/big:? limits\.minCacheMB: /);
    expect(controlFiles(ctl.dir)).toEqual([]);  // its workload was stopped and its region closed
  }, 300_000);
});

describe('spirit node: the service goes away and comes back', () => {
  it('keeps running and retrying, registers when the service appears, and again after it restarted empty', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const daemon = spirit(['node', '--service', url, '--node', 'patient', '--cache-mb', '8', '--bandwidth-mbps', '200', '--memnode', memnode.address,
      '--workload', 'stream:id=s1,size-mb=8', '--interval-ms', '200', '--control-dir', ctl.dir]);
    procs.push(daemon);
    await waitFor('retries while the service is down', () => daemon.logs().filter((l) => l.msg === 'cannot register with the service; retrying').length >= 2);
    await waitFor('the workload running meanwhile', () => regionsByLabel(ctl.dir).has('s1'));

    let serve = spirit(['serve', '--port', String(port), '--interval-ms', '300']);
    procs.push(serve);
    await waitFor('the node registered', async () => (await getJson<{ apps: string[] }>(`${url}/v1/nodes/patient`)).body?.apps?.includes('s1'));
    await waitFor('its telemetry ingested', async () => (await getJson<{ lastTelemetryMs: number | null }>(`${url}/v1/nodes/patient`)).body.lastTelemetryMs);
    const firstEpoch = await waitFor('an allocation applied', () => daemon.logs().find((l) => l.msg === 'allocation applied')?.epoch as number | undefined);
    expect(firstEpoch).toBeGreaterThan(0);

    await serve.kill('SIGKILL');
    const appliedBefore = daemon.logs().filter((l) => l.msg === 'allocation applied').length;
    serve = spirit(['serve', '--port', String(port), '--interval-ms', '300']);
    procs.push(serve);
    // the new service starts with an empty registry: the daemon notices and registers again
    await waitFor('the node registered again', async () => (await getJson<{ apps: string[] }>(`${url}/v1/nodes/patient`)).body?.apps?.includes('s1'));
    const current = await waitFor('an allocation from the new service', async () => (await getJson<Allocation>(`${url}/v1/nodes/patient/allocation`)).body?.epoch);
    // its epochs start over; the daemon's fresh watch takes them and applies them
    await waitFor('the new allocation applied', () => daemon.logs().filter((l) => l.msg === 'allocation applied').length > appliedBefore);
    expect(current).toBeGreaterThan(0);
    expect(daemon.child.exitCode).toBeNull();
    expect(daemon.logs().some((l) => l.msg === 'the service no longer knows this node (restarted?); registering again' || l.msg === 'cannot register with the service; retrying')).toBe(true);
    // the workload was never restarted: the outage did not touch it
    expect(daemon.logs().filter((l) => l.msg === 'workload started').length).toBe(1);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    expect(controlFiles(ctl.dir)).toEqual([]);
  }, 300_000);
});
