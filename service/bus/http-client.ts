// The daemon-side client over HTTP, for node daemons that talk to the service rather than to Redis
// (`spirit node --service URL`, and any daemon of a service on the in-process bus). Same interface as the
// bus client: telemetry goes to POST /v1/telemetry; allocations come from GET /v1/events?node= (server-sent
// events, reconnected with bounded back-off) plus a periodic GET of the node's allocation, through the same
// epoch gate, so only increasing epochs are delivered.
import { assert, InputError } from '../errors.ts';
import { EpochGate, type NodeClient } from './client.ts';
import { checkBusId } from './keys.ts';
import { WATCH_POLL_MS } from './limits.ts';
import { validateTelemetryRecord } from './telemetry-schema.ts';
import type { AllocationDoc } from './types.ts';

/** Records per POST (the service's MAX_TELEMETRY_BATCH). */
const POST_BATCH = 10_000;
/** Reconnect back-off of the event stream: doubles from 100 ms, capped at 5 s. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;
/** Bytes of one unfinished event kept while reading the stream (an allocation of 1024 apps is ~200 KiB). */
const MAX_EVENT_BYTES = 8 * 1024 * 1024;

export interface HttpClientOptions {
  /** bearer token for POST /v1/telemetry and GET /v1/events when the service has one */
  token?: string;
  /** give up a telemetry POST or an allocation re-read that has no answer after this long (default: none) */
  requestTimeoutMs?: number;
}

/** Splits a server-sent event stream into events (event name and data). */
export class SseParser {
  private buf = '';
  /** a chunk ending in CR is held back: the LF of its CRLF may start the next chunk */
  private cr = false;
  constructor(private readonly onEvent: (event: string, data: string) => void) {}

  push(chunk: string): void {
    let raw = (this.cr ? '\r' : '') + chunk;
    this.cr = raw.endsWith('\r');
    if (this.cr) raw = raw.slice(0, -1);
    this.buf += raw.replace(/\r\n?/g, '\n');
    if (this.buf.length > MAX_EVENT_BYTES) throw new Error(`an event of more than ${MAX_EVENT_BYTES} bytes`);
    let k: number;
    while ((k = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, k);
      this.buf = this.buf.slice(k + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue; // comment (keep-alive)
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) this.onEvent(event, data.join('\n'));
    }
  }
}

export function httpNodeClient(serviceUrl: string, opts: HttpClientOptions = {}): NodeClient {
  let base: string;
  try {
    base = new URL(serviceUrl).toString().replace(/\/$/, '');
  } catch {
    throw new InputError('service', `'${serviceUrl}' is not a URL`);
  }
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const timeout = (signal?: AbortSignal): AbortSignal | undefined => {
    if (opts.requestTimeoutMs === undefined) return signal;
    const t = AbortSignal.timeout(opts.requestTimeoutMs);
    return signal ? AbortSignal.any([signal, t]) : t;
  };

  return {
    async appendTelemetry(records) {
      const list = (Array.isArray(records) ? records : [records]).map((r, i) => validateTelemetryRecord(r, `records[${i}]`));
      for (let i = 0; i < list.length; i += POST_BATCH) {
        const res = await fetch(`${base}/v1/telemetry`, {
          method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ records: list.slice(i, i + POST_BATCH) }),
          signal: timeout(),
        });
        if (!res.ok) throw await responseError(res, 'POST /v1/telemetry');
      }
    },

    async watchAllocation(node, onAllocation, wopts = {}) {
      checkBusId(node, 'node');
      const pollMs = wopts.pollMs ?? WATCH_POLL_MS;
      assert(pollMs > 0, 'watchAllocation: pollMs must be positive');
      const gate = new EpochGate(onAllocation);
      const abort = new AbortController();
      const reread = async (): Promise<void> => {
        try {
          const res = await fetch(`${base}/v1/nodes/${node}/allocation`, { signal: timeout(abort.signal) });
          if (res.ok) gate.offer((await res.json()) as AllocationDoc);
          else await res.body?.cancel();
        } catch {
          // service unreachable: the next poll or the event stream catches up
        }
      };
      await reread();
      const timer = setInterval(() => void reread(), pollMs);
      timer.unref();
      const streaming = followEvents(`${base}/v1/events?node=${encodeURIComponent(node)}`, auth, abort.signal, (doc) => gate.offer(doc));
      return async () => {
        clearInterval(timer);
        abort.abort();
        await streaming;
      };
    },
  };
}

/** Reads the event stream until aborted, reconnecting with bounded back-off. */
async function followEvents(url: string, auth: Record<string, string>, signal: AbortSignal, onDoc: (doc: AllocationDoc) => void): Promise<void> {
  let backoffMs = RECONNECT_MIN_MS;
  while (!signal.aborted) {
    try {
      const res = await fetch(url, { signal, headers: { accept: 'text/event-stream', ...auth } });
      if (!res.ok || !res.body) throw new Error(`GET events: ${res.status}`);
      backoffMs = RECONNECT_MIN_MS;
      const parser = new SseParser((event, data) => {
        if (event === 'allocation') onDoc(JSON.parse(data) as AllocationDoc);
      });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.push(decoder.decode(chunk, { stream: true }));
    } catch {
      // disconnected or refused: retry below unless stopped
    }
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, backoffMs);
      signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    backoffMs = Math.min(RECONNECT_MAX_MS, backoffMs * 2);
  }
}

/** A failed response as an error: 400 becomes an InputError with the service's details. */
async function responseError(res: Response, what: string): Promise<Error> {
  let body: { message?: string; details?: { where: string; problem: string }[] } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON
  }
  if (res.status === 400) {
    const first = body.details?.[0];
    return new InputError(first?.where ?? what, first?.problem ?? body.message ?? 'rejected', body.details);
  }
  return new Error(`${what}: ${res.status} ${body.message ?? res.statusText}`);
}
