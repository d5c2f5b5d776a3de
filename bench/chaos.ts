// `spirit bench chaos`: the probes of issue 16, run against real processes on loopback and bounded in time,
// each reporting what was tried, what was refused cleanly and what was lost (which must be nothing):
//  1. memory-node slots: idle anonymous sockets past the node's 1024 slots, authenticated clients working
//  2. token-less reservations: OPENs with unlisted tokens; an unused reservation released after its TTL
//  3. event-stream slots: anonymous GET /v1/events streams past the replica's 256 slots, then a daemon's
//  4. large bodies: 300k-app and 1024-app scenarios at once, /healthz latency against a bare server's
//  5. Redis killed and restarted empty around registrations (answered, and in flight)
//  6. one replica of a mirrored region SIGKILLed, every byte read back and checked
import { loadavg } from 'node:os';
import { largeBodyProbe, type LargeBodyFigures } from './chaos/large-body.ts';
import { memnodeSlots, type SlotFigures, tokenlessReservations, type TokenFigures } from './chaos/memnode.ts';
import { redisKillRestart, type RedisKillFigures } from './chaos/redis-kill.ts';
import { replicaKill, type ReplicaFigures } from './chaos/replica.ts';
import { sseSlots, type SseFigures } from './chaos/sse.ts';

interface Plan { idle: number; legit: number; anon: number; unusedTtlS: number; streams: number; bodies: number; legalApps: number; redisRounds: number; regionMiB: number }

const FULL: Plan = { idle: 1030, legit: 20, anon: 300, unusedTtlS: 2, streams: 300, bodies: 24, legalApps: 1024, redisRounds: 8, regionMiB: 64 };
const QUICK: Plan = { idle: 1030, legit: 10, anon: 60, unusedTtlS: 1, streams: 260, bodies: 8, legalApps: 256, redisRounds: 3, regionMiB: 16 };

export interface ChaosFigures {
  quick: boolean;
  memnodeSlots: SlotFigures & { loadavg: number[] };
  tokenless: TokenFigures & { loadavg: number[] };
  sseSlots: SseFigures & { loadavg: number[] };
  largeBodies: LargeBodyFigures;
  redisKill: RedisKillFigures & { loadavg: number[] };
  replicaKill: ReplicaFigures & { loadavg: number[] };
  /** one row per probe: tried, refused cleanly, lost */
  summary: { probe: string; tried: number; refusedCleanly: number; lost: number; note: string }[];
  elapsedS: number;
}

const la = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

export async function run(opts: { quick: boolean }): Promise<ChaosFigures> {
  const p = opts.quick ? QUICK : FULL;
  const t0 = performance.now();
  const slots = { ...(await memnodeSlots({ idle: p.idle, legit: p.legit })), loadavg: la() };
  const tokens = { ...(await tokenlessReservations({ attempts: p.anon, unusedTtlS: p.unusedTtlS })), loadavg: la() };
  const sse = { ...(await sseSlots({ streams: p.streams })), loadavg: la() };
  const large = await largeBodyProbe({ bodies: p.bodies, legalApps: p.legalApps, idleMs: 2000 });
  const redis = { ...(await redisKillRestart({ rounds: p.redisRounds })), loadavg: la() };
  const replica = { ...(await replicaKill({ regionMiB: p.regionMiB })), loadavg: la() };
  const summary: ChaosFigures['summary'] = [
    { probe: 'memory-node slots (idle anonymous sockets)', tried: slots.idleTried, refusedCleanly: slots.idleClosedByNode, lost: slots.legitLost,
      note: `${slots.legitServed}/${slots.legitTried} authenticated clients served meanwhile; at most ${slots.connectionsSeenMax} connections held` },
    { probe: 'token-less reservations (unlisted tokens)', tried: tokens.anonymousTried, refusedCleanly: tokens.anonymousRefused, lost: 0,
      note: `${tokens.reservedByAnonymousBytes} bytes reserved by them; an unused ${tokens.unusedReservationMiB} MiB reservation freed after ${tokens.unusedFreedAfterS ?? 'never'} s (TTL ${tokens.unusedTtlS} s)` },
    { probe: 'event-stream slots (anonymous, one address)', tried: sse.anonymousTried, refusedCleanly: sse.refused429 + sse.refused503, lost: sse.tokenClientServed ? 0 : 1,
      note: `${sse.opened} opened (the per-address share); the daemon with the token ${sse.tokenClientServed ? 'served' : 'REFUSED'}` },
    { probe: 'large solve bodies (300k apps, then legal 1024-app)', tried: large.oversize.tried + large.legal.tried,
      refusedCleanly: large.oversize.refused400 + large.oversize.cutOff + large.legal.refused503, lost: large.oversize.other.length + large.legal.other.length,
      note: `${large.legal.solved} solved; /healthz p99 ${large.healthz.underLoad.p99Ms} ms (bare server ${large.healthz.control.p99Ms} ms, idle ${large.healthz.idle.p99Ms} ms); RSS ${large.serverPeakRssMB} MB` },
    { probe: 'Redis killed and restarted empty (registrations)', tried: redis.tried, refusedCleanly: redis.refused503, lost: redis.lost.length + redis.other.length,
      note: `${redis.acknowledged} acknowledged, all back after the restarts` + (redis.lost.length ? ` EXCEPT ${redis.lost.join(', ')}` : '') },
    { probe: 'one replica of a mirrored region SIGKILLed', tried: replica.bytesVerified, refusedCleanly: 0, lost: replica.mismatchedPages * 4096,
      note: `${replica.regionMiB} MiB read back after the kill, ${replica.mismatchedPages} pages differed; region ${replica.failed ? 'FAILED' : 'kept running'}` },
  ];
  return {
    quick: opts.quick, memnodeSlots: slots, tokenless: tokens, sseSlots: sse, largeBodies: large, redisKill: redis, replicaKill: replica, summary,
    elapsedS: Math.round((performance.now() - t0) / 100) / 10,
  };
}

export function format(f: Record<string, unknown>): string {
  const c = f as unknown as ChaosFigures;
  const rows = c.summary.map((r) => `| ${r.probe} | ${r.tried} | ${r.refusedCleanly} | ${r.lost} | ${r.note} |`);
  return [
    `spirit bench chaos${c.quick ? ' --quick' : ''}: ${c.elapsedS} s, load average at the end ${c.replicaKill.loadavg.join(' ')}`,
    '| probe | tried | refused cleanly | lost | |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
