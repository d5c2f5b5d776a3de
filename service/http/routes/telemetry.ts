// POST /v1/telemetry: node daemons that cannot reach Redis (or a service on the in-process bus) send their
// telemetry records over HTTP; they land on the same bus streams the service reads.
import type { Hono } from 'hono';
import { NotFoundError } from '../../errors.ts';
import type { HttpDeps } from '../deps.ts';
import { MAX_TELEMETRY_BODY_BYTES } from '../limits.ts';
import type { RouteDoc } from '../route-doc.ts';
import { errorSchema, telemetryBody } from '../schemas.ts';
import { jsonBody } from '../validate.ts';
import { z } from 'zod';

export function registerTelemetry(app: Hono, d: HttpDeps): void {
  const bus = d.service.bus;
  app.post('/v1/telemetry', async (c) => {
    const { records } = await jsonBody(c, telemetryBody, MAX_TELEMETRY_BODY_BYTES);
    const byNode = new Map<string, string[]>();
    for (const r of records) {
      let list = byNode.get(r.node);
      if (!list) byNode.set(r.node, (list = []));
      list.push(JSON.stringify(r));
    }
    for (const node of byNode.keys()) if (!(await bus.getNode(node))) throw new NotFoundError('node', node);
    for (const [node, texts] of byNode) await bus.appendTelemetry(node, texts);
    return c.json({ accepted: records.length }, 202);
  });
}

export const telemetryDocs: RouteDoc[] = [{
  method: 'post', path: '/v1/telemetry', summary: 'Append telemetry records (what a node daemon observed of its apps)', auth: true,
  body: { schema: telemetryBody },
  responses: {
    202: { description: 'appended to the nodes\' telemetry streams; ingested by the replica holding each node', schema: z.object({ accepted: z.number() }) },
    400: { description: 'a record is invalid; details name each bad field', schema: errorSchema },
    404: { description: 'a record names a node that is not registered', schema: errorSchema },
  },
}];
