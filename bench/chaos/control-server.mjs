// The control of the /healthz probes: a bare Node HTTP server answering GET /healthz, nothing else, in its
// own process. Sampled at the same time as the server under test, it shows what the machine's scheduling
// alone does to a /healthz latency in that moment (on a busy 2-core machine: tens of milliseconds).
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
