// Who may use a memory node, against real `spirit memnode` processes over real sockets: it refuses to start
// without tokens unless told --insecure; a connection must authenticate (OPEN, ATTACH or AUTH) within 2 s
// and may do nothing else before (no PING to stay alive, no STATS to look around); idle anonymous sockets,
// however many, never take an authenticated client's slot; and reservations of a token that never wrote a
// byte are released soon after their client goes away.
import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMemNode } from '../../native/index.ts';
import { InputError } from '../../service/errors.ts';
import { nativeLimits } from '../../native/lib/limits.ts';
import { attachBody, authBody, Op, openBody, readBody, WireClient } from '../../native/lib/wire.ts';
import { MiB, type MemNodeProc, PAGE, ROOT, SPIRIT, startMemNodeProc, tempDir, writeTokensFile } from './helpers.ts';

const GOOD = 'admission-good-token';
const OTHER = 'admission-other-token';
const tmp = tempDir('spirit-admission-');
let node: MemNodeProc;

beforeAll(async () => {
  node = await startMemNodeProc(['--capacity-mb', '8', '--unused-orphan-ttl-s', '1', '--tokens-file', writeTokensFile(tmp.dir, [GOOD, OTHER])]);
});

afterAll(async () => {
  await node?.kill('SIGTERM');
  tmp.cleanup();
});

interface NodeStats { capacityBytes: number; reservedBytes: number; regions: number; connections: number }

async function authed(token = GOOD): Promise<WireClient> {
  const c = await WireClient.connect(node.address);
  const r = await c.call({ op: Op.auth, body: authBody(token) });
  expect(r.statusName).toBe('ok');
  return c;
}

async function stats(c: WireClient): Promise<NodeStats> {
  const b = (await c.call({ op: Op.stats })).body;
  return { capacityBytes: Number(b.readBigUInt64LE(0)), reservedBytes: Number(b.readBigUInt64LE(8)), regions: Number(b.readBigUInt64LE(16)), connections: Number(b.readBigUInt64LE(24)) };
}

/** A socket that connects and then says nothing; resolves with it once connected, or null if refused. */
function idleSocket(address: string): Promise<Socket | null> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    s.on('error', () => resolve(null));
    s.once('connect', () => resolve(s));
  });
}

describe('memnode admission', () => {
  it('refuses to start without tokens unless --insecure, from the CLI and from code', () => {
    const r = spawnSync(process.execPath, [SPIRIT, 'memnode', '--port', '0', '--capacity-mb', '8'],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, SPIRIT_MEMNODE_TOKENS: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^spirit: bad input: --tokens-file: no tokens: .*--insecure/m);
    expect(() => startMemNode({ capacityBytes: 8 * MiB })).toThrow(InputError);
    expect(() => startMemNode({ capacityBytes: 8 * MiB })).toThrow(/insecure: true/);
    const open = startMemNode({ capacityBytes: 8 * MiB, insecure: true });
    expect(open.port).toBeGreaterThan(0);
    open.stop();
  });

  it('answers nothing but authentication before it: PING and STATS close the connection', async () => {
    for (const op of [Op.ping, Op.stats, Op.read]) {
      const c = await WireClient.connect(node.address);
      const r = await c.call({ op, ...(op === Op.read ? { body: readBody(PAGE) } : {}) });
      expect(r.statusName).toBe('auth_required');
      expect(r.body.length).toBeLessThan(200);  // an error text, never the node's figures
      expect(await c.waitClosed(10_000)).toBe(true);
    }
    // a wrong token does not authenticate either, and four of them close the connection
    const wrong = await WireClient.connect(node.address);
    for (let i = 0; i < 3; i++) expect((await wrong.call({ op: Op.auth, body: authBody('not-a-listed-token') })).statusName).toBe('token_rejected');
    expect((await wrong.call({ op: Op.ping })).statusName).toBe('auth_required');
    expect(await wrong.waitClosed(10_000)).toBe(true);
    // after AUTH with a listed token, both work
    const c = await authed();
    expect((await c.call({ op: Op.ping })).statusName).toBe('ok');
    expect((await stats(c)).capacityBytes).toBe(8 * MiB);
    c.close();
  });

  it('closes a connection that does not authenticate within the deadline (2 s), whatever it sends', async () => {
    const deadlineMs = nativeLimits().authDeadlineMsDefault;
    expect(deadlineMs).toBe(2000);
    const t0 = Date.now();
    const silent = await WireClient.connect(node.address);
    const closed = await silent.waitClosed(deadlineMs + 20_000);
    expect(closed).toBe(true);
    // never before the deadline (a lower bound holds however busy the machine is)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(deadlineMs - 50);
    // an authenticated connection is not subject to it
    const c = await authed();
    await new Promise((r) => setTimeout(r, deadlineMs + 600));
    expect((await c.call({ op: Op.ping })).statusName).toBe('ok');
    c.close();
  });

  it('keeps serving authenticated clients while 1,030 idle anonymous sockets try to take every slot', async () => {
    const L = nativeLimits();
    const before = await authed();
    const id = (await before.call({ op: Op.open, body: openBody(1 * MiB, GOOD) })).value;
    expect((await before.call({ op: Op.write, regionId: id, offsetBytes: 0, body: Buffer.alloc(PAGE, 7) })).statusName).toBe('ok');
    const flood: Socket[] = [];
    try {
      let served = 0;
      for (let i = 0; i < L.connectionsMax + 6; i++) {
        const s = await idleSocket(node.address);
        if (s) {
          s.on('close', () => {});
          flood.push(s);
        }
        // in the middle of the flood, whichever server thread the idle sockets landed on, clients get in
        if (i % 100 === 99) {
          const c = await authed(OTHER);
          expect((await c.call({ op: Op.ping })).statusName).toBe('ok');
          c.close();
          served++;
        }
      }
      expect(served).toBe(10);
      // a new client still gets in and authenticates (its slot comes from an idle socket's)
      const late = await authed(OTHER);
      const lid = (await late.call({ op: Op.open, body: openBody(1 * MiB, OTHER) })).value;
      expect((await late.call({ op: Op.write, regionId: lid, offsetBytes: 0, body: Buffer.alloc(PAGE, 9) })).statusName).toBe('ok');
      // and one that was connected before the flood is served with its data intact
      const r = await before.call({ op: Op.read, regionId: id, offsetBytes: 0, body: readBody(PAGE) });
      expect(r.body.equals(Buffer.alloc(PAGE, 7))).toBe(true);
      // the anonymous ones never held more than their pool: connections = authenticated + at most the pool
      const s = await stats(late);
      expect(s.connections).toBeLessThanOrEqual(2 + L.unauthConnectionsMax);
      expect(s.connections).toBeGreaterThanOrEqual(2);
      await late.call({ op: Op.close, regionId: lid });
      late.close();
    } finally {
      for (const s of flood) s.destroy();
    }
    // the idle ones are all gone by the deadline; nothing of theirs stays behind
    const probe = await authed();
    let conns = Infinity;
    for (let i = 0; i < 200 && conns > 2; i++) {
      conns = (await stats(probe)).connections;
      if (conns > 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(conns).toBeLessThanOrEqual(2);  // `before` and the probe
    await before.call({ op: Op.close, regionId: id });
    before.close();
    probe.close();
  });

  it('refuses tokens it does not list, so an anonymous client reserves nothing', async () => {
    const c = await WireClient.connect(node.address);
    const r = await c.call({ op: Op.open, body: openBody(4 * MiB, 'anonymous-but-well-formed') });
    expect(r.statusName).toBe('token_rejected');
    c.close();
    const probe = await authed();
    expect((await stats(probe)).reservedBytes).toBe(0);
    probe.close();
  });

  it('frees the orphaned reservations of a token that never wrote within seconds, and keeps a writer\'s', async () => {
    // OTHER reserves the whole node and never writes; GOOD writes to a small region; both disconnect
    const hog = await authed(OTHER);
    const opened = await hog.call({ op: Op.open, body: openBody(6 * MiB, OTHER) });
    expect(opened.statusName).toBe('ok');
    const writer = await authed(GOOD);
    const wid = (await writer.call({ op: Op.open, body: openBody(1 * MiB, GOOD) })).value;
    expect((await writer.call({ op: Op.write, regionId: wid, offsetBytes: PAGE, body: Buffer.alloc(PAGE, 3) })).statusName).toBe('ok');
    const probe = await authed();
    const full = await probe.call({ op: Op.open, body: openBody(4 * MiB, GOOD) });
    expect(full.statusName).toBe('capacity');
    hog.close();
    writer.close();
    // the unused reservation goes after --unused-orphan-ttl-s (1 s here), well before the 600 s of a writer's
    let reserved = Infinity;
    for (let i = 0; i < 300 && reserved > 1 * MiB; i++) {
      reserved = (await stats(probe)).reservedBytes;
      if (reserved > 1 * MiB) await new Promise((r) => setTimeout(r, 100));
    }
    expect(reserved).toBe(1 * MiB);
    const fits = await probe.call({ op: Op.open, body: openBody(4 * MiB, GOOD) });
    expect(fits.statusName).toBe('ok');
    // the writer's region is still there, with its data: its owner re-attaches
    const back = await WireClient.connect(node.address);
    expect((await back.call({ op: Op.attach, regionId: wid, body: attachBody(GOOD) })).statusName).toBe('ok');
    const r = await back.call({ op: Op.read, regionId: wid, offsetBytes: PAGE, body: readBody(PAGE) });
    expect(r.body.equals(Buffer.alloc(PAGE, 3))).toBe(true);
    await back.call({ op: Op.close, regionId: wid });
    await probe.call({ op: Op.close, regionId: fits.value });
    back.close();
    probe.close();
  });
});
