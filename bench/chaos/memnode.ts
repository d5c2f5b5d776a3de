// Probes of the memory node over real sockets on loopback:
//  - slots: idle anonymous connections (more than the node's 1024 slots) while authenticated clients keep
//    opening regions and reading back what they wrote;
//  - token-less reservations: OPENs with tokens the node does not list; then a listed token that reserves
//    and never writes, whose reservation must be released within seconds of its client leaving.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { authBody, Op, openBody, readBody, WireClient } from '../../native/lib/wire.ts';
import { startMemnode } from './procs.ts';

const PAGE = 4096;
const MiB = 1 << 20;

function idleSocket(address: string): Promise<Socket | null> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    s.on('error', () => resolve(null));
    s.once('connect', () => resolve(s));
  });
}

async function stats(c: WireClient): Promise<{ reservedBytes: number; connections: number }> {
  const b = (await c.call({ op: Op.stats })).body;
  return { reservedBytes: Number(b.readBigUInt64LE(8)), connections: Number(b.readBigUInt64LE(24)) };
}

export interface SlotFigures {
  idleTried: number; idleConnected: number; connectionsSeenMax: number;
  /** idle sockets the node closed itself (to make room, or at the authentication deadline) */
  idleClosedByNode: number;
  legitTried: number; legitServed: number; legitLost: number; bytesVerified: number;
}

/** `idle` anonymous sockets held open while `legit` clients authenticate, write a page and read it back. */
export async function memnodeSlots(o: { idle: number; legit: number }): Promise<SlotFigures> {
  const token = randomBytes(16).toString('hex');
  const node = await startMemnode([token], ['--capacity-mb', '64']);
  const flood: Socket[] = [];
  try {
    const probe = await WireClient.connect(node.address);
    await probe.call({ op: Op.auth, body: authBody(token) });
    let idleConnected = 0;
    let closedByNode = 0;
    let connectionsSeenMax = 0;
    let legitTried = 0;
    let legitServed = 0;
    const every = Math.max(1, Math.ceil(o.idle / o.legit));
    for (let i = 0; i < o.idle; i++) {
      const s = await idleSocket(node.address);
      if (s) {
        idleConnected++;
        s.once('close', () => { closedByNode++; });  // before the probe's own destroy() below, it was the node
        flood.push(s);
      }
      // every so often, an authenticated client does real work in the middle of the flood
      if (i % every === every - 1) {
        legitTried++;
        if (await legitRound(node.address, token, i)) legitServed++;
        connectionsSeenMax = Math.max(connectionsSeenMax, (await stats(probe)).connections);
      }
    }
    // the last ones go at the authentication deadline (2 s)
    const end = performance.now() + 30_000;
    while (closedByNode < idleConnected && performance.now() < end) await new Promise((r) => setTimeout(r, 100));
    probe.close();
    return {
      idleTried: o.idle, idleConnected, idleClosedByNode: closedByNode, connectionsSeenMax, legitTried, legitServed,
      legitLost: legitTried - legitServed, bytesVerified: legitServed * PAGE,
    };
  } finally {
    for (const s of flood) s.destroy();
    await node.stop();
  }
}

async function legitRound(address: string, token: string, seed: number): Promise<boolean> {
  let c: WireClient | null = null;
  try {
    c = await WireClient.connect(address);
    if ((await c.call({ op: Op.auth, body: authBody(token) })).statusName !== 'ok') return false;
    const open = await c.call({ op: Op.open, body: openBody(MiB, token) });
    if (open.statusName !== 'ok') return false;
    const page = Buffer.alloc(PAGE, seed & 0xff);
    if ((await c.call({ op: Op.write, regionId: open.value, offsetBytes: 0, body: page })).statusName !== 'ok') return false;
    const r = await c.call({ op: Op.read, regionId: open.value, offsetBytes: 0, body: readBody(PAGE) });
    await c.call({ op: Op.close, regionId: open.value });
    return r.statusName === 'ok' && r.body.equals(page);
  } catch {
    return false;
  } finally {
    c?.close();
  }
}

export interface TokenFigures {
  anonymousTried: number; anonymousRefused: number; reservedByAnonymousBytes: number;
  unusedReservationMiB: number; unusedFreedAfterS: number | null; unusedTtlS: number;
}

/** OPENs with unlisted tokens, then a listed token reserving without writing and leaving. */
export async function tokenlessReservations(o: { attempts: number; unusedTtlS: number }): Promise<TokenFigures> {
  const token = randomBytes(16).toString('hex');
  const node = await startMemnode([token], ['--capacity-mb', '64', '--unused-orphan-ttl-s', String(o.unusedTtlS)]);
  try {
    let refused = 0;
    // three tries per connection (a fourth failure would close it)
    for (let tried = 0; tried < o.attempts;) {
      const c = await WireClient.connect(node.address);
      for (let k = 0; k < 3 && tried < o.attempts; k++, tried++) {
        const r = await c.call({ op: Op.open, body: openBody(8 * MiB, `anon-${randomBytes(8).toString('hex')}`) }).catch(() => null);
        if (r?.statusName === 'token_rejected') refused++;
      }
      c.close();
    }
    const probe = await WireClient.connect(node.address);
    await probe.call({ op: Op.auth, body: authBody(token) });
    const reservedByAnonymousBytes = (await stats(probe)).reservedBytes;
    // a listed token reserves the whole node and never writes; its client goes away
    const hog = await WireClient.connect(node.address);
    const opened = await hog.call({ op: Op.open, body: openBody(64 * MiB, token) });
    if (opened.statusName !== 'ok') throw new Error(`the reservation was refused: ${opened.statusName}`);
    hog.close();
    const t0 = performance.now();
    let freedAfterS: number | null = null;
    const deadline = t0 + 1000 * (o.unusedTtlS + 30);
    while (performance.now() < deadline) {
      if ((await stats(probe)).reservedBytes === 0) { freedAfterS = (performance.now() - t0) / 1000; break; }
      await new Promise((r) => setTimeout(r, 100));
    }
    probe.close();
    return {
      anonymousTried: o.attempts, anonymousRefused: refused, reservedByAnonymousBytes,
      unusedReservationMiB: 64, unusedFreedAfterS: freedAfterS === null ? null : Math.round(freedAfterS * 10) / 10, unusedTtlS: o.unusedTtlS,
    };
  } finally {
    await node.stop();
  }
}
