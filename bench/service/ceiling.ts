// The framework ceiling for `spirit bench service`: a bare Hono app on @hono/node-server whose POST /v1/solve
// returns a constant document (no parsing, no solving). Run as its own process; prints {"url"} on stdout.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const CONSTANT = JSON.stringify({ policy: 'spirit', allocations: [], certificate: { cleared: true } });
const app = new Hono();
app.post('/v1/solve', (c) => {
  c.header('Content-Type', 'application/json');
  return c.body(CONSTANT);
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
