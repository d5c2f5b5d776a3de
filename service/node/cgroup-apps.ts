// Kernel-swap mode: apps that page through the kernel's swap device (as the paper's deployment does) rather
// than through far-memory regions. Each is a cgroup; an allocation's cache becomes the group's memory limit
// and its bandwidth the swap device's throttle (native CgroupEnforcer). These apps send no telemetry (the
// daemon cannot count their operations), so the service allocates them from a declared model or the equal
// share.
import type { Logger } from 'pino';
import { CgroupEnforcer } from '../../native/index.ts';
import { InputError } from '../errors.ts';
import { BUS_ID_PATTERN, MAX_BUS_ID_LENGTH } from '../bus/limits.ts';
import { bytesFromMiB } from '../units.ts';

export interface CgroupAppSpec {
  id: string;
  /** the group, relative to the cgroup root (e.g. "spirit/db") */
  group: string;
  weight: number;
}

/** `--cgroup-app ID=GROUP[:WEIGHT]`, e.g. `db=spirit/db:2`. */
export function parseCgroupApp(text: string, index: number): CgroupAppSpec {
  const where = `--cgroup-app[${index}]`;
  const m = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(text.trim());
  if (!m) throw new InputError(where, `'${text}' is not ID=GROUP[:WEIGHT] (e.g. db=spirit/db:2)`);
  const [, id, group, w] = m;
  if (id.length > MAX_BUS_ID_LENGTH || !BUS_ID_PATTERN.test(id)) throw new InputError(`${where}.id`, `'${id}' is not a valid app id (letters, digits and . _ : -)`);
  if (group.startsWith('/') || group.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new InputError(`${where}.group`, `'${group}' must be a path relative to the cgroup root, without '.', '..' or empty parts`);
  }
  const weight = w === undefined ? 1 : Number(w);
  if (!(Number.isFinite(weight) && weight > 0)) throw new InputError(`${where}.weight`, `'${w}' is not a positive number`);
  return { id, group, weight };
}

/** One cgroup app: applies the newest allocation, one change at a time (a shrink steps and waits). */
export class CgroupApp {
  readonly enforcer: CgroupEnforcer;
  private busy = false;
  private next: { cacheMB: number; bandwidthMbps: number } | null = null;
  private warnedBandwidth = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(readonly spec: CgroupAppSpec, root: string | undefined, swapDevice: string | undefined, private readonly log: Logger) {
    this.enforcer = new CgroupEnforcer({ group: spec.group, ...(root ? { root } : {}), ...(swapDevice ? { swapDevice } : {}) });
    this.enforcer.create();
  }

  /** Queues the bundle; a newer one replaces a queued one that has not started. */
  apply(bundle: { cacheMB: number; bandwidthMbps: number }): Promise<void> {
    this.next = bundle;
    if (!this.busy) this.idle = this.drain();
    return this.idle;
  }

  /** Resolves when no change is in progress. */
  settled(): Promise<void> {
    return this.idle;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (let i = 0; i < 1000 && this.next; i++) {  // bounded: each pass takes a new bundle that arrived meanwhile
        const b = this.next;
        this.next = null;
        await this.applyOne(b);
      }
    } finally {
      this.busy = false;
    }
  }

  private async applyOne(b: { cacheMB: number; bandwidthMbps: number }): Promise<void> {
    const app = this.spec.id;
    try {
      const r = await this.enforcer.setCacheBytes(Math.max(4096, Math.floor(bytesFromMiB(b.cacheMB) / 4096) * 4096));
      if (!r.reached) this.log.warn({ app, requestedBytes: r.requestedBytes, limitBytes: r.limitBytes, usageBytes: r.usageBytes }, 'cgroup usage could not follow the cache limit down; stopped at the last level it reached');
    } catch (err) {
      this.log.error({ app, err: (err as Error).message }, 'cannot set the cgroup memory limit');
    }
    try {
      this.enforcer.setBandwidthMbps(b.bandwidthMbps);
    } catch (err) {
      if (!this.warnedBandwidth) this.log.warn({ app, err: (err as Error).message }, 'cannot throttle swap bandwidth for this group (cache limits still apply)');
      this.warnedBandwidth = true;
    }
  }
}
