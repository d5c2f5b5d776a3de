// The scenario's shape checked by hand: exactly what schema.ts's zod schema accepts, without zod's cost on
// the path every solve takes (a fresh 6-app scenario: zod was a fifth of an uncached POST /v1/solve). It
// returns the same deep copy zod returns (known keys only, in the schema's order; a bundle's unknown keys
// dropped, as z.object does), or null when anything is off, and then the caller runs zod for its messages.
// tests/market/validate.test.ts checks that the two agree on thousands of valid and broken scenarios.
import { MAX_APPS, MAX_ID_LENGTH, MAX_MRC_POINTS, MAX_SURFACE_AXIS } from '../limits.ts';
import type { AppSpec, Bundle, Limits, Model, Scenario } from './types.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** z.number(): a finite number (zod 4 refuses infinities). */
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const nonNeg = (v: unknown): v is number => isNum(v) && v >= 0;
const positive = (v: unknown): v is number => isNum(v) && v > 0;

/** Only keys of `allowed` (a strict object). */
function onlyKeys(o: Obj, allowed: readonly string[]): boolean {
  for (const k in o) if (!allowed.includes(k)) return false;
  return true;
}

const LIMIT_KEYS = ['minCacheMB', 'maxCacheMB', 'minBandwidthMbps', 'maxBandwidthMbps'] as const;

function limitsOf(v: unknown): Limits | null {
  if (!isObj(v) || !onlyKeys(v, LIMIT_KEYS)) return null;
  const out: Limits = {};
  for (const k of LIMIT_KEYS) {
    if (v[k] === undefined) continue;
    if (!nonNeg(v[k])) return null;
    out[k] = v[k];
  }
  return out;
}

function bundleOf(v: unknown): Bundle | null {
  if (!isObj(v) || !nonNeg(v.cacheMB) || !nonNeg(v.bandwidthMbps)) return null;
  return { cacheMB: v.cacheMB, bandwidthMbps: v.bandwidthMbps };
}

function modelOf(v: unknown): Model | null {
  if (!isObj(v)) return null;
  if (v.type === 'mrc') {
    if (!onlyKeys(v, ['type', 'mrc', 'pageBytes', 'localNs', 'remoteNs'])) return null;
    const pts = v.mrc;
    if (!Array.isArray(pts) || pts.length < 2 || pts.length > MAX_MRC_POINTS) return null;
    const mrc: [number, number][] = new Array(pts.length);
    for (let k = 0; k < pts.length; k++) {
      const p = pts[k];
      if (!Array.isArray(p) || p.length !== 2 || !nonNeg(p[0]) || !nonNeg(p[1]) || p[1] > 1) return null;
      mrc[k] = [p[0], p[1]];
    }
    if (!positive(v.pageBytes) || !positive(v.localNs) || !nonNeg(v.remoteNs)) return null;
    return { type: 'mrc', mrc, pageBytes: v.pageBytes, localNs: v.localNs, remoteNs: v.remoteNs };
  }
  if (v.type === 'surface') {
    if (!onlyKeys(v, ['type', 'cacheMB', 'bandwidthMbps', 'throughput'])) return null;
    // (an index loop, not every(): every() skips an array's holes, which zod checks as undefined)
    const axis = (a: unknown, min: number): number[] | null => {
      if (!Array.isArray(a) || a.length < min || a.length > MAX_SURFACE_AXIS) return null;
      for (let k = 0; k < a.length; k++) if (!nonNeg(a[k])) return null;
      return a.slice();
    };
    const cacheMB = axis(v.cacheMB, 2);
    const bandwidthMbps = axis(v.bandwidthMbps, 2);
    if (!cacheMB || !bandwidthMbps) return null;
    const rows = v.throughput;
    if (!Array.isArray(rows) || rows.length > MAX_SURFACE_AXIS) return null;
    const throughput: number[][] = [];
    for (const r of rows) {
      const row = axis(r, 0);
      if (!row) return null;
      throughput.push(row);
    }
    return { type: 'surface', cacheMB, bandwidthMbps, throughput };
  }
  return null;
}

const APP_KEYS = ['id', 'weight', 'limits', 'current', 'model', 'partitionable'] as const;

function appOf(v: unknown): AppSpec | null {
  if (!isObj(v) || !onlyKeys(v, APP_KEYS)) return null;
  if (typeof v.id !== 'string' || v.id.length < 1 || v.id.length > MAX_ID_LENGTH) return null;
  const app: AppSpec = { id: v.id } as AppSpec;
  if (v.weight !== undefined) { if (!positive(v.weight)) return null; app.weight = v.weight; }
  if (v.limits !== undefined) { const l = limitsOf(v.limits); if (!l) return null; app.limits = l; }
  if (v.current !== undefined) { const b = bundleOf(v.current); if (!b) return null; app.current = b; }
  const model = modelOf(v.model);
  if (!model) return null;
  app.model = model;
  if (v.partitionable !== undefined) { if (typeof v.partitionable !== 'boolean') return null; app.partitionable = v.partitionable; }
  return app;
}

/** The scenario as zod's scenarioSchema would return it, or null if zod would refuse it. */
export function scenarioShape(v: unknown): Scenario | null {
  if (!isObj(v) || !onlyKeys(v, ['name', 'capacity', 'apps'])) return null;
  const out = {} as Scenario;
  if (v.name !== undefined) { if (typeof v.name !== 'string') return null; out.name = v.name; }
  const cap = v.capacity;
  if (!isObj(cap) || !onlyKeys(cap, ['cacheMB', 'bandwidthMbps']) || !positive(cap.cacheMB) || !positive(cap.bandwidthMbps)) return null;
  out.capacity = { cacheMB: cap.cacheMB, bandwidthMbps: cap.bandwidthMbps };
  const apps = v.apps;
  if (!Array.isArray(apps) || apps.length < 1 || apps.length > MAX_APPS) return null;
  out.apps = new Array(apps.length);
  for (let i = 0; i < apps.length; i++) {
    const a = appOf(apps[i]);
    if (!a) return null;
    out.apps[i] = a;
  }
  return out;
}
