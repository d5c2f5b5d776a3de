// The workload supervisor with real workload processes and a real memory node (in this process): a crash is
// restarted with back-off under the limits in force, a permanent setup failure (token refused) is given up
// at once, an unreachable memory node is retried, and stop() closes the region (no control block left).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MemNode, startMemNode } from '../../native/index.ts';
import { Backoff } from '../../service/node/backoff.ts';
import { type WorkloadEvent, WorkloadSupervisor } from '../../service/node/supervisor.ts';
import { controlFiles, freePort, tempDir, waitFor } from './procs.ts';

const TOKEN = 'supervisor-test-token';
let memnode: MemNode;
const ctl = tempDir('spirit-sup-ctl-');

beforeAll(() => {
  memnode = startMemNode({ capacityBytes: 512 << 20, tokens: [TOKEN] });
});
afterAll(() => {
  memnode.stop();
  ctl.cleanup();
});

function supervisor(memnodes: string[], token: string, events: WorkloadEvent[]): WorkloadSupervisor {
  return new WorkloadSupervisor({
    id: 'w1', archetype: 'kv', params: { 'value-bytes': 512, skew: 0.99, 'write-ratio': 0.05 }, seed: 1, sizeBytes: 4 << 20, memnodes, token,
    sampleRate: 0.05, controlDir: ctl.dir,
  }, { cacheBytes: 1 << 20, bandwidthMbps: 500 }, { onEvent: (e) => events.push(e), backoff: new Backoff(50, 200) });
}

describe('workload supervisor', () => {
  it('restarts a crashed workload with back-off, under the limits set meanwhile; stop() leaves nothing behind', async () => {
    const events: WorkloadEvent[] = [];
    const s = supervisor([memnode.address], TOKEN, events);
    s.start();
    await waitFor('the workload to run', () => s.state === 'running');
    const first = s.status();
    expect(first.generation).toBe(1);
    const snap = await waitFor('a snapshot in the run phase', async () => {
      const x = await s.snapshot();
      return x?.phase === 'run' && x.accesses > 0 ? x : null;
    });
    expect(snap.stats.label).toBe('w1');
    expect(snap.errors).toBe(0);
    s.setLimits({ cacheBytes: 2 << 20, bandwidthMbps: 123 });
    expect(await waitFor('the new limits in the block', () => s.readLimits()?.cacheBytes === 2 << 20 && s.readLimits())).toEqual({ cacheBytes: 2 << 20, bandwidthMbps: 123 });
    process.kill(first.pid!, 'SIGKILL');
    await waitFor('a restart', () => s.state === 'running' && s.status().generation === 2);
    const exit = events.find((e) => e.kind === 'exited');
    expect(exit).toMatchObject({ kind: 'exited', app: 'w1', signal: 'SIGKILL', gaveUp: null });
    expect((exit as { restartInMs: number }).restartInMs).toBeGreaterThan(0);
    expect(s.readLimits()).toEqual({ cacheBytes: 2 << 20, bandwidthMbps: 123 });  // the new run started under them
    expect(s.status().restarts).toBe(1);
    await s.stop();
    expect(s.state).toBe('stopped');
    expect(s.status().lastExit?.code).toBe(0);
    // the killed run's block is stale (the daemon removes those); the clean stop removed its own
    const live = controlFiles(ctl.dir).filter((f) => !f.includes(`-${first.pid}-`));
    expect(live).toEqual([]);
  }, 300_000);

  it('gives a workload up at once when the memory node refuses its token', async () => {
    const events: WorkloadEvent[] = [];
    const s = supervisor([memnode.address], 'not-the-right-token', events);
    s.start();
    await waitFor('the failure', () => s.state === 'failed');
    const exit = events.find((e) => e.kind === 'exited') as Extract<WorkloadEvent, { kind: 'exited' }>;
    expect(exit.reason).toBe('token_rejected');
    expect(exit.restartInMs).toBeNull();
    expect(exit.gaveUp).toMatch(/permanent failure \(token_rejected\)/);
    expect(s.status().restarts).toBe(0);
    await s.stop();  // nothing to stop; must not throw or hang
  });

  it('keeps retrying a workload whose memory node is unreachable', async () => {
    const events: WorkloadEvent[] = [];
    const s = supervisor([`127.0.0.1:${await freePort()}`], TOKEN, events);
    s.start();
    await waitFor('a second start attempt', () => s.status().generation >= 2, 120_000);
    const exit = events.find((e) => e.kind === 'exited') as Extract<WorkloadEvent, { kind: 'exited' }>;
    expect(exit.reason).toBe('unreachable');
    expect(exit.gaveUp).toBeNull();
    await s.stop();
    expect(s.state).toBe('stopped');
  }, 300_000);
});
