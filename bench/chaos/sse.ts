// Probe: anonymous GET /v1/events streams against a real `spirit serve` with a token and --open-events (the
// dashboard case), all from one address (loopback), more than the replica's 256 slots; then a daemon with
// the token asks for its node's stream.
import { join } from 'node:path';
import { ROOT, startWithUrl } from '../service/procs.ts';

const SPIRIT = join(ROOT, 'bin', 'spirit.js');

export interface SseFigures { anonymousTried: number; opened: number; refused429: number; refused503: number; other: string[]; tokenClientServed: boolean }

export async function sseSlots(o: { streams: number }): Promise<SseFigures> {
  const token = 'chaos-sse-token';
  const serve = await startWithUrl(process.execPath, [SPIRIT, 'serve', '--port', '0', '--log-level', 'warn', '--open-events'], { REDIS_URL: '', PORT: '', SPIRIT_TOKEN: token });
  const open: AbortController[] = [];
  const held: Response[] = [];
  try {
    const put = await fetch(`${serve.url}/v1/nodes/chaos`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ capacity: { cacheMB: 100, bandwidthMbps: 100 } }) });
    if (put.status !== 201) throw new Error(`PUT node: ${put.status}`);
    const outcomes: string[] = [];
    for (let i = 0; i < o.streams; i++) {
      const ac = new AbortController();
      const res = await fetch(`${serve.url}/v1/events`, { signal: ac.signal }).catch((e: Error) => e);
      if (res instanceof Response) {
        outcomes.push(String(res.status));
        // hold the response: an unreferenced one may be collected and its stream closed, freeing the slot
        if (res.status === 200) { open.push(ac); held.push(res); }
        else await res.body?.cancel();
      } else outcomes.push(res.name);
    }
    const ac = new AbortController();
    open.push(ac);
    const daemon = await fetch(`${serve.url}/v1/events?node=chaos`, { signal: ac.signal, headers: { authorization: `Bearer ${token}` } });
    const count = (x: string): number => outcomes.filter((s) => s === x).length;
    return {
      anonymousTried: o.streams, opened: count('200'), refused429: count('429'), refused503: count('503'),
      other: outcomes.filter((s) => !['200', '429', '503'].includes(s)), tokenClientServed: daemon.status === 200,
    };
  } finally {
    for (const a of open) a.abort();
    held.length = 0;
    await serve.stop();
  }
}
