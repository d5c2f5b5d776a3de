// The Lua scripts of redis/ (`<name>-<numKeys>.lua`), loaded once and defined as ioredis commands (EVALSHA,
// with EVAL when Redis answers NOSCRIPT, e.g. after a restart). Negative return codes map to one enum.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert } from '../errors.ts';
import type { RedisClient } from './redis-client.ts';

export const SCRIPT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'redis');

/** Negative return codes of the scripts (see each script's header). */
export enum ScriptCode {
  Stale = -1,
  NotHolder = -2,
  TooMany = -3,
}

export interface ScriptFile { name: string; numberOfKeys: number; lua: string }

/** Every script file of redis/, with its key count taken from the file name. */
export function readScripts(dir = SCRIPT_DIR): ScriptFile[] {
  return readdirSync(dir).filter((f) => f.endsWith('.lua')).sort().map((f) => {
    const m = /^([a-z-]+)-(\d+)\.lua$/.exec(f);
    assert(m, `redis/${f}: a script's file name must be <name>-<numKeys>.lua`);
    return { name: camel(m[1]), numberOfKeys: Number(m[2]), lua: readFileSync(join(dir, f), 'utf8') };
  });
}

/** The scripts as methods of a connection (typed loosely: each call site casts its reply). */
export interface ScriptCommands {
  publishAllocation(alloc: string, lease: string, epoch: number, doc: string, holder: string, channel: string): Promise<number>;
  renewLease(lease: string, holder: string, ttlMs: number): Promise<number>;
  releaseLease(lease: string, holder: string): Promise<number>;
  heartbeat(replicas: string, replica: string, expiresMs: number, nowMs: number, maxReplicas: number): Promise<string[] | number>;
  deadLetter(stream: string, dead: string, group: string, id: string, data: string, reason: string, maxlen: number): Promise<string>;
  appendTelemetry(stream: string, maxlen: number, ...records: string[]): Promise<number>;
}

const REQUIRED: (keyof ScriptCommands)[] = ['publishAllocation', 'renewLease', 'releaseLease', 'heartbeat', 'deadLetter', 'appendTelemetry'];

export function defineScripts<C extends RedisClient>(redis: C, scripts = readScripts()): C & ScriptCommands {
  for (const s of scripts) redis.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  for (const r of REQUIRED) assert(scripts.some((s) => s.name === r), `redis/: script for ${r} is missing`);
  return redis as C & ScriptCommands;
}

const camel = (kebab: string): string => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
