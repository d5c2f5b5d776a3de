// POST /v1/solve of small scenarios on a real server (bodies with a Content-Length, solved on the event loop):
// answers written in groups (write-batch.ts) each carry their own request's solve, a lone request is answered
// without waiting for a group, and the group bound releases a full group at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../service/bus/memory.ts';
import type { SpiritService } from '../../service/control/service.ts';
import { createHttpApp } from '../../service/http/app.ts';
import { SOLVE_WRITE_BATCH } from '../../service/http/limits.ts';
import { listen, type RunningServer } from '../../service/http/server.ts';
import { writeTurn } from '../../service/http/write-batch.ts';
import { solveScenario } from '../../service/market/solve.ts';
import { generateScenario } from '../../service/scenario/generate.ts';
import { validateScenario } from '../../service/scenario/validate.ts';
import { makeService } from './harness.ts';

describe('writeTurn', () => {
  it(`releases a full group of ${SOLVE_WRITE_BATCH} at once, before the event loop turns`, async () => {
    // (a check queued before the waiters: the turn of the event loop that would release a part group)
    let turned = false;
    setImmediate(() => { turned = true; });
    const released: number[] = [];
    const all = Array.from({ length: SOLVE_WRITE_BATCH }, (_, i) => writeTurn().then(() => { released.push(i); }));
    await Promise.all(all);
    expect(turned).toBe(false);
    expect(released).toEqual(Array.from({ length: SOLVE_WRITE_BATCH }, (_, i) => i));
  });

  it('releases a lone waiter (and a part group) when the event loop turns', async () => {
    let done = 0;
    const some = Array.from({ length: 3 }, () => writeTurn().then(() => { done++; }));
    await Promise.resolve();
    expect(done).toBe(0);
    await Promise.all(some);
    expect(done).toBe(3);
    await writeTurn(); // (a hang here would time the test out)
  });
});

describe('POST /v1/solve inline, on a real server', () => {
  let service: SpiritService;
  let server: RunningServer;

  beforeAll(async () => {
    service = (await makeService(new MemoryBus())).service;
    await service.start();
    server = await listen(createHttpApp({ service, wasmLoaded: false, solveCache: false }), 0, '127.0.0.1');
  });

  afterAll(async () => {
    await server?.close();
    await service?.stop();
  });

  const post = (body: string, policy = 'spirit'): Promise<Response> =>
    fetch(`${server.url}/v1/solve?policy=${policy}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } });

  it('answers many concurrent requests, each with the solve of its own scenario', async () => {
    const n = 3 * SOLVE_WRITE_BATCH + 5;
    const scenarios = Array.from({ length: n }, (_, i) => generateScenario({ apps: 2 + (i % 5), seed: 100 + i, weightedShare: 0.3 }));
    const policies = ['spirit', 'static', 'drf'];
    const answers = await Promise.all(scenarios.map((s, i) => post(JSON.stringify(s), policies[i % 3])));
    for (let i = 0; i < n; i++) {
      expect(answers[i].status).toBe(200);
      expect(answers[i].headers.get('content-length')).toBe(String((await answers[i].clone().arrayBuffer()).byteLength));
      const got = await answers[i].json() as Record<string, unknown>;
      const { scenario, warnings } = validateScenario(scenarios[i]);
      const want = solveScenario(service.engine, scenario, { policy: policies[i % 3] as 'spirit', warnings });
      expect({ ...got, elapsedMs: 0 }, `request ${i}`).toEqual({ ...JSON.parse(JSON.stringify(want)), elapsedMs: 0 });
    }
  });

  it('answers a lone request, and a bad one among good ones with 400 naming the field', async () => {
    const good = JSON.stringify(generateScenario({ apps: 6, seed: 7 }));
    const lone = await post(good);
    expect(lone.status).toBe(200);
    expect(((await lone.json()) as { allocations: unknown[] }).allocations).toHaveLength(6);
    const bad = JSON.parse(good) as { apps: { model: Record<string, unknown> }[] };
    bad.apps[3].model.localNs = -1;
    const mixed = await Promise.all([post(good), post(JSON.stringify(bad)), post(good)]);
    expect(mixed.map((r) => r.status)).toEqual([200, 400, 200]);
    const err = await mixed[1].json() as { details: { where: string }[] };
    expect(err.details[0].where).toBe('apps[3].model.localNs');
  });
});
