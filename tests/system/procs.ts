// Real processes for the system tests: `spirit memnode`, `spirit serve`, `spirit node` and `spirit start`
// spawned through bin/spirit.js, their stderr kept (pino JSON lines parsed on demand), polling with
// deadlines (never wall-clock speed assertions), and control blocks read from a per-test directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listRegions, type RegionStats } from '../../native/index.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SPIRIT = join(ROOT, 'bin', 'spirit.js');

export interface Proc {
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** stderr's JSON lines (pino), parsed; other lines skipped */
  logs(): Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL unless it already exited; resolves when it has */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The token the system tests' memory node accepts and their daemons bind regions to. */
export const MEMNODE_TOKEN = 'system-tests-memnode-token';

/**
 * Environment without settings that would change what a spawned command does, except the memory-node
 * token: the memory node accepts it (SPIRIT_MEMNODE_TOKENS) and daemons use it (SPIRIT_MEMNODE_TOKEN).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = {
    ...process.env, REDIS_URL: '', SPIRIT_TOKEN: '', PORT: '', SPIRIT_SERVICE: '', SPIRIT_MEMNODE_TOKEN: MEMNODE_TOKEN,
    SPIRIT_MEMNODE_TOKENS: MEMNODE_TOKEN, ...extra,
  };
  return env;
}

export function spirit(args: string[], env: Record<string, string> = {}, cmd: string[] = [process.execPath, SPIRIT]): Proc {
  const child = spawn(cmd[0], [...cmd.slice(1), ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stderr: () => err,
    stdout: () => out,
    logs: () => err.split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    }),
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Polls `probe` until it returns something other than null/undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 90_000, stepMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
}

export async function startMemnode(): Promise<{ proc: Proc; address: string }> {
  const proc = spirit(['memnode', '--port', '0', '--capacity-mb', '2048']);
  const address = await waitFor('the memory node to listen', () => /listening on (\S+:\d+)/.exec(proc.stderr())?.[1] ?? (proc.child.exitCode !== null ? Promise.reject(new Error(proc.stderr())) : null), 60_000);
  return { proc, address };
}

export async function startServe(args: string[] = []): Promise<{ proc: Proc; url: string }> {
  const proc = spirit(['serve', '--port', '0', ...args]);
  const url = await waitFor('the service to listen', () => /"url":"(http:[^"]+)"/.exec(proc.stderr())?.[1] ?? (proc.child.exitCode !== null ? Promise.reject(new Error(proc.stderr())) : null), 60_000);
  return { proc, url };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Running regions in a control directory by label (the app id). */
export function regionsByLabel(dir: string): Map<string, RegionStats & { path: string }> {
  const out = new Map<string, RegionStats & { path: string }>();
  for (const r of listRegions(dir)) if (r.ok && !r.stats.stale && r.stats.state === 'running') out.set(r.stats.label, { ...r.stats, path: r.path });
  return out;
}

export const controlFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.ctl'));

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export interface Bundle { app: string; cacheMB: number; bandwidthMbps: number; source: string; confidence: number }
export interface Allocation { node: string; epoch: number; bundles: Bundle[] }

/** The region limits a bundle becomes (the daemon's rule: whole pages, clamped to what a region accepts). */
export function expectedLimits(b: Bundle): { cacheBytes: number; bandwidthMbps: number } {
  return { cacheBytes: Math.max(16 * 4096, Math.floor((b.cacheMB * 1048576) / 4096) * 4096), bandwidthMbps: Math.min(400_000, Math.max(1, b.bandwidthMbps)) };
}
