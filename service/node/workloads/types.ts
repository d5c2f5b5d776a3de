// What every workload archetype provides: a seeded access pattern over an ordinary ArrayBuffer (in the
// workload process, a far-memory region's buffer), and the counters it reports to the node daemon.

export const ARCHETYPES = ['stream', 'kv', 'embedding', 'micro'] as const;
export type Archetype = (typeof ARCHETYPES)[number];

export interface WorkCounters {
  /** operations of the archetype (a page scanned, a get/put, a lookup of a batch, a request) */
  ops: number;
  /** page accesses those operations made (what the model's throughput and miss ratio count) */
  accesses: number;
  /** data read back that was not the data written (must stay 0: far memory returns what was stored) */
  errors: number;
  /** a value folded from everything read, so the reads cannot be optimized away */
  checksum: number;
}

export interface Workload {
  readonly archetype: Archetype;
  readonly pages: number;
  /** page accesses one operation makes (so callers can size their batches in accesses) */
  readonly accessesPerOp: number;
  /** Writes the next `maxPages` pages of seeded data (so every page lives on the memory node); true once
   *  the whole region is written. */
  init(maxPages: number): boolean;
  /** Runs `ops` operations, adding to the counters. */
  run(ops: number, c: WorkCounters): void;
}

/** One numeric parameter of an archetype, as `--workload` accepts it. */
export interface ParamDef {
  default: number;
  min: number;
  max: number;
  integer?: boolean;
  /** must be a power of two (sizes that have to tile a page) */
  powerOfTwo?: boolean;
  what: string;
}

export interface ArchetypeDef {
  name: Archetype;
  what: string;
  /** region size when none is given, MiB */
  sizeMBDefault: number;
  params: Record<string, ParamDef>;
  create(buffer: ArrayBuffer, params: Record<string, number>, seed: number): Workload;
}

export const newCounters = (): WorkCounters => ({ ops: 0, accesses: 0, errors: 0, checksum: 0 });

export const PAGE_BYTES = 4096;
const F64_PER_PAGE = PAGE_BYTES / 8;
export { F64_PER_PAGE };

/** A 32-bit tag of an integer (the value a page or key is stamped with, checked on every read). */
export function tagOf(k: number): number {
  let h = Math.imul((k ^ 0x5bd1e995) >>> 0, 0x27d4eb2d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x165667b1);
  return (h ^ (h >>> 13)) >>> 0;
}
