// GET /v1/events: server-sent events of every allocation round (node, epoch, bundles, prices, certificate),
// whichever replica computed it, and of every registration, update and deletion of a node or an app. A new
// client first gets each node's current allocation. A client that falls more than MAX_SSE_QUEUE events behind
// is disconnected (it can reconnect: the state is re-sent). When idle, a `ping` event every heartbeat lets a
// client tell a quiet stream from a dead one. Streams are slots (event-clients.ts): clients without the API
// token get a bounded share, per source address too.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { NotFoundError } from '../../errors.ts';
import type { AllocationDoc } from '../../bus/types.ts';
import type { RegistryEvent } from '../../control/registry-events.ts';
import { tokenCheck } from '../auth.ts';
import type { HttpDeps } from '../deps.ts';
import { TooManyError, UnavailableError } from '../errors.ts';
import { EventClients } from '../event-clients.ts';
import { MAX_SSE_QUEUE, SSE_HEARTBEAT_MS } from '../limits.ts';
import type { RouteDoc } from '../route-doc.ts';
import { busId, errorSchema } from '../schemas.ts';
import { check, queryOf } from '../validate.ts';
import { z } from 'zod';

type Item = { allocation: AllocationDoc } | { registry: RegistryEvent };

const eventsQuery = z.strictObject({
  node: busId.optional().describe('only this node (404 when it is not registered)'),
  token: z.string().optional().describe('the API token, for clients that cannot send headers (a browser\'s EventSource)'),
});

/** The client's address, the unit of the per-client limit ('unknown' outside a Node server, in tests). */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function registerEvents(app: Hono, d: HttpDeps, opts: { heartbeatMs?: number; clients?: EventClients } = {}): void {
  const { events, bus } = d.service;
  const heartbeatMs = opts.heartbeatMs ?? SSE_HEARTBEAT_MS;
  const clients = opts.clients ?? new EventClients();
  const withToken = tokenCheck(d.token);
  app.get('/v1/events', async (c) => {
    const q = check(eventsQuery, queryOf(c), 'query');
    if (q.node !== undefined && !(await bus.getNode(q.node))) throw new NotFoundError('node', q.node);
    const slot = clients.admit(clientAddress(c), withToken(c) === 'ok');
    if ('status' in slot) throw slot.status === 429 ? new TooManyError(slot.message) : new UnavailableError(slot.message);
    try {
      return await streamEvents(c, q.node, slot.release);
    } catch (err) {
      slot.release();
      throw err;
    }
  });

  async function streamEvents(c: Context, node: string | undefined, release: () => void): Promise<Response> {
    const wanted = (n: string): boolean => node === undefined || n === node;
    const queue: Item[] = [];
    let wake: (() => void) | null = null;
    let overflow = false;
    const enqueue = (item: Item): void => {
      if (queue.length >= MAX_SSE_QUEUE) overflow = true;
      else queue.push(item);
      wake?.();
    };
    const unlistenDocs = events.listen((doc) => { if (wanted(doc.node)) enqueue({ allocation: doc }); });
    const unlistenRegistry = events.listenRegistry((ev) => { if (wanted(ev.node)) enqueue({ registry: ev }); });
    const unlisten = (): void => { unlistenDocs(); unlistenRegistry(); };
    // the current state first (announcements arriving meanwhile are queued, and later epochs win)
    const initial: AllocationDoc[] = [];
    try {
      for (const n of node !== undefined ? [node] : (await bus.listNodes()).map((x) => x.id)) {
        const doc = events.latest.get(n) ?? (await bus.getAllocation(n));
        if (doc) initial.push(doc);
      }
    } catch (err) {
      unlisten();
      throw err;
    }
    return streamSSE(c, async (stream) => {
      stream.onAbort(release);
      const sent = new Map<string, number>();
      const send = async (item: Item): Promise<void> => {
        if ('registry' in item) {
          const ev = item.registry;
          // a node deleted and registered again starts over at epoch 1
          if (ev.kind === 'node' && ev.change === 'deleted') sent.delete(ev.id);
          await stream.writeSSE({ event: 'registry', data: JSON.stringify(ev) });
          return;
        }
        const doc = item.allocation;
        if ((sent.get(doc.node) ?? 0) >= doc.epoch) return;
        sent.set(doc.node, doc.epoch);
        await stream.writeSSE({ event: 'allocation', id: `${doc.node}:${doc.epoch}`, data: JSON.stringify(doc) });
      };
      stream.onAbort(() => { unlisten(); wake?.(); });
      try {
        await stream.writeSSE({
          event: 'hello',
          data: JSON.stringify({ replica: d.service.replica, node: node ?? null, intervalMs: d.service.intervalMs, heartbeatMs, timeMs: Date.now() }),
        });
        for (const doc of initial) await send({ allocation: doc });
        while (!stream.aborted && !overflow) {
          if (queue.length === 0) {
            const timedOut = await new Promise<boolean>((resolve) => {
              const t = setTimeout(() => resolve(true), heartbeatMs);
              wake = () => { clearTimeout(t); resolve(false); };
            });
            wake = null;
            if (timedOut && !stream.aborted) await stream.writeSSE({ event: 'ping', data: JSON.stringify({ timeMs: Date.now() }) });
            continue;
          }
          await send(queue.shift()!);
        }
      } finally {
        unlisten();
        release();
      }
    });
  }
}

export const eventsDocs: RouteDoc[] = [{
  method: 'get', path: '/v1/events', summary: 'Server-sent events: allocation rounds and registry changes of every node (or of one)',
  description: 'Events: `hello` once (data: `{replica, node, intervalMs, heartbeatMs, timeMs}`), then `allocation` (data: an Allocation, ' +
    'id: `<node>:<epoch>`), each node\'s current allocation first; `registry` when a node or an app is registered, updated or deleted ' +
    '(data: `{kind: "node"|"app", change: "registered"|"updated"|"deleted", id, node, record?}`; an app\'s record comes without its ' +
    'declared model, with `declaredModel: true|false`); `ping` (data: `{timeMs}`) after `heartbeatMs` (15 s) without another event.',
  query: eventsQuery,
  auth: true,
  responses: {
    200: { description: 'an event stream', contentType: 'text/event-stream', schema: z.string().describe(`event: allocation\ndata: ${'{Allocation}'}`) },
    400: { description: 'bad query', schema: errorSchema },
    401: { description: 'a token is configured (and events are not left open) and the request has no or a wrong one', schema: errorSchema },
    404: { description: 'the node is not registered', schema: errorSchema },
    429: { description: 'this client (address) has too many streams open without the API token; Retry-After says when to retry', schema: errorSchema },
    503: { description: 'too many event clients; Retry-After says when to retry', schema: errorSchema },
  },
}];
