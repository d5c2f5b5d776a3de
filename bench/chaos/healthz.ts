// /healthz latency, sampled by a client that does nothing else: one request every few milliseconds on a
// kept-alive connection, each timed from send to the last byte. Shared by the chaos probes and their tests.
import { Agent, request } from 'node:http';
import { percentile } from '../stats.ts';

export interface LatencySummary { samples: number; p50Ms: number; p99Ms: number; maxMs: number; failed: number }

export function summarize(ms: number[], failed: number): LatencySummary {
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { samples: ms.length, p50Ms: r(percentile(ms, 50)), p99Ms: r(percentile(ms, 99)), maxMs: r(Math.max(...ms)), failed };
}

/** Samples until stop() is called; stop() resolves with the latencies (ms) and the failed count. */
export function sampleHealthz(baseUrl: string, everyMs = 5): { stop(): Promise<LatencySummary> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL('/healthz', baseUrl);
  const ms: number[] = [];
  let failed = 0;
  let running = true;
  const once = (): Promise<void> => new Promise((resolve) => {
    const t0 = performance.now();
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) ms.push(performance.now() - t0);
        else failed++;
        resolve();
      });
    });
    req.on('error', () => { failed++; resolve(); });
    req.end();
  });
  const loop = (async () => {
    while (running) {
      await once();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
      return summarize(ms, failed);
    },
  };
}
