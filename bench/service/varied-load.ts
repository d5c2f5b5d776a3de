// The load generator of `spirit bench service`'s varied figure: autocannon (programmatic, in this process)
// POSTing a different scenario in every request of a connection, taken in turn from a pool of distinct 6-app
// mixes (every app its own curve, latencies, weight and limits: service/scenario/mixes.ts freshMix), so that
// neither a repeated input nor a repeated class structure helps (the server under test has its cache off).
// The requests are built once: rebuilding one per request (a setupRequest hook) held the generator to ~5k
// requests/s with the server 40% idle. Run as its own process (pinned like the CLI autocannon):
//   varied-load.ts URL CONNECTIONS DURATION_S POOL SEED
// prints one JSON LoadResult (bench/service/procs.ts) with `distinct`, the pool's size, on stdout.
// @ts-expect-error: autocannon ships no type declarations (its README documents the options used here)
import autocannon from 'autocannon';
import { freshMix } from '../../service/scenario/mixes.ts';
import { validateScenario } from '../../service/scenario/validate.ts';

const [url, connections, durationS, pool, seed] = process.argv.slice(2);
const POOL = Number(pool);
const APPS = 6;

const bodies: string[] = [];
for (let k = 0; bodies.length < POOL; k++) {
  const s = freshMix({ apps: APPS, seed: Number(seed) + k });
  // the pool holds valid scenarios only: a refused one would measure the validator, not the solve
  try {
    validateScenario(s);
    bodies.push(JSON.stringify(s));
  } catch { /* skipped: the mix is not a valid scenario */ }
  if (k > POOL * 4) throw new Error(`varied-load: fewer than ${POOL} valid mixes in ${k} seeds`);
}
interface Result { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }
const result = (await autocannon({
  url, connections: Number(connections), duration: Number(durationS),
  method: 'POST', headers: { 'content-type': 'application/json' },
  requests: bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body })),
})) as Result;
process.stdout.write(JSON.stringify({
  requestsPerSec: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99,
  non2xx: result.non2xx, errors: result.errors, requests: result.requests.total, distinct: bodies.length,
}) + '\n');
