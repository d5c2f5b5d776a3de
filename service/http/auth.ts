// Bearer-token check for mutating routes (issue 4): when a token is configured, PUT/POST/DELETE need
// `Authorization: Bearer <token>`; reads stay open. POST /v1/solve changes nothing and is open too.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { UnauthorizedError } from './errors.ts';

const MUTATING = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);

/** Routes that use a mutating method without changing anything. */
const OPEN_POSTS = new Set(['/v1/solve']);

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function bearerAuth(opts: { token: string | undefined }): MiddlewareHandler {
  const want = opts.token ? digest(opts.token) : null;
  return async function requireToken(c, next) {
    if (want && MUTATING.has(c.req.method) && !OPEN_POSTS.has(c.req.path)) {
      const h = c.req.header('authorization') ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(h);
      // compare digests in constant time (equal lengths, no early exit on the first differing byte)
      if (!m || !timingSafeEqual(digest(m[1].trim()), want)) {
        throw new UnauthorizedError(m ? 'the bearer token is wrong' : 'this route needs an Authorization: Bearer <token> header');
      }
    }
    await next();
  };
}
