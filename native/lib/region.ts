// Far-memory regions for applications: openRegion() returns a FarRegion whose `buffer` is an ordinary
// ArrayBuffer; typed-array code over it pages transparently to the memory node(s).
//
// Events (FarRegion is an EventEmitter):
//   'failed'       (err: FarMemoryError)  the region can no longer be served (memory node lost, ...). The
//                  application is never left hanging: faults complete with zero pages from then on, so the
//                  contents are untrustworthy; every later call except stats()/close() throws err.
//   'replica_lost' ({ memnode, message })  one replica was given up; reads continue from the others.
//   'reconnected'  ({ memnode, message })  a broken connection was re-established; nothing was lost.
import { EventEmitter } from 'node:events';
import { InputError } from '../../service/errors.ts';
import type { NativeRegion, RawEvent } from './binding.ts';
import { FarMemoryError, nativeBinding } from './errors.ts';
import { limitArgs, type RegionLimits, type RegionOptions, validateLimits, validateRegionOptions } from './options.ts';
import { type RegionStats, toRegionStats } from './stats.ts';
import { optionalNumber } from './validate.ts';
import { nativeLimits } from './limits.ts';

export type { RegionLimits, RegionOptions, RegionPartition } from './options.ts';

export interface SampleDrain {
  /** page indices (byte offset / 4096) of sampled accesses, oldest first */
  pages: number[];
  /** entries overwritten before they were drained (the ring is bounded) */
  lost: number;
}

export class FarRegion extends EventEmitter {
  readonly sizeBytes: number;
  readonly memnodes: readonly string[];
  readonly controlPath: string;
  #native: NativeRegion;
  #buffer: ArrayBuffer;
  #failure: FarMemoryError | null = null;
  #closed = false;
  #flushes = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #nextFlush = 1;

  /** @internal use openRegion() */
  constructor(native: NativeRegion, sizeBytes: number, memnodes: string[]) {
    super();
    this.#native = native;
    this.sizeBytes = sizeBytes;
    this.memnodes = Object.freeze([...memnodes]);
    this.controlPath = native.controlPath();
    this.#buffer = native.buffer();
  }

  /** The region's memory. Detached (byteLength 0) after close(). */
  get buffer(): ArrayBuffer {
    return this.#buffer;
  }

  /** Why the region failed, or null while it is healthy. */
  get failure(): FarMemoryError | null {
    return this.#failure;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Counters, limits in force and latency summaries. Works after a failure (not after close). */
  stats(): RegionStats {
    this.#checkOpen();
    return toRegionStats(this.#native.stats());
  }

  /** Changes limits at run time; the fault thread applies them within a few ms, without pausing the app. */
  setLimits(limits: RegionLimits): void {
    const l = validateLimits(limits, 'setLimits');
    this.#checkUsable();
    this.#native.setLimits(...limitArgs(l));
  }

  /** Takes sampled page accesses out of the control block's ring (one consumer at a time). Throws the
   *  region's failure once it failed (its samples no longer describe pages anyone holds). */
  drainSamples(max?: number): SampleDrain {
    const m = optionalNumber('drainSamples.max', max, 1, nativeLimits().sampleRingEntries, nativeLimits().sampleRingEntries, true);
    this.#checkUsable();
    const d = this.#native.drainSamples(m);
    return { pages: Array.from(d.pages), lost: d.lost };
  }

  /** Writes every dirty page back to the memory node(s); resolves when all acknowledged. */
  flush(): Promise<void> {
    try {
      this.#checkUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.#nextFlush++;
    const p = new Promise<void>((resolve, reject) => this.#flushes.set(id, { resolve, reject }));
    if (this.#flushes.size === 1) this.#native.ref();  // keep the process alive until it completes
    this.#native.flush(id);
    return p;
  }

  /** Detaches the buffer, stops paging, frees the remote copies. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
    for (const f of this.#flushes.values()) f.reject(new FarMemoryError('the region was closed before the flush completed', 'closed'));
    this.#flushes.clear();
  }

  /** @internal called on the JS thread when the fault thread queued events */
  onNativeEvents(): void {
    if (this.#closed) return;
    for (const e of this.#native.takeEvents()) this.#dispatch(e);
  }

  #dispatch(e: RawEvent): void {
    if (e.type === 'error') {
      this.#failure = new FarMemoryError(e.message, e.reason);
      if (this.listenerCount('failed') > 0) this.emit('failed', this.#failure);
    } else if (e.type === 'flushed') {
      const f = this.#flushes.get(e.id);
      if (!f) return;
      this.#flushes.delete(e.id);
      if (this.#flushes.size === 0) this.#native.unref();
      if (e.reason === 'none') f.resolve();
      else f.reject(new FarMemoryError(e.message, e.reason));
    } else {
      this.emit(e.type, { memnode: e.memnode, message: e.message });
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new FarMemoryError('the region is closed', 'closed');
  }

  #checkUsable(): void {
    this.#checkOpen();
    // the fault thread may have queued the failure a moment ago: take its events now, not at the next turn
    // of the event loop, so a call right after every replica went away throws as documented
    if (!this.#failure) this.onNativeEvents();
    if (this.#failure) throw this.#failure;
  }
}

/**
 * Opens a far-memory region on the given memory node(s). Rejects with InputError for bad options and with
 * FarMemoryError (reason 'unreachable', 'token_rejected', 'capacity', 'uffd', ...) when it cannot be set up.
 */
export async function openRegion(options: RegionOptions): Promise<FarRegion> {
  const opts = validateRegionOptions(options);
  const b = nativeBinding();
  const holder: { region?: FarRegion } = {};  // the event callback exists before the region object does
  const native = new b.NativeRegion(opts, () => holder.region?.onNativeEvents());
  try {
    await native.connect();
  } catch (err) {
    native.close();
    throw err;
  }
  if (opts.partitions) native.setLimits(...limitArgs({ cacheBytes: opts.cacheBytes, partitions: opts.partitions }));
  const region = new FarRegion(native, opts.sizeBytes, opts.memnodes);
  holder.region = region;
  region.onNativeEvents();
  return region;
}

export { FarMemoryError, InputError };
