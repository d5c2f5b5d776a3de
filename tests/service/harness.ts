// Shared pieces of the service tests: the two bus backends (in-process, and a real redis-server started on a
// free port), services built on them with short intervals, a daemon that feeds synthetic telemetry from known
// models at the allocation in force, and polling with deadlines (never wall-clock speed assertions).
import pino, { type Logger } from 'pino';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryBus } from '../../service/bus/memory.ts';
import { RedisBus } from '../../service/bus/redis.ts';
import type { AllocationDoc, Bus } from '../../service/bus/types.ts';
import { SpiritService, type ServiceOptions } from '../../service/control/service.ts';
import { AppEstimator } from '../../service/estimator/app-estimator.ts';
import { syntheticTelemetry } from '../../service/estimator/synthetic.ts';
import { createEngine } from '../../service/market/engines.ts';
import type { Engine } from '../../service/market/engine.ts';
import type { MrcModel, Scenario } from '../../service/scenario/types.ts';
import { parseScenarioText } from '../../service/scenario/validate.ts';
import type { TelemetryRecord } from '../../service/telemetry/record.ts';
import { startRedisCluster, type RedisClusterProcess } from './redis-cluster.ts';
import { startRedis, type RedisProcess } from './redis-server.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function example(name: string): Scenario {
  return parseScenarioText(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')).scenario;
}

/** A logger that keeps lines in memory (tests read them; nothing is printed). */
export function memoryLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } });
  return { log, lines };
}

export interface Backend {
  name: 'memory' | 'redis' | 'redis-cluster';
  /** a new connection to the shared store (for Redis: a new client; in-process: the same bus object) */
  connect(): Promise<Bus>;
  redis?: RedisProcess;
  cluster?: RedisClusterProcess;
  close(): Promise<void>;
}

export async function memoryBackend(): Promise<Backend> {
  const bus = new MemoryBus();
  return { name: 'memory', connect: async () => bus, close: () => bus.close() };
}

export async function redisBackend(): Promise<Backend> {
  const redis = await startRedis();
  const opened: Bus[] = [];
  return {
    name: 'redis', redis,
    async connect() {
      const b = await RedisBus.connect(redis.url);
      opened.push(b);
      return b;
    },
    async close() {
      for (const b of opened) await b.close().catch(() => {});
      await redis.stop();
    },
  };
}

/**
 * A backend on a real Redis Cluster (3 primaries + 3 replicas). Starting one takes seconds, so one cluster
 * serves every test of a file: `close` flushes it; `stopSharedCluster` (afterAll) stops it.
 */
let sharedCluster: Promise<RedisClusterProcess> | null = null;
export async function clusterBackend(): Promise<Backend> {
  sharedCluster ??= startRedisCluster();
  const cluster = await sharedCluster;
  await cluster.waitHealthy();
  cluster.flush();
  const opened: Bus[] = [];
  return {
    name: 'redis-cluster', cluster,
    async connect() {
      const b = await RedisBus.connect(cluster.url, { connectTimeoutMs: 20_000 });
      opened.push(b);
      return b;
    },
    async close() {
      for (const b of opened) await b.close().catch(() => {});
    },
  };
}

export async function stopSharedCluster(): Promise<void> {
  const c = sharedCluster;
  sharedCluster = null;
  if (c) await (await c).stop();
}

let sharedEngine: Engine | null = null;
export async function engine(): Promise<Engine> {
  sharedEngine ??= await createEngine('ts');
  return sharedEngine;
}

/** The real estimator with its default options (the daemon stand-in sends the data plane's stall measurements). */
export const testEstimators = (id: string) => new AppEstimator(id);

export async function makeService(bus: Bus, o: Partial<ServiceOptions> = {}): Promise<{ service: SpiritService; lines: Record<string, unknown>[] }> {
  const { log, lines } = memoryLogger();
  const service = new SpiritService({
    bus, engine: await engine(), log, estimatorFactory: testEstimators, intervalMs: 100, leaseTtlMs: 600, reclaimIdleMs: 500, silentAfterMs: 60_000, ...o,
  });
  return { service, lines };
}

/** Polls `probe` until it returns a truthy value; fails with `what` after the deadline. */
export async function waitFor<T>(what: string, probe: () => Promise<T> | T, deadlineMs = 30_000, everyMs = 25): Promise<NonNullable<T>> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers a node and the scenario's apps (without their models: the service must learn them). */
export async function registerScenario(bus: Bus, node: string, s: Scenario, opts: { declareModels?: boolean } = {}): Promise<void> {
  const { putApp, putNode } = await import('../../service/control/registry.ts');
  await putNode(bus, node, { capacity: s.capacity });
  for (const a of s.apps) {
    await putApp(bus, `${node}.${a.id}`, { node, ...(a.weight ? { weight: a.weight } : {}), ...(opts.declareModels ? { model: a.model } : {}) });
  }
}

/**
 * A node daemon stand-in: for each app, one record per call at the bundle in force (spread around it so the
 * estimator sees several points), from the app's true model with seeded noise, with the data plane's stall
 * and token wait per miss, as the real daemon would measure. Time advances by `periodMs` per call.
 */
export class FakeDaemon {
  private step = 0;
  private timeMs = 1_700_000_000_000;
  allocation: AllocationDoc | null = null;

  constructor(readonly node: string, readonly scenario: Scenario, readonly periodMs = 1000) {}

  records(): TelemetryRecord[] {
    const out: TelemetryRecord[] = [];
    const cap = this.scenario.capacity;
    const n = this.scenario.apps.length;
    const spread = [0.5, 0.8, 1, 1.25, 1.6][this.step % 5];
    for (const a of this.scenario.apps) {
      const model = a.model as MrcModel;
      const id = `${this.node}.${a.id}`;
      const b = this.allocation?.bundles.find((x) => x.app === id) ?? { cacheMB: cap.cacheMB / n, bandwidthMbps: cap.bandwidthMbps / n };
      const at = { cacheMB: Math.min(cap.cacheMB, b.cacheMB * spread + 1), bandwidthMbps: Math.min(cap.bandwidthMbps, b.bandwidthMbps * spread + 1) };
      const [r] = syntheticTelemetry(model, [at], { seed: this.step * 131 + a.id.length, app: id, node: this.node, startMs: this.timeMs, stall: true });
      out.push({ ...r, mrc: model.mrc.map(([c, m]) => [c, m] as [number, number]) });
    }
    this.step++;
    this.timeMs += this.periodMs;
    return out;
  }
}

/**
 * The most a timer of this process set every `everyMs` fired late, until stop(). On a busy machine every
 * process's timers are late by about as much, so a test bounding how long something took in another
 * replica's own time (lease ticks) adds this: the bound then holds on a starved machine too.
 */
export function timerLateness(everyMs: number): { stop(): number } {
  let last = performance.now();
  let worst = 0;
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - everyMs);
    last = now;
  }, everyMs);
  return { stop: () => { clearInterval(t); return worst; } };
}
