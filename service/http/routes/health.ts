// Health, readiness, metrics and the OpenAPI document.
import type { Hono } from 'hono';
import type { HttpDeps } from '../deps.ts';
import type { RouteDoc } from '../route-doc.ts';
import { healthSchema, readySchema } from '../schemas.ts';
import { z } from 'zod';

export function registerHealth(app: Hono, d: HttpDeps, openapi: () => unknown): void {
  const s = d.service;
  app.get('/healthz', (c) => c.json({ status: 'ok' as const }));
  app.get('/readyz', async (c) => {
    const reachable = await s.bus.ping();
    const ready = reachable && s.isRunning;
    const body = { ready, bus: { kind: s.bus.kind, reachable }, engine: s.engine.kind, wasm: d.wasmLoaded, replica: s.replica, nodesLeased: s.leases.held.size };
    return c.json(body, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    c.header('Content-Type', s.metrics.contentType);
    return c.body(await s.metrics.text());
  });
  let doc: string | null = null;
  app.get('/openapi.json', (c) => {
    doc ??= JSON.stringify(openapi());
    c.header('Content-Type', 'application/json');
    return c.body(doc);
  });
}

export const healthDocs: RouteDoc[] = [
  { method: 'get', path: '/healthz', summary: 'The process is alive', responses: { 200: { description: 'alive', schema: healthSchema } } },
  { method: 'get', path: '/readyz', summary: 'Ready: the bus is reachable and the service runs (reports whether the WASM core loaded)',
    responses: { 200: { description: 'ready', schema: readySchema }, 503: { description: 'not ready (same body)', schema: readySchema } } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics: rounds, solve latency, telemetry, apps, nodes, errors',
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain', schema: z.string() } } },
  { method: 'get', path: '/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', schema: z.object({}).loose() } } },
];
