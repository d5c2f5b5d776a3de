// Validation of telemetry records arriving from the bus (service/telemetry/record.ts is the type). A record
// that fails is not used: it is counted and dead-lettered with the list of bad fields, never a crash.
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { formatPath } from '../scenario/path.ts';
import type { TelemetryRecord } from '../telemetry/record.ts';
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
  return validateTelemetryRecord(json, where);
}
