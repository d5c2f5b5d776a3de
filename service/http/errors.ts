// The one error path of the HTTP API: our error classes become `{ code, message, details? }` JSON with their
// status; anything else is a 500 with a generic message (the cause goes to the log, never to the client).
// A request whose client went away is not an error of ours: it is counted as 499 and logged at debug level.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { InputError, NotFoundError } from '../errors.ts';
import { RETRY_AFTER_S } from './limits.ts';

export interface ErrorBody {
  code: string;
  message: string;
  details?: { where: string; problem: string }[];
}

export class UnauthorizedError extends Error {
  readonly code = 'unauthorized';
}

export class PayloadTooLargeError extends Error {
  readonly code = 'too_large';
}

/** 503: the service cannot answer now (its bus is down, a pool is full); the client should retry later. */
export class UnavailableError extends Error {
  readonly code = 'unavailable';
  constructor(message: string, readonly retryAfterS = RETRY_AFTER_S) {
    super(message);
  }
}

/** 429: this client holds too much of a shared resource (event streams). */
export class TooManyError extends Error {
  readonly code = 'too_many';
  constructor(message: string, readonly retryAfterS = RETRY_AFTER_S) {
    super(message);
  }
}

/** Status of a request its client abandoned (nginx's convention): counted, never sent. */
export const CLIENT_CLOSED = 499;

type Status = 400 | 401 | 404 | 413 | 429 | 503 | 500;

export function errorResponse(err: unknown): { status: Status; body: ErrorBody; retryAfterS?: number } {
  if (err instanceof InputError) {
    return { status: 400, body: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
  }
  if (err instanceof NotFoundError) return { status: 404, body: { code: err.code, message: err.message } };
  if (err instanceof UnauthorizedError) return { status: 401, body: { code: err.code, message: err.message } };
  if (err instanceof PayloadTooLargeError) return { status: 413, body: { code: err.code, message: err.message } };
  if (err instanceof UnavailableError) return { status: 503, body: { code: err.code, message: err.message }, retryAfterS: err.retryAfterS };
  if (err instanceof TooManyError) return { status: 429, body: { code: err.code, message: err.message }, retryAfterS: err.retryAfterS };
  if (err instanceof HTTPException && err.status === 413) {
    return { status: 413, body: { code: 'too_large', message: 'request body too large' } };
  }
  return { status: 500, body: { code: 'internal', message: 'internal error' } };
}

/** The client closed its connection before we answered (an abort while its body streamed in, say). */
export function clientGone(c: Context): boolean {
  if (c.req.raw.signal.aborted) return true;
  const inc = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return Boolean(inc && (inc.errored || (inc.destroyed && !inc.complete) || inc.socket?.destroyed));
}

/**
 * The error handler. `busDown` says why the bus is unavailable (or null): a failure while it is down is its
 * outage (a command cut off by the disconnect), answered 503 with Retry-After, not a bug of ours.
 */
export function onError(log: Logger, count: (kind: string) => void, busDown: () => string | null = () => null) {
  return function handleError(err: Error, c: Context) {
    if (clientGone(c)) {
      log.debug({ err: err.message, path: c.req.path }, 'client closed the connection before the answer');
      return c.json({ code: 'client_closed', message: 'the client closed the connection' }, CLIENT_CLOSED as 500);
    }
    let r = errorResponse(err);
    const down = r.status === 500 ? busDown() : null;
    if (down !== null) {
      log.warn({ err: err.message, path: c.req.path }, 'request failed while the bus is unavailable');
      r = errorResponse(new UnavailableError(`${down}; retry later`));
    }
    const { status, body, retryAfterS } = r;
    if (status === 500) {
      count('http');
      log.error({ err: err.message, stack: err.stack, path: c.req.path }, 'request failed');
    }
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="spirit"');
    if (retryAfterS !== undefined) c.header('Retry-After', String(retryAfterS));
    return c.json(body, status);
  };
}
