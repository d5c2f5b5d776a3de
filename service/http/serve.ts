// `spirit serve`: one service replica with its HTTP API. Logs (pino JSON lines) go to stderr; the first
// line after start-up says where it listens. SIGTERM/SIGINT stop it gracefully (leases given back).
import pino, { type Logger } from 'pino';
import { InputError } from '../errors.ts';
import { createEngine } from '../market/engines.ts';
import type { Engine } from '../market/engine.ts';
import type { Policy } from '../scenario/types.ts';
import { openBus } from '../bus/index.ts';
import { defaultEstimatorFactory } from '../control/estimators.ts';
import { SpiritService } from '../control/service.ts';
import { createHttpApp } from './app.ts';
import { listen, type RunningServer } from './server.ts';

export interface ServeOptions {
  port: number;
  host: string;
  redisUrl?: string;
  token?: string;
  /** with a token: leave GET /v1/events open to clients without it (dashboards) */
  openEvents?: boolean;
  intervalMs?: number;
  leaseTtlMs?: number;
  replica?: string;
  engine: 'auto' | 'wasm' | 'ts';
  policy?: Policy;
  solveCache?: boolean;
  logLevel?: string;
}

/** Connection errors are reported at most this often (ioredis reports every failed reconnect). */
const ERROR_LOG_EVERY_MS = 5000;
/** Pause before starting the service again after a failed start (Redis dropped in between). */
const START_RETRY_MS = 1000;

export async function loadEngine(kind: ServeOptions['engine'], log: Logger): Promise<{ engine: Engine; wasmLoaded: boolean }> {
  if (kind === 'ts') return { engine: await createEngine('ts'), wasmLoaded: false };
  try {
    return { engine: await createEngine('wasm'), wasmLoaded: true };
  } catch (err) {
    if (kind === 'wasm') throw new Error(`the WASM market core did not load: ${(err as Error).message}`, { cause: err });
    log.warn({ err: (err as Error).message }, 'the WASM market core did not load; using the TypeScript engine');
    return { engine: await createEngine('ts'), wasmLoaded: false };
  }
}

export async function startServe(o: ServeOptions, log: Logger): Promise<{ service: SpiritService; server: RunningServer; stop(): Promise<void> }> {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new InputError('--port', `must be an integer from 0 to 65535, got ${o.port}`);
  const { engine, wasmLoaded } = await loadEngine(o.engine, log);
  let lastErrorLog = 0;
  // the HTTP API comes up at once; a Redis that is not up yet is waited for in the background (the client
  // retries with back-off), while /readyz answers 503 and the routes that need Redis answer 503 too
  const bus = await openBus(o.redisUrl, {
    background: true,
    onError: (err) => {
      if (Date.now() - lastErrorLog < ERROR_LOG_EVERY_MS) return;
      lastErrorLog = Date.now();
      log.warn({ err: err.message, redis: o.redisUrl }, 'redis connection problem (retrying with back-off)');
    },
  });
  const service = new SpiritService({
    bus, engine, log, estimatorFactory: await defaultEstimatorFactory(), replica: o.replica, intervalMs: o.intervalMs,
    leaseTtlMs: o.leaseTtlMs, policy: o.policy, processMetrics: true,
  });
  const app = createHttpApp({ service, token: o.token, openEvents: o.openEvents, wasmLoaded, solveCache: o.solveCache });
  let server: RunningServer;
  try {
    server = await listen(app, o.port, o.host);
  } catch (err) {
    // nothing may keep the process alive after a failed start (timers, Redis connections)
    await bus.close();
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'EADDRINUSE' ? `port ${o.port} on ${o.host} is already in use` : `cannot listen on ${o.host}:${o.port}: ${e.message}`, { cause: err });
  }
  // the address is announced whatever the log level (scripts and tests read it)
  log.child({}, { level: 'info' }).info({ url: server.url, dashboard: `${server.url}/`, openapi: `${server.url}/openapi.json`, bus: bus.kind, auth: Boolean(o.token) }, 'listening');
  let stopping = false;
  const started = (async () => {
    for (;;) {
      if (bus.unavailable() !== null) log.warn({ redis: o.redisUrl }, 'waiting for Redis (retrying with back-off; /readyz answers 503 meanwhile)');
      try {
        await bus.whenReady();
        if (stopping) return;
        await service.start();
        if (bus.kind === 'redis') log.info({ redis: o.redisUrl }, 'Redis reached: the service runs');
        return;
      } catch (err) {
        if (stopping) return;
        log.warn({ err: (err as Error).message }, 'the service could not start (will retry)');
        await service.stop().catch(() => {});
        await new Promise((r) => setTimeout(r, START_RETRY_MS));
      }
    }
  })();
  return {
    service, server,
    async stop() {
      stopping = true;
      await server.close();
      await service.stop();  // gives the leases back (nothing to do if it never started)
      await bus.close();     // also ends a wait for Redis
      await started;
      await service.stop();  // in case it started in the meantime
    },
  };
}

export async function runServe(o: ServeOptions): Promise<void> {
  const log = pino({ level: o.logLevel ?? 'info', base: { replica: o.replica } }, pino.destination(2));
  const running = await startServe(o, log);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string): void => {
      if (stopping) {
        log.warn({ sig }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      log.info({ sig }, 'stopping');
      running.stop().then(resolve, (err: Error) => {
        log.error({ err: err.message }, 'stop failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
}
