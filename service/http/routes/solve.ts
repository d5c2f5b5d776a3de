// POST /v1/solve: a scenario in, exactly the document `spirit solve` prints out. A solve is a pure function
// of (policy, strict, body), so results of identical requests are kept in a small LRU cache (header
// `X-Spirit-Solve-Cache: hit|miss`; a hit repeats the original solve's elapsedMs).
import type { Hono } from 'hono';
import { performance } from 'node:perf_hooks';
import { solveScenario } from '../../market/solve.ts';
import { parseScenarioText } from '../../scenario/validate.ts';
import { scenarioSchema } from '../../scenario/schema.ts';
import type { SolveResult } from '../../scenario/types.ts';
import { secFromMs } from '../../units.ts';
import type { HttpDeps } from '../deps.ts';
import { MAX_SOLVE_BODY_BYTES, SOLVE_CACHE_BYTES, SOLVE_CACHE_ENTRIES, SOLVE_CACHE_MAX_BODY_BYTES } from '../limits.ts';
import { SolveCache } from '../solve-cache.ts';
import type { RouteDoc } from '../route-doc.ts';
import { errorSchema, solveQuery } from '../schemas.ts';
import { bodyText, check, queryOf } from '../validate.ts';
import { readSpecSchema } from '../spec-schemas.ts';

export function registerSolve(app: Hono, d: HttpDeps): void {
  const cache = d.solveCache === false ? null : new SolveCache(SOLVE_CACHE_ENTRIES, SOLVE_CACHE_BYTES);
  const { engine, metrics } = d.service;
  app.post('/v1/solve', async (c) => {
    const q = check(solveQuery, queryOf(c), 'query');
    const policy = q.policy ?? 'spirit';
    const strict = q.strict === 'true' || q.strict === '1';
    const text = await bodyText(c, MAX_SOLVE_BODY_BYTES);
    const scope = cache && text.length <= SOLVE_CACHE_MAX_BODY_BYTES ? `${policy}\u0000${strict}\u0000${engine.kind}` : null;
    const hit = scope ? cache!.get(scope, text) : undefined;
    if (hit) return jsonResponse(hit, 'hit');
    const t0 = performance.now();
    const { scenario, warnings } = parseScenarioText(text, { strict });
    const result: SolveResult = solveScenario(engine, scenario, { policy, warnings });
    metrics.solveSeconds.observe({ source: 'http' }, secFromMs(performance.now() - t0));
    const out = JSON.stringify(result);
    if (scope) cache!.set(scope, text, out);
    return jsonResponse(out, 'miss');
  });
}

/**
 * A 200 with the document and plain-object headers. Why not c.header(): it builds a WHATWG Headers object,
 * which @hono/node-server then converts back for Node (~2 us a request); a plain object is written as is.
 */
function jsonResponse(body: string, cacheState: 'hit' | 'miss'): Response {
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
  },
}];
