// Validation of region options and limit changes: everything is checked here, with messages that name the
// field, before the addon sees it (the addon checks again as a defence).
import { existsSync, statSync } from 'node:fs';
import { InputError } from '../../service/errors.ts';
import { ppmFromFraction } from '../../service/units.ts';
import type { NativeRegionOptions } from './binding.ts';
import { defaultControlDir, nativeLimits } from './limits.ts';
import { optionalNumber, requireAddress, requireMultiple, requireNumber, requireObject, requireString } from './validate.ts';

export interface RegionOptions {
  /** memory node address "host:port" (or use memnodes) */
  memnode?: string;
  /** memory nodes holding the region: the first serves reads; all receive writes (replication) */
  memnodes?: string[];
  /** region size: a multiple of the 4096-byte page */
  sizeBytes: number;
  /** local cache limit: resident pages never exceed it (plus the fixed write-back slack) */
  cacheBytes: number;
  /** limit on page traffic in both directions, Mbps = 10^6 bit/s */
  bandwidthMbps: number;
  /** authentication token the memory node checks; the region is bound to it */
  token: string;
  /** fraction of pages sampled for miss-ratio curves, 0 (off) .. 1; default 0.01 */
  sampleRate?: number;
  /** how often sampled pages are taken out of place again, ms; default 100 */
  samplePeriodMs?: number;
  /** a request without a reply for this long counts as a failed connection, ms; default 2000 */
  timeoutMs?: number;
  /** connect timeout per attempt, ms; default 1000 */
  connectTimeoutMs?: number;
  /** reconnect attempts before the last memory node is given up; default 3 */
  retries?: number;
  /** how long the fault thread polls instead of sleeping after a fault or a demand read, us (0: never); default 50 */
  pollUs?: number;
  /** directory of the shared-memory control block; default /dev/shm (or SPIRIT_CONTROL_DIR) */
  controlDir?: string;
  /** free text stored in the control block (e.g. the app id) so a daemon can tell regions apart */
  label?: string;
  /** a hash split of the cache from the start (see RegionLimits.partitions); default unsplit */
  partitions?: RegionPartition[];
}

/**
 * One partition of a split region (docs/dataplane.md, "Partitions"): it holds `accessShare` of the region's
 * pages, chosen by a hash of the page number, and `cacheBytes` of its cache, with its own eviction.
 */
export interface RegionPartition {
  accessShare: number;
  cacheBytes: number;
}

export interface RegionLimits {
  cacheBytes?: number;
  bandwidthMbps?: number;
  sampleRate?: number;
  samplePeriodMs?: number;
  /**
   * The hash split of the cache: one partition (unsplit) or two; shares sum to 1, sizes at most cacheBytes
   * (what they leave goes to the larger). Absent: unchanged, except that a new cacheBytes without it makes
   * the region unsplit. Without cacheBytes, the cache limit becomes the sizes' sum.
   */
  partitions?: RegionPartition[];
}

export const SAMPLE_RATE_DEFAULT = 0.01;
/** How far the partitions' shares may be from summing to 1 (they are doubles computed by a solver). */
const SHARE_SUM_TOLERANCE = 1e-9;
const LIMIT_KEYS = ['cacheBytes', 'bandwidthMbps', 'sampleRate', 'samplePeriodMs', 'partitions'];
const PARTITION_KEYS = ['accessShare', 'cacheBytes'];
const OPTION_KEYS = [...LIMIT_KEYS, 'memnode', 'memnodes', 'sizeBytes', 'token', 'timeoutMs', 'connectTimeoutMs', 'retries', 'pollUs', 'controlDir', 'label'];

// A misspelt option (cacheMB for cacheBytes) must not be silently ignored.
function rejectUnknown(where: string, o: Record<string, unknown>, known: string[]): void {
  for (const k of Object.keys(o))
    if (!known.includes(k)) throw new InputError(`${where}.${k}`, `is not a known field (expected one of ${known.join(', ')})`);
}
const LABEL_BYTES_MAX = 63;

function memnodeList(where: string, o: Record<string, unknown>): string[] {
  const L = nativeLimits();
  if (o.memnode !== undefined && o.memnodes !== undefined) throw new InputError(`${where}.memnode`, 'give either memnode or memnodes, not both');
  const list = o.memnodes !== undefined ? o.memnodes : o.memnode !== undefined ? [o.memnode] : undefined;
  if (!Array.isArray(list) || list.length === 0)
    throw new InputError(`${where}.memnodes`, 'at least one memory node address ("host:port") is required');
  if (list.length > L.replicasMax) throw new InputError(`${where}.memnodes`, `at most ${L.replicasMax} memory nodes (replicas); got ${list.length}`);
  const out = list.map((a, i) => requireAddress(`${where}.memnodes[${i}]`, a));
  if (new Set(out).size !== out.length) throw new InputError(`${where}.memnodes`, 'each replica must be a different memory node');
  return out;
}

export function validateRegionOptions(options: unknown, where = 'openRegion.options'): NativeRegionOptions {
  const L = nativeLimits();
  const o = requireObject(where, options);
  rejectUnknown(where, o, OPTION_KEYS);
  const memnodes = memnodeList(where, o);
  const sizeBytes = requireNumber(`${where}.sizeBytes`, o.sizeBytes, L.regionBytesMin, L.regionBytesMax, true);
  requireMultiple(`${where}.sizeBytes`, sizeBytes, L.pageBytes, 'the page size');
  const token = requireString(`${where}.token`, o.token, L.tokenBytesMin, L.tokenBytesMax);
  const controlDir = o.controlDir === undefined ? defaultControlDir() : requireString(`${where}.controlDir`, o.controlDir, 1, 200);
  if (!existsSync(controlDir) || !statSync(controlDir).isDirectory())
    throw new InputError(`${where}.controlDir`, `directory ${controlDir} does not exist`);
  const label = o.label === undefined ? '' : requireString(`${where}.label`, o.label, 0, LABEL_BYTES_MAX);
  const limits = validateLimits({ cacheBytes: o.cacheBytes, bandwidthMbps: o.bandwidthMbps, sampleRate: o.sampleRate, samplePeriodMs: o.samplePeriodMs,
    ...(o.partitions !== undefined ? { partitions: o.partitions } : {}) }, where);
  if (limits.cacheBytes === undefined) throw new InputError(`${where}.cacheBytes`, 'is required (bytes of local cache)');
  if (limits.bandwidthMbps === undefined) throw new InputError(`${where}.bandwidthMbps`, 'is required (Mbps)');
  return {
    memnodes,
    sizeBytes,
    cacheBytes: limits.cacheBytes,
    bandwidthMbps: limits.bandwidthMbps,
    token,
    sampleRatePpm: ppmFromFraction(limits.sampleRate ?? SAMPLE_RATE_DEFAULT),
    samplePeriodMs: limits.samplePeriodMs ?? L.samplePeriodMsDefault,
    timeoutMs: optionalNumber(`${where}.timeoutMs`, o.timeoutMs, L.requestTimeoutMsMin, L.requestTimeoutMsMax, L.requestTimeoutMsDefault, true),
    connectTimeoutMs: optionalNumber(`${where}.connectTimeoutMs`, o.connectTimeoutMs, L.requestTimeoutMsMin, L.requestTimeoutMsMax, L.connectTimeoutMsDefault, true),
    retries: optionalNumber(`${where}.retries`, o.retries, 0, L.retriesMax, L.retriesDefault, true),
    pollUs: optionalNumber(`${where}.pollUs`, o.pollUs, 0, L.pollUsMax, L.pollUsDefault, true),
    controlDir,
    label,
    ...(limits.partitions ? { partitions: limits.partitions } : {}),
  };
}

/** Checks a limit change; absent fields stay as they are. */
export function validateLimits(limits: unknown, where = 'setLimits'): RegionLimits {
  const L = nativeLimits();
  const o = requireObject(where, limits);
  const out: RegionLimits = {};
  const cacheMin = L.cachePagesMin * L.pageBytes;
  if (o.cacheBytes !== undefined) out.cacheBytes = requireNumber(`${where}.cacheBytes`, o.cacheBytes, cacheMin, L.regionBytesMax, true);
  if (o.bandwidthMbps !== undefined)
    out.bandwidthMbps = requireNumber(`${where}.bandwidthMbps`, o.bandwidthMbps, L.bandwidthMbpsMin, L.bandwidthMbpsMax);
  if (o.sampleRate !== undefined) out.sampleRate = requireNumber(`${where}.sampleRate`, o.sampleRate, 0, 1);
  if (o.samplePeriodMs !== undefined)
    out.samplePeriodMs = requireNumber(`${where}.samplePeriodMs`, o.samplePeriodMs, L.samplePeriodMsMin, L.samplePeriodMsMax, true);
  rejectUnknown(where, o, LIMIT_KEYS);
  if (o.partitions !== undefined) {
    out.partitions = validatePartitions(`${where}.partitions`, o.partitions, out.cacheBytes);
    if (out.cacheBytes === undefined) {
      const sum = out.partitions.reduce((t, q) => t + q.cacheBytes, 0);
      if (sum < cacheMin) throw new InputError(`${where}.partitions`, `without cacheBytes the cache limit is the partitions' sum, which must be at least ${cacheMin} bytes; got ${sum}`);
      out.cacheBytes = sum;
    }
  }
  return out;
}

/** One or two partitions: shares in [0, 1] summing to 1, whole-byte sizes summing to at most cacheBytes. */
function validatePartitions(where: string, v: unknown, cacheBytes: number | undefined): RegionPartition[] {
  const L = nativeLimits();
  if (!Array.isArray(v) || v.length < 1 || v.length > 2)
    throw new InputError(where, `must be an array of 1 or 2 partitions ({ accessShare, cacheBytes }); got ${Array.isArray(v) ? `${v.length} entries` : typeof v}`);
  const parts = v.map((x, i) => {
    const o = requireObject(`${where}[${i}]`, x);
    rejectUnknown(`${where}[${i}]`, o, PARTITION_KEYS);
    return {
      accessShare: requireNumber(`${where}[${i}].accessShare`, o.accessShare, 0, 1),
      cacheBytes: requireNumber(`${where}[${i}].cacheBytes`, o.cacheBytes, 0, L.regionBytesMax, true),
    };
  });
  const shares = parts.reduce((t, q) => t + q.accessShare, 0);
  if (Math.abs(shares - 1) > SHARE_SUM_TOLERANCE) throw new InputError(where, `the partitions' accessShare must sum to 1; got ${shares}`);
  const bytes = parts.reduce((t, q) => t + q.cacheBytes, 0);
  if (cacheBytes !== undefined && bytes > cacheBytes)
    throw new InputError(where, `the partitions' cacheBytes sum to ${bytes}, more than cacheBytes (${cacheBytes})`);
  return parts;
}

/** Limits as the addon's positional arguments (-1: unchanged). A split with an empty share is unsplit. */
export function limitArgs(l: RegionLimits): [number, number, number, number, number, number, number, number] {
  const p = l.partitions;
  const split = p !== undefined && p.length === 2 && p[0].accessShare > 0 && p[1].accessShare > 0;
  const count = p === undefined ? -1 : split ? 2 : 1;
  return [l.cacheBytes ?? -1, l.bandwidthMbps ?? -1, l.sampleRate === undefined ? -1 : ppmFromFraction(l.sampleRate), l.samplePeriodMs ?? -1,
    count, split ? p[0].accessShare : -1, split ? p[0].cacheBytes : -1, split ? p[1].cacheBytes : -1];
}
