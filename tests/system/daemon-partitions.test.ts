// The node daemon applies an allocation's page split (`partitions`) to the app's far-memory region: real
// workload processes on a real memory node, allocations published on the in-process bus and delivered to
// the daemon's watch. Epochs are checked as for any allocation: a stale one is never applied. A split the data
// plane cannot take is applied unsplit and logged; an allocation without a split undoes one.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachControl, type RegionStats } from '../../native/index.ts';
import { MemoryBus } from '../../service/bus/memory.ts';
import type { AllocationBundle, AllocationDoc } from '../../service/bus/types.ts';
import { NodeDaemon } from '../../service/node/daemon.ts';
import { busLink } from '../../service/node/link.ts';
import { parseWorkloadSpec } from '../../service/node/workload-spec.ts';
import { MEMNODE_TOKEN, startMemnode, tempDir, waitFor, type Proc } from './procs.ts';

const NODE = 'split-node';
const MiB = 1048576;
const ctl = tempDir('spirit-daemon-split-');
const logs: Record<string, unknown>[] = [];
let memnode: { proc: Proc; address: string };
let bus: MemoryBus;
let daemon: NodeDaemon;

beforeAll(async () => {
  memnode = await startMemnode();
  bus = new MemoryBus();
  daemon = new NodeDaemon({
    node: NODE, capacity: { cacheMB: 16, bandwidthMbps: 1000 },
    workloads: [parseWorkloadSpec('stream:id=scan,size-mb=8', 0, NODE), parseWorkloadSpec('kv:id=kv,size-mb=8,partitionable=0', 1, NODE)],
    memnodes: [memnode.address], memnodeToken: MEMNODE_TOKEN, controlDir: ctl.dir, intervalMs: 200,
    link: busLink(bus, 'memory', false), log: pino({ level: 'info' }, { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>); } }),
  });
  await daemon.start();
  await waitFor('both workloads running and registered', () =>
    daemon.status().registered && daemon.status().workloads.every((w) => w.state === 'running' && w.controlPath));
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  await bus?.close();
  await memnode?.proc.kill();
  ctl.cleanup();
});

const controlPath = (app: string): string => daemon.status().workloads.find((w) => w.app === app)!.controlPath!;
function readBlock(app: string): RegionStats {
  const h = attachControl(controlPath(app));
  try {
    return h.read();
  } finally {
    h.close();
  }
}

const bundle = (app: string, cacheMB: number, partitions?: unknown): AllocationBundle =>
  ({ app, cacheMB, bandwidthMbps: 400, normalizedPerf: 1, source: 'estimated', confidence: 1, ...(partitions ? { partitions: partitions as never } : {}) });

async function publish(epoch: number, bundles: AllocationBundle[]): Promise<void> {
  const doc: AllocationDoc = { node: NODE, epoch, timeMs: Date.now(), replica: 'test', policy: 'spirit', bundles, certificate: {} as never, elapsedMs: 0 };
  expect(await bus.publishAllocation(doc, null)).toBe('published');
}

describe('the daemon applies page splits', () => {
  it('registers its apps with what the market needs to know: a workload marked partitionable=0 is not', async () => {
    expect((await bus.getApp('scan'))!.partitionable).toBeUndefined();  // the default: partitionable
    expect((await bus.getApp('kv'))!.partitionable).toBe(false);
  });

  it('puts an allocation\'s split into the region, where the fault thread re-counts its pages', async () => {
    await publish(10, [bundle('scan', 4, [{ accessShare: 0.5, cacheMB: 0 }, { accessShare: 0.5, cacheMB: 4 }]), bundle('kv', 4)]);
    await waitFor('the split in force', () => daemon.status().appliedEpoch === 10 && readBlock('scan').partitions === 2, 30_000);
    const s = readBlock('scan');
    expect(s.cacheBytes).toBe(4 * MiB);
    expect(s.split).toEqual([{ accessShare: 0.5, cacheBytes: 0 }, { accessShare: 0.5, cacheBytes: 4 * MiB }]);
    expect(s.partitionAPages).toBe(1024);  // exactly half of the 8 MiB region's 2048 pages
    expect(s.partitionBLimitPages).toBe(1024);
    expect(readBlock('kv').partitions).toBe(1);
    // the status line shows each partition of the scan over its windows: share, limit, residency, misses
    const w = await waitFor('a window under the split', () => daemon.status().lastWindow.scan?.partitions, 30_000);
    expect(w.map((p) => p.accessShare)).toEqual([0.5, 0.5]);
    expect(w[1].limitMB).toBe(4);
    expect(w[0].limitMB).toBeCloseTo(0.25, 6);  // the 64-frame floor of a partition given no cache
    expect(w[0].missesPerSec).toBeGreaterThan(0);  // the scan misses on all of A's pages
    expect(daemon.status().lastWindow.kv?.partitions).toBeUndefined();
  });

  it('never applies a stale epoch, and undoes a split with an allocation that has none', async () => {
    await publish(11, [bundle('scan', 6, [{ accessShare: 0.25, cacheMB: 1 }, { accessShare: 0.75, cacheMB: 5 }])]);
    await waitFor('epoch 11', () => daemon.status().appliedEpoch === 11 && readBlock('scan').partitionAPages === 512, 30_000);
    // an older round arriving late (another replica, a replay): the bus refuses it, the daemon would too
    expect(await bus.publishAllocation({ node: NODE, epoch: 9, timeMs: Date.now(), replica: 'late', policy: 'spirit', certificate: {} as never, elapsedMs: 0,
      bundles: [bundle('scan', 2, [{ accessShare: 0.9, cacheMB: 1 }, { accessShare: 0.1, cacheMB: 1 }])] }, null)).toBe('stale');
    await new Promise((r) => setTimeout(r, 500));
    expect(daemon.status().appliedEpoch).toBe(11);
    expect(readBlock('scan').split).toEqual([{ accessShare: 0.25, cacheBytes: MiB }, { accessShare: 0.75, cacheBytes: 5 * MiB }]);
    await publish(12, [bundle('scan', 6)]);
    await waitFor('unsplit again', () => daemon.status().appliedEpoch === 12 && readBlock('scan').partitions === 1, 30_000);
    expect(readBlock('scan').split).toEqual([{ accessShare: 1, cacheBytes: 6 * MiB }]);
  });

  it('applies a split it cannot take unsplit, and logs which app and why', async () => {
    await publish(13, [bundle('scan', 3, [{ accessShare: 0.5, cacheMB: 1 }, { accessShare: 0.3, cacheMB: 2 }])]);
    await waitFor('epoch 13', () => daemon.status().appliedEpoch === 13 && readBlock('scan').cacheBytes === 3 * MiB, 30_000);
    expect(readBlock('scan').partitions).toBe(1);
    const warned = logs.find((l) => l.msg === 'the allocation\'s split cannot be applied: applied unsplit');
    expect(warned).toMatchObject({ app: 'scan', epoch: 13 });
    expect(String(warned!.why)).toMatch(/shares must sum to 1; got 0\.8/);
  });

  it('a workload restarted later comes up under the split in force', async () => {
    await publish(14, [bundle('scan', 4, [{ accessShare: 0.5, cacheMB: 1 }, { accessShare: 0.5, cacheMB: 3 }])]);
    await waitFor('epoch 14', () => daemon.status().appliedEpoch === 14 && readBlock('scan').partitions === 2, 30_000);
    const before = daemon.status().workloads.find((w) => w.app === 'scan')!;
    process.kill(before.pid!, 'SIGKILL');
    await waitFor('the scan restarted', () => {
      const w = daemon.status().workloads.find((x) => x.app === 'scan')!;
      return w.state === 'running' && w.generation > before.generation && w.controlPath !== null;
    }, 60_000);
    await waitFor('its split', () => readBlock('scan').partitions === 2, 30_000);
    expect(readBlock('scan').split).toEqual([{ accessShare: 0.5, cacheBytes: MiB }, { accessShare: 0.5, cacheBytes: 3 * MiB }]);
  });
});
