// queryOf (service/http/validate.ts) splits plain queries itself and leaves the rest to Hono's parser: on any
// query string both must read the same parameters, or a route would see different input than Hono gives.
import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { queryOf } from '../../service/http/validate.ts';

const app = new Hono();
app.get('/q', (c) => c.json({ ours: queryOf(c), hono: { ...c.req.query() } }));

async function both(qs: string): Promise<{ ours: Record<string, string>; hono: Record<string, string> }> {
  const res = await app.request(`/q?${qs}`);
  expect(res.status).toBe(200);
  return res.json() as Promise<{ ours: Record<string, string>; hono: Record<string, string> }>;
}

describe('queryOf', () => {
  it('reads what Hono reads on random query strings (plain, escaped, repeated, empty keys and values)', async () => {
    const piece = fc.constantFrom('a', 'b', 'policy', 'strict', 'spirit', '1', '=', '&', '%41', '%2', '+', '__proto__', '');
    await fc.assert(fc.asyncProperty(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), async (qs) => {
      const { ours, hono } = await both(qs);
      expect(ours, qs).toEqual(hono);
    }), { numRuns: 300, seed: 7 });
  });

  it('returns an empty object without a query', async () => {
    const res = await app.request('/q');
    expect(((await res.json()) as { ours: object }).ours).toEqual({});
  });
});
