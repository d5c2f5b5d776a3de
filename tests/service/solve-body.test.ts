// POST /v1/solve bodies: the streaming scan (app count, curve sizes, nesting) on any split of the bytes,
// refusal at the byte that breaks a bound, and large scenarios solved in a worker thread with exactly the
// document `spirit solve` prints (on a real server, through Node's request stream, and through app.request).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../service/bus/memory.ts';
import type { SpiritService } from '../../service/control/service.ts';
import { InputError } from '../../service/errors.ts';
import { createHttpApp } from '../../service/http/app.ts';
import { INLINE_SOLVE_MAX_APPS } from '../../service/http/limits.ts';
import { MAX_SCENARIO_DEPTH, ScenarioScan } from '../../service/http/scenario-scan.ts';
import { listen, type RunningServer } from '../../service/http/server.ts';
import { MAX_APPS, MAX_MRC_POINTS } from '../../service/limits.ts';
import { generateScenario } from '../../service/scenario/generate.ts';
import { makeService, ROOT } from './harness.ts';

const enc = new TextEncoder();

function scanAll(text: string, cuts: number[] = []): ScenarioScan {
  const bytes = enc.encode(text);
  const s = new ScenarioScan();
  let at = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < bytes.length)].sort((a, b) => a - b)) {
    s.push(bytes.subarray(at, c));
    at = c;
  }
  s.push(bytes.subarray(at));
  return s;
}

const tinyApp = (i: number, extra = ''): string =>
  `{"id":"a${i}","model":{"type":"mrc","mrc":[[0,1],[1,0]],"pageBytes":4096,"localNs":1,"remoteNs":1}${extra}}`;
const scenarioOf = (apps: string[]): string => `{"capacity":{"cacheMB":100,"bandwidthMbps":100},"apps":[${apps.join(',')}]}`;

describe('ScenarioScan', () => {
  it('counts the apps of any scenario, however its bytes are split', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1000 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(),
      (apps, seed, cuts, pretty) => {
        const s = generateScenario({ apps, seed } as never);
        const text = pretty ? JSON.stringify(s, null, 2) : JSON.stringify(s);
        const scan = scanAll(text, cuts.map((c) => c % (text.length + 1)));
        return scan.apps === apps;
      }), { numRuns: 150, seed: 11 });
  });

  it('is not fooled by brackets, quotes and keys inside strings, or by "apps" deeper down', () => {
    const tricky = [tinyApp(0, ',"name":"x\\"],[{\\"apps\\":[1,2,3]"'), `{"id":"b[1],{2}","apps":[1,2,3],"model":{"type":"mrc","mrc":[[0,1],[1,0]],"pageBytes":1,"localNs":1,"remoteNs":1}}`];
    const text = `{"name":"apps: [1, 2, 3]","capacity":{"cacheMB":1,"bandwidthMbps":1},"apps":[${tricky.join(' , ')}]}`;
    for (let cut = 0; cut < text.length; cut += 7) expect(scanAll(text, [cut]).apps).toBe(2);
  });

  it(`refuses the ${MAX_APPS + 1}th app at its first byte, before the rest is read`, () => {
    const text = scenarioOf(Array.from({ length: MAX_APPS + 50 }, (_, i) => tinyApp(i)));
    const s = new ScenarioScan();
    const bytes = enc.encode(text);
    let refusedAt = -1;
    try {
      for (let at = 0; at < bytes.length; at += 4096) s.push(bytes.subarray(at, at + 4096));
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).where).toBe('apps');
      expect((err as InputError).problem).toMatch(new RegExp(`more than ${MAX_APPS} apps`));
      refusedAt = s.apps;
    }
    expect(refusedAt).toBe(MAX_APPS + 1);
    // exactly the limit passes
    expect(scanAll(scenarioOf(Array.from({ length: MAX_APPS }, (_, i) => tinyApp(i)))).apps).toBe(MAX_APPS);
  });

  it('refuses a curve with too many points, a surface axis too long, and nesting deeper than a scenario', () => {
    const points = Array.from({ length: MAX_MRC_POINTS + 1 }, (_, k) => `[${k},${1 - k / (MAX_MRC_POINTS + 1)}]`).join(',');
    const longCurve = scenarioOf([tinyApp(0), `{"id":"c","model":{"type":"mrc","mrc":[${points}],"pageBytes":4096,"localNs":1,"remoteNs":1}}`]);
    expect(() => scanAll(longCurve)).toThrow(/apps\[1\]\.model\.mrc: has more than 10000 points/);
    const axis = Array.from({ length: 300 }, (_, k) => k).join(',');
    const surface = scenarioOf([`{"id":"s","model":{"type":"surface","cacheMB":[${axis}],"bandwidthMbps":[1,2],"throughput":[]}}`]);
    expect(() => scanAll(surface)).toThrow(/apps\[0\]\.model\.cacheMB: has more than 256 entries/);
    const row = scenarioOf([`{"id":"s","model":{"type":"surface","cacheMB":[1,2],"bandwidthMbps":[1,2],"throughput":[[1,2],[${axis}]]}}`]);
    expect(() => scanAll(row)).toThrow(/apps\[0\]\.model\.throughput\[1\]: has more than 256 values/);
    const deep = `{"capacity":${'['.repeat(MAX_SCENARIO_DEPTH)}${']'.repeat(MAX_SCENARIO_DEPTH)}}`;
    expect(() => scanAll(deep)).toThrow(/nests deeper than any scenario/);
    // the shipped examples pass, whatever their size
    const many = generateScenario({ apps: 300, seed: 1 } as never);
    expect(scanAll(JSON.stringify(many)).apps).toBe(300);
  });
});

describe('POST /v1/solve with large bodies', () => {
  let service: SpiritService;
  let server: RunningServer;
  let dir: string;
  const app = () => createHttpApp({ service, wasmLoaded: false });

  beforeAll(async () => {
    service = (await makeService(new MemoryBus())).service;
    await service.start();
    server = await listen(app(), 0, '127.0.0.1');
    dir = mkdtempSync(join(tmpdir(), 'spirit-solve-body-'));
  });

  afterAll(async () => {
    await server?.close();
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`solves a scenario of more than ${INLINE_SOLVE_MAX_APPS} apps in a worker, with exactly what spirit solve prints`, async () => {
    const s = generateScenario({ apps: 64, seed: 5 } as never);
    const text = JSON.stringify(s);
    const file = join(dir, 'big.json');
    writeFileSync(file, text);
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'spirit.js'), 'solve', file, '--engine', service.engine.kind], { encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    const printed = JSON.parse(cli.stdout) as Record<string, unknown>;
    for (const via of ['server', 'app.request'] as const) {
      const res = via === 'server'
        ? await fetch(`${server.url}/v1/solve?policy=spirit`, { method: 'POST', body: text })
        : await app().request('/v1/solve?policy=spirit', { method: 'POST', body: text });
      expect(res.status, via).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const got = await res.json() as Record<string, unknown>;
      expect({ ...got, elapsedMs: 0 }, via).toEqual({ ...printed, elapsedMs: 0 });
    }
    // a chunked body (no Content-Length) is read and scanned the same way
    const chunked = new ReadableStream<Uint8Array>({
      start(ctl) {
        const b = enc.encode(text);
        for (let at = 0; at < b.length; at += 1000) ctl.enqueue(b.subarray(at, at + 1000));
        ctl.close();
      },
    });
    const res = await fetch(`${server.url}/v1/solve`, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { allocations: unknown[] }).allocations).toHaveLength(64);
  });

  it('answers a bad large scenario with 400 naming the field, from the worker', async () => {
    const s = generateScenario({ apps: 64, seed: 6 } as never) as unknown as { apps: { model: Record<string, unknown> }[] };
    s.apps[40].model.localNs = -1;
    const res = await fetch(`${server.url}/v1/solve`, { method: 'POST', body: JSON.stringify(s) });
    expect(res.status).toBe(400);
    const err = await res.json() as { code: string; message: string; details: { where: string }[] };
    expect(err.code).toBe('bad_input');
    expect(err.details[0].where).toBe('apps[40].model.localNs');
  });

  it('refuses a 300k-app body with 400 long before the end of it, and keeps serving', async () => {
    const text = scenarioOf(Array.from({ length: 300_000 }, (_, i) => tinyApp(i)));
    expect(text.length).toBeGreaterThan(20 * 1024 * 1024);
    const res = await fetch(`${server.url}/v1/solve`, { method: 'POST', body: text }).catch((err: Error) => err);
    // the server answers 400 and closes the connection; a client still sending may see the close first
    if (res instanceof Response) {
      expect(res.status).toBe(400);
      const err = await res.json() as { message: string };
      const read = Number(/refused after (\d+) bytes/.exec(err.message)?.[1]);
      expect(read).toBeLessThan(text.length / 10);
    }
    const after = await fetch(`${server.url}/healthz`);
    expect(after.status).toBe(200);
  });
});
