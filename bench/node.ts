// `spirit bench node [--json] [--quick]`: the node daemon and its workloads, against baselines in the same run.
//  - each archetype's throughput (page accesses/s) on far memory, with the whole region cached and with a
//    quarter of it, against the same archetype, seed and size on plain local memory (an ArrayBuffer);
//  - enforcement latency: an allocation published to Redis -> `spirit serve --redis` -> server-sent event ->
//    the daemon -> the region's control block (daemon applied) -> the fault thread's cache limit (data plane
//    applied) -> resident pages under the new limit (shrinks). Target: within a second;
//  - the daemon's own CPU per telemetry tick and workload (snapshot, control-block read, sample drain, record).
// Real processes throughout: a `spirit memnode`, workload processes, redis-server and `spirit serve`.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { attachControl } from '../native/index.ts';
import { MemoryBus } from '../service/bus/memory.ts';
import { RedisBus } from '../service/bus/redis.ts';
import type { AllocationDoc } from '../service/bus/types.ts';
import { log } from '../service/cli/output.ts';
import { renderTable } from '../service/cli/table.ts';
import { liveMarket, MARKET_MODES, type MarketFigures, type MarketPlan, TARGET_VS_STATIC } from './node/market.ts';
import { startRedisServer } from './service/procs.ts';
import { NodeDaemon } from '../service/node/daemon.ts';
import { busLink, httpLink } from '../service/node/link.ts';
import { type WorkloadSnapshot, WorkloadSupervisor } from '../service/node/supervisor.ts';
import { parseWorkloadSpec } from '../service/node/workload-spec.ts';
import { ARCHETYPES, ARCHETYPE_DEFS, newCounters, type Archetype } from '../service/node/workloads/index.ts';
import { bytesFromMiB, mbpsFromBytesPerSec, secFromMs } from '../service/units.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SPIRIT = join(ROOT, 'bin', 'spirit.js');
const TOKEN = 'bench-node-token';
const REGION_MB = 32;
const BANDWIDTH_MBPS = 4000;
const ENFORCE_TARGET_MS = 1000;
const START_TIMEOUT_MS = 60_000;

interface Plan { measureMs: number; changes: number; changeGapMs: number; tickMs: number; ticksMs: number; market: MarketPlan }
const FULL: Plan = { measureMs: 8000, changes: 40, changeGapMs: 400, tickMs: 100, ticksMs: 10_000, market: { settleMs: 20_000, measureMs: 8000 } };
const QUICK: Plan = { measureMs: 1000, changes: 8, changeGapMs: 300, tickMs: 100, ticksMs: 3000, market: { settleMs: 5000, measureMs: 3000 } };

const round = (x: number, d = 2): number => Number(x.toFixed(d));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** Spawns a process and waits for a line of its stderr to match. */
async function spawnUntil(cmd: string, args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, REDIS_URL: '', PORT: '', SPIRIT_TOKEN: '', ...env } });
  let err = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${args.join(' ')}: not ready in ${START_TIMEOUT_MS} ms: ${err}`)); }, START_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = pattern.exec(err);
      if (m) { clearTimeout(t); resolve({ child, match: m }); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`${args.join(' ')} exited with ${code}: ${err}`)); });
  });
}

const stop = async (c: ChildProcess): Promise<void> => {
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((r) => { c.once('exit', () => r()); c.kill('SIGTERM'); setTimeout(() => c.kill('SIGKILL'), 5000).unref(); });
};

const defaults = (a: Archetype): Record<string, number> => Object.fromEntries(Object.entries(ARCHETYPE_DEFS[a].params).map(([k, v]) => [k, v.default]));

/** Accesses per second of one archetype on an ArrayBuffer in this process (the local-memory baseline). */
function localRate(a: Archetype, ms: number): number {
  const w = ARCHETYPE_DEFS[a].create(new ArrayBuffer(bytesFromMiB(REGION_MB)), defaults(a), 1);
  while (!w.init(4096));
  const c = newCounters();
  const per = Math.max(1, Math.round(16 / w.accessesPerOp));
  const warm = performance.now() + 200;
  while (performance.now() < warm) w.run(per, c);
  const c2 = newCounters();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) for (let i = 0; i < 64; i++) w.run(per, c2);
  return c2.accesses / secFromMs(performance.now() - t0);
}

/** Accesses per second, miss ratio and traffic of one archetype on far memory with the given cache. */
async function farRate(a: Archetype, memnode: string, cacheMB: number, ms: number, controlDir: string): Promise<{ rate: number; missRatio: number; trafficMbps: number }> {
  const sup = new WorkloadSupervisor({
    id: `bench-${a}`, archetype: a, params: defaults(a), seed: 1, sizeBytes: bytesFromMiB(REGION_MB), memnodes: [memnode], token: TOKEN, sampleRate: 0.01, controlDir,
  }, { cacheBytes: bytesFromMiB(cacheMB), bandwidthMbps: BANDWIDTH_MBPS }, { onEvent: () => {} });
  sup.start();
  try {
    let s0: WorkloadSnapshot | null = null;
    for (let i = 0; i < 600 && !(s0 && s0.phase === 'run'); i++) {  // init, then 1 s of warm-up in the run phase
      await sleep(100);
      s0 = await sup.snapshot();
    }
    if (!s0 || s0.phase !== 'run') throw new Error(`${a}: workload did not start`);
    await sleep(1000);
    s0 = await sup.snapshot();
    await sleep(ms);
    const s1 = await sup.snapshot();
    if (!s0 || !s1) throw new Error(`${a}: no snapshot`);
    const acc = s1.accesses - s0.accesses;
    const sec = secFromMs(s1.atMs - s0.atMs);
    const misses = (s1.stats.missingFaults - s0.stats.missingFaults) - (s1.stats.softFaults - s0.stats.softFaults);
    const traffic = s1.stats.bytesIn + s1.stats.bytesOut - s0.stats.bytesIn - s0.stats.bytesOut;
    return { rate: acc / sec, missRatio: acc > 0 ? misses / acc : 0, trafficMbps: mbpsFromBytesPerSec(traffic / sec) };
  } finally {
    await sup.stop();
  }
}

async function archetypes(plan: Plan, memnode: string, controlDir: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const a of ARCHETYPES) {
    log(`bench node: ${a}`);
    const local = localRate(a, plan.measureMs);
    const fits = await farRate(a, memnode, REGION_MB, plan.measureMs, controlDir);
    const quarter = await farRate(a, memnode, REGION_MB / 4, plan.measureMs, controlDir);
    rows.push({
      archetype: a, localAccessesPerSec: Math.round(local), farAllCachedPerSec: Math.round(fits.rate), farQuarterCachedPerSec: Math.round(quarter.rate),
      allCachedVsLocal: round(fits.rate / local, 3), quarterCachedVsLocal: round(quarter.rate / local, 3), quarterMissRatio: round(quarter.missRatio, 4),
      quarterTrafficMbps: round(quarter.trafficMbps, 1),
    });
  }
  return rows;
}

/** Publishes allocations to Redis and times each step of their way to the region. */
async function enforcement(plan: Plan, memnode: string, controlDir: string): Promise<Record<string, unknown>> {
  const redis = await startRedisServer();
  const redisUrl = redis.url;
  let serve: ChildProcess | null = null;
  let daemon: NodeDaemon | null = null;
  let bus: RedisBus | null = null;
  try {
    bus = await RedisBus.connect(redisUrl);
    const s = await spawnUntil(process.execPath, [SPIRIT, 'serve', '--port', '0', '--redis', redisUrl, '--interval-ms', '3600000'], /"url":"(http:[^"]+)"/);
    serve = s.child;
    const node = 'bench-enforce';
    const spec = parseWorkloadSpec(`kv:id=kv,size-mb=${REGION_MB}`, 0, node);
    daemon = new NodeDaemon({
      node, capacity: { cacheMB: REGION_MB, bandwidthMbps: BANDWIDTH_MBPS }, workloads: [spec], memnodes: [memnode], memnodeToken: TOKEN, controlDir,
      intervalMs: 1000, link: httpLink(s.match[1]), log: pino({ level: 'silent' }, { write: () => {} }),
    });
    await daemon.start();
    let ctlPath: string | null = null;
    for (let i = 0; i < 600 && !(ctlPath && daemon.status().registered); i++) {
      await sleep(100);
      ctlPath = daemon.status().workloads[0]?.controlPath ?? null;
    }
    if (!ctlPath) throw new Error('the enforcement workload did not start');
    const h = attachControl(ctlPath);
    const applied: number[] = [];
    const dataPlane: number[] = [];
    const shrunk: number[] = [];
    let epoch = 1000;
    for (let i = 0; i < plan.changes; i++) {
      await sleep(plan.changeGapMs);
      const cacheMB = i % 2 === 0 ? REGION_MB / 8 : REGION_MB / 2;
      const bw = i % 2 === 0 ? 500 : 1500;
      const cacheBytes = bytesFromMiB(cacheMB);
      const doc: AllocationDoc = {
        node, epoch: ++epoch, timeMs: Date.now(), replica: 'bench', policy: 'spirit', elapsedMs: 0, certificate: {} as AllocationDoc['certificate'],
        bundles: [{ app: 'kv', cacheMB, bandwidthMbps: bw, normalizedPerf: 1, source: 'declared', confidence: 0 }],
      };
      const t0 = performance.now();
      await bus.publishAllocation(doc, null);
      let tApplied = -1;
      let tData = -1;
      let tShrunk = -1;
      while (performance.now() - t0 < 10_000 && (tApplied < 0 || tData < 0 || (i % 2 === 0 && tShrunk < 0))) {
        const st = h.read();
        const now = performance.now() - t0;
        if (tApplied < 0 && st.cacheBytes === cacheBytes && st.bandwidthMbps === bw) tApplied = now;
        if (tData < 0 && st.cachePagesLimit === cacheBytes / st.pageBytes) tData = now;
        if (i % 2 === 0 && tShrunk < 0 && tData >= 0 && st.residentBytes <= cacheBytes) tShrunk = now;
        await new Promise((r) => setImmediate(r));
      }
      if (tApplied >= 0) applied.push(tApplied);
      if (tData >= 0) dataPlane.push(tData);
      if (tShrunk >= 0) shrunk.push(tShrunk);
    }
    h.close();
    const pct = (xs: number[]) => ({ p50Ms: round(quantile(xs, 0.5)), p99Ms: round(quantile(xs, 0.99)), maxMs: round(Math.max(0, ...xs)), n: xs.length });
    return {
      changes: plan.changes, daemonApplied: pct(applied), dataPlaneApplied: pct(dataPlane), shrinkEnforced: pct(shrunk),
      targetMs: ENFORCE_TARGET_MS, metTarget: applied.length === plan.changes && quantile(dataPlane, 1) <= ENFORCE_TARGET_MS,
    };
  } finally {
    await daemon?.stop();
    if (serve) await stop(serve);
    await bus?.close();
    await redis.stop();
  }
}

/** CPU the daemon spends per tick and workload (this process hosts only the daemon while it runs). */
async function tickCost(plan: Plan, memnode: string, controlDir: string): Promise<Record<string, unknown>> {
  const bus = new MemoryBus();
  const workloads = ARCHETYPES.map((a, i) => parseWorkloadSpec(`${a}:size-mb=${REGION_MB / 4}`, i, 'bench-ticks'));
  const daemon = new NodeDaemon({
    node: 'bench-ticks', capacity: { cacheMB: REGION_MB / 2, bandwidthMbps: BANDWIDTH_MBPS }, workloads, memnodes: [memnode], memnodeToken: TOKEN, controlDir,
    intervalMs: plan.tickMs, link: busLink(bus, 'memory', true), log: pino({ level: 'silent' }, { write: () => {} }),
  });
  await daemon.start();
  try {
    for (let i = 0; i < 600 && daemon.status().recordsSent < workloads.length * 3; i++) await sleep(100);
    const sent0 = daemon.status().recordsSent;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(plan.ticksMs);
    const cpu = process.cpuUsage(cpu0);
    const ms = performance.now() - t0;
    const records = daemon.status().recordsSent - sent0;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const ticks = ms / plan.tickMs;
    return {
      workloads: workloads.length, tickMs: plan.tickMs, records, cpuMsPerTick: round(cpuMs / ticks, 3), cpuMsPerTickPerWorkload: round(cpuMs / ticks / workloads.length, 3),
      cpuShareAt1sInterval: round((cpuMs / ticks) / 1000, 5),
    };
  } finally {
    await daemon.stop();
  }
}

export async function run(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const plan = opts.quick ? QUICK : FULL;
  const controlDir = mkdtempSync(join(tmpdir(), 'bench-node-ctl-'));
  const mn = await spawnUntil(process.execPath, [SPIRIT, 'memnode', '--port', '0', '--capacity-mb', '4096'], /listening on (\S+:\d+)/, { SPIRIT_MEMNODE_TOKENS: TOKEN });
  const memnode = mn.match[1];
  try {
    const rows = await archetypes(plan, memnode, controlDir);
    log('bench node: enforcement latency');
    const enforce = await enforcement(plan, memnode, controlDir);
    log('bench node: daemon tick cost');
    const ticks = await tickCost(plan, memnode, controlDir);
    log('bench node: the market on a live node (static, spirit unsplit, spirit convexified)');
    const market = await liveMarket(plan.market, memnode, TOKEN, controlDir);
    return {
      machine: { cpus: cpus().length, loadavg1: round(loadavg()[0]) }, quick: opts.quick, regionMB: REGION_MB, bandwidthMbps: BANDWIDTH_MBPS,
      archetypes: rows, enforcement: enforce, daemonTicks: ticks, market,
    };
  } finally {
    await stop(mn.child);
    rmSync(controlDir, { recursive: true, force: true });
  }
}

export function format(f: Record<string, unknown>): string {
  const rows = f.archetypes as Record<string, number | string>[];
  const e = f.enforcement as Record<string, Record<string, number> | number | boolean>;
  const t = f.daemonTicks as Record<string, number>;
  const m = f.market as MarketFigures;
  const lat = (k: string): string => {
    const x = e[k] as Record<string, number>;
    return `p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms, max ${x.maxMs} ms (${x.n} changes)`;
  };
  return [
    `workloads on far memory (${f.regionMB} MiB regions, ${f.bandwidthMbps} Mbps) vs the same on local memory, page accesses/s`,
    renderTable(['archetype', 'local', 'far, all cached', 'ratio', 'far, 1/4 cached', 'ratio', 'miss ratio', 'traffic Mbps'],
      rows.map((r) => [String(r.archetype), String(r.localAccessesPerSec), String(r.farAllCachedPerSec), String(r.allCachedVsLocal),
        String(r.farQuarterCachedPerSec), String(r.quarterCachedVsLocal), String(r.quarterMissRatio), String(r.quarterTrafficMbps)]),
      [false, true, true, true, true, true, true, true]),
    '',
    `enforcement: Redis -> spirit serve -> SSE -> daemon -> control block -> fault thread (target ${e.targetMs} ms: ${e.metTarget ? 'met' : 'NOT met'})`,
    `  daemon applied      ${lat('daemonApplied')}`,
    `  data plane applied  ${lat('dataPlaneApplied')}`,
    `  shrink enforced     ${lat('shrinkEnforced')}`,
    '',
    `daemon tick cost: ${t.cpuMsPerTick} ms CPU per tick for ${t.workloads} workloads (${t.cpuMsPerTickPerWorkload} ms each; ` +
      `${round(t.cpuShareAt1sInterval * 100, 3)}% of a core at a 1 s interval; ${t.records} records sent)`,
    '',
    `the market on a live node (${m.node.cacheMB} MiB, ${m.node.bandwidthMbps} Mbps; ${m.workloads.join(' + ')}): each app's measured throughput, page accesses/s`,
    renderTable(['app', 'mode', 'bundle', 'split', 'miss ratio', 'accesses/s', 'vs static'],
      m.apps.flatMap((a) => MARKET_MODES.map((mode) => {
        const x = a.modes[mode];
        return [a.app, mode, `${x.bundle.cacheMB} MiB, ${x.bundle.bandwidthMbps} Mbps`,
          x.partitions ? x.partitions.map((q) => `${q.accessShare}:${q.cacheMB} MiB`).join(' + ') : '-', String(x.missRatio), String(x.opsPerSec), `${x.vsStatic}x`];
      })),
      [false, false, false, false, true, true, true]),
    `  scan convexified / unsplit: ${m.scanConvexifiedOverUnsplit}x; lowest vs static: unsplit ${m.minVsStatic.unsplit}x, convexified ${m.minVsStatic.convexified}x` +
      ` (targets: scan better convexified, none below ${TARGET_VS_STATIC}x: ${m.targetMet ? 'met' : 'NOT met'})`,
    `  estimated after ${m.estimatedAfterS.unsplit} s (unsplit), ${m.estimatedAfterS.convexified} s (convexified); last certificates: max envy ${m.maxEnvy.unsplit} / ${m.maxEnvy.convexified}` +
      `${m.trustRegionHeld.unsplit || m.trustRegionHeld.convexified ? ' (the trust region still held one back)' : ''}; load average ${MARKET_MODES.map((k) => `${k} ${m.loadAvg1m[k]}`).join(', ')}`,
  ].join('\n');
}

