// The memory node server, started inside this process: native epoll threads serve every request;
// JavaScript only starts it, reads its counters and stops it. `spirit memnode` wraps this.
import { InputError } from '../../service/errors.ts';
import type { NativeMemNode, NativeMemNodeStats } from './binding.ts';
import { nativeBinding } from './errors.ts';
import { nativeLimits } from './limits.ts';
import { optionalNumber, requireNumber, requireObject, requireString } from './validate.ts';

export interface MemNodeOptions {
  /** address to bind; default 127.0.0.1 */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from `port`) */
  port?: number;
  /** total bytes of regions this node accepts; exceeding it is an error reply, never an OOM */
  capacityBytes: number;
  /** epoll threads; default 2 */
  threads?: number;
  /** the tokens that may use this node (create regions, authenticate); required unless `insecure` */
  tokens?: string[];
  /** true: with no `tokens`, any well-formed token (8..256 bytes) may use the node. Never on a network. */
  insecure?: boolean;
  /** free regions no client has attached for this long, ms; default 10 minutes */
  orphanTtlMs?: number;
  /** the same for regions whose token never wrote to any of its regions, ms; default 15 s */
  unusedOrphanTtlMs?: number;
  /** close connections silent for this long, ms; default 10 minutes */
  idleMs?: number;
  /** close a new connection that has not authenticated (OPEN, ATTACH or AUTH) within this long, ms; default 2 s */
  authDeadlineMs?: number;
}

export type MemNodeStats = NativeMemNodeStats;

export interface MemNode {
  readonly host: string;
  readonly port: number;
  /** "host:port", ready for openRegion({ memnode }) */
  readonly address: string;
  stats(): MemNodeStats;
  stop(): void;
}

const HOST_BYTES_MAX = 253;
const DAY_MS = 86_400_000;
/** Tokens one memory node accepts (the native side reads at most this many). */
const TOKENS_MAX = 4096;

export function startMemNode(options: MemNodeOptions): MemNode {
  const L = nativeLimits();
  const o = requireObject('startMemNode.options', options);
  const host = o.host === undefined ? '127.0.0.1' : requireString('startMemNode.options.host', o.host, 1, HOST_BYTES_MAX);
  const port = optionalNumber('startMemNode.options.port', o.port, 0, 65535, 0, true);
  const capacityBytes = requireNumber('startMemNode.options.capacityBytes', o.capacityBytes, L.pageBytes, Number.MAX_SAFE_INTEGER, true);
  const threads = optionalNumber('startMemNode.options.threads', o.threads, 1, L.serverThreadsMax, 2, true);
  const orphanTtlMs = optionalNumber('startMemNode.options.orphanTtlMs', o.orphanTtlMs, 1000, 30 * DAY_MS, L.orphanTtlMsDefault, true);
  const unusedOrphanTtlMs = optionalNumber('startMemNode.options.unusedOrphanTtlMs', o.unusedOrphanTtlMs, 1000, 30 * DAY_MS, L.unusedOrphanTtlMsDefault, true);
  const idleMs = optionalNumber('startMemNode.options.idleMs', o.idleMs, 1000, 30 * DAY_MS, L.connIdleMsDefault, true);
  const authDeadlineMs = optionalNumber('startMemNode.options.authDeadlineMs', o.authDeadlineMs, 100, 60_000, L.authDeadlineMsDefault, true);
  if (o.insecure !== undefined && typeof o.insecure !== 'boolean') throw new InputError('startMemNode.options.insecure', 'must be a boolean');
  const insecure = o.insecure === true;
  let tokens: string[] = [];
  if (o.tokens !== undefined) {
    if (!Array.isArray(o.tokens)) throw new InputError('startMemNode.options.tokens', 'must be an array of strings');
    if (o.tokens.length > TOKENS_MAX) throw new InputError('startMemNode.options.tokens', `at most ${TOKENS_MAX} tokens; got ${o.tokens.length}`);
    tokens = o.tokens.map((t, i) => requireString(`startMemNode.options.tokens[${i}]`, t, L.tokenBytesMin, L.tokenBytesMax));
  }
  // secure by default: a memory node that would take any token must be asked for explicitly
  if (tokens.length === 0 && !insecure) {
    throw new InputError('startMemNode.options.tokens', 'no tokens: give the tokens that may use this memory node, or insecure: true to accept any well-formed token');
  }
  const native: NativeMemNode = new (nativeBinding().NativeMemNode)({
    host, port, capacityBytes, threads, tokens, insecure, orphanTtlMs, unusedOrphanTtlMs, idleMs, authDeadlineMs,
  });
  const bound = native.port();
  return {
    host,
    port: bound,
    address: `${host.includes(':') ? `[${host}]` : host}:${bound}`,
    stats: () => native.stats(),
    stop: () => native.stop(),
  };
}
