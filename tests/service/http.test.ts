// The HTTP API: requests through the Hono app (app.request) and, for server-sent events, a real server.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../service/bus/memory.ts';
import type { SpiritService } from '../../service/control/service.ts';
import { createHttpApp, openApiDocument, ROUTE_DOCS } from '../../service/http/app.ts';
import { MAX_REGISTRY_BODY_BYTES } from '../../service/http/limits.ts';
import { fingerprint, SolveCache } from '../../service/http/solve-cache.ts';
import { listen } from '../../service/http/server.ts';
import { example, FakeDaemon, makeService, ROOT, waitFor } from './harness.ts';

const TOKEN = 'test-token-123';
let service: SpiritService;
let app: Hono;
let open: Hono;

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
const put = (path: string, body: unknown, a: Hono = app) => a.request(path, { method: 'PUT', ...json(body) });

beforeAll(async () => {
  service = (await makeService(new MemoryBus(), { intervalMs: 100 })).service;
  await service.start();
  app = createHttpApp({ service, token: TOKEN, wasmLoaded: false });
  open = createHttpApp({ service, wasmLoaded: false });
});
afterAll(async () => { await service.stop(); });

describe('POST /v1/solve', () => {
  const text = readFileSync(join(ROOT, 'examples', 'paper-mix.json'), 'utf8');

  it.each(['spirit', 'static', 'drf'])('returns exactly what `spirit solve --policy %s` prints', async (policy) => {
    const res = await app.request(`/v1/solve?policy=${policy}`, { method: 'POST', body: text });
    expect(res.status).toBe(200);
    const http = await res.json() as Record<string, unknown>;
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'spirit.js'), 'solve', join(ROOT, 'examples', 'paper-mix.json'), '--policy', policy, '--engine', service.engine.kind], { encoding: 'utf8' });
    expect(cli.status).toBe(0);
    const printed = JSON.parse(cli.stdout) as Record<string, unknown>;
    // elapsedMs is a measurement of each run; everything else is the same document
    expect({ ...http, elapsedMs: 0 }).toEqual({ ...printed, elapsedMs: 0 });
    expect(http.policy).toBe(policy);
  });

  it('answers an identical request from the cache, with the same document', async () => {
    const body = JSON.stringify({ ...JSON.parse(text), name: 'cache-probe' });
    const a = await app.request('/v1/solve', { method: 'POST', body });
    const b = await app.request('/v1/solve', { method: 'POST', body });
    expect(a.headers.get('x-spirit-solve-cache')).toBe('miss');
    expect(b.headers.get('x-spirit-solve-cache')).toBe('hit');
    expect(await b.json()).toEqual(await a.json());
    const uncached = createHttpApp({ service, wasmLoaded: false, solveCache: false });
    await uncached.request('/v1/solve', { method: 'POST', body });
    const c = await uncached.request('/v1/solve', { method: 'POST', body });
    expect(c.headers.get('x-spirit-solve-cache')).toBe('miss');
  });

  it('rejects a bad scenario with 400 naming the field', async () => {
    const s = JSON.parse(text);
    s.apps[2].model.mrc[1][1] = 1.7;
    const res = await app.request('/v1/solve', { method: 'POST', body: JSON.stringify(s) });
    expect(res.status).toBe(400);
    const err = await res.json() as { code: string; message: string; details: { where: string }[] };
    expect(err.code).toBe('bad_input');
    expect(err.details.map((d) => d.where)).toContain('apps[2].model.mrc[1][1]');
  });

  it('rejects a bad policy, bad JSON and an empty body with 400', async () => {
    const p = await app.request('/v1/solve?policy=fairest', { method: 'POST', body: text });
    expect(p.status).toBe(400);
    expect(((await p.json()) as { details: { where: string }[] }).details[0].where).toBe('query.policy');
    const j = await app.request('/v1/solve', { method: 'POST', body: '{"capacity": ' });
    expect(j.status).toBe(400);
    expect(((await j.json()) as { message: string }).message).toMatch(/not valid JSON/);
    expect((await app.request('/v1/solve', { method: 'POST', body: '' })).status).toBe(400);
  });

  it('reads the query: escapes decoded, the first of a repeated key wins, unknown keys refused by name', async () => {
    const policyOf = async (q: string): Promise<string> => {
      const res = await app.request(`/v1/solve${q}`, { method: 'POST', body: text });
      expect(res.status, q).toBe(200);
      return ((await res.json()) as { policy: string }).policy;
    };
    expect(await policyOf('?policy=static&strict=0')).toBe('static');
    expect(await policyOf('?policy=st%61tic')).toBe('static'); // escaped: Hono's parser decodes it
    expect(await policyOf('?policy=drf&policy=static')).toBe('drf');
    expect(await policyOf('?')).toBe('spirit');
    expect(await policyOf('?policy=harvest#frag')).toBe('harvest');
    const refused: [string, string, RegExp?][] = [['?bogus=1', 'query', /bogus/], ['?__proto__=x', 'query', /__proto__/], ['?policy=spirit&strict=maybe', 'query.strict']];
    for (const [q, where, problem] of refused) {
      const res = await app.request(`/v1/solve${q}`, { method: 'POST', body: text });
      expect(res.status, q).toBe(400);
      const err = (await res.json()) as { details: { where: string; problem: string }[] };
      expect(err.details[0].where, q).toBe(where);
      if (problem) expect(err.details[0].problem, q).toMatch(problem);
    }
  });

  it('is open even when a token is configured (it changes nothing)', async () => {
    expect((await app.request('/v1/solve', { method: 'POST', body: text })).status).toBe(200);
  });
});

describe('registry', () => {
  it('nodes and apps: create, update, read, list, allocations, remove', async () => {
    const n = await put('/v1/nodes/h1', { capacity: { cacheMB: 1000, bandwidthMbps: 800 } });
    expect(n.status).toBe(201);
    expect((await put('/v1/nodes/h1', { capacity: { cacheMB: 1200, bandwidthMbps: 800 } })).status).toBe(200);
    const a = await put('/v1/apps/h1.a', { node: 'h1', weight: 2, limits: { maxCacheMB: 900 } });
    expect(a.status).toBe(201);
    expect(await a.json()).toMatchObject({ id: 'h1.a', node: 'h1', weight: 2, limits: { maxCacheMB: 900 } });
    expect((await put('/v1/apps/h1.b', { node: 'h1' })).status).toBe(201);
    expect((await put('/v1/apps/h1.b', { node: 'h1', weight: 1 })).status).toBe(200);
    const list = await (await app.request('/v1/apps?node=h1')).json() as { id: string }[];
    expect(list.map((x) => x.id)).toEqual(['h1.a', 'h1.b']);
    const node = await waitFor('an allocation of h1', async () => {
      const v = await (await app.request('/v1/nodes/h1')).json() as { allocation: { epoch: number } | null; apps: string[]; capacity: { cacheMB: number } };
      return v.allocation ? v : null;
    });
    expect(node.apps).toEqual(['h1.a', 'h1.b']);
    expect(node.capacity.cacheMB).toBe(1200);
    const alloc = await (await app.request('/v1/apps/h1.a/allocation')).json() as { cacheMB: number; node: string; epoch: number };
    expect(alloc.node).toBe('h1');
    expect(alloc.cacheMB).toBeCloseTo(800, 6); // weight 2 of 3 of 1200 MB, no data yet
    const nodeAlloc = await (await app.request('/v1/nodes/h1/allocation')).json() as { bundles: unknown[]; certificate: unknown };
    expect(nodeAlloc.bundles.length).toBe(2);
    expect(nodeAlloc.certificate).toBeTruthy();
    const nodes = await (await app.request('/v1/nodes')).json() as { id: string }[];
    expect(nodes.map((x) => x.id)).toContain('h1');
    // a node with apps cannot go
    const del = await app.request('/v1/nodes/h1', { method: 'DELETE', headers: json(null).headers });
    expect(del.status).toBe(400);
    expect(((await del.json()) as { message: string }).message).toMatch(/still has 2 app/);
    for (const id of ['h1.a', 'h1.b']) expect((await app.request(`/v1/apps/${id}`, { method: 'DELETE', headers: json(null).headers })).status).toBe(204);
    expect((await app.request('/v1/apps/h1.a')).status).toBe(404);
    expect((await app.request('/v1/nodes/h1', { method: 'DELETE', headers: json(null).headers })).status).toBe(204);
    expect((await app.request('/v1/nodes/h1')).status).toBe(404);
  });

  it('unknown apps and nodes are 404 with a JSON error', async () => {
    for (const path of ['/v1/apps/nope', '/v1/nodes/nope', '/v1/apps/nope/allocation', '/v1/nodes/nope/allocation', '/v1/apps?node=nope', '/v1/nowhere']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('not_found');
    }
    const res = await put('/v1/apps/x1', { node: 'no-such-node' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/node 'no-such-node'/);
  });

  it('a bad body is a 400 naming each bad field', async () => {
    await put('/v1/nodes/h2', { capacity: { cacheMB: 100, bandwidthMbps: 100 } });
    const res = await put('/v1/apps/h2.x', { node: 'h2', weight: -1, limits: { minCacheMB: 'lots' }, colour: 'red' });
    expect(res.status).toBe(400);
    const err = await res.json() as { details: { where: string }[] };
    const where = err.details.map((d) => d.where);
    expect(where).toEqual(expect.arrayContaining(['weight', 'limits.minCacheMB', '(root)']));
    const limits = await put('/v1/apps/h2.y', { node: 'h2', limits: { minCacheMB: 500 } });
    expect(limits.status).toBe(400);
    expect(((await limits.json()) as { message: string }).message).toMatch(/^limits\.minCacheMB: .*more than the node's whole cache/);
    await put('/v1/apps/h2.z', { node: 'h2', limits: { minCacheMB: 60 } });
    const sum = await put('/v1/apps/h2.w', { node: 'h2', limits: { minCacheMB: 60 } });
    expect(sum.status).toBe(400);
    expect(((await sum.json()) as { message: string }).message).toMatch(/at least 120 MB/);
    const model = await put('/v1/apps/h2.m', { node: 'h2', model: { type: 'mrc', mrc: [[0, 1], [0, 0.5]], pageBytes: 4096, localNs: 100, remoteNs: 1000 } });
    expect(model.status).toBe(400);
    expect(((await model.json()) as { message: string }).message).toMatch(/^model\.mrc\[1\]\[0\]: /);
    const badId = await put('/v1/apps/a%7Bb%7D', { node: 'h2' });
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { message: string }).message).toMatch(/^id: /);
    const noJson = await app.request('/v1/apps/h2.q', { method: 'PUT', body: 'weight=2', headers: json(null).headers });
    expect(noJson.status).toBe(400);
  });

  it('refuses numbers beyond what the market handles (weights, capacities, model times) with 400 naming them', async () => {
    const cap = { cacheMB: 1000, bandwidthMbps: 1000 };
    expect((await put('/v1/nodes/rng', { capacity: cap })).status).toBe(201);
    const cases: [string, unknown, RegExp][] = [
      ['/v1/apps/rng.a', { node: 'rng', weight: 1e20 }, /^weight: /],
      ['/v1/apps/rng.a', { node: 'rng', weight: 1e-9 }, /^weight: /],
      ['/v1/nodes/rng2', { capacity: { cacheMB: 1e300, bandwidthMbps: 10 } }, /^capacity\.cacheMB: must be between 0 and 1000000000/],
      ['/v1/nodes/rng2', { capacity: { cacheMB: 10, bandwidthMbps: 1e12 } }, /^capacity\.bandwidthMbps: /],
      ['/v1/apps/rng.b', { node: 'rng', model: { type: 'mrc', mrc: [[0, 1], [500, 0.1]], pageBytes: 4096, localNs: 1e15, remoteNs: 1000 } }, /^model\.localNs: /],
      ['/v1/apps/rng.b', { node: 'rng', model: { type: 'mrc', mrc: [[0, 1], [500, 0.1]], pageBytes: 1, localNs: 100, remoteNs: 1000 } }, /^model\.pageBytes: /],
    ];
    for (const [path, body, message] of cases) {
      const res = await put(path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(message);
    }
    // the ends of the ranges are accepted, and the node gets its allocation
    expect((await put('/v1/apps/rng.hi', { node: 'rng', weight: 1000 })).status).toBe(201);
    expect((await put('/v1/apps/rng.lo', { node: 'rng', weight: 0.001 })).status).toBe(201);
    await waitFor('an allocation of rng with both apps', async () => {
      const res = await app.request('/v1/nodes/rng/allocation');
      return res.status === 200 && ((await res.json()) as { bundles: unknown[] }).bundles.length === 2;
    });
  });

  it('a body over the limit is a 413', async () => {
    const big = JSON.stringify({ node: 'h2', pad: 'x'.repeat(MAX_REGISTRY_BODY_BYTES) });
    const res = await app.request('/v1/apps/h2.big', { method: 'PUT', body: big, headers: json(null).headers });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('too_large');
    // a chunked body (no Content-Length) is counted while it streams in
    const chunks = new ReadableStream<Uint8Array>({
      start(ctl) {
        const piece = new TextEncoder().encode('x'.repeat(1 << 20));
        for (let i = 0; i < 6; i++) ctl.enqueue(piece);
        ctl.close();
      },
    });
    const streamed = await app.request('/v1/apps/h2.big', { method: 'PUT', body: chunks, headers: json(null).headers, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('never answers bad input with a 500', async () => {
    await put('/v1/nodes/fz', { capacity: { cacheMB: 1000, bandwidthMbps: 1000 } });
    const routes: [string, string][] = [['PUT', '/v1/apps/fz.a'], ['PUT', '/v1/nodes/fz2'], ['POST', '/v1/solve'], ['POST', '/v1/telemetry']];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...routes), fc.oneof(fc.jsonValue(), fc.string()), async ([method, path], body) => {
      const res = await app.request(path, { method, body: typeof body === 'string' ? body : JSON.stringify(body), headers: json(null).headers });
      expect([200, 201, 202, 400, 404, 413]).toContain(res.status);
      if (res.status >= 400) expect(((await res.json()) as { code: string }).code).toMatch(/^(bad_input|not_found|too_large)$/);
    }), { numRuns: 150, seed: 4 });
  });
});

describe('auth', () => {
  it('mutating routes need the bearer token when one is configured; reads stay open', async () => {
    const body = JSON.stringify({ capacity: { cacheMB: 10, bandwidthMbps: 10 } });
    const none = await app.request('/v1/nodes/auth1', { method: 'PUT', body });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(((await none.json()) as { code: string }).code).toBe('unauthorized');
    const wrong = await app.request('/v1/nodes/auth1', { method: 'PUT', body, headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await app.request('/v1/nodes/auth1', { method: 'DELETE' })).status).toBe(401);
    expect((await app.request('/v1/telemetry', { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await app.request('/v1/nodes/auth1', { method: 'PUT', body, headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(201);
    expect((await app.request('/v1/nodes/auth1')).status).toBe(200);
    // without a configured token everything is open
    expect((await open.request('/v1/nodes/auth2', { method: 'PUT', body })).status).toBe(201);
  });
});

describe('telemetry over HTTP', () => {
  it('appends records to the bus; the service ingests them', async () => {
    const s = example('stream-vs-kvs');
    await put('/v1/nodes/t1', { capacity: s.capacity });
    for (const a of s.apps) await put(`/v1/apps/t1.${a.id}`, { node: 't1' });
    const before = await counter('spirit_telemetry_records_total');
    const records = new FakeDaemon('t1', s).records();
    const res = await app.request('/v1/telemetry', { method: 'POST', ...json({ records }) });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: records.length });
    await waitFor('records ingested', async () => (await counter('spirit_telemetry_records_total')) >= before + records.length);
    const bad = await app.request('/v1/telemetry', { method: 'POST', ...json({ records: [{ ...records[0], missRatio: 2 }] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: { where: string }[] }).details[0].where).toBe('records[0].missRatio');
    const unknown = await app.request('/v1/telemetry', { method: 'POST', ...json({ records: [{ ...records[0], node: 'ghost' }] }) });
    expect(unknown.status).toBe(404);
  });
});

async function counter(name: string): Promise<number> {
  const line = (await service.metrics.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('health, metrics, OpenAPI, dashboard', () => {
  it('healthz and readyz', async () => {
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const r = await app.request('/readyz');
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ready: true, bus: { kind: 'memory', reachable: true }, engine: service.engine.kind, wasm: false });
  });

  it('readyz is 503 once the bus is unreachable', async () => {
    const bus = new MemoryBus();
    const s2 = (await makeService(bus)).service;
    await s2.start();
    const a2 = createHttpApp({ service: s2, wasmLoaded: false });
    expect((await a2.request('/readyz')).status).toBe(200);
    await s2.stop();
    await bus.close();
    const r = await a2.request('/readyz');
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ ready: false, bus: { reachable: false } });
  });

  it('metrics in Prometheus format', async () => {
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    for (const name of ['spirit_rounds_total', 'spirit_solve_duration_seconds_bucket', 'spirit_telemetry_records_total', 'spirit_apps', 'spirit_nodes', 'spirit_errors_total', 'spirit_http_requests_total']) {
      expect(text, name).toContain(`# TYPE ${name.replace(/_bucket$/, '')}`);
    }
    expect(text).toMatch(/spirit_solve_duration_seconds_count\{source="http"\} [1-9]/);
  });

  it('counts HTTP requests by method and status, carried over from one scrape to the next', async () => {
    const count = async (method: string, status: number): Promise<number> => {
      const m = new RegExp(`^spirit_http_requests_total\\{method="${method}",status="${status}"\\} (\\d+)$`, 'm').exec(await service.metrics.text());
      return m ? Number(m[1]) : 0;
    };
    const before = [await count('GET', 404), await count('GET', 200)];
    for (let i = 0; i < 3; i++) await app.request('/v1/no-such-route');
    await app.request('/healthz');
    expect(await count('GET', 404)).toBe(before[0] + 3);
    expect(await count('GET', 200)).toBe(before[1] + 1);
    expect(await count('GET', 404)).toBe(before[0] + 3); // a scrape hands over the pending counts once
  });

  it('the OpenAPI document covers every route, and every $ref resolves', async () => {
    const doc = await (await app.request('/openapi.json')).json() as { openapi: string; paths: Record<string, Record<string, { security?: unknown }>>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    const served = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`));
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
    expect([...documented].sort()).toEqual([...served].sort());
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(doc.components.schemas, r).toHaveProperty(r);
    // mutating registry routes are marked as needing the token
    expect(doc.paths['/v1/apps/{id}'].put.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/solve'].post.security).toBeUndefined();
    expect(ROUTE_DOCS.length).toBe(documented.size);
    expect(openApiDocument()).toEqual(doc);
  });

  it('the dashboard page follows /v1/events', async () => {
    const res = await app.request('/');
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('src="assets/dashboard.js"');
    expect(await (await app.request('/assets/dashboard.js')).text()).toContain("new EventSource('v1/events'");
  });
});

describe('GET /v1/events', () => {
  it('streams the current allocation, then every new round', async () => {
    const s = example('stream-vs-kvs');
    await put('/v1/nodes/e1', { capacity: s.capacity });
    await put('/v1/apps/e1.a', { node: 'e1' });
    await waitFor('a first allocation of e1', async () => (await app.request('/v1/nodes/e1/allocation')).status === 200);
    const server = await listen(app, 0, '127.0.0.1');
    const ac = new AbortController();
    try {
      const res = await fetch(`${server.url}/v1/events?node=e1`, { signal: ac.signal, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const reader = res.body!.getReader();
      const events: { event: string; data: { epoch?: number; node?: string } }[] = [];
      let buf = '';
      const dec = new TextDecoder();
      while (events.filter((e) => e.event === 'allocation').length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let k;
        while ((k = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, k);
          buf = buf.slice(k + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
      expect(events[0].event).toBe('hello');
      const allocs = events.filter((e) => e.event === 'allocation').map((e) => e.data);
      expect(allocs.every((d) => d.node === 'e1')).toBe(true);
      for (let i = 1; i < allocs.length; i++) expect(allocs[i].epoch!).toBeGreaterThan(allocs[i - 1].epoch!);
    } finally {
      ac.abort();
      await server.close();
    }
  });
});

describe('SolveCache', () => {
  it('keeps the most recently used entries', () => {
    const c = new SolveCache(2);
    c.set('s', 'a', '1');
    c.set('s', 'b', '2');
    expect(c.get('s', 'a')).toBe('1'); // a is now the newest
    c.set('s', 'c', '3');
    expect(c.get('s', 'b')).toBeUndefined();
    expect(c.get('s', 'a')).toBe('1');
    expect(c.get('s', 'c')).toBe('3');
    expect(c.size).toBe(2);
  });

  it('keeps scopes apart: the same body under another policy is another entry', () => {
    const c = new SolveCache(4);
    c.set('spirit', '{}', 'S');
    expect(c.get('static', '{}')).toBeUndefined();
    c.set('static', '{}', 'T');
    expect([c.get('spirit', '{}'), c.get('static', '{}')]).toEqual(['S', 'T']);
  });

  it('tells apart bodies that share a fingerprint and keeps both', () => {
    const a = 'x'.repeat(2560);
    const b = a.slice(0, 5) + 'y' + a.slice(6); // index 5 lies between samples (every 10th character)
    expect(fingerprint(b)).toBe(fingerprint(a));
    const c = new SolveCache(8);
    c.set('s', a, 'A');
    expect(c.get('s', b)).toBeUndefined(); // same slot, another body: never A's result
    c.set('s', b, 'B');
    expect([c.get('s', a), c.get('s', b)]).toEqual(['A', 'B']);
    expect(c.size).toBe(2);
  });

  it('changes its fingerprint with the length and with a sampled character', () => {
    expect(fingerprint('{"a":1}')).not.toBe(fingerprint('{"a":2}'));
    expect(fingerprint('{"a":1}')).not.toBe(fingerprint('{"a":10}'));
  });

  it('holds at most maxBytes of text, dropping the oldest entries', () => {
    const c = new SolveCache(100, 50);
    c.set('s', 'a'.repeat(10), 'r'.repeat(10));
    c.set('s', 'b'.repeat(10), 'r'.repeat(10));
    expect(c.heldBytes).toBe(40);
    c.set('s', 'c'.repeat(10), 'r'.repeat(10)); // 60 > 50: a goes
    expect(c.get('s', 'a'.repeat(10))).toBeUndefined();
    expect(c.get('s', 'c'.repeat(10))).toBe('r'.repeat(10));
    expect(c.heldBytes).toBe(40);
    c.set('s', 'd'.repeat(60), 'r'); // bigger than the whole budget: not kept, nothing else lost
    expect(c.get('s', 'd'.repeat(60))).toBeUndefined();
    expect(c.size).toBe(2);
  });

  it('replaces an entry of the same body without counting it twice', () => {
    const c = new SolveCache(4);
    c.set('s', 'abc', '1');
    c.set('s', 'abc', '22');
    expect(c.get('s', 'abc')).toBe('22');
    expect([c.size, c.heldBytes]).toEqual([1, 5]);
  });
});

describe('the daemon client over HTTP', () => {
  it('sends telemetry and follows its node with increasing epochs only', async () => {
    const s = example('stream-vs-kvs');
    await put('/v1/nodes/d1', { capacity: s.capacity });
    for (const a of s.apps) await put(`/v1/apps/d1.${a.id}`, { node: 'd1' });
    const server = await listen(app, 0, '127.0.0.1');
    const { httpNodeClient } = await import('../../service/bus/http-client.ts');
    const client = httpNodeClient(server.url, { token: TOKEN });
    const seen: number[] = [];
    const stop = await client.watchAllocation('d1', (d) => seen.push(d.epoch), { pollMs: 5000 });
    try {
      const before = await counter('spirit_telemetry_records_total');
      const records = new FakeDaemon('d1', s).records();
      await client.appendTelemetry(records);
      await waitFor('records ingested', async () => (await counter('spirit_telemetry_records_total')) >= before + records.length);
      await waitFor('several epochs over the event stream', () => seen.length >= 4);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
      await expect(client.appendTelemetry({ ...records[0], missRatio: -1 })).rejects.toThrow(/records\[0\]\.missRatio/);
      const noToken = httpNodeClient(server.url);
      await expect(noToken.appendTelemetry(records)).rejects.toThrow(/401/);
    } finally {
      await stop();
      await server.close();
    }
    expect(() => httpNodeClient('not a url')).toThrow(/service: 'not a url' is not a URL/);
  });

  it('parses server-sent events split anywhere, with comments and CRLF', async () => {
    const { SseParser } = await import('../../service/bus/http-client.ts');
    const text = ': keep-alive\r\n\r\nevent: allocation\r\nid: n:1\r\ndata: {"a":1}\r\n\r\nevent: hello\ndata: x\ndata: y\n\n';
    for (const step of [1, 3, 7, text.length]) {
      const got: [string, string][] = [];
      const p = new SseParser((e, d) => got.push([e, d]));
      for (let i = 0; i < text.length; i += step) p.push(text.slice(i, i + step));
      expect(got).toEqual([['allocation', '{"a":1}'], ['hello', 'x\ny']]);
    }
  });
});
