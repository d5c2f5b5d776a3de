// What `spirit experiment live` needs of the node daemon: every telemetry window handed to the caller with the
// window's sampled operation latencies, and a workload's phase change (it reloads its region as another
// archetype and runs that pattern), with the data it reads back still the data it wrote. Real workload
// processes on a real memory node.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../service/bus/memory.ts';
import { NodeDaemon } from '../../service/node/daemon.ts';
import { busLink } from '../../service/node/link.ts';
import { parseWorkloadSpec } from '../../service/node/workload-spec.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';
import { MEMNODE_TOKEN, startMemnode, tempDir, waitFor, type Proc } from './procs.ts';

const NODE = 'phase-node';
const ctl = tempDir('spirit-daemon-phase-');
const windows: { rec: TelemetryRecord; counts: number[] }[] = [];
let memnode: { proc: Proc; address: string };
let bus: MemoryBus;
let daemon: NodeDaemon;

beforeAll(async () => {
  memnode = await startMemnode();
  bus = new MemoryBus();
  daemon = new NodeDaemon({
    node: NODE, capacity: { cacheMB: 2, bandwidthMbps: 400 },
    workloads: [parseWorkloadSpec('micro:id=shifty,size-mb=4,hot-fraction=0.1', 0, NODE)],
    memnodes: [memnode.address], memnodeToken: MEMNODE_TOKEN, controlDir: ctl.dir, intervalMs: 200,
    link: busLink(bus, 'memory', false), log: pino({ level: 'silent' }, { write: () => {} }),
    onWindow: (rec, counts) => { windows.push({ rec, counts }); },
  });
  await daemon.start();
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  await bus?.close();
  await memnode?.proc.kill();
  ctl.cleanup();
});

describe('node daemon: windows and phases for experiments', () => {
  it('hands every window over with its operation latencies, and changes a workload\'s phase on request', async () => {
    await waitFor('windows of the first phase', () => windows.length >= 5, 120_000);
    const first = windows.slice();
    for (const w of first) {
      expect(w.rec.app).toBe('shifty');
      expect(w.counts.reduce((a, b) => a + b, 0), 'sampled operations in a window').toBeGreaterThan(0);
    }
    expect(() => daemon.setPhase('nobody', { archetype: 'stream', params: { 'write-ratio': 0 } })).toThrow(/no workload 'nobody'/);
    expect(() => daemon.setPhase('shifty', { archetype: 'tape' as never, params: {} })).toThrow(/'tape' is not an archetype/);
    const n = windows.length;
    daemon.setPhase('shifty', { archetype: 'stream', params: { 'write-ratio': 0 } });
    // the region is rewritten with the scan's data (the scan checks every page's stamp, which differs from the
    // microservice's: without the reload every read would count as a data error), then the scan runs: a cyclic
    // scan of 4 MiB through a 2 MiB cache misses on nearly every page, where the microservice's hot set fitted.
    // (The reload of 4 MiB may fit between two snapshots, so no window need be skipped for it.)
    await waitFor('windows of the second phase', () => windows.length >= n + 5, 120_000);
    const st = daemon.status();
    expect(st.dataErrors).toBe(0);
    expect(st.workloads[0].restarts).toBe(0);
    const mean = (ws: typeof windows) => ws.reduce((s, w) => s + w.rec.missRatio, 0) / ws.length;
    expect(mean(windows.slice(-3))).toBeGreaterThan(mean(first) + 0.3);
  }, 300_000);
});
