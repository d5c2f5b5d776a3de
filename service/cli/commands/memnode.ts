// `spirit memnode [--port P] [--host H] [--capacity-mb M] [--threads N] [--tokens-file F | --insecure]`
// (spec/cli.md): a memory node serving far-memory pages over TCP. Logs to stderr, including the port it
// listens on ("memnode: listening on HOST:PORT"; --port 0 picks a free port). Runs until SIGINT/SIGTERM.
// Secure by default: without tokens (a file or SPIRIT_MEMNODE_TOKENS) it refuses to start unless --insecure.
import type { Command } from 'commander';
import { totalmem } from 'node:os';
import { InputError } from '../../errors.ts';
import { bytesFromMiB, msFromSec } from '../../units.ts';
import { log } from '../output.ts';

interface MemnodeFlags {
  port?: string;
  host?: string;
  capacityMb?: string;
  threads?: string;
  tokensFile?: string;
  orphanTtlS?: string;
  unusedOrphanTtlS?: string;
  insecure?: boolean;
}

const INTEGER = /^\d+$/;

function int(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!INTEGER.test(v.trim())) throw new InputError(flag, `'${v}' is not a whole number`);
  const n = Number(v);
  if (n < min || n > max) throw new InputError(flag, `must be between ${min} and ${max}; got ${n}`);
  return n;
}

const CAPACITY_MB_MAX = 16 * 1024 * 1024;  // 16 TiB: beyond any machine this runs on
const ORPHAN_TTL_S_MAX = 30 * 86400;
const THREADS_MAX = 16;

export function register(program: Command): void {
  program
    .command('memnode')
    .description('run a memory node serving far-memory pages (logs to stderr)')
    .option('--port <P>', 'TCP port; 0 picks a free port and logs it', '0')
    .option('--host <H>', 'address to bind', '127.0.0.1')
    .option('--capacity-mb <M>', 'MiB of regions this node accepts (default: half of physical memory)')
    .option('--threads <N>', 'epoll threads serving requests', '2')
    .option('--tokens-file <F>', 'the tokens that may use this node, one per line (else SPIRIT_MEMNODE_TOKENS, comma-separated); required unless --insecure')
    .option('--insecure', 'without tokens, let any well-formed token (8..256 bytes) use this node (loopback experiments only)')
    .option('--orphan-ttl-s <S>', 'free a region no client has attached for S seconds', '600')
    .option('--unused-orphan-ttl-s <S>', 'the same for regions whose token never wrote a byte', '15')
    .action(async (flags: MemnodeFlags) => {
      const port = int('--port', flags.port, 0, 65535) ?? 0;
      const capacityMb = int('--capacity-mb', flags.capacityMb, 1, CAPACITY_MB_MAX);
      const threads = int('--threads', flags.threads, 1, THREADS_MAX) ?? 2;
      const orphanTtlS = int('--orphan-ttl-s', flags.orphanTtlS, 1, ORPHAN_TTL_S_MAX) ?? 600;
      const unusedOrphanTtlS = int('--unused-orphan-ttl-s', flags.unusedOrphanTtlS, 1, ORPHAN_TTL_S_MAX) ?? 15;
      const host = (flags.host ?? '127.0.0.1').trim();
      if (!host) throw new InputError('--host', 'must not be empty');
      const { serveMemNode, defaultCapacityBytes } = await import('../../../native/lib/memnode-serve.ts');
      await serveMemNode({
        host,
        port,
        threads,
        capacityBytes: capacityMb !== undefined ? bytesFromMiB(capacityMb) : defaultCapacityBytes(totalmem()),
        orphanTtlMs: msFromSec(orphanTtlS),
        unusedOrphanTtlMs: msFromSec(unusedOrphanTtlS),
        insecure: flags.insecure === true,
        ...(flags.tokensFile !== undefined ? { tokensFile: flags.tokensFile } : {}),
      }, log);
    });
}
