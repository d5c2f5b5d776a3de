// Telemetry producer for `spirit bench service`: a node-daemon stand-in in its own process that appends
// records through the daemon client (validated, pipelined XADD). argv: redisUrl nodes appsPerNode records.
// Prints {"appended", "elapsedMs"} on stdout.
import { busNodeClient } from '../../service/bus/client.ts';
import { RedisBus } from '../../service/bus/redis.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';

const [url, nodesArg, appsArg, recordsArg] = process.argv.slice(2);
const nodes = Number(nodesArg);
const apps = Number(appsArg);
const total = Number(recordsArg);
/** Records per append call: what a daemon with many apps would batch per sampling period. */
const BATCH = 500;

const bus = await RedisBus.connect(url);
const client = busNodeClient(bus);
const t0 = performance.now();
let sent = 0;
const timeMs = 1_700_000_000_000;
while (sent < total) {
  const batch: TelemetryRecord[] = [];
  for (let k = 0; k < BATCH && sent + k < total; k++) {
    const i = sent + k;
    const node = i % nodes;
    const app = Math.floor(i / nodes) % apps;
    batch.push({
      app: `n${node}.a${app}`, node: `n${node}`, timeMs: timeMs + i, cacheMB: 256 + (i % 7) * 32, bandwidthMbps: 500 + (i % 5) * 100,
      throughputOpsPerSec: 1e6 / (1 + (i % 11)), missRatio: 0.05 + (i % 13) / 100, pageTrafficBytesPerSec: 4096 * 1000 * (1 + (i % 3)),
      residentBytes: 256 * 1024 * 1024,
    });
  }
  await client.appendTelemetry(batch);
  sent += batch.length;
}
const elapsedMs = performance.now() - t0;
await bus.close();
process.stdout.write(JSON.stringify({ appended: sent, elapsedMs }) + '\n');
