// The one error path of the HTTP API: our error classes become `{ code, message, details? }` JSON with their
// status; anything else is a 500 with a generic message (the cause goes to the log, never to the client).
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import { InputError, NotFoundError } from '../errors.ts';

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

export class UnavailableError extends Error {
  readonly code = 'unavailable';
}

export function errorResponse(err: unknown): { status: 400 | 401 | 404 | 413 | 503 | 500; body: ErrorBody } {
  if (err instanceof InputError) {
    return { status: 400, body: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
  }
  if (err instanceof NotFoundError) return { status: 404, body: { code: err.code, message: err.message } };
  if (err instanceof UnauthorizedError) return { status: 401, body: { code: err.code, message: err.message } };
  if (err instanceof PayloadTooLargeError) return { status: 413, body: { code: err.code, message: err.message } };
  if (err instanceof UnavailableError) return { status: 503, body: { code: err.code, message: err.message } };
  if (err instanceof HTTPException && err.status === 413) {
    return { status: 413, body: { code: 'too_large', message: 'request body too large' } };
  }
  return { status: 500, body: { code: 'internal', message: 'internal error' } };
}

export function onError(log: Logger, count: (kind: string) => void) {
  return function handleError(err: Error, c: Context) {
    const { status, body } = errorResponse(err);
    if (status === 500) {
      count('http');
      log.error({ err: err.message, stack: err.stack, path: c.req.path }, 'request failed');
    }
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="spirit"');
    return c.json(body, status);
  };
}
