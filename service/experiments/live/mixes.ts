// The mixes of `spirit experiment live`: which workloads share which node. Sized for a 2-core machine that
// others use too: small regions (every miss is a real page fetch from the memory node), a cache well below
// the sum of the working sets and a link tight enough that every app waits on far memory under every policy
// (so the apps are memory-bound, not CPU-bound, and what the allocation gives them is what they get).
import type { Capacity } from '../../scenario/types.ts';
import type { PhaseChange } from '../../node/ipc.ts';

export const MIXES = ['paper', 'dynamic', 'many'] as const;
export type MixName = (typeof MIXES)[number];

/** A phase change; the runner makes them one phase length apart, after a first settled phase. */
export interface PhaseStep {
  app: string;
  change: PhaseChange;
  what: string;
}

export interface Mix {
  name: MixName;
  what: string;
  capacity: Capacity;
  /** `--workload` specs (service/node/workload-spec.ts) */
  workloads: string[];
  /** phase changes (dynamic only) */
  phases?: PhaseStep[];
}

/**
 * The paper's mix, scaled: three scans of different sizes (cliffs at 6, 10 and 14 MiB), a key-value store
 * (Zipf 0.99), an embedding table (Zipf 0.8) and a microservice with a small hot set, on a 32 MiB, 480 Mbps
 * node (equal share: 5.3 MiB and 80 Mbps each; 76 MiB of regions in all).
 */
const PAPER: Mix = {
  name: 'paper',
  what: 'three scans (cliffs), a key-value store, an embedding table and a microservice on one node',
  capacity: { cacheMB: 32, bandwidthMbps: 480 },
  workloads: [
    'stream:id=scan-s,size-mb=6,seed=11',
    'stream:id=scan-m,size-mb=10,seed=12',
    'stream:id=scan-l,size-mb=14,seed=13',
    'kv:id=kv,size-mb=16,seed=14',
    'embedding:id=embed,size-mb=16,seed=15',
    'micro:id=micro,size-mb=14,seed=16,hot-fraction=0.1',
  ],
};

/** The microservice's three phases: its hot set, the hot set doubled, then a scan of its whole region. */
const MICRO_PARAMS = { 'hot-prob': 0.95, 'pages-per-request': 4, 'write-ratio': 0.1 };

/** Four apps; one of them (`shifty`) changes phase twice: its working set doubles, then it scans. */
const DYNAMIC: Mix = {
  name: 'dynamic',
  what: 'four apps; one doubles its working set, then turns into a scan',
  capacity: { cacheMB: 24, bandwidthMbps: 320 },
  workloads: [
    'micro:id=shifty,size-mb=12,seed=21,hot-fraction=0.2',
    'kv:id=kv,size-mb=12,seed=22',
    'embedding:id=embed,size-mb=12,seed=23',
    'stream:id=scan,size-mb=8,seed=24',
  ],
  phases: [
    { app: 'shifty', change: { archetype: 'micro', params: { ...MICRO_PARAMS, 'hot-fraction': 0.4 } }, what: 'working set doubles (hot set 20% -> 40% of 12 MiB)' },
    { app: 'shifty', change: { archetype: 'stream', params: { 'write-ratio': 0 } }, what: 'a scan of its 12 MiB starts' },
  ],
};

/** Sixteen small apps of every archetype (the loop at a larger count). */
const MANY: Mix = {
  name: 'many',
  what: 'sixteen small apps of every archetype on one node',
  capacity: { cacheMB: 24, bandwidthMbps: 640 },
  workloads: Array.from({ length: 16 }, (_, i) => {
    const kinds = ['stream', 'kv', 'embedding', 'micro'] as const;
    const kind = kinds[i % 4];
    const sizeMB = 2 + (i % 3);
    const extra = kind === 'micro' ? ',hot-fraction=0.15' : '';
    return `${kind}:id=${kind}-${Math.floor(i / 4) + 1},size-mb=${sizeMB},seed=${31 + i}${extra}`;
  }),
};

export const MIX_DEFS: Record<MixName, Mix> = { paper: PAPER, dynamic: DYNAMIC, many: MANY };
