// POST /v1/solve: a scenario in, exactly the document `spirit solve` prints out. A solve is a pure function
// of (policy, strict, body), so results of identical requests are kept in a small LRU cache (header
// `X-Spirit-Solve-Cache: hit|miss`; a hit repeats the original solve's elapsedMs). The body is scanned as
// it streams in (scenario-scan.ts: app count, curve sizes, nesting), so an oversized one is refused at the
// byte that breaks a bound; small scenarios are solved here, larger ones in a worker thread (solve-pool.ts).
// Answers of small scenarios (solved, or from the cache) are written in groups (write-batch.ts).
import type { Hono } from 'hono';
import { performance } from 'node:perf_hooks';
import { resultJson } from '../../market/result-json.ts';
import { solveScenario } from '../../market/solve.ts';
import { parseScenarioText, validateScenario } from '../../scenario/validate.ts';
import { scenarioSchema } from '../../scenario/schema.ts';
import type { SolveResult } from '../../scenario/types.ts';
import { secFromMs } from '../../units.ts';
import type { HttpDeps } from '../deps.ts';
import {
  INLINE_SOLVE_MAX_APPS, INLINE_SOLVE_MAX_BYTES, MAX_SOLVE_BODY_BYTES, SOLVE_BUFFERED_BYTES_MAX, SOLVE_CACHE_BYTES, SOLVE_CACHE_ENTRIES,
  SOLVE_CACHE_MAX_BODY_BYTES, SOLVE_QUEUE_MAX, SOLVE_READ_WAITERS, SOLVE_READERS, SOLVE_WORKERS,
} from '../limits.ts';
import { ReadGate } from '../read-gate.ts';
import { readBodyBlocks } from '../body-blocks.ts';
import { UnavailableError } from '../errors.ts';
import { ScenarioScan } from '../scenario-scan.ts';
import { SolvePool } from '../solve-pool.ts';
import { SolveCache } from '../solve-cache.ts';
import { writeTurn } from '../write-batch.ts';
import type { RouteDoc } from '../route-doc.ts';
import { errorSchema, solveQuery } from '../schemas.ts';
import { bodyText, check, queryOf } from '../validate.ts';
import { readSpecSchema } from '../spec-schemas.ts';

export function registerSolve(app: Hono, d: HttpDeps): SolvePool {
  const cache = d.solveCache === false ? null : new SolveCache(SOLVE_CACHE_ENTRIES, SOLVE_CACHE_BYTES);
  const pool = new SolvePool(SOLVE_WORKERS, SOLVE_QUEUE_MAX);
  const gate = new ReadGate(SOLVE_READERS, SOLVE_READ_WAITERS);
  const { engine, metrics } = d.service;
  let buffered = 0;  // body bytes held by every solve request together (SOLVE_BUFFERED_BYTES_MAX)
  app.post('/v1/solve', async (c) => {
    const q = check(solveQuery, queryOf(c), 'query');
    const policy = q.policy ?? 'spirit';
    const strict = q.strict === 'true' || q.strict === '1';
    const scope = cache ? `${policy}\u0000${strict}\u0000${engine.kind}` : null;
    const length = Number(c.req.header('content-length') ?? NaN);
    if (length <= INLINE_SOLVE_MAX_BYTES) {
      // a small body (paper-mix is 3.5 KB): read whole (the server's fast path), looked up in the cache, then
      // parsed here (JSON.parse of at most 64 KiB is bounded, and native: a third of the byte scan's cost) and
      // solved here when it has few apps; many small apps in a small body still go to a worker
      const text = await bodyText(c, MAX_SOLVE_BODY_BYTES);
      const hit = scope ? cache!.get(scope, text) : undefined;
      if (hit) { await writeTurn(); return jsonResponse(hit, 'hit'); }
      const json = parseJsonOrUndefined(text);
      if (appCountOf(json) <= INLINE_SOLVE_MAX_APPS) {
        const t0 = performance.now();
        // (text that is not JSON goes through parseScenarioText for its message)
        const { scenario, warnings } = json === undefined ? parseScenarioText(text, { strict }) : validateScenario(json, { strict });
        const result: SolveResult = solveScenario(engine, scenario, { policy, warnings });
        metrics.solveSeconds.observe({ source: 'http' }, secFromMs(performance.now() - t0));
        const out = resultJson(result);
        if (scope) cache!.set(scope, text, out);
        await writeTurn();
        return jsonResponse(out, 'miss');
      }
      const bytes = Buffer.from(text);
      return solveInWorker([bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)], bytes.length, text);
    }
    // a large body, or one of unknown length: read a few at a time, scanned chunk by chunk as it arrives
    const scan = new ScenarioScan();
    let held = 0;
    const leave = await gate.enter();
    try {
      const body = await readBodyBlocks(c, MAX_SOLVE_BODY_BYTES, (chunk) => {
        if (buffered + chunk.length > SOLVE_BUFFERED_BYTES_MAX) {
          throw new UnavailableError(`solve requests hold ${Math.round(buffered / 2 ** 20)} MiB of scenarios (the limit is ${SOLVE_BUFFERED_BYTES_MAX / 2 ** 20} MiB); retry later`);
        }
        buffered += chunk.length;
        held += chunk.length;
        scan.push(chunk);
      });
      leave();
      const text = body.bytes <= SOLVE_CACHE_MAX_BODY_BYTES ? body.text() : null;
      const hit = scope && text !== null ? cache!.get(scope, text) : undefined;
      if (hit) return jsonResponse(hit, 'hit');
      return await solveInWorker(body.blocks, body.bytes, text);
    } finally {
      leave();
      buffered -= held;
    }

    async function solveInWorker(blocks: ArrayBuffer[], bytes: number, text: string | null): Promise<Response> {
      const solved = await pool.run({ policy, strict, engine: engine.kind, blocks, bytes });
      metrics.solveSeconds.observe({ source: 'http' }, secFromMs(solved.elapsedMs));
      if (scope && text !== null && text.length <= SOLVE_CACHE_MAX_BODY_BYTES) cache!.set(scope, text, new TextDecoder().decode(solved.result));
      return jsonResponse(solved.result, 'miss');
    }
  });
  return pool;
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The number of apps a parsed body declares (0 when it is not a scenario: validation then says why). */
function appCountOf(json: unknown): number {
  const apps = json !== null && typeof json === 'object' ? (json as { apps?: unknown }).apps : undefined;
  return Array.isArray(apps) ? apps.length : 0;
}

/**
 * A 200 with the document and plain-object headers. Why not c.header(): it builds a WHATWG Headers object,
 * which @hono/node-server then converts back for Node (~2 us a request); a plain object is written as is.
 */
function jsonResponse(body: string | Uint8Array<ArrayBuffer>, cacheState: 'hit' | 'miss'): Response {
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'x-spirit-solve-cache': cacheState } });
}

export const solveDocs: RouteDoc[] = [{
  method: 'post', path: '/v1/solve', summary: 'Solve one scenario (what-if): the same document `spirit solve` prints',
  description: 'Goes straight to the equilibrium (no trust region, no hysteresis). Identical requests are answered from a small cache.',
  query: solveQuery,
  body: { schema: scenarioSchema, description: 'a scenario (spec/scenario.schema.json)' },
  responses: {
    200: { description: 'the result with its certificate (spec/result.schema.json)', schema: readSpecSchema('result') },
    400: { description: 'the scenario or a query parameter is invalid; details name each bad field', schema: errorSchema },
    413: { description: 'the body is larger than the limit', schema: errorSchema },
    503: { description: 'too many large solves are waiting (or their bodies hold too much memory); Retry-After says when to retry', schema: errorSchema },
  },
}];
