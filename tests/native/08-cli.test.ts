// The command line: `spirit memnode` (logs the port it picked, serves, stops on SIGTERM, refuses bad
// flags with exit 2) and `spirit bench farmem --quick --json` (one JSON document with the figures, floors,
// ratios, bandwidth windows, the integrity error count and the fully cached comparison; speed itself is not
// asserted here).
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { authBody, Op, WireClient } from '../../native/lib/wire.ts';
import { ROOT, SPIRIT, startMemNodeProc } from './helpers.ts';

function spirit(args: string[], timeoutMs = 30_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SPIRIT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, SPIRIT_MEMNODE_TOKENS: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('spirit memnode', () => {
  it('listens on the port it logs, serves the protocol, and stops cleanly on SIGTERM', async () => {
    const node = await startMemNodeProc(['--capacity-mb', '16', '--threads', '1']);
    expect(node.stderr()).toMatch(/memnode: listening on 127\.0\.0\.1:\d+ \(capacity 16 MiB, 1 threads/);
    const c = await WireClient.connect(node.address);
    expect((await c.call({ op: Op.auth, body: authBody('cli-test-token') })).statusName).toBe('ok');
    expect((await c.call({ op: Op.ping })).statusName).toBe('ok');
    const stats = (await c.call({ op: Op.stats })).body;
    expect(Number(stats.readBigUInt64LE(0))).toBe(16 * 1024 * 1024);
    c.close();
    const exit = new Promise<number | null>((r) => node.proc.once('exit', (code) => r(code)));
    node.proc.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(node.stderr()).toMatch(/SIGTERM, stopping/);
  });

  it('refuses bad flags with exit code 2 and says which flag', () => {
    const cases: [string[], RegExp][] = [
      [['--port', 'abc'], /--port: 'abc' is not a whole number/],
      [['--port', '70000'], /--port: must be between 0 and 65535/],
      [['--capacity-mb', '0'], /--capacity-mb: must be between 1/],
      [['--threads', '99'], /--threads: must be between 1 and 16/],
      [['--tokens-file', '/nonexistent/tokens'], /--tokens-file: cannot read/],
      [['--host', ' '], /--host: must not be empty/],
      [[], /--tokens-file: no tokens: give --tokens-file F .* or --insecure/],
      [['--unused-orphan-ttl-s', '0'], /--unused-orphan-ttl-s: must be between 1/],
    ];
    for (const [args, message] of cases) {
      const r = spirit(['memnode', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^spirit: bad input: /m);
      expect(r.stderr).toMatch(message);
    }
  });

  it('reports a port already in use as a failure, not a hang', async () => {
    const node = await startMemNodeProc(['--capacity-mb', '16']);
    try {
      const r = spirit(['memnode', '--port', String(node.port), '--capacity-mb', '16', '--insecure']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/bind\/listen on 127\.0\.0\.1:\d+: Address already in use/);
    } finally {
      await node.kill();
    }
  });
});

describe('spirit bench farmem', () => {
  it('prints one JSON document with figures, floors, ratios, bandwidth windows, integrity and split regions', async () => {
    const child = spawn(process.execPath, [SPIRIT, 'bench', 'farmem', '--quick', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code, err).toBe(0);
    const f = JSON.parse(out) as Record<string, Record<string, unknown>> & { bandwidthLimit: Record<string, unknown>[] };
    const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
    for (const k of ['p50Us', 'p99Us']) {
      expect(positive((f.floors.bareFaultUs as Record<string, unknown>)[k])).toBe(true);
      expect(positive((f.floors.tcpRoundTripUs as Record<string, unknown>)[k])).toBe(true);
      expect(positive(f.faultLatency[k])).toBe(true);
    }
    expect(f.faultLatency.ratioP50ToFloor).toBeCloseTo((f.faultLatency.p50Us as number) / (f.floors.floorP50Us as number), 1);
    expect(positive(f.throughput.sequentialMiBps) && positive(f.throughput.randomMiBps) && positive(f.floors.tcpStreamMiBps)).toBe(true);
    expect(f.throughput.sequentialVsTcp).toBeCloseTo((f.throughput.sequentialMiBps as number) / (f.floors.tcpStreamMiBps as number), 1);
    expect(f.bandwidthLimit.map((b) => b.limitMbps)).toEqual([100, 500, 2000]);
    expect(f.bandwidthLimit.every((b) => (b.measuredMbps as number[]).length >= 1)).toBe(true);
    expect(f.integrity.errors).toBe(0);
    expect(f.integrity.evictions as number).toBeGreaterThan(0);
    // the fully cached region: rates on both sides, the ratio, and no eviction while it runs
    expect(positive(f.fullyCached.randomFarMAccessesPerSec) && positive(f.fullyCached.randomLocalMAccessesPerSec)).toBe(true);
    expect(positive(f.fullyCached.randomVsLocal) && positive(f.fullyCached.scanVsLocal)).toBe(true);
    expect((f.fullyCached.perSec as Record<string, number>).evictions).toBe(0);
    expect((f.fullyCached.perSec as Record<string, number>).parks).toBe((f.fullyCached.perSec as Record<string, number>).sampleParks);
    // the same region split in two: still nothing evicted or fetched (each partition holds all of its pages)
    const cs = f.fullyCached.split as Record<string, number>;
    expect(cs.partitions).toBe(2);
    expect(cs.evictions).toBe(0);
    expect(cs.fetchedPages).toBe(0);
    expect(positive(cs.randomVsUnsplit)).toBe(true);
    // every latency trial says how busy the machine was, and whether the figures were judged on quiet ones
    const lat = f.faultLatency as { trials: { quiet: boolean; otherCores: number; loadAvg1m: number }[]; judgedOn: string; withoutPolling: { trials: unknown[] } };
    for (const t of lat.trials) expect(t.otherCores).toBeGreaterThanOrEqual(0);
    expect(lat.judgedOn).toBe(lat.trials.some((t) => t.quiet) ? 'quiet trials' : 'loaded trials only: needs a quiet run');
    expect(lat.withoutPolling.trials).toHaveLength(lat.trials.length);
    // split regions: a scan at its cliff hits on half of its pages split at the hull point, on none unsplit
    // (hit ratios are counts of pages, not speeds: the machine's load does not move them)
    const sp = f.split as unknown as {
      cliff: { unsplitHitRatio: number; splitHitRatio: number; withinTolerance: boolean; errors: number }[];
      convex: { archetype: string; unsplitMissRatio: number; splitMissRatio: number; splitVsUnsplit: number; errors: number }[];
    };
    expect(sp.cliff).toHaveLength(2);
    for (const c of sp.cliff) {
      expect(c.unsplitHitRatio).toBeLessThan(0.05);
      expect(c.withinTolerance).toBe(true);
      expect(c.errors).toBe(0);
    }
    expect(sp.convex.map((c) => c.archetype)).toEqual(['kv', 'kv', 'kv', 'embedding', 'embedding', 'embedding']);
    for (const c of sp.convex) {
      expect(c.errors).toBe(0);
      expect(positive(c.splitVsUnsplit)).toBe(true);
      expect(c.splitMissRatio).toBeGreaterThan(0);
      // a split between two close knots of a convex curve misses about as often as the whole (±25% on a short run)
      expect(c.splitMissRatio / c.unsplitMissRatio).toBeGreaterThan(0.75);
      expect(c.splitMissRatio / c.unsplitMissRatio).toBeLessThan(1.25);
    }
  }, 300_000);
});
