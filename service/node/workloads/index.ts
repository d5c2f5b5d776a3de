// The workload archetypes by name (DESIGN.md's application mix): streaming scan, skewed key-value store,
// embedding lookups, microservice.
import { embedding } from './embedding.ts';
import { kv } from './kv.ts';
import { micro } from './micro.ts';
import { stream } from './stream.ts';
import type { Archetype, ArchetypeDef } from './types.ts';

export const ARCHETYPE_DEFS: Record<Archetype, ArchetypeDef> = { stream, kv, embedding, micro };
export { ARCHETYPES, newCounters, type Archetype, type ArchetypeDef, type WorkCounters, type Workload } from './types.ts';
