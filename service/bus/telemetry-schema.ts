// Validation of telemetry records arriving from the bus (service/telemetry/record.ts is the type). A record
// that fails is not used: it is counted and dead-lettered with the list of bad fields, never a crash.
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { formatPath } from '../scenario/path.ts';
import { MAX_RECORD_PARTITIONS, RECORD_SHARE_SUM_TOLERANCE, type TelemetryRecord } from '../telemetry/record.ts';
import { MAX_MISS_STALL_NS, MIN_MISS_STALL_NS } from '../estimator/limits.ts';
import { BUS_ID_PATTERN, MAX_BUS_ID_LENGTH, MAX_TELEMETRY_RECORD_BYTES } from './limits.ts';

/** Points of a daemon-computed miss-ratio curve (same bound as the scenario format, service/limits.ts). */
const MAX_RECORD_MRC_POINTS = 10_000;
/** Sampled page ids in one record (the estimator's own bound, service/estimator/limits.ts MAX_RECORD_PAGES). */
const MAX_RECORD_SAMPLED_PAGES = 1 << 20;
/** Details listed per bad record: enough to see the pattern. */
const MAX_DETAILS = 20;

const id = z.string().min(1).max(MAX_BUS_ID_LENGTH).regex(BUS_ID_PATTERN, 'letters, digits and . _ : - only');
const nonNeg = z.number().finite().min(0);

export const telemetryRecordSchema = z.strictObject({
  app: id,
  node: id,
  timeMs: nonNeg,
  cacheMB: nonNeg,
  bandwidthMbps: nonNeg,
  throughputOpsPerSec: nonNeg,
  missRatio: z.number().min(0).max(1),
  pageTrafficBytesPerSec: nonNeg,
  residentBytes: nonNeg,
  mrc: z.array(z.tuple([nonNeg, z.number().min(0).max(1)])).min(2).max(MAX_RECORD_MRC_POINTS).optional(),
  sampledPages: z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).max(MAX_RECORD_SAMPLED_PAGES).optional(),
  sampleRate: z.number().gt(0).max(1).optional(),
  accessesSampled: nonNeg.optional(),
  missStallNs: z.number().min(MIN_MISS_STALL_NS).max(MAX_MISS_STALL_NS).optional(),
  missTokenWaitNs: z.number().min(0).max(MAX_MISS_STALL_NS).optional(),
  partitions: z.array(z.strictObject({ accessShare: z.number().min(0).max(1), cacheMB: nonNeg }))
    .min(1).max(MAX_RECORD_PARTITIONS)
    .refine((ps) => Math.abs(ps.reduce((s, p) => s + p.accessShare, 0) - 1) <= RECORD_SHARE_SUM_TOLERANCE, 'the partitions\' accessShare must sum to 1')
    .optional(),
});

/** Validates an already parsed record; throws InputError listing every bad field. */
export function validateTelemetryRecord(value: unknown, where = 'record'): TelemetryRecord {
  const r = telemetryRecordSchema.safeParse(value);
  if (!r.success) {
    const details = r.error.issues.slice(0, MAX_DETAILS).map((i) => ({ where: `${where}.${formatPath(i.path)}`, problem: i.message }));
    throw new InputError(details[0].where, details[0].problem, details);
  }
  return r.data as TelemetryRecord;
}

const REQUIRED_NUMBERS = ['timeMs', 'cacheMB', 'bandwidthMbps', 'throughputOpsPerSec', 'pageTrafficBytesPerSec', 'residentBytes'] as const;
const KNOWN = new Set(Object.keys(telemetryRecordSchema.shape));

const isId = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= MAX_BUS_ID_LENGTH && BUS_ID_PATTERN.test(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const inRange = (v: unknown, lo: number, hi: number): boolean => isNum(v) && v >= lo && v <= hi;

/**
 * True exactly when the schema above accepts `v` (tested against it on random records): the hot path of
 * ingest (a replica checks every record of every node, ~16k/s at 2000 nodes) without zod's per-record cost,
 * about ten times JSON.parse's for a record with a curve. A record it refuses goes through zod for the
 * details of what is wrong.
 */
export function isValidTelemetryRecord(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  for (const k in r) if (!KNOWN.has(k)) return false;
  if (!isId(r.app) || !isId(r.node)) return false;
  for (const k of REQUIRED_NUMBERS) if (!inRange(r[k], 0, Infinity)) return false;
  if (!inRange(r.missRatio, 0, 1)) return false;
  if (r.mrc !== undefined) {
    const m = r.mrc;
    if (!Array.isArray(m) || m.length < 2 || m.length > MAX_RECORD_MRC_POINTS) return false;
    for (const p of m) if (!Array.isArray(p) || p.length !== 2 || !inRange(p[0], 0, Infinity) || !inRange(p[1], 0, 1)) return false;
  }
  if (r.sampledPages !== undefined) {
    const pages = r.sampledPages;
    if (!Array.isArray(pages) || pages.length > MAX_RECORD_SAMPLED_PAGES) return false;
    for (const p of pages) if (!Number.isSafeInteger(p) || (p as number) < 0) return false;
  }
  if (r.sampleRate !== undefined && !(isNum(r.sampleRate) && r.sampleRate > 0 && r.sampleRate <= 1)) return false;
  if (r.accessesSampled !== undefined && !inRange(r.accessesSampled, 0, Infinity)) return false;
  if (r.missStallNs !== undefined && !inRange(r.missStallNs, MIN_MISS_STALL_NS, MAX_MISS_STALL_NS)) return false;
  if (r.missTokenWaitNs !== undefined && !inRange(r.missTokenWaitNs, 0, MAX_MISS_STALL_NS)) return false;
  if (r.partitions !== undefined && !validPartitions(r.partitions)) return false;
  return true;
}

function validPartitions(ps: unknown): boolean {
  if (!Array.isArray(ps) || ps.length < 1 || ps.length > MAX_RECORD_PARTITIONS) return false;
  let sum = 0;
  for (const p of ps) {
    if (p === null || typeof p !== 'object' || Array.isArray(p)) return false;
    const q = p as Record<string, unknown>;
    for (const k in q) if (k !== 'accessShare' && k !== 'cacheMB') return false;
    if (!inRange(q.accessShare, 0, 1) || !inRange(q.cacheMB, 0, Infinity)) return false;
    sum += q.accessShare as number;
  }
  return Math.abs(sum - 1) <= RECORD_SHARE_SUM_TOLERANCE;
}

/** Parses and validates one record's JSON text as it came off a stream. */
export function parseTelemetryRecord(text: string, where = 'record'): TelemetryRecord {
  if (text.length > MAX_TELEMETRY_RECORD_BYTES) {
    throw new InputError(where, `is ${text.length} bytes; the limit is ${MAX_TELEMETRY_RECORD_BYTES}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(where, `not valid JSON (${(err as Error).message})`);
  }
  // a fresh object from JSON.parse: returned as is when valid (zod would return a copy of it)
  return isValidTelemetryRecord(json) ? (json as TelemetryRecord) : validateTelemetryRecord(json, where);
}
