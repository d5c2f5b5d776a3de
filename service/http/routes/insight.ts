// What the dashboard reads beyond the registry: a node's recent rounds (history, kept by the service) and an
// app's estimate (curve, hull, model, confidence). Thin wrappers over service/control.
import type { Hono } from 'hono';
import { appEstimate } from '../../control/app-estimate.ts';
import { nodeHistory } from '../../control/history.ts';
import type { HttpDeps } from '../deps.ts';
import { appEstimateSchema, historyQuery, historySchema } from '../insight-schemas.ts';
import type { RouteDoc } from '../route-doc.ts';
import { busId, errorSchema } from '../schemas.ts';
import { check, queryOf } from '../validate.ts';

export function registerInsight(app: Hono, d: HttpDeps): void {
  const s = d.service;
  const id = (raw: string): string => check(busId, raw, 'id');
  app.get('/v1/nodes/:id/history', async (c) => {
    const nid = id(c.req.param('id'));
    const q = check(historyQuery, queryOf(c), 'query');
    return c.json(await nodeHistory(s.bus, s.history, nid, q.since === undefined ? 0 : Number(q.since)));
  });
  app.get('/v1/apps/:id/estimate', async (c) => c.json(await appEstimate(s.bus, s.estimators, id(c.req.param('id')))));
}

const idParam = { id: 'letters, digits and . _ : - (at most 128)' };
const bad = { description: 'invalid input; details name each bad field', schema: errorSchema };

export const insightDocs: RouteDoc[] = [
  { method: 'get', path: '/v1/nodes/{id}/history', summary: 'A node\'s recent rounds: bundles, predicted and measured normalized throughput, prices, markers',
    description: 'Kept in memory by the replica (from every replica\'s announcements), at most `maxRounds` rounds per node. ' +
      'Measurements are stored on the round whose bundle they were measured under.',
    params: idParam, query: historyQuery,
    responses: { 200: { description: 'the rounds, oldest first', schema: historySchema }, 400: bad, 404: { description: 'node not found', schema: errorSchema } } },
  { method: 'get', path: '/v1/apps/{id}/estimate', summary: 'An app\'s model: miss-ratio curve, its lower convex hull, the point it holds, confidence',
    params: idParam,
    responses: { 200: { description: 'the app\'s estimate', schema: appEstimateSchema }, 400: bad, 404: { description: 'app not found', schema: errorSchema } } },
];
