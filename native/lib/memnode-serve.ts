// `spirit memnode` as a long-running process: start the server, log where it listens (the chosen port when
// --port 0), log counters once a minute while they change, stop cleanly on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { InputError } from '../../service/errors.ts';
import { bytesFromMiB, mibFromBytes } from '../../service/units.ts';
import { type MemNodeOptions, startMemNode } from './memnode.ts';

export interface ServeOptions extends Omit<MemNodeOptions, 'tokens'> {
  tokensFile?: string;
}

/** Why `spirit memnode` refuses to start without tokens, and what to do. */
export const NO_TOKENS_PROBLEM = 'no tokens: give --tokens-file F (one token per line) or SPIRIT_MEMNODE_TOKENS (comma-separated), ' +
  'or --insecure to let any well-formed token use this memory node';

const STATS_LOG_MS = 60_000;

/** Tokens from a file (one per line, # comments) or SPIRIT_MEMNODE_TOKENS (comma-separated). */
export function loadTokens(tokensFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  if (tokensFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(tokensFile, 'utf8');
    } catch (err) {
      throw new InputError('--tokens-file', `cannot read ${tokensFile}: ${(err as Error).message}`);
    }
    const tokens = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    if (tokens.length === 0) throw new InputError('--tokens-file', `${tokensFile} lists no tokens`);
    return tokens;
  }
  const fromEnv = env.SPIRIT_MEMNODE_TOKENS?.split(',').map((t) => t.trim()).filter(Boolean);
  return fromEnv && fromEnv.length > 0 ? fromEnv : undefined;
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');

export function defaultCapacityBytes(totalMemBytes: number): number {
  return Math.floor(mibFromBytes(totalMemBytes / 2)) > 0 ? bytesFromMiB(Math.floor(mibFromBytes(totalMemBytes / 2))) : totalMemBytes;
}

export async function serveMemNode(opts: ServeOptions, log: (msg: string) => void): Promise<void> {
  const { tokensFile, ...rest } = opts;
  const tokens = loadTokens(tokensFile);
  if (!tokens && !opts.insecure) throw new InputError('--tokens-file', NO_TOKENS_PROBLEM);
  const node = startMemNode({ ...rest, ...(tokens ? { tokens, insecure: false } : {}) });
  if (!tokens) log(`memnode: --insecure: any well-formed token may use this memory node${isLoopback(node.host) ? '' : ` (it listens on ${node.host}, beyond this machine)`}`);
  log(`memnode: listening on ${node.address} (capacity ${mibFromBytes(opts.capacityBytes).toFixed(0)} MiB, ` +
    `${opts.threads ?? 2} threads, tokens: ${tokens ? `${tokens.length} allowed` : 'any well-formed token (--insecure)'})`);
  let last = '';
  const timer = setInterval(() => {
    const s = node.stats();
    const line = `memnode: regions=${s.regions} reserved=${mibFromBytes(s.reservedBytes).toFixed(1)}MiB connections=${s.connections} ` +
      `(unauthenticated ${s.unauthenticatedConnections}) requests=${s.requests} readBytes=${s.bytesRead} writtenBytes=${s.bytesWritten} ` +
      `errors=${s.errors} refused=${s.refusedConnections} authTimeouts=${s.authTimeouts}`;
    if (line !== last) log(line);
    last = line;
  }, STATS_LOG_MS);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log(`memnode: ${sig}, stopping`);
      clearInterval(timer);
      node.stop();
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
