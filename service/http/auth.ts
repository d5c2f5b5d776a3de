// Bearer-token check (issue 4): when a token is configured, PUT/POST/DELETE need `Authorization: Bearer
// <token>`, and so does GET /v1/events unless it was left open for dashboards (--open-events); other reads
// stay open. POST /v1/solve changes nothing and is open too. A browser's EventSource cannot send headers, so
// /v1/events also takes the token as `?token=` (the dashboard passes on the one in its own address, /?token=).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { UnauthorizedError } from './errors.ts';

const MUTATING = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);

/** Routes that use a mutating method without changing anything. */
const OPEN_POSTS = new Set(['/v1/solve']);

export const EVENTS_PATH = '/v1/events';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The token the request carries (header, or for the event stream the `token` query parameter), if any. */
function presented(c: Context): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '');
  if (m) return m[1].trim();
  return c.req.path === EVENTS_PATH ? (c.req.query('token') ?? null) : null;
}

/** Checks a request's token against the configured one: 'none' (no token given), 'wrong' or 'ok'. */
export function tokenCheck(token: string | undefined) {
  const want = token ? digest(token) : null;
  return (c: Context): 'none' | 'wrong' | 'ok' => {
    if (!want) return 'none';
    const got = presented(c);
    if (got === null) return 'none';
    // compare digests in constant time (equal lengths, no early exit on the first differing byte)
    return timingSafeEqual(digest(got), want) ? 'ok' : 'wrong';
  };
}

export function bearerAuth(opts: { token: string | undefined; openEvents?: boolean }): MiddlewareHandler {
  const check = tokenCheck(opts.token);
  return async function requireToken(c, next) {
    const guarded = (MUTATING.has(c.req.method) && !OPEN_POSTS.has(c.req.path)) || (c.req.path === EVENTS_PATH && !opts.openEvents);
    if (opts.token && guarded) {
      const r = check(c);
      if (r !== 'ok') {
        throw new UnauthorizedError(r === 'wrong' ? 'the bearer token is wrong' : 'this route needs an Authorization: Bearer <token> header');
      }
    }
    await next();
  };
}
