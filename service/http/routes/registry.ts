// Nodes, apps and allocations: thin wrappers over service/control/registry.ts.
import type { Hono } from 'hono';
import * as reg from '../../control/registry.ts';
import type { HttpDeps } from '../deps.ts';
import { MAX_REGISTRY_BODY_BYTES } from '../limits.ts';
import type { RouteDoc } from '../route-doc.ts';
import {
  allocationSchema, appAllocationSchema, appBody, appRecordSchema, appViewSchema, busId, errorSchema, nodeBody,
  nodeFilterQuery, nodeRecordSchema, nodeViewSchema, withWarnings,
} from '../schemas.ts';
import { check, jsonBody, queryOf } from '../validate.ts';
import { z } from 'zod';

export function registerRegistry(app: Hono, d: HttpDeps): void {
  const bus = d.service.bus;
  const id = (raw: string): string => check(busId, raw, 'id');

  app.get('/v1/nodes', async (c) => c.json(await reg.listNodes(bus)));
  app.get('/v1/nodes/:id', async (c) => c.json(await reg.getNode(bus, id(c.req.param('id')))));
  app.put('/v1/nodes/:id', async (c) => {
    const nid = id(c.req.param('id'));
    const body = await jsonBody(c, nodeBody, MAX_REGISTRY_BODY_BYTES);
    const { node, created } = await d.service.putNode(nid, body);
    await d.service.syncRegistry(); // registry event to this replica's event clients now (others: next lease tick)
    return c.json(node, created ? 201 : 200);
  });
  app.delete('/v1/nodes/:id', async (c) => {
    await d.service.deleteNode(id(c.req.param('id')));
    await d.service.syncRegistry();
    return c.body(null, 204);
  });
  app.get('/v1/nodes/:id/allocation', async (c) => c.json(await reg.nodeAllocation(bus, id(c.req.param('id')))));

  app.get('/v1/apps', async (c) => {
    const q = check(nodeFilterQuery, queryOf(c), 'query');
    return c.json(await reg.listApps(bus, q.node));
  });
  app.get('/v1/apps/:id', async (c) => c.json(await reg.getApp(bus, id(c.req.param('id')))));
  app.put('/v1/apps/:id', async (c) => {
    const aid = id(c.req.param('id'));
    const body = await jsonBody(c, appBody, MAX_REGISTRY_BODY_BYTES);
    const { app: rec, created, warnings } = await d.service.putApp(aid, body);
    await d.service.syncRegistry();
    return c.json({ ...rec, ...(warnings.length ? { warnings } : {}) }, created ? 201 : 200);
  });
  app.delete('/v1/apps/:id', async (c) => {
    await d.service.deleteApp(id(c.req.param('id')));
    await d.service.syncRegistry();
    return c.body(null, 204);
  });
  app.get('/v1/apps/:id/allocation', async (c) => c.json(await reg.appAllocation(bus, id(c.req.param('id')))));
}

const idParam = { id: 'letters, digits and . _ : - (at most 128)' };
const bad = { description: 'invalid input; details name each bad field', schema: errorSchema };
const notFound = (what: string) => ({ description: `${what} not found`, schema: errorSchema });
const unauthorized = { description: 'a token is configured and the request has no or a wrong bearer token', schema: errorSchema };

export const registryDocs: RouteDoc[] = [
  { method: 'get', path: '/v1/nodes', summary: 'List nodes with capacity, apps, allocation, certificate and telemetry state',
    responses: { 200: { description: 'every node', schema: z.array(nodeViewSchema) } } },
  { method: 'get', path: '/v1/nodes/{id}', summary: 'Read a node', params: idParam,
    responses: { 200: { description: 'the node', schema: nodeViewSchema }, 400: bad, 404: notFound('node') } },
  { method: 'put', path: '/v1/nodes/{id}', summary: 'Register a node or change its capacity', auth: true, params: idParam,
    body: { schema: nodeBody },
    responses: { 200: { description: 'updated', schema: nodeRecordSchema }, 201: { description: 'created', schema: nodeRecordSchema }, 400: bad, 401: unauthorized } },
  { method: 'delete', path: '/v1/nodes/{id}', summary: 'Remove a node (its apps must be removed first)', auth: true, params: idParam,
    responses: { 204: { description: 'removed' }, 400: bad, 401: unauthorized, 404: notFound('node') } },
  { method: 'get', path: '/v1/nodes/{id}/allocation', summary: "A node's current allocation (epoch, bundles, prices, certificate)", params: idParam,
    responses: { 200: { description: 'the allocation', schema: allocationSchema }, 400: bad, 404: notFound('node or allocation') } },
  { method: 'get', path: '/v1/apps', summary: 'List apps (optionally of one node)', query: nodeFilterQuery,
    responses: { 200: { description: 'the apps with their current bundles', schema: z.array(appViewSchema) }, 400: bad, 404: notFound('node') } },
  { method: 'get', path: '/v1/apps/{id}', summary: 'Read an app', params: idParam,
    responses: { 200: { description: 'the app with its current bundle', schema: appViewSchema }, 400: bad, 404: notFound('app') } },
  { method: 'put', path: '/v1/apps/{id}', summary: 'Register or update an app (node, weight, limits, optional model)', auth: true, params: idParam,
    description: 'Handled at the next round of its node. Limits and the model are checked against the node (minima must fit its capacity).',
    body: { schema: appBody },
    responses: { 200: { description: 'updated', schema: withWarnings(appRecordSchema) }, 201: { description: 'created', schema: withWarnings(appRecordSchema) },
      400: bad, 401: unauthorized, 404: notFound('node') } },
  { method: 'delete', path: '/v1/apps/{id}', summary: 'Remove an app (its node is re-allocated at the next round)', auth: true, params: idParam,
    responses: { 204: { description: 'removed' }, 400: bad, 401: unauthorized, 404: notFound('app') } },
  { method: 'get', path: '/v1/apps/{id}/allocation', summary: "An app's current bundle", params: idParam,
    responses: { 200: { description: 'the bundle and the epoch it belongs to', schema: appAllocationSchema }, 400: bad, 404: notFound('app or allocation') } },
];
