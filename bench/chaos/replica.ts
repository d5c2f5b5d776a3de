// Probe: a region mirrored on two memory nodes, filled with known bytes (most of them living remotely, the
// cache being an eighth of the region), then one memory node SIGKILLed and every byte read back and checked.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegion } from '../../native/index.ts';
import { startMemnode } from './procs.ts';

const MiB = 1 << 20;

export interface ReplicaFigures { regionMiB: number; bytesVerified: number; mismatchedPages: number; replicaLostEvents: number; failed: boolean }

/** Deterministic page contents: the page number and the seed mixed (xorshift), so any misplaced page shows. */
function fill(view: Uint32Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < view.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    view[i] = x;
  }
}

export async function replicaKill(o: { regionMiB: number }): Promise<ReplicaFigures> {
  const token = randomBytes(16).toString('hex');
  const a = await startMemnode([token], ['--capacity-mb', String(2 * o.regionMiB)]);
  const b = await startMemnode([token], ['--capacity-mb', String(2 * o.regionMiB)]);
  const dir = mkdtempSync(join(tmpdir(), 'spirit-chaos-replica-'));
  try {
    const region = await openRegion({
      memnodes: [a.address, b.address], sizeBytes: o.regionMiB * MiB, cacheBytes: (o.regionMiB / 8) * MiB, bandwidthMbps: 20_000,
      token, controlDir: dir, timeoutMs: 1000, sampleRate: 0,
    });
    let lostEvents = 0;
    region.on('replica_lost', () => { lostEvents++; });
    const mem = new Uint32Array(region.buffer);
    const want = new Uint32Array(mem.length);
    fill(want, 0x5eed);
    mem.set(want);
    await region.flush();
    await a.kill();  // the primary (it serves the reads) dies
    let mismatched = 0;
    const wordsPerPage = 1024;
    for (let p = 0; p < mem.length / wordsPerPage; p++) {
      for (let w = p * wordsPerPage; w < (p + 1) * wordsPerPage; w++) {
        if (mem[w] !== want[w]) { mismatched++; break; }
      }
    }
    const failed = region.failure !== null;
    const bytesVerified = mem.length * 4;  // before close() detaches the buffer
    await region.close();
    return { regionMiB: o.regionMiB, bytesVerified, mismatchedPages: mismatched, replicaLostEvents: lostEvents, failed };
  } finally {
    await a.stop();
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
