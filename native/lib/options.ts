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
  /** directory of the shared-memory control block; default /dev/shm (or SPIRIT_CONTROL_DIR) */
  controlDir?: string;
  /** free text stored in the control block (e.g. the app id) so a daemon can tell regions apart */
  label?: string;
}

export interface RegionLimits {
  cacheBytes?: number;
  bandwidthMbps?: number;
  sampleRate?: number;
  samplePeriodMs?: number;
}

export const SAMPLE_RATE_DEFAULT = 0.01;
const LIMIT_KEYS = ['cacheBytes', 'bandwidthMbps', 'sampleRate', 'samplePeriodMs'];
const OPTION_KEYS = [...LIMIT_KEYS, 'memnode', 'memnodes', 'sizeBytes', 'token', 'timeoutMs', 'connectTimeoutMs', 'retries', 'controlDir', 'label'];

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
  const limits = validateLimits({ cacheBytes: o.cacheBytes, bandwidthMbps: o.bandwidthMbps, sampleRate: o.sampleRate, samplePeriodMs: o.samplePeriodMs }, where);
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
    controlDir,
    label,
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
  return out;
}

/** Limits as the addon's positional arguments (-1: unchanged). */
export function limitArgs(l: RegionLimits): [number, number, number, number] {
  return [l.cacheBytes ?? -1, l.bandwidthMbps ?? -1, l.sampleRate === undefined ? -1 : ppmFromFraction(l.sampleRate), l.samplePeriodMs ?? -1];
}
