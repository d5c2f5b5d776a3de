// The control loop and page splits: a round solves its node's scenario convexified (the default), and the
// published bundles carry the split that realizes the hull of each partitionable app's curve, for the node's
// daemon to apply. An app registered as not partitionable (a kernel-swap app) is planned on its curve as it
// is and never split; a service with convexify off splits nobody.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../service/bus/memory.ts';
import type { AllocationDoc } from '../../service/bus/types.ts';
import { putApp, putNode } from '../../service/control/registry.ts';
import type { SpiritService } from '../../service/control/service.ts';
import type { MrcModel } from '../../service/scenario/types.ts';
import { makeService, waitFor } from './harness.ts';

// 40 MiB: the scan's loop can never fit whole, so any cache it gets is useful only split
const cap = { cacheMB: 40, bandwidthMbps: 400 };
// a scan over 48 MiB: nothing hits until all of it fits (a cliff), and a key-value store's convex curve
const scan: MrcModel = { type: 'mrc', mrc: [[0, 1], [47.9, 1], [48, 0]], pageBytes: 4096, localNs: 100, remoteNs: 20_000 };
const kv: MrcModel = { type: 'mrc', mrc: [[0, 1], [4, 0.4], [16, 0.15], [64, 0.05]], pageBytes: 4096, localNs: 100, remoteNs: 20_000 };

const services: SpiritService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop().catch(() => {});
});

async function round(partitionable: boolean | undefined, convexify?: boolean): Promise<AllocationDoc> {
  const bus = new MemoryBus();
  await putNode(bus, 'n', { capacity: cap });
  await putApp(bus, 'scan', { node: 'n', model: scan, ...(partitionable !== undefined ? { partitionable } : {}) });
  await putApp(bus, 'kv', { node: 'n', model: kv });
  const { service } = await makeService(bus, { trustRegionShare: null, hysteresisShare: null, ...(convexify !== undefined ? { convexify } : {}) });
  services.push(service);
  await service.start();
  return waitFor('an allocation from the declared models', async () => {
    const d = await bus.getAllocation('n');
    return d && d.bundles.length === 2 && d.bundles.every((b) => b.source === 'declared') ? d : null;
  });
}

describe('a round\'s bundles carry page splits', () => {
  it('a partitionable app on a segment of its hull gets two partitions: shares sum to 1, sizes to its cache', async () => {
    const doc = await round(undefined);
    const s = doc.bundles.find((b) => b.app === 'scan')!;
    expect(s.cacheMB).toBeGreaterThan(0);
    expect(s.cacheMB).toBeLessThan(48);  // below the cliff top: only a split makes this cache useful
    expect(s.partitions).toHaveLength(2);
    const shares = s.partitions!.reduce((t, p) => t + p.accessShare, 0);
    const sizes = s.partitions!.reduce((t, p) => t + p.cacheMB, 0);
    expect(shares).toBeCloseTo(1, 9);
    expect(sizes).toBeCloseTo(s.cacheMB, 6);
    // one partition holds its share of the 48 MiB loop (the cliff top), the other next to nothing
    const top = s.partitions!.find((p) => p.cacheMB > 1)!;
    expect(top.cacheMB / top.accessShare).toBeGreaterThanOrEqual(48 * (1 - 1e-6));
  });

  it('an app registered as not partitionable, or a service with convexify off, gets no split', async () => {
    const swap = await round(false);
    expect(swap.bundles.find((b) => b.app === 'scan')!.partitions).toBeUndefined();
    const off = await round(undefined, false);
    for (const b of off.bundles) expect(b.partitions).toBeUndefined();
  });
});
