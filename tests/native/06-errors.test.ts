// Failures surface as errors with a reason, never as a hang or a crash: bad options are InputErrors that
// name the field; an unreachable memory node, a rejected token and a full memory node are FarMemoryErrors;
// a memory node lost mid-run fails the region after bounded retries (faults complete, the 'failed' event
// says why); a closed region's buffer is detached.
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FarMemoryError, openRegion, type RegionOptions } from '../../native/index.ts';
import { InputError } from '../../service/errors.ts';
import { MiB, type MemNodeProc, PAGE, startMemNodeProc, tempDir, waitFor, writeTokensFile } from './helpers.ts';

const TOKEN = 'errors-test-token';
let node: MemNodeProc;
const tmp = tempDir('spirit-errors-');

beforeAll(async () => {
  node = await startMemNodeProc(['--capacity-mb', '32']);
});
afterAll(async () => {
  await node?.kill();
  tmp.cleanup();
});

const base = (): RegionOptions => ({ memnode: node.address, sizeBytes: 4 * MiB, cacheBytes: 1 * MiB, bandwidthMbps: 1000, token: TOKEN, controlDir: tmp.dir });

/** A port with nothing listening (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('errors and failures', () => {
  it('rejects bad options with InputError naming the field', async () => {
    const cases: [Partial<RegionOptions> & Record<string, unknown>, RegExp][] = [
      [{ sizeBytes: 4 * MiB + 1 }, /sizeBytes.*(integer|multiple of 4096)/],
      [{ sizeBytes: 1024 }, /sizeBytes.*between/],
      [{ cacheBytes: 4096 }, /cacheBytes.*between 65536/],
      [{ bandwidthMbps: 0 }, /bandwidthMbps.*between/],
      [{ bandwidthMbps: Number.POSITIVE_INFINITY }, /bandwidthMbps.*finite/],
      [{ token: 'short' }, /token.*8\.\.256 bytes/],
      [{ memnode: 'localhost' }, /memnodes\[0\].*host:port/],
      [{ memnode: '127.0.0.1:70000' }, /memnodes\[0\]/],
      [{ memnode: undefined, memnodes: ['a:1', 'b:2', 'c:3', 'd:4'] }, /memnodes.*at most 3/],
      [{ memnode: undefined, memnodes: ['a:1', 'a:1'] }, /different memory node/],
      [{ sampleRate: 2 }, /sampleRate.*between 0 and 1/],
      [{ controlDir: '/nonexistent/dir' }, /controlDir.*does not exist/],
      [{ cacheMB: 4 }, /cacheMB.*not a known field/],
      [{ timeoutMs: 5 }, /timeoutMs.*between/],
    ];
    for (const [patch, message] of cases) {
      const err = await rejection(openRegion({ ...base(), ...patch } as RegionOptions));
      expect(err, JSON.stringify(patch)).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(message);
    }
    const missing = await rejection(openRegion({ memnode: node.address, sizeBytes: 4 * MiB, token: TOKEN } as RegionOptions));
    expect((missing as Error).message).toMatch(/cacheBytes.*required/);
    expect(await rejection(openRegion(null as unknown as RegionOptions))).toBeInstanceOf(InputError);
  });

  it('reports an unreachable memory node within the connect timeout', async () => {
    const t0 = Date.now();
    const err = await rejection(openRegion({ ...base(), memnode: `127.0.0.1:${await deadPort()}`, connectTimeoutMs: 500 }));
    expect(err).toBeInstanceOf(FarMemoryError);
    expect((err as FarMemoryError).reason).toBe('unreachable');
    expect((err as Error).message).toMatch(/127\.0\.0\.1/);
    expect(Date.now() - t0).toBeLessThan(5000);
    // a failed open leaves nothing behind: no control block in the directory
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.ctl'))).toEqual([]);
  });

  it('reports a rejected token and a full memory node by reason', async () => {
    const restricted = await startMemNodeProc(['--capacity-mb', '8', '--tokens-file', writeTokensFile(tmp.dir, ['the-only-good-token'])]);
    try {
      const bad = await rejection(openRegion({ ...base(), memnode: restricted.address }));
      expect(bad).toBeInstanceOf(FarMemoryError);
      expect((bad as FarMemoryError).reason).toBe('token_rejected');
      const ok = await openRegion({ ...base(), memnode: restricted.address, token: 'the-only-good-token' });
      const full = await rejection(openRegion({ ...base(), memnode: restricted.address, token: 'the-only-good-token', sizeBytes: 8 * MiB }));
      expect((full as FarMemoryError).reason).toBe('capacity');
      await ok.close();
    } finally {
      await restricted.kill();
    }
  });

  it('fails the region after bounded retries when its only memory node dies; faults never hang', async () => {
    const doomed = await startMemNodeProc(['--capacity-mb', '32']);
    const region = await openRegion({ ...base(), memnode: doomed.address, timeoutMs: 500, connectTimeoutMs: 200, retries: 2 });
    const failures: FarMemoryError[] = [];
    region.on('failed', (e: FarMemoryError) => failures.push(e));
    const mem = new Uint32Array(region.buffer);
    const pages = (4 * MiB) / PAGE;
    for (let p = 0; p < pages; p++) mem[p * 1024] = p + 1;  // 4x the cache: most pages now live remotely
    expect(region.stats().writebackPages).toBeGreaterThan(0);
    await doomed.kill('SIGKILL');
    const t0 = Date.now();
    let sum = 0;
    for (let p = 0; p < pages; p++) sum += mem[p * 1024];  // faults on lost pages complete (with zeros)
    const elapsedMs = Date.now() - t0;
    expect(elapsedMs).toBeLessThan(10_000);
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(await waitFor(() => failures.length === 1, 3000)).toBe(true);
    expect(failures[0].reason).toBe('unreachable');
    expect(region.failure?.reason).toBe('unreachable');
    const s = region.stats();
    expect(s.state).toBe('failed');
    expect(s.failReason).toBe('unreachable');
    expect(() => region.setLimits({ cacheBytes: 2 * MiB })).toThrow(FarMemoryError);
    expect(() => region.drainSamples()).toThrow(FarMemoryError);  // as docs/dataplane.md says
    await expect(region.flush()).rejects.toThrow(FarMemoryError);
    await region.close();
  });

  it('fails a region whose memory node freezes (SIGSTOP) instead of waiting forever', async () => {
    const frozen = await startMemNodeProc(['--capacity-mb', '32']);
    const region = await openRegion({ ...base(), memnode: frozen.address, timeoutMs: 300, connectTimeoutMs: 200, retries: 1 });
    try {
      const mem = new Uint32Array(region.buffer);
      const pages = (4 * MiB) / PAGE;
      for (let p = 0; p < pages; p++) mem[p * 1024] = p + 1;
      frozen.proc.kill('SIGSTOP');
      const t0 = Date.now();
      let sum = 0;
      for (let p = 0; p < pages; p++) sum += mem[p * 1024];
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(sum).toBeGreaterThanOrEqual(0);
      expect(await waitFor(() => region.failure !== null, 3000)).toBe(true);
      expect(region.failure!.reason).toBe('unreachable');
      expect(region.stats().requestTimeouts).toBeGreaterThanOrEqual(1);
    } finally {
      await region.close();
      frozen.proc.kill('SIGCONT');
      await frozen.kill();
    }
  });

  it('reports region_lost when the memory node comes back without the region', async () => {
    const first = await startMemNodeProc(['--capacity-mb', '32']);
    // enough retries (about 7 s of backoff) to outlast the restart below
    const region = await openRegion({ ...base(), memnode: first.address, timeoutMs: 500, connectTimeoutMs: 200, retries: 10 });
    const mem = new Uint32Array(region.buffer);
    for (let p = 0; p < 1024; p++) mem[p * 1024] = p + 1;
    await first.kill('SIGKILL');
    // restart on the same port: the reconnect reaches a live node that never heard of the region
    const restarted = await startMemNodeProc(['--capacity-mb', '32', '--port', String(first.port)]);
    try {
      for (let p = 0; p < 1024; p++) void mem[p * 1024];
      expect(await waitFor(() => region.failure !== null, 10_000)).toBe(true);
      expect(region.failure!.reason).toBe('region_lost');
      expect(region.failure!.message).toMatch(/refused ATTACH/);
    } finally {
      await region.close();
      await restarted.kill();
    }
  });

  it('close() detaches the buffer, removes the control block, and later calls throw', async () => {
    const region = await openRegion(base());
    const mem = new Uint8Array(region.buffer);
    mem[0] = 42;
    const path = region.controlPath;
    expect(existsSync(path)).toBe(true);
    await region.close();
    expect(region.buffer.byteLength).toBe(0);
    expect(mem.length).toBe(0);
    expect(mem[0]).toBeUndefined();
    expect(existsSync(path)).toBe(false);
    expect(() => region.stats()).toThrow(/closed/);
    await region.close();  // idempotent
  });
});
