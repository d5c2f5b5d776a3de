// Messages between the node daemon and its workload processes (Node IPC channel, JSON). The daemon asks for
// a snapshot of the counters; the workload answers at once (it yields to its event loop every few ms), and
// the daemon reads the region's control block as the answer arrives, so both sides of a telemetry window
// are taken at the same moment.
import type { Archetype } from './workloads/index.ts';

/** What the daemon hands a workload process (as JSON in argv[2]). */
export interface WorkloadConfig {
  id: string;
  archetype: Archetype;
  params: Record<string, number>;
  seed: number;
  sizeBytes: number;
  cacheBytes: number;
  bandwidthMbps: number;
  memnodes: string[];
  token: string;
  sampleRate: number;
  controlDir: string;
}

export type Phase = 'init' | 'run';

/** A phase change (`spirit experiment live --mix dynamic`): the workload reloads its region with the given
 *  archetype's data and runs that access pattern from then on. */
export type PhaseChange = { archetype: Archetype; params: Record<string, number> };

export type ToWorkload = { type: 'snap'; seq: number } | { type: 'stop' } | ({ type: 'phase' } & PhaseChange);

/** Operation latency histogram buckets: bucket 0 counts operations under 1 us, bucket k (k >= 1) those from
 *  2^(k-1) to 2^k us; the last one everything longer (2^22 us is about 4 s). */
export const OP_LATENCY_BUCKETS = 24;

/** The histogram bucket of an operation that took `us` microseconds. */
export function opLatencyBucket(us: number): number {
  if (!(us >= 1)) return 0;
  return Math.min(OP_LATENCY_BUCKETS - 1, 1 + Math.floor(Math.log2(us)));
}

/** The q-quantile of a latency histogram, us (the upper edge of the bucket it falls in); 0 when empty. */
export function opLatencyQuantileUs(counts: readonly number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let seen = 0;
  for (let k = 0; k < counts.length; k++) {
    seen += counts[k];
    if (seen >= q * total) return 2 ** k;
  }
  return 2 ** (counts.length - 1);
}

export type FromWorkload =
  | { type: 'ready'; controlPath: string; pages: number }
  | { type: 'snap'; seq: number; phase: Phase; ops: number; accesses: number; errors: number; timeMs: number;
      /** cumulative since the process started: latencies of sampled single operations (OP_LATENCY_BUCKETS) */
      opLatencyCounts?: number[] }
  | { type: 'fatal'; reason: string; message: string };

/** Exit codes of a workload process. */
export const WORKLOAD_EXIT = {
  ok: 0,
  /** the region could not be set up (reason in the fatal message) */
  setup: 3,
  /** the region failed while running (memory node lost) */
  regionFailed: 4,
  /** the config it was given is bad: a bug in the daemon */
  badConfig: 5,
} as const;

/** Setup failures that no restart can fix (the daemon gives the workload up instead of retrying). */
export const PERMANENT_REASONS = new Set(['uffd', 'token_rejected', 'bad_argument', 'bad_config', 'limit']);

export function isFromWorkload(m: unknown): m is FromWorkload {
  if (m === null || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  return t === 'ready' || t === 'snap' || t === 'fatal';
}
