// Argument checks for the native facade. Each throws InputError(where, problem) with a full sentence that
// says what was expected and what was given.
import { InputError } from '../../service/errors.ts';

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
};

export function requireObject(where: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(where, `must be an object; got ${show(v)}`);
  return v as Record<string, unknown>;
}

/** A finite number within [min, max] (and an integer when asked). */
export function requireNumber(where: string, v: unknown, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(where, `must be a finite number; got ${show(v)}`);
  if (integer && !Number.isInteger(v)) throw new InputError(where, `must be an integer; got ${v}`);
  if (v < min || v > max) throw new InputError(where, `must be between ${min} and ${max}; got ${v}`);
  return v;
}

export function optionalNumber(where: string, v: unknown, min: number, max: number, fallback: number, integer = false): number {
  return v === undefined ? fallback : requireNumber(where, v, min, max, integer);
}

export function requireMultiple(where: string, v: number, of: number, what: string): number {
  if (v % of !== 0) throw new InputError(where, `must be a multiple of ${of} (${what}); got ${v}`);
  return v;
}

export function requireString(where: string, v: unknown, minLen: number, maxLen: number): string {
  if (typeof v !== 'string') throw new InputError(where, `must be a string; got ${show(v)}`);
  const bytes = Buffer.byteLength(v, 'utf8');
  if (bytes < minLen || bytes > maxLen) throw new InputError(where, `must be ${minLen}..${maxLen} bytes long; got ${bytes}`);
  return v;
}

/** "host:port" with a port in 1..65535 (IPv6 hosts in brackets). */
export function requireAddress(where: string, v: unknown): string {
  if (typeof v !== 'string') throw new InputError(where, `must be a "host:port" string; got ${show(v)}`);
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  if (!m) throw new InputError(where, `must look like "host:port" (e.g. "127.0.0.1:7070"); got ${show(v)}`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new InputError(where, `port must be in 1..65535; got ${port}`);
  return v;
}
