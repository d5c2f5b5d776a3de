// `spirit serve [--port P] [--redis URL] [--interval-ms N] [--token T]`: the allocation service (spec/cli.md).
// Environment: PORT, REDIS_URL, SPIRIT_TOKEN (flags win). Without a Redis URL the bus is in-process.
import { type Command, Option } from 'commander';
import { InputError } from '../../errors.ts';
import { POLICIES, type Policy } from '../../scenario/types.ts';

const int = (name: string) => (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InputError(name, `must be a non-negative integer, got '${v}'`);
  return Number(v);
};

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the allocation service: HTTP API, control loop, dashboard (logs to stderr)')
    .option('--port <P>', 'HTTP port; 0 picks a free one (env PORT; default 8080)', int('--port'))
    .option('--host <H>', 'address to listen on', '127.0.0.1')
    .option('--redis <URL>', 'Redis URL (redis://host:port, unix:///path, or a cluster: redis+cluster://host:port,host:port); env REDIS_URL; none = in-process bus')
    .option('--interval-ms <N>', 'control-loop round interval per node (default 10000)', int('--interval-ms'))
    .option('--lease-ttl-ms <N>', 'node lease time-to-live shared by replicas (default 6000)', int('--lease-ttl-ms'))
    .option('--token <T>', 'bearer token required by mutating routes and GET /v1/events (env SPIRIT_TOKEN)')
    .option('--open-events', 'with a token: leave GET /v1/events open to clients without it (dashboards); env SPIRIT_OPEN_EVENTS=1')
    .option('--replica <id>', 'replica id (default random)')
    .addOption(new Option('--engine <engine>', 'market core').choices(['auto', 'wasm', 'ts']).default('auto'))
    .addOption(new Option('--policy <policy>', 'allocation policy of the control loop').choices(POLICIES as unknown as string[]).default('spirit'))
    .option('--no-solve-cache', 'solve every POST /v1/solve even when an identical request was just solved')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (o: {
      port?: number; host: string; redis?: string; intervalMs?: number; leaseTtlMs?: number; token?: string; openEvents?: boolean; replica?: string;
      engine: 'auto' | 'wasm' | 'ts'; policy: Policy; solveCache: boolean; logLevel: string;
    }) => {
      const { runServe } = await import('../../http/serve.ts');
      const envPort = process.env.PORT;
      const port = o.port ?? (envPort !== undefined && envPort !== '' ? int('PORT')(envPort) : 8080);
      await runServe({
        port, host: o.host, redisUrl: o.redis ?? (process.env.REDIS_URL || undefined), token: o.token ?? (process.env.SPIRIT_TOKEN || undefined),
        openEvents: o.openEvents === true || process.env.SPIRIT_OPEN_EVENTS === '1',
        intervalMs: o.intervalMs, leaseTtlMs: o.leaseTtlMs, replica: o.replica, engine: o.engine, policy: o.policy,
        solveCache: o.solveCache, logLevel: o.logLevel,
      });
    });
}
