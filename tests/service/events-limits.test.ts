// GET /v1/events against a real server on loopback: the token when one is configured (header, or ?token=
// for a browser's EventSource; --open-events leaves it open), 404 for a node that is not registered, and
// slots: one client without the token gets at most its share of streams (429 with Retry-After beyond),
// a client with the token still gets in, and closed streams give their slots back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../service/bus/memory.ts';
import type { SpiritService } from '../../service/control/service.ts';
import { createHttpApp } from '../../service/http/app.ts';
import { EventClients } from '../../service/http/event-clients.ts';
import { MAX_SSE_ANON_CLIENTS, MAX_SSE_CLIENTS, MAX_SSE_PER_ADDRESS } from '../../service/http/limits.ts';
import { listen, type RunningServer } from '../../service/http/server.ts';
import { makeService } from './harness.ts';

const TOKEN = 'events-test-token';
let service: SpiritService;
let closed: RunningServer;   // token required on /v1/events
let opened: RunningServer;   // token configured, events left open (dashboards)
const streams: AbortController[] = [];
/** listeners the service holds itself (the dashboard's history), before any stream */
let ownListeners = 0;

beforeAll(async () => {
  service = (await makeService(new MemoryBus(), { intervalMs: 1000 })).service;
  await service.start();
  ownListeners = service.events.listenerCount;
  closed = await listen(createHttpApp({ service, token: TOKEN, wasmLoaded: false }), 0, '127.0.0.1');
  opened = await listen(createHttpApp({ service, token: TOKEN, openEvents: true, wasmLoaded: false }), 0, '127.0.0.1');
  const r = await fetch(`${closed.url}/v1/nodes/ev1`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ capacity: { cacheMB: 1024, bandwidthMbps: 1000 } }) });
  expect(r.status).toBe(201);
});

afterAll(async () => {
  for (const a of streams) a.abort();
  await closed?.close();
  await opened?.close();
  await service?.stop();
});

/** Opens a stream; resolves with the response status once its headers arrive (the stream stays open). */
async function stream(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const ac = new AbortController();
  streams.push(ac);
  const res = await fetch(url, { signal: ac.signal, headers });
  return res;
}

async function helloOf(res: Response): Promise<string> {
  const reader = res.body!.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  return new TextDecoder().decode(value);
}

describe('GET /v1/events: who may follow', () => {
  it('needs the token when one is configured, as a header or ?token=, unless events are left open', async () => {
    const none = await stream(`${closed.url}/v1/events`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('unauthorized');
    const wrong = await stream(`${closed.url}/v1/events`, { authorization: 'Bearer nope-nope' });
    expect(wrong.status).toBe(401);
    const header = await stream(`${closed.url}/v1/events`, { authorization: `Bearer ${TOKEN}` });
    expect(header.status).toBe(200);
    expect(await helloOf(header)).toMatch(/event: hello/);
    const query = await stream(`${closed.url}/v1/events?token=${TOKEN}`);
    expect(query.status).toBe(200);
    const badQuery = await stream(`${closed.url}/v1/events?token=wrong-token`);
    expect(badQuery.status).toBe(401);
    const open = await stream(`${opened.url}/v1/events`);
    expect(open.status).toBe(200);
    // the token still guards the mutating routes of the open-events server
    const put = await fetch(`${opened.url}/v1/nodes/ev2`, { method: 'PUT', body: JSON.stringify({ capacity: { cacheMB: 1, bandwidthMbps: 1 } }) });
    expect(put.status).toBe(401);
  });

  it('answers 404 for a node that is not registered, before streaming anything', async () => {
    const res = await stream(`${closed.url}/v1/events?node=nope`, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'not_found', message: "node 'nope' not found" });
    const known = await stream(`${closed.url}/v1/events?node=ev1`, { authorization: `Bearer ${TOKEN}` });
    expect(known.status).toBe(200);
  });

  it('gives one client without the token at most its share of streams, and a client with it still gets in', async () => {
    for (const a of streams.splice(0)) a.abort();
    await waitOpen(0);
    const mine: Response[] = [];
    for (let i = 0; i < MAX_SSE_PER_ADDRESS; i++) mine.push(await stream(`${opened.url}/v1/events`));
    expect(mine.map((r) => r.status)).toEqual(Array(MAX_SSE_PER_ADDRESS).fill(200));
    const refused = await stream(`${opened.url}/v1/events`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { code: string }).code).toBe('too_many');
    const daemon = await stream(`${opened.url}/v1/events?node=ev1`, { authorization: `Bearer ${TOKEN}` });
    expect(daemon.status).toBe(200);
    // closed streams give their slots back
    for (const a of streams.splice(0)) a.abort();
    await waitOpen(0);
    const again = await stream(`${opened.url}/v1/events`);
    expect(again.status).toBe(200);
  });
});

/** Waits until the server side has seen the aborted streams end (their slots are released then): n streams left. */
async function waitOpen(n: number): Promise<void> {
  const end = Date.now() + 30_000;
  while (service.events.listenerCount - ownListeners > n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(service.events.listenerCount - ownListeners).toBeLessThanOrEqual(n);
}

describe('EventClients', () => {
  it('keeps anonymous streams to their share in all, leaves the rest to token holders, and counts releases once', () => {
    const c = new EventClients();
    const held: { release: () => void }[] = [];
    for (let i = 0; i < MAX_SSE_ANON_CLIENTS; i++) {
      const s = c.admit(`10.0.${Math.floor(i / MAX_SSE_PER_ADDRESS)}.${i % MAX_SSE_PER_ADDRESS}`, false);
      if (!('release' in s)) throw new Error(`refused at ${i}`);
      held.push(s);
    }
    expect(c.admit('10.9.9.9', false)).toMatchObject({ status: 503 });
    for (let i = MAX_SSE_ANON_CLIENTS; i < MAX_SSE_CLIENTS; i++) {
      const s = c.admit('10.1.1.1', true);
      if (!('release' in s)) throw new Error(`token holder refused at ${i}`);
      held.push(s);
    }
    expect(c.admit('10.1.1.1', true)).toMatchObject({ status: 503 });
    held[0].release();
    held[0].release();  // a second release gives nothing back twice
    expect(c.open).toBe(MAX_SSE_CLIENTS - 1);
    expect('release' in c.admit('10.9.9.9', false)).toBe(true);
  });
});
