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

export type ToWorkload = { type: 'snap'; seq: number } | { type: 'stop' };

export type FromWorkload =
  | { type: 'ready'; controlPath: string; pages: number }
  | { type: 'snap'; seq: number; phase: Phase; ops: number; accesses: number; errors: number; timeMs: number }
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
