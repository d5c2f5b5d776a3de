// Request input to typed values: JSON bodies (bounded size, parsed, shape-checked with zod) and query
// parameters. Every failure is an InputError naming each bad field, so the client gets a 400 with details.
import type { Context } from 'hono';
import type { z } from 'zod';
import { InputError } from '../errors.ts';
import { formatPath } from '../scenario/path.ts';
import { PayloadTooLargeError } from './errors.ts';

const MAX_DETAILS = 20;

/** The body as text, refusing more than `maxBytes` (also enforced while streaming by the body-limit middleware). */
export async function bodyText(c: Context, maxBytes: number): Promise<string> {
  const length = c.req.header('content-length');
  const declared = Number(length ?? '0');
  if (declared > maxBytes) throw new PayloadTooLargeError(`request body is ${declared} bytes; the limit is ${maxBytes}`);
  const text = await c.req.text();
  // with a Content-Length the HTTP parser delivers exactly that many bytes, checked above; a chunked body is
  // counted here too (besides the streaming limit), so a caller without the middleware is still bounded
  if (length === undefined && Buffer.byteLength(text) > maxBytes) throw new PayloadTooLargeError(`request body is over the limit of ${maxBytes} bytes`);
  return text;
}

/**
 * The query parameters as a plain object. A query of plain `key=value` pairs (no escapes, no repeats) is
 * split here; any other goes to Hono's parser. Why: Hono's full parse measured ~10 us a request inside the
 * server (its null-prototype result object), a fifth of a cached solve; this split costs well under 1 us.
 */
export function queryOf(c: Context): Record<string, string> {
  const url = c.req.url;
  const at = url.indexOf('?');
  const out: Record<string, string> = {};
  if (at < 0) return out;
  let start = at + 1;
  const hash = url.indexOf('#', start);
  const end = hash < 0 ? url.length : hash;
  if (/[%+]/.test(url.slice(start, end))) return { ...c.req.query() };
  while (start < end) {
    let amp = url.indexOf('&', start);
    if (amp < 0 || amp > end) amp = end;
    const eq = url.indexOf('=', start);
    const kEnd = eq >= 0 && eq < amp ? eq : amp;
    const key = url.slice(start, kEnd);
    const value = kEnd < amp ? url.slice(kEnd + 1, amp) : '';
    if (key === '__proto__' || Object.hasOwn(out, key)) return { ...c.req.query() };
    if (key !== '') out[key] = value;
    start = amp + 1;
  }
  return out;
}

export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new InputError('(body)', 'is empty; expected a JSON document');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError('(body)', `not valid JSON (${(err as Error).message})`);
  }
}

/** Checks `value` against `schema`; the error lists every bad field (up to 20) as {where, problem}. */
export function check<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = r.error.issues.slice(0, MAX_DETAILS).map((i) => {
    const p = formatPath(i.path);
    return { where: prefix ? (p === '(root)' ? prefix : `${prefix}.${p}`) : p, problem: i.message };
  });
  throw new InputError(details[0].where, details[0].problem, details);
}

export async function jsonBody<S extends z.ZodType>(c: Context, schema: S, maxBytes: number): Promise<z.infer<S>> {
  return check(schema, parseJson(await bodyText(c, maxBytes)));
}
