// The daemon side of the bus: what a node daemon (`spirit node`) uses to send telemetry and follow its node's
// allocation. watchAllocation delivers only increasing epochs, so a daemon never applies an older allocation
// after a newer one, whatever order announcements and re-reads arrive in.
import { assert } from '../errors.ts';
import type { TelemetryRecord } from '../telemetry/record.ts';
import { checkBusId } from './keys.ts';
import { WATCH_POLL_MS } from './limits.ts';
import { validateTelemetryRecord } from './telemetry-schema.ts';
import type { AllocationDoc, Bus } from './types.ts';

export interface NodeClient {
  /** Validates and appends records (throws InputError naming the bad field of the first bad record). */
  appendTelemetry(records: TelemetryRecord | TelemetryRecord[]): Promise<void>;
  /** Calls `onAllocation` with the node's current allocation and every newer one (epochs strictly increase).
   *  Returns a function that stops watching. */
  watchAllocation(node: string, onAllocation: (doc: AllocationDoc) => void, opts?: { pollMs?: number }): Promise<() => Promise<void>>;
}

/** Follows one node's allocation from announcements plus a periodic re-read (announcements can be missed
 *  while a connection is down); only strictly newer epochs get through. */
export class EpochGate {
  private lastEpoch = 0;
  constructor(private readonly onAllocation: (doc: AllocationDoc) => void) {}

  offer(doc: AllocationDoc | null): boolean {
    if (!doc || !(doc.epoch > this.lastEpoch)) return false;
    this.lastEpoch = doc.epoch;
    this.onAllocation(doc);
    return true;
  }

  get epoch(): number { return this.lastEpoch; }
}

export function busNodeClient(bus: Bus): NodeClient {
  return {
    async appendTelemetry(records) {
      const list = Array.isArray(records) ? records : [records];
      const byNode = new Map<string, string[]>();
      list.forEach((r, i) => {
        const rec = validateTelemetryRecord(r, `records[${i}]`);
        let texts = byNode.get(rec.node);
        if (!texts) byNode.set(rec.node, (texts = []));
        texts.push(JSON.stringify(rec));
      });
      for (const [node, texts] of byNode) await bus.appendTelemetry(node, texts);
    },

    async watchAllocation(node, onAllocation, opts = {}) {
      checkBusId(node, 'node');
      const pollMs = opts.pollMs ?? WATCH_POLL_MS;
      assert(pollMs > 0, 'watchAllocation: pollMs must be positive');
      const gate = new EpochGate(onAllocation);
      const unsubscribe = await bus.subscribeAllocations((doc) => gate.offer(doc), node);
      let stopped = false;
      const reread = async (): Promise<void> => {
        try {
          if (!stopped) gate.offer(await bus.getAllocation(node));
        } catch {
          // the bus is down: the next poll tries again
        }
      };
      await reread();
      const timer = setInterval(() => void reread(), pollMs);
      timer.unref();
      return async () => {
        stopped = true;
        clearInterval(timer);
        await unsubscribe();
      };
    },
  };
}
