// Test helpers: real memory-node processes (spawned through bin/spirit.js), temporary control dirs,
// deterministic page contents and a bounded wait.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SPIRIT = join(ROOT, 'bin', 'spirit.js');
export const PAGE = 4096;
export const MiB = 1024 * 1024;

export interface MemNodeProc {
  address: string;
  port: number;
  proc: ChildProcess;
  stderr: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

/**
 * Starts `spirit memnode --port 0` and resolves with the address it logged. Without `--tokens-file` in
 * `args` (or SPIRIT_MEMNODE_TOKENS in `env`) it runs with `--insecure`: these tests use many tokens of their
 * own, and the secure default is tested on its own (10-admission).
 */
export function startMemNodeProc(args: string[] = [], env: NodeJS.ProcessEnv = {}, opts: { detached?: boolean } = {}): Promise<MemNodeProc> {
  const tokensGiven = args.includes('--tokens-file') || Boolean(env.SPIRIT_MEMNODE_TOKENS);
  const proc = spawn(process.execPath, [SPIRIT, 'memnode', '--port', '0', ...(tokensGiven ? [] : ['--insecure']), ...args], {
    env: { ...process.env, SPIRIT_MEMNODE_TOKENS: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: opts.detached ?? false,
  });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`memnode did not start within ${START_TIMEOUT_MS} ms; stderr: ${err}`));
    }, START_TIMEOUT_MS);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+):(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({
          address: `${m[1]}:${m[2]}`,
          port: Number(m[2]),
          proc,
          stderr: () => err,
          kill: (signal: NodeJS.Signals = 'SIGKILL') =>
            new Promise<void>((res) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return res();
              proc.once('exit', () => res());
              proc.kill(signal);
            }),
        });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`memnode exited with ${code} before listening; stderr: ${err}`));
    });
  });
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeTokensFile(dir: string, tokens: string[]): string {
  const f = join(dir, 'tokens');
  writeFileSync(f, tokens.join('\n') + '\n');
  return f;
}

/** Deterministic 32-bit generator (xorshift32), so failures can be replayed from the seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Polls cond every few ms until it holds or timeoutMs passes; returns whether it held. */
export async function waitFor(cond: () => boolean, timeoutMs: number, stepMs = 5): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
