// The memory node over its wire protocol, from a raw TypeScript client against a real `spirit memnode`
// process: data written is data read back, tokens and ownership are enforced, every offset and length is
// checked, capacity is a limit, and hostile byte streams leave it serving everyone else.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachBody, authBody, encodeRequest, Op, openBody, readBody, WireClient } from '../../native/lib/wire.ts';
import { MiB, type MemNodeProc, PAGE, rng, startMemNodeProc, tempDir, writeTokensFile } from './helpers.ts';

const TOKEN_A = 'token-of-client-a';
const TOKEN_B = 'token-of-client-b';

let node: MemNodeProc;
let restricted: MemNodeProc;
const tmp = tempDir('spirit-proto-');

beforeAll(async () => {
  node = await startMemNodeProc(['--capacity-mb', '64']);
  restricted = await startMemNodeProc(['--capacity-mb', '16', '--tokens-file', writeTokensFile(tmp.dir, [TOKEN_A])]);
});

afterAll(async () => {
  await node?.kill('SIGTERM');
  await restricted?.kill('SIGTERM');
  tmp.cleanup();
});

async function openRegion(c: WireClient, sizeBytes: number, token: string): Promise<bigint> {
  const r = await c.call({ op: Op.open, body: openBody(sizeBytes, token) });
  expect(r.statusName).toBe('ok');
  return r.value;
}

function pattern(seed: number, bytes: number): Buffer {
  const next = rng(seed);
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4) b.writeUInt32LE(next(), i);
  return b;
}

describe('memnode protocol', () => {
  it('reads back exactly what was written, pipelined, in batches, and zeros elsewhere', async () => {
    const c = await WireClient.connect(node.address);
    const id = await openRegion(c, 4 * MiB, TOKEN_A);
    // non-overlapping 16-page batches, the last one ending exactly at the region's end
    const writes = [0, 20, 100, 1008].map((page, i) => ({ page, data: pattern(i + 1, 16 * PAGE) }));
    const acks = await Promise.all(writes.map((w) => c.call({ op: Op.write, regionId: id, offsetBytes: w.page * PAGE, body: w.data })));
    expect(acks.map((a) => a.statusName)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const reads = await Promise.all(writes.map((w) =>
      c.call({ op: Op.read, regionId: id, offsetBytes: w.page * PAGE, body: readBody(16 * PAGE) })));
    writes.forEach((w, i) => expect(reads[i].body.equals(w.data), `batch at page ${w.page}`).toBe(true));
    const untouched = await c.call({ op: Op.read, regionId: id, offsetBytes: 500 * PAGE, body: readBody(PAGE) });
    expect(untouched.body.equals(Buffer.alloc(PAGE))).toBe(true);
    const closed = await c.call({ op: Op.close, regionId: id });
    expect(closed.statusName).toBe('ok');
    const after = await c.call({ op: Op.read, regionId: id, offsetBytes: 0, body: readBody(PAGE) });
    expect(after.statusName).toBe('no_access');
    c.close();
  });

  it('another connection reaches a region only by attaching with its token', async () => {
    const a = await WireClient.connect(node.address);
    const b = await WireClient.connect(node.address);
    const id = await openRegion(a, 1 * MiB, TOKEN_A);
    await a.call({ op: Op.write, regionId: id, offsetBytes: 0, body: pattern(9, PAGE) });
    // b (authenticated with its own token) knows the id but never attached: no access, and no data in the reply
    expect((await b.call({ op: Op.auth, body: authBody(TOKEN_B) })).statusName).toBe('ok');
    const stolen = await b.call({ op: Op.read, regionId: id, offsetBytes: 0, body: readBody(PAGE) });
    expect(stolen.statusName).toBe('no_access');
    expect(stolen.body.equals(pattern(9, PAGE))).toBe(false);
    const overwrite = await b.call({ op: Op.write, regionId: id, offsetBytes: 0, body: Buffer.alloc(PAGE, 1) });
    expect(overwrite.statusName).toBe('no_access');
    // attaching with the wrong token is refused
    const wrong = await b.call({ op: Op.attach, regionId: id, body: attachBody(TOKEN_B) });
    expect(wrong.statusName).toBe('token_rejected');
    // an unknown id looks the same as a wrong token
    const unknown = await b.call({ op: Op.attach, regionId: id ^ 1n, body: attachBody(TOKEN_A) });
    expect(unknown.statusName).toBe('token_rejected');
    // the right token attaches (a reconnecting owner), and a's data is intact
    const ok = await b.call({ op: Op.attach, regionId: id, body: attachBody(TOKEN_A) });
    expect(ok.statusName).toBe('ok');
    const data = await b.call({ op: Op.read, regionId: id, offsetBytes: 0, body: readBody(PAGE) });
    expect(data.body.equals(pattern(9, PAGE))).toBe(true);
    a.close();
    b.close();
  });

  it('a node with a tokens file refuses other tokens, and closes after repeated failures', async () => {
    const c = await WireClient.connect(restricted.address);
    const okId = await openRegion(c, 1 * MiB, TOKEN_A);
    expect(okId).not.toBe(0n);
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await c.call({ op: Op.open, body: openBody(1 * MiB, TOKEN_B) }).catch(() => null);
      if (r) statuses.push(r.statusName);
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 'token_rejected')).toBe(true);
    expect(await c.waitClosed(5000)).toBe(true);
  });

  it('checks every offset and length', async () => {
    const c = await WireClient.connect(node.address);
    const id = await openRegion(c, 1 * MiB, TOKEN_A);
    const cases: [bigint | number, number, string][] = [
      [1 * MiB, PAGE, 'out_of_bounds'],             // starts at the end
      [1 * MiB - PAGE, 2 * PAGE, 'out_of_bounds'],  // runs past the end
      [100, PAGE, 'out_of_bounds'],                 // unaligned offset
      [0, 100, 'out_of_bounds'],                    // unaligned length
      [0, 0, 'out_of_bounds'],                      // empty
      [2n ** 64n - BigInt(PAGE), 2 * PAGE, 'out_of_bounds'], // offset + length overflows 64 bits
      [0, 8 * MiB, 'out_of_bounds'],                // above the per-request maximum
    ];
    for (const [off, len, want] of cases) {
      const r = await c.call({ op: Op.read, regionId: id, offsetBytes: off, body: readBody(len) });
      expect(r.statusName, `read ${off}+${len}`).toBe(want);
      expect(r.body.length).toBeLessThan(200);
    }
    const w = await c.call({ op: Op.write, regionId: id, offsetBytes: 1 * MiB, body: Buffer.alloc(PAGE) });
    expect(w.statusName).toBe('out_of_bounds');
    const badOpen = await c.call({ op: Op.open, body: openBody(12345, TOKEN_A) });
    expect(badOpen.statusName).toBe('bad_request');
    const shortBody = await c.call({ op: Op.open, body: Buffer.alloc(3) });
    expect(shortBody.statusName).toBe('bad_request');
    const unknownOp = await c.call({ op: 99 });
    expect(unknownOp.statusName).toBe('unknown_op');
    // the connection survived all of that
    const ping = await c.call({ op: Op.ping });
    expect(ping.statusName).toBe('ok');
    c.close();
  });

  it('refuses regions beyond its capacity with an error, not an OOM', async () => {
    const c = await WireClient.connect(node.address);
    expect((await c.call({ op: Op.auth, body: authBody(TOKEN_A) })).statusName).toBe('ok');
    const stats0 = (await c.call({ op: Op.stats })).body;
    const capacity = Number(stats0.readBigUInt64LE(0));
    const reserved = Number(stats0.readBigUInt64LE(8));
    expect(capacity).toBe(64 * MiB);
    const tooBig = await c.call({ op: Op.open, body: openBody(capacity - reserved + PAGE, TOKEN_A) });
    expect(tooBig.statusName).toBe('capacity');
    const fits = await c.call({ op: Op.open, body: openBody(capacity - reserved, TOKEN_A) });
    expect(fits.statusName).toBe('ok');
    const full = await c.call({ op: Op.open, body: openBody(PAGE, TOKEN_A) });
    expect(full.statusName).toBe('capacity');
    await c.call({ op: Op.close, regionId: fits.value });
    const again = await c.call({ op: Op.open, body: openBody(PAGE * 16, TOKEN_A) });
    expect(again.statusName).toBe('ok');
    c.close();
  });

  it('closes a connection that declares a huge body or loses framing, and keeps serving others', async () => {
    const good = await WireClient.connect(node.address);
    const id = await openRegion(good, 1 * MiB, TOKEN_A);
    await good.call({ op: Op.write, regionId: id, offsetBytes: 0, body: pattern(5, PAGE) });

    const huge = await WireClient.connect(node.address);
    huge.raw(encodeRequest({ op: Op.write, regionId: id, bodyBytes: 0xffffffff }));
    expect(await huge.waitClosed(5000)).toBe(true);

    const badMagic = await WireClient.connect(node.address);
    badMagic.raw(encodeRequest({ op: Op.ping, magic: 0xdeadbeef }));
    expect(await badMagic.waitClosed(5000)).toBe(true);

    const badVersion = await WireClient.connect(node.address);
    const v = await badVersion.call({ op: Op.ping, version: 7 }).catch(() => null);
    if (v) expect(v.statusName).toBe('bad_version');
    expect(await badVersion.waitClosed(5000)).toBe(true);

    const r = await good.call({ op: Op.read, regionId: id, offsetBytes: 0, body: readBody(PAGE) });
    expect(r.body.equals(pattern(5, PAGE))).toBe(true);
    good.close();
  });

  it('survives fuzzed streams (random bytes, truncated frames, huge lengths) and still serves', async () => {
    const good = await WireClient.connect(node.address);
    const id = await openRegion(good, 1 * MiB, TOKEN_A);
    await good.call({ op: Op.write, regionId: id, offsetBytes: PAGE, body: pattern(77, PAGE) });
    const frame = fc.record({
      op: fc.integer({ min: 0, max: 255 }),
      regionId: fc.oneof(fc.constant(id), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
      offsetBytes: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      bodyBytes: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
      cut: fc.option(fc.integer({ min: 0, max: 330 }), { nil: undefined }),
    });
    const stream = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((a) => Buffer.from(a)),
      fc.array(frame, { minLength: 1, maxLength: 8 }).map((frames) =>
        Buffer.concat(frames.map((f) => {
          const b = encodeRequest({ op: f.op, regionId: f.regionId, offsetBytes: f.offsetBytes, body: f.body, bodyBytes: f.bodyBytes });
          return f.cut === undefined ? b : b.subarray(0, f.cut);
        }))),
    );
    await fc.assert(
      fc.asyncProperty(stream, async (bytes) => {
        const evil = await WireClient.connect(node.address);
        evil.socket.on('error', () => {});
        evil.raw(bytes);
        await new Promise((r) => setTimeout(r, 5));
        evil.close();
        // the well-behaved client is still served, with its own data intact
        const r = await good.call({ op: Op.read, regionId: id, offsetBytes: PAGE, body: readBody(PAGE) });
        return r.statusName === 'ok' && r.body.equals(pattern(77, PAGE));
      }),
      { numRuns: 150, seed: 20250 },
    );
    expect(node.proc.exitCode).toBeNull();
    const stats = (await good.call({ op: Op.stats })).body;
    expect(Number(stats.readBigUInt64LE(0))).toBe(64 * MiB);
    good.close();
  });
});
