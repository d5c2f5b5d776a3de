// The load of the large-body probe (bench/chaos/large-body.ts), in its own process so it does not share an
// event loop with whoever measures /healthz: N bodies of a 300k-app scenario (over the app limit, ~30 MB)
// sent at once, then N legal scenarios of `apps` apps (solved in the server's worker) at once. Prints one
// JSON line: the outcome of each request (its status, or the error code when the server hung up first).
import { request } from 'node:http';
import { generateScenario } from '../../service/scenario/generate.ts';

const [url, nArg, appsArg] = process.argv.slice(2);
const n = Number(nArg);
const apps = Number(appsArg);

const tinyApp = (i: number): string =>
  `{"id":"a${String(i).padStart(7, '0')}","model":{"type":"mrc","mrc":[[0,1],[1,0]],"pageBytes":4096,"localNs":1,"remoteNs":1}}`;

function post(body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const u = new URL('/v1/solve', url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', () => resolve(String(res.statusCode)));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    req.end(body);
  });
}

const oversize = Buffer.from(`{"capacity":{"cacheMB":100,"bandwidthMbps":100},"apps":[${Array.from({ length: 300_000 }, (_, i) => tinyApp(i)).join(',')}]}`);
const legal = Buffer.from(JSON.stringify(generateScenario({ apps, seed: 7 } as never)));
const t0 = performance.now();
const a = await Promise.all(Array.from({ length: n }, () => post(oversize)));
const t1 = performance.now();
const b = await Promise.all(Array.from({ length: n }, () => post(legal)));
const t2 = performance.now();
process.stdout.write(JSON.stringify({
  oversize: { bytes: oversize.length, outcomes: a, ms: t1 - t0 },
  legal: { bytes: legal.length, apps, outcomes: b, ms: t2 - t1 },
}) + '\n');
