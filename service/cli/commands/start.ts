// `spirit start` (what `npm start` runs): the whole system on this machine (memory node, service with
// dashboard, node daemon running the paper's six-app mix live on far memory under spirit, learning each app's
// curves from telemetry) until Ctrl-C; the dashboard's address first, then every policy on the model of the
// paper-like mix, as tables. `--no-system` prints the tables only; `--duration-s N` stops after N seconds.
import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../errors.ts';

export const START_SCENARIO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'paper-mix.json');

interface StartFlags {
  system: boolean;
  durationS?: string;
  port?: string;
  host: string;
  intervalMs?: string;
  logLevel: string;
}

const DEFAULT_PORT = 8080;
const DURATION_S_MAX = 30 * 86_400;

function int(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new InputError(flag, `'${v}' is not a whole number`);
  const n = Number(v);
  if (n < min || n > max) throw new InputError(flag, `must be between ${min} and ${max}; got ${n}`);
  return n;
}

export function register(program: Command): void {
  program
    .command('start')
    .description('run the whole system here (memory node, service and dashboard, node daemon with the paper mix live), then show every policy on the paper-like mix\'s model')
    .option('--no-system', 'print the policy tables only')
    .option('--duration-s <N>', 'stop everything after N seconds (default: run until Ctrl-C)')
    .option('--port <P>', `dashboard and API port (default ${DEFAULT_PORT}, or a free one if that is taken; 0 = a free one)`)
    .option('--host <H>', 'address the service listens on', '127.0.0.1')
    .option('--interval-ms <N>', 'allocation round interval (default 2000)')
    .option('--log-level <level>', 'log level of the components (stderr)', 'warn')
    .action(async (flags: StartFlags) => {
      const durationS = int('--duration-s', flags.durationS, 1, DURATION_S_MAX);
      const port = int('--port', flags.port, 0, 65535);
      const intervalMs = int('--interval-ms', flags.intervalMs, 100, 3_600_000) ?? 2000;
      const { readScenarioFile } = await import('../scenario-file.ts');
      const { createEngine } = await import('../../market/engines.ts');
      const { comparePolicies } = await import('../../market/compare.ts');
      const { renderComparison } = await import('../table.ts');
      const { scenario } = readScenarioFile(START_SCENARIO);
      const c = comparePolicies(await createEngine('wasm'), scenario);
      const tables = (): void => { process.stdout.write('\nEvery policy on the model of the paper-like mix (examples/paper-mix.json):\n' + renderComparison(c) + '\n'); };
      if (!flags.system) {
        tables();
        return;
      }
      const { runSystem } = await import('../../node/run-system.ts');
      await runSystem({ port: port ?? DEFAULT_PORT, portExplicit: port !== undefined, host: flags.host, intervalMs, durationS, logLevel: flags.logLevel, afterStart: tables });
    });
}
