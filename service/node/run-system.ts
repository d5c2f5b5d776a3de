// `spirit start` after its tables: start the system, say where the dashboard is, run until Ctrl-C (or the
// given duration), stop everything in order (workloads and their regions, the service, the memory node).
import pino from 'pino';
import { msFromSec } from '../units.ts';
import { START_CAPACITY, START_NODE, startSystem } from './system.ts';

export interface RunSystemOptions {
  port: number;
  portExplicit: boolean;
  host: string;
  intervalMs: number;
  durationS?: number;
  logLevel: string;
  /** printed after the dashboard's address (the policy tables of `spirit start`) */
  afterStart?: () => void;
}

/** Telemetry interval of the demo node: a few records per round. */
const NODE_INTERVAL_MS = 500;

const say = (line: string): void => { process.stdout.write(line + '\n'); };

export async function runSystem(o: RunSystemOptions): Promise<void> {
  const log = pino({ level: o.logLevel }, pino.destination(2));
  const sys = await startSystem({ port: o.port, portExplicit: o.portExplicit, host: o.host, intervalMs: o.intervalMs, nodeIntervalMs: NODE_INTERVAL_MS, log });
  say('');
  say('Spirit is running on this machine:');
  say(`  dashboard    ${sys.url}/`);
  say(`  API          ${sys.url}/openapi.json (try ${sys.url}/v1/nodes/${START_NODE}/allocation)`);
  if (sys.daemon) {
    say(`  memory node  ${sys.memnode} (in this process)`);
    say(`  node         '${START_NODE}' shares ${START_CAPACITY.cacheMB} MiB of cache and ${START_CAPACITY.bandwidthMbps} Mbps among: ` +
      sys.workloads.map((w) => `${w.id} (${w.archetype}, ${w.sizeMB} MiB region)`).join(', '));
  } else {
    say(`  no node: ${sys.noNode}`);
  }
  o.afterStart?.();
  say(o.durationS !== undefined ? `Stopping after ${o.durationS} s (Ctrl-C stops sooner).` : 'Ctrl-C stops everything.');

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) {
        log.warn({ why }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      resolve();
    };
    const timer = o.durationS !== undefined ? setTimeout(() => stop('duration'), msFromSec(o.durationS)) : null;
    process.on('SIGINT', () => { if (timer) clearTimeout(timer); stop('SIGINT'); });
    process.on('SIGTERM', () => { if (timer) clearTimeout(timer); stop('SIGTERM'); });
  });
  const status = sys.daemon?.status();
  await sys.stop();
  if (status) {
    say(`Stopped. Node '${START_NODE}': allocation epoch ${status.appliedEpoch}, ${status.recordsSent} telemetry records sent, ` +
      `${status.workloads.reduce((t, w) => t + w.restarts, 0)} workload restarts, ${status.dataErrors} data errors.`);
    for (const [app, w] of Object.entries(status.lastWindow)) {
      say(`  ${app}: ${w.throughputOpsPerSec} accesses/s, miss ratio ${w.missRatio}, ${w.cacheMB} MiB cache, ${w.bandwidthMbps} Mbps (${w.trafficMbps} used)`);
    }
  } else {
    say('Stopped.');
  }
}
