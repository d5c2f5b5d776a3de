// GET /v1/events: server-sent events of every allocation round (node, epoch, bundles, prices, certificate),
// whichever replica computed it, and of every registration, update and deletion of a node or an app. A new
// client first gets each node's current allocation. A client that falls more than MAX_SSE_QUEUE events behind
// is disconnected (it can reconnect: the state is re-sent). When idle, a `ping` event every heartbeat lets a
// client tell a quiet stream from a dead one.
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AllocationDoc } from '../../bus/types.ts';
import type { RegistryEvent } from '../../control/registry-events.ts';
import type { HttpDeps } from '../deps.ts';
import { UnavailableError } from '../errors.ts';
import { MAX_SSE_CLIENTS, MAX_SSE_QUEUE, SSE_HEARTBEAT_MS } from '../limits.ts';
import type { RouteDoc } from '../route-doc.ts';
import { errorSchema, nodeFilterQuery } from '../schemas.ts';
import { check, queryOf } from '../validate.ts';
import { z } from 'zod';

type Item = { allocation: AllocationDoc } | { registry: RegistryEvent };

export function registerEvents(app: Hono, d: HttpDeps, opts: { heartbeatMs?: number } = {}): void {
  const { events, bus } = d.service;
  const heartbeatMs = opts.heartbeatMs ?? SSE_HEARTBEAT_MS;
  app.get('/v1/events', async (c) => {
    const q = check(nodeFilterQuery, queryOf(c), 'query');
    if (events.listenerCount >= MAX_SSE_CLIENTS) throw new UnavailableError(`${MAX_SSE_CLIENTS} event clients are connected (the limit); retry later`);
    const wanted = (node: string): boolean => q.node === undefined || node === q.node;
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
      for (const n of q.node !== undefined ? [q.node] : (await bus.listNodes()).map((x) => x.id)) {
        const doc = events.latest.get(n) ?? (await bus.getAllocation(n));
        if (doc) initial.push(doc);
      }
    } catch (err) {
      unlisten();
      throw err;
    }
    return streamSSE(c, async (stream) => {
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
          data: JSON.stringify({ replica: d.service.replica, node: q.node ?? null, intervalMs: d.service.intervalMs, heartbeatMs, timeMs: Date.now() }),
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
      }
    });
  });
}

export const eventsDocs: RouteDoc[] = [{
  method: 'get', path: '/v1/events', summary: 'Server-sent events: allocation rounds and registry changes of every node (or of one)',
  description: 'Events: `hello` once (data: `{replica, node, intervalMs, heartbeatMs, timeMs}`), then `allocation` (data: an Allocation, ' +
    'id: `<node>:<epoch>`), each node\'s current allocation first; `registry` when a node or an app is registered, updated or deleted ' +
    '(data: `{kind: "node"|"app", change: "registered"|"updated"|"deleted", id, node, record?}`; an app\'s record comes without its ' +
    'declared model, with `declaredModel: true|false`); `ping` (data: `{timeMs}`) after `heartbeatMs` (15 s) without another event.',
  query: nodeFilterQuery,
  responses: {
    200: { description: 'an event stream', contentType: 'text/event-stream', schema: z.string().describe(`event: allocation\ndata: ${'{Allocation}'}`) },
    400: { description: 'bad query', schema: errorSchema },
    503: { description: 'too many event clients', schema: errorSchema },
  },
}];
