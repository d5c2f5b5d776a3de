// `--workload SPEC`: which archetype a workload process runs, how big its far-memory region is, and how it is
// registered with the service. SPEC is `ARCHETYPE[:key=value,...]`, for example
//   kv:id=cache-1,size-mb=64,skew=1.1,weight=2
//   stream:size-mb=128,max-cache-mb=64
// Bad specs are InputErrors naming the flag, the spec's position and the key.
import { InputError } from '../errors.ts';
import { BUS_ID_PATTERN, MAX_BUS_ID_LENGTH } from '../bus/limits.ts';
import type { Limits } from '../scenario/types.ts';
import { bytesFromMiB } from '../units.ts';
import { REGION_MB_MAX, REGION_MB_MIN, SAMPLE_RATE_MAX, SAMPLE_RATE_MIN } from './limits.ts';
import { ARCHETYPE_DEFS, ARCHETYPES, type Archetype } from './workloads/index.ts';
import type { ParamDef } from './workloads/types.ts';

export interface WorkloadSpec {
  /** the app id registered with the service (unique among the daemon's apps) */
  id: string;
  archetype: Archetype;
  sizeMB: number;
  seed: number;
  weight: number;
  limits?: Limits;
  /** fraction of pages sampled for the miss-ratio curve; undefined = chosen from the region size */
  sampleRate?: number;
  /** false: registered as not partitionable, so the market plans it on its raw curve, never split */
  partitionable?: boolean;
  /** the archetype's parameters, defaults filled in */
  params: Record<string, number>;
}

/** Keys every archetype accepts, besides its own parameters. */
const COMMON: Record<string, ParamDef> = {
  'size-mb': { default: NaN, min: REGION_MB_MIN, max: REGION_MB_MAX, integer: true, what: 'far-memory region size, MiB' },
  seed: { default: NaN, min: 0, max: 2 ** 32 - 1, integer: true, what: 'seed of the access sequence' },
  weight: { default: 1, min: 1e-6, max: 1e6, what: 'the app\'s weight in the market' },
  'min-cache-mb': { default: NaN, min: 0, max: 16 * 1024 * 1024, what: 'the app\'s minimum cache, MiB' },
  'max-cache-mb': { default: NaN, min: 0, max: 16 * 1024 * 1024, what: 'the app\'s maximum cache, MiB' },
  'min-bandwidth-mbps': { default: NaN, min: 0, max: 400_000, what: 'the app\'s minimum bandwidth, Mbps' },
  'max-bandwidth-mbps': { default: NaN, min: 0, max: 400_000, what: 'the app\'s maximum bandwidth, Mbps' },
  'sample-rate': { default: NaN, min: SAMPLE_RATE_MIN, max: 1, what: 'fraction of pages sampled for the miss-ratio curve' },
  partitionable: { default: 1, min: 0, max: 1, integer: true, what: '0: the market never splits the app\'s pages (plans it on its raw curve)' },
};
const LIMIT_KEYS: Record<string, keyof Limits> = {
  'min-cache-mb': 'minCacheMB', 'max-cache-mb': 'maxCacheMB', 'min-bandwidth-mbps': 'minBandwidthMbps', 'max-bandwidth-mbps': 'maxBandwidthMbps',
};
/** Keys (values) a table of a kv region may hold: the permutation's products must stay exact in a double. */
const KEYS_MAX = 2 ** 26;

/** Parses one `--workload` value; `index` is its position among the flags (for messages and defaults). */
export function parseWorkloadSpec(text: string, index: number, nodeId: string): WorkloadSpec {
  const where = `--workload[${index}]`;
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const name = (colon < 0 ? trimmed : trimmed.slice(0, colon)).trim();
  if (!(ARCHETYPES as readonly string[]).includes(name)) {
    throw new InputError(where, `'${name}' is not an archetype; expected one of ${ARCHETYPES.join(', ')} (as ARCHETYPE[:key=value,...])`);
  }
  const def = ARCHETYPE_DEFS[name as Archetype];
  const given = new Map<string, string>();
  if (colon >= 0 && trimmed.slice(colon + 1).trim() !== '') {
    for (const part of trimmed.slice(colon + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new InputError(where, `'${part}' is not key=value`);
      const key = part.slice(0, eq).trim();
      if (given.has(key)) throw new InputError(`${where}.${key}`, 'is given twice');
      given.set(key, part.slice(eq + 1).trim());
    }
  }
  let id = `${nodeId}-${name}-${index}`;
  const numbers: Record<string, number> = {};
  for (const [key, value] of given) {
    if (key === 'id') {
      id = value;
      continue;
    }
    const p = COMMON[key] ?? def.params[key];
    if (!p) {
      const known = ['id', ...Object.keys(COMMON), ...Object.keys(def.params)];
      throw new InputError(`${where}.${key}`, `is not a key of a ${name} workload; expected one of ${known.join(', ')}`);
    }
    numbers[key] = parseNumber(`${where}.${key}`, value, p);
  }
  if (id.length === 0 || id.length > MAX_BUS_ID_LENGTH || !BUS_ID_PATTERN.test(id)) {
    throw new InputError(`${where}.id`, `'${id}' is not a valid app id (1..${MAX_BUS_ID_LENGTH} letters, digits and . _ : -, starting with a letter or digit)`);
  }
  const params: Record<string, number> = {};
  for (const [key, p] of Object.entries(def.params)) params[key] = numbers[key] ?? p.default;
  const sizeMB = numbers['size-mb'] ?? def.sizeMBDefault;
  checkFits(where, def.name, sizeMB, params);
  const limits: Limits = {};
  for (const [key, field] of Object.entries(LIMIT_KEYS)) if (numbers[key] !== undefined) limits[field] = numbers[key];
  return {
    id, archetype: def.name, sizeMB, seed: numbers.seed ?? index + 1, weight: numbers.weight ?? 1,
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(numbers['sample-rate'] !== undefined ? { sampleRate: numbers['sample-rate'] } : {}),
    ...(numbers.partitionable === 0 ? { partitionable: false } : {}),
    params,
  };
}

function parseNumber(where: string, value: string, p: ParamDef): number {
  const n = value === '' ? NaN : Number(value);
  if (!Number.isFinite(n)) throw new InputError(where, `'${value}' is not a number (${p.what})`);
  if (p.integer && !Number.isInteger(n)) throw new InputError(where, `must be a whole number; got ${value}`);
  if (n < p.min || n > p.max) throw new InputError(where, `must be between ${p.min} and ${p.max}; got ${n}`);
  if (p.powerOfTwo && (n & (n - 1)) !== 0) throw new InputError(where, `must be a power of two; got ${n}`);
  return n;
}

/** The archetype's layout must fit its region. */
function checkFits(where: string, archetype: Archetype, sizeMB: number, params: Record<string, number>): void {
  const bytes = bytesFromMiB(sizeMB);
  if (archetype === 'kv' && bytes / params['value-bytes'] > KEYS_MAX) {
    throw new InputError(`${where}.value-bytes`, `a ${sizeMB} MiB region of ${params['value-bytes']}-byte values holds more than ${KEYS_MAX} keys; use bigger values or a smaller region`);
  }
  if (archetype === 'embedding' && params.dim * 4 > bytes) {
    throw new InputError(`${where}.dim`, `one row of ${params.dim} floats does not fit a ${sizeMB} MiB region`);
  }
}

/** The sample rate of a region: the spec's, else one that samples about SAMPLE_PAGES_TARGET pages. */
export function sampleRateFor(spec: WorkloadSpec, pages: number, targetPages: number): number {
  if (spec.sampleRate !== undefined) return spec.sampleRate;
  return Math.min(SAMPLE_RATE_MAX, Math.max(SAMPLE_RATE_MIN, targetPages / Math.max(1, pages)));
}

/** Ids must be unique among a daemon's apps. */
export function checkUniqueIds(specs: { id: string }[], where: string): void {
  const seen = new Set<string>();
  specs.forEach((s, i) => {
    if (seen.has(s.id)) throw new InputError(`${where}[${i}].id`, `app id '${s.id}' is used twice on this node`);
    seen.add(s.id);
  });
}
