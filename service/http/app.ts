// The Hono application of `spirit serve`: routes, the one error path, body limits, bearer auth for mutating
// routes, request metrics, the OpenAPI document, the dashboard and the API reference (/docs). Routes are thin; the work is in
// service/control (registry, loop) and service/market (solve).
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { bearerAuth } from './auth.ts';
import type { HttpDeps } from './deps.ts';
import { errorResponse, onError, UnavailableError } from './errors.ts';
import { MAX_REGISTRY_BODY_BYTES, MAX_SOLVE_BODY_BYTES, MAX_TELEMETRY_BODY_BYTES } from './limits.ts';
import { buildOpenApi } from './openapi.ts';
import type { RouteDoc } from './route-doc.ts';
import { dashboardDocs, registerDashboard } from './routes/dashboard.ts';
import { eventsDocs, registerEvents } from './routes/events.ts';
import { healthDocs, registerHealth } from './routes/health.ts';
import { insightDocs, registerInsight } from './routes/insight.ts';
import { registerRegistry, registryDocs } from './routes/registry.ts';
import { registerSolve, solveDocs } from './routes/solve.ts';
import { registerTelemetry, telemetryDocs } from './routes/telemetry.ts';

export const API_VERSION = '0.1.0';

export const ROUTE_DOCS: RouteDoc[] = [
  ...dashboardDocs, ...healthDocs, ...solveDocs, ...registryDocs, ...insightDocs, ...telemetryDocs, ...eventsDocs,
];

export function openApiDocument(): Record<string, unknown> {
  return buildOpenApi(ROUTE_DOCS, {
    title: 'Spirit allocation service',
    version: API_VERSION,
    description: 'Fair allocation of cache (MiB) and bandwidth (Mbps) among remote-memory applications (Spirit, SOSP 2025). ' +
      'Errors are JSON `{code, message, details?}`. Mutating routes need `Authorization: Bearer <token>` when a token is configured.',
  });
}

/** Body limit by route: a whole scenario for solve, a telemetry batch, one app or node otherwise. */
function limitFor(path: string): number {
  if (path === '/v1/solve') return MAX_SOLVE_BODY_BYTES;
  if (path === '/v1/telemetry') return MAX_TELEMETRY_BODY_BYTES;
  return MAX_REGISTRY_BODY_BYTES;
}

export function createHttpApp(d: HttpDeps, opts: { sseHeartbeatMs?: number } = {}): Hono {
  const app = new Hono();
  const { metrics, log } = d.service;
  const bus = d.service.bus;
  app.onError(onError(log, (kind) => metrics.errors.inc({ kind }), () => bus.unavailable()));
  app.notFound((c) => c.json({ code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }, 404));
  // Bodies with a Content-Length are checked against the limit before they are read (validate.ts bodyText),
  // which keeps @hono/node-server's fast body path; only chunked bodies (no length) are counted while they
  // stream in, by hono's body-limit middleware (it materializes a web Request, which is slower).
  const limiters = new Map([MAX_SOLVE_BODY_BYTES, MAX_TELEMETRY_BODY_BYTES, MAX_REGISTRY_BODY_BYTES].map((maxSize) => [maxSize, bodyLimit({
    maxSize,
    onError: (c) => c.json({ code: 'too_large', message: `request body is over the limit of ${maxSize} bytes` }, 413),
  })]));
  // one layer for all three (each async layer costs a promise and a microtask hop on every request); routes
  // that need the bus refuse at once while it is down (503, Retry-After) instead of waiting for their
  // commands to time out, while POST /v1/solve, which needs no bus, keeps working
  app.use('*', async function countAndLimit(c, next) {
    const m = c.req.method;
    const path = c.req.path;
    const down = path.startsWith('/v1/') && path !== '/v1/solve' ? bus.unavailable() : null;
    // POST /v1/solve counts (and scans) its body itself while it streams in (routes/solve.ts)
    const lengthKnown = m === 'GET' || m === 'HEAD' || c.req.header('content-length') !== undefined || path === '/v1/solve';
    // the limiter answers 413 itself with a response it returns (not set on c): pass it on. (next() resolves
    // to the context, not a response, so its value is not taken.)
    let res: Response | void = undefined;
    if (down !== null) {
      const { status, body, retryAfterS } = errorResponse(new UnavailableError(`${down}; retry later`));
      res = c.json(body, status, { 'Retry-After': String(retryAfterS) });
    } else if (lengthKnown) await next();
    else res = await limiters.get(limitFor(c.req.path))!(c, next);
    metrics.countHttp(m, (res ?? c.res).status);
    return res;
  });
  if (d.token) app.use('*', bearerAuth({ token: d.token, openEvents: d.openEvents })); // no token: no layer at all, every route open
  registerDashboard(app);
  registerHealth(app, d, openApiDocument);
  registerSolve(app, d);
  registerRegistry(app, d);
  registerInsight(app, d);
  registerTelemetry(app, d);
  registerEvents(app, d, { heartbeatMs: opts.sseHeartbeatMs });
  return app;
}
