// The node daemon's side of far-memory regions: find the control blocks on this machine, read their
// counters, set their limits and drain their sampled page accesses, all through shared memory (no round
// trip to the owning process). A block whose owner died is reported `stale` and can be removed.
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { NativeControl } from './binding.ts';
import { FarMemoryError, nativeBinding } from './errors.ts';
import { defaultControlDir, nativeLimits } from './limits.ts';
import { limitArgs, type RegionLimits, validateLimits } from './options.ts';
import type { SampleDrain } from './region.ts';
import { type RegionStats, toRegionStats } from './stats.ts';
import { optionalNumber, requireString } from './validate.ts';

export interface ControlHandle {
  readonly path: string;
  /** counters, limits and state; `stale` is true when the owner process is gone or closed the region */
  read(): RegionStats;
  /** takes effect in the owner's fault thread within loopPollMsMax ms */
  setLimits(limits: RegionLimits): void;
  drainSamples(max?: number): SampleDrain;
  close(): void;
}

export const CONTROL_FILE_PATTERN = /^spirit-\d+-\d+\.ctl$/;

export function attachControl(path: string): ControlHandle {
  requireString('attachControl.path', path, 1, 4096);
  let native: NativeControl | null = new (nativeBinding().NativeControl)(path);
  const live = (): NativeControl => {
    if (!native) throw new FarMemoryError(`control handle for ${path} is closed`, 'closed');
    return native;
  };
  return {
    path,
    read: () => toRegionStats(live().read()),
    setLimits: (limits: RegionLimits) => live().setLimits(...limitArgs(validateLimits(limits, 'control.setLimits'))),
    drainSamples: (max?: number) => {
      const L = nativeLimits();
      const m = optionalNumber('control.drainSamples.max', max, 1, L.sampleRingEntries, L.sampleRingEntries, true);
      const d = live().drainSamples(m);
      return { pages: Array.from(d.pages), lost: d.lost };
    },
    close: () => {
      native?.close();
      native = null;
    },
  };
}

export type RegionListing =
  | { path: string; ok: true; stats: RegionStats }
  | { path: string; ok: false; error: string };

/** Every control block in dir (default /dev/shm or SPIRIT_CONTROL_DIR); unreadable files are listed with why. */
export function listRegions(dir: string = defaultControlDir()): RegionListing[] {
  const names = readdirSync(dir).filter((n) => CONTROL_FILE_PATTERN.test(n)).sort().slice(0, nativeLimits().controlScanMax);
  return names.map((n) => {
    const path = join(dir, n);
    try {
      const h = attachControl(path);
      try {
        return { path, ok: true as const, stats: h.read() };
      } finally {
        h.close();
      }
    } catch (err) {
      return { path, ok: false as const, error: (err as Error).message };
    }
  });
}

/** Deletes the control blocks of regions whose owner is gone; returns their paths. */
export function removeStale(dir: string = defaultControlDir()): string[] {
  const removed: string[] = [];
  for (const r of listRegions(dir)) {
    if (r.ok && r.stats.stale) {
      unlinkSync(r.path);
      removed.push(r.path);
    }
  }
  return removed;
}
