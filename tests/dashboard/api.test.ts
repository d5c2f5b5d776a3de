// The API behind the dashboard, through the Hono app and a real server for events: a node's history with
// predicted and measured throughput, an app's estimate (curve, hull, the point it holds), registry events on
// /v1/events (also from another replica), the ping heartbeat, and the files the pages are made of.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../service/bus/memory.ts';
import type { AllocationDoc } from '../../service/bus/types.ts';
import { HISTORY_ROUNDS } from '../../service/control/limits.ts';
import type { RegistryEvent } from '../../service/control/registry-events.ts';
import type { SpiritService } from '../../service/control/service.ts';
import { missRatioAt, splitMissRatio } from '../../service/estimator/model.ts';
import { createHttpApp } from '../../service/http/app.ts';
import { listen, type RunningServer } from '../../service/http/server.ts';
import type { MrcModel, Partition } from '../../service/scenario/types.ts';
import { example, makeService, ROOT, waitFor } from '../service/harness.ts';
import { standIn, type StandIn } from './stand-in.ts';

const TOKEN = 'api-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const bus = new MemoryBus();
let service: SpiritService;
let app: Hono;
let server: RunningServer;
let daemon: StandIn;
const s = example('stream-vs-kvs');
const models = s.apps.map((a) => a.model as MrcModel);

const send = (method: string, path: string, body?: unknown) => app.request(path, {
  method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

interface HistoryDoc { node: string; maxRounds: number; rounds: { epoch: number; marker: string | null; prices?: unknown; bundles: { app: string; cacheMB: number; normalizedPerf: number; referenceOpsPerSec?: number; measured?: { records: number; throughputOpsPerSec: number; cacheMB: number }; measuredNormalized?: number }[] }[] }

beforeAll(async () => {
  service = (await makeService(bus, { intervalMs: 150 })).service;
  await service.start();
  app = createHttpApp({ service, token: TOKEN, wasmLoaded: false }, { sseHeartbeatMs: 300 });
  server = await listen(app, 0, '127.0.0.1');
  expect((await send('PUT', '/v1/nodes/h1', { capacity: s.capacity })).status).toBe(201);
  expect((await send('PUT', '/v1/apps/h1.stream', { node: 'h1', model: models[0] })).status).toBe(201);
  expect((await send('PUT', '/v1/apps/h1.kvs', { node: 'h1', model: models[1] })).status).toBe(201);
  daemon = standIn(server.url, TOKEN, 'h1', () => [{ id: 'h1.stream', model: models[0] }, { id: 'h1.kvs', model: models[1] }], 50);
}, 60_000);

afterAll(async () => {
  daemon?.stop();
  await server?.close();
  await service?.stop();
  await bus.close();
});

describe('GET /v1/nodes/{id}/history', () => {
  it('keeps the rounds with predicted and measured normalized throughput, measured under the bundle they belong to', async () => {
    const h = await waitFor('rounds with measured throughput', async () => {
      const doc = await (await app.request('/v1/nodes/h1/history')).json() as HistoryDoc;
      return doc.rounds.filter((r) => r.bundles.every((b) => b.measuredNormalized !== undefined)).length >= 3 ? doc : null;
    });
    expect(h.node).toBe('h1');
    expect(h.maxRounds).toBe(HISTORY_ROUNDS);
    const epochs = h.rounds.map((r) => r.epoch);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    const measuredRounds = h.rounds.filter((r) => r.bundles.every((b) => b.measuredNormalized !== undefined));
    const gaps: number[] = [];
    for (const r of measuredRounds) {
      for (const b of r.bundles) {
        expect(b.referenceOpsPerSec).toBeGreaterThan(0);
        expect(b.measured!.records).toBeGreaterThan(0);
        // measured under this very bundle (the daemon's records say which bundle was in force)
        expect(b.measured!.cacheMB).toBeCloseTo(b.cacheMB, 6);
        expect(b.measuredNormalized).toBeCloseTo(b.measured!.throughputOpsPerSec / b.referenceOpsPerSec!, 9);
        gaps.push(Math.abs(Math.log(b.measuredNormalized! / b.normalizedPerf)));
      }
    }
    // the stand-in measures the true model at the bundle with 5% noise, and the models (declared, then
    // estimated from that telemetry) are close to the true ones: measured follows predicted
    gaps.sort((a, b) => a - b);
    expect(gaps[Math.floor(gaps.length / 2)]).toBeLessThan(0.1);
    const measuredRound = measuredRounds.at(-1)!;
    expect(h.rounds[0].marker).toBe('changed');
    expect(h.rounds.every((r) => r.prices)).toBe(true);
    // the market gives the stream its cliff: far above its equal share, measured too
    const stream = measuredRound.bundles.find((b) => b.app === 'h1.stream')!;
    expect(stream.measuredNormalized).toBeGreaterThan(2);
  });

  it('?since returns the rounds from that epoch on; bad input is a 400 naming the field, an unknown node 404', async () => {
    const all = await (await app.request('/v1/nodes/h1/history')).json() as HistoryDoc;
    const from = all.rounds[Math.floor(all.rounds.length / 2)].epoch;
    const part = await (await app.request(`/v1/nodes/h1/history?since=${from}`)).json() as HistoryDoc;
    expect(part.rounds[0].epoch).toBe(from);
    expect(part.rounds.every((r) => r.epoch >= from)).toBe(true);
    const bad = await app.request('/v1/nodes/h1/history?since=soon');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: { where: string }[] }).details[0].where).toBe('query.since');
    expect((await app.request('/v1/nodes/h1/history?until=3')).status).toBe(400);
    expect((await app.request('/v1/nodes/nope/history')).status).toBe(404);
    expect((await app.request('/v1/nodes/bad%20id/history')).status).toBe(400);
  });

  it('the allocation documents carry the means of the telemetry and the reference throughput', async () => {
    const doc = await waitFor('a round with measurements', async () => {
      const d = await (await app.request('/v1/nodes/h1/allocation')).json() as AllocationDoc;
      return d.bundles.every((b) => b.measured && b.referenceOpsPerSec) ? d : null;
    });
    for (const b of doc.bundles) {
      const m = b.measured!;
      const model = models[b.app === 'h1.stream' ? 0 : 1];
      expect(m.records).toBeGreaterThan(0);
      expect(m.fromMs).toBeLessThanOrEqual(m.toMs);
      expect(m.missRatio).toBeGreaterThanOrEqual(0);
      expect(m.missRatio).toBeLessThanOrEqual(1);
      expect(m.pageTrafficBytesPerSec).toBeCloseTo(m.throughputOpsPerSec * m.missRatio * model.pageBytes, -3);
    }
  });
});

describe('GET /v1/apps/{id}/estimate', () => {
  it('the model behind the bundle, its curve, the convex hull below it, and the point the app holds', async () => {
    const e = await waitFor('an estimate with an allocation', async () => {
      const r = await (await app.request('/v1/apps/h1.stream/estimate')).json() as {
        app: string; node: string; weight: number; modelSource: string; curve: [number, number][]; hull: [number, number][];
        holds: { cacheMB: number; missRatio: number; partitioned: boolean } | null; allocation: { cacheMB: number; partitions?: Partition[] } | null;
        estimate: { confidence: number } | null;
      };
      return r.allocation && r.estimate ? r : null;
    });
    expect(e).toMatchObject({ app: 'h1.stream', node: 'h1', weight: 1 });
    // the estimator of this replica has seen the stand-in's telemetry (its curve is the daemon's curve)
    expect(e.modelSource).toBe('estimator');
    expect(e.curve.length).toBeGreaterThanOrEqual(2);
    for (const [c, m] of e.curve) expect(missRatioAt(e.hull, c)).toBeLessThanOrEqual(m + 1e-12);
    expect(e.hull.length).toBeLessThan(e.curve.length); // the stream's cliff is bridged
    expect(e.holds!.cacheMB).toBe(e.allocation!.cacheMB);
    // a convexified round splits the stream's pages when its cache lies on the bridge over the cliff: then it
    // holds the hull's miss ratio through its partitions, else the curve's
    const parts = e.allocation!.partitions;
    expect(e.holds!.partitioned).toBe(Boolean(parts?.length));
    expect(e.holds!.missRatio).toBeCloseTo(parts?.length ? splitMissRatio(e.curve, parts) : missRatioAt(e.curve, e.allocation!.cacheMB), 12);
  });

  it('a declared model before any telemetry; 404 for an unknown app, 400 for a bad id', async () => {
    expect((await send('PUT', '/v1/apps/h1.quiet', { node: 'h1', model: models[1], weight: 2, limits: { maxCacheMB: 3000 } })).status).toBe(201);
    const e = await (await app.request('/v1/apps/h1.quiet/estimate')).json() as { modelSource: string; estimate: unknown; weight: number; limits: unknown; curve: unknown };
    expect(e).toMatchObject({ modelSource: 'declared', estimate: null, weight: 2, limits: { maxCacheMB: 3000 }, curve: models[1].mrc });
    expect((await send('DELETE', '/v1/apps/h1.quiet')).status).toBe(204);
    expect((await app.request('/v1/apps/nope/estimate')).status).toBe(404);
    expect((await app.request('/v1/apps/a%2Fb/estimate')).status).toBe(400);
  });
});

/** Reads server-sent events from a real connection until `until` says so. */
async function readEvents(url: string, until: (evs: { event: string; data: unknown }[]) => boolean, act?: () => Promise<void>): Promise<{ event: string; data: unknown }[]> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal, headers: AUTH });
  expect(res.headers.get('content-type'), res.headers.get('content-type')?.includes('json') ? await res.text() : '').toMatch(/text\/event-stream/);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const events: { event: string; data: unknown }[] = [];
  let buf = '';
  let acted = false;
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let k: number;
      while ((k = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, k);
        buf = buf.slice(k + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1];
        events.push({ event, data: data === undefined ? undefined : JSON.parse(data) });
      }
      if (!acted && act && events.some((e) => e.event === 'hello')) { acted = true; await act(); }
    }
  } finally {
    ac.abort();
  }
  return events;
}

describe('registry events on GET /v1/events', () => {
  it('a node and an app registered, then deleted, arrive as they happen; ?node= keeps only that node\'s', async () => {
    const done = (evs: { event: string; data: unknown }[]) => evs.some((e) => e.event === 'registry' && (e.data as RegistryEvent).kind === 'node' && (e.data as RegistryEvent).change === 'deleted');
    // a stream follows a node that exists (an unknown one is a 404): ev1 is registered first
    expect((await send('PUT', '/v1/nodes/ev1', { capacity: s.capacity })).status).toBe(201);
    const act = async () => {
      expect((await send('PUT', '/v1/apps/ev1.a', { node: 'ev1', model: models[1] })).status).toBe(201);
      expect((await send('PUT', '/v1/nodes/ev2', { capacity: s.capacity })).status).toBe(201);
      expect((await send('DELETE', '/v1/apps/ev1.a')).status).toBe(204);
      expect((await send('DELETE', '/v1/nodes/ev2')).status).toBe(204);
      expect((await send('DELETE', '/v1/nodes/ev1')).status).toBe(204);
    };
    const evs = await readEvents(`${server.url}/v1/events?node=ev1`, done, act);
    const reg = evs.filter((e) => e.event === 'registry').map((e) => e.data as RegistryEvent);
    expect(reg.map((e) => `${e.kind} ${e.change} ${e.id}`)).toEqual(['app registered ev1.a', 'app deleted ev1.a', 'node deleted ev1']);
    expect(reg[0].record).toMatchObject({ id: 'ev1.a', node: 'ev1', weight: 1, declaredModel: true });
    expect(reg[0].record).not.toHaveProperty('model');
    const hello = evs[0];
    expect(hello.event).toBe('hello');
    expect(hello.data).toMatchObject({ node: 'ev1', intervalMs: 150, heartbeatMs: 300 });
  });

  it('a quiet stream sends ping events with the server time', async () => {
    expect((await send('PUT', '/v1/nodes/quiet1', { capacity: s.capacity })).status).toBe(201);
    const evs = await readEvents(`${server.url}/v1/events?node=quiet1`, (e) => e.filter((x) => x.event === 'ping').length >= 2);
    expect((await send('DELETE', '/v1/nodes/quiet1')).status).toBe(204);
    const pings = evs.filter((e) => e.event === 'ping').map((e) => e.data as { timeMs: number });
    expect(pings[1].timeMs).toBeGreaterThan(pings[0].timeMs);
  });

  it('a registration made through another replica reaches this replica\'s listeners (at its next lease tick)', async () => {
    const other = (await makeService(bus, { intervalMs: 150 })).service;
    await other.start();
    try {
      const heard: RegistryEvent[] = [];
      const stop = other.events.listenRegistry((ev) => heard.push(ev));
      expect((await send('PUT', '/v1/nodes/far1', { capacity: s.capacity })).status).toBe(201);
      await waitFor('the other replica to tell', () => heard.some((e) => e.id === 'far1' && e.change === 'registered'));
      expect((await send('DELETE', '/v1/nodes/far1')).status).toBe(204);
      await waitFor('the deletion too', () => heard.some((e) => e.id === 'far1' && e.change === 'deleted'));
      stop();
    } finally {
      await other.stop();
    }
  });
});

describe('pages and their files', () => {
  it('serves the dashboard, the API reference, the icon and the chart and reference packages from this process', async () => {
    for (const [path, type, has] of [
      ['/', /text\/html/, 'assets/dashboard.js'], ['/docs', /text\/html/, 'assets/swagger-ui.js'], ['/favicon.ico', /image\/svg\+xml/, '<svg'],
      ['/assets/uplot.js', /javascript/, 'uPlot'], ['/assets/uplot.css', /text\/css/, '.u-legend'], ['/assets/swagger-ui.js', /javascript/, 'SwaggerUIBundle'],
      ['/assets/swagger-ui.css', /text\/css/, '.swagger-ui'], ['/assets/dashboard.js', /javascript/, 'EventSource'],
    ] as const) {
      const r = await app.request(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toMatch(type);
      expect(await r.text(), path).toContain(has);
    }
  });

  it('serves only the files it lists: no path reaches the file system', async () => {
    for (const p of ['/assets/..%2Fassets.ts', '/assets/%2E%2E%2F%2E%2E%2Fpackage.json', '/assets/nope.js', '/assets/__proto__', '/assets/constructor']) {
      const r = await app.request(p);
      expect(r.status, p).toBe(404);
      expect(((await r.json()) as { code: string }).code).toBe('not_found');
    }
  });

  it('the dashboard\'s own files name no other origin (no CDN, no fonts from elsewhere)', () => {
    const dir = join(ROOT, 'service', 'http', 'dashboard');
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, ''), f).not.toMatch(/https?:\/\/|\/\/[a-z0-9-]+\.[a-z]{2,}\//i);
    }
  });
});
