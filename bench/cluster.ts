// `spirit bench cluster`: the control plane at scale on this machine, with no data plane. A producer process
// (bench/cluster/producer.ts) writes telemetry for N simulated nodes x 8 apps at the daemon's rate (one record
// per app per second, curves drifting); R `spirit serve --redis` replicas share the nodes. Every figure has a
// baseline from the same run and the 1-minute load average beside it (the machine is shared):
//  - all nodes served every interval (the longest any node went without a round, against the interval);
//  - CPU per node-round of the replicas (against the interval: how many nodes one core serves);
//  - Redis commands, bytes and Redis CPU per node-round (the producer's own share measured alone first);
//  - telemetry ingest: draining the backlog left while no replica ran, and live, against redis-benchmark XADD
//    of a record of the same size on the same redis-server;
//  - a replica killed (SIGKILL): time until its nodes are leased and allocated by the others, against two lease
//    periods;
//  - scaling from 2 to 3 replicas: time until the leases are split evenly and every moved node was allocated by
//    its new holder.
import { join } from 'node:path';
import { cpus } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { RedisBus } from '../service/bus/redis.ts';
import { redisBenchmarkXadd, ROOT, spawnTracked, startRedisServer, startWithUrl, type Child } from './service/procs.ts';
import { Announcements, cpuSeconds, diff, leaseHolders, load1, redisCounters, scrape, sumOf } from './cluster/observe.ts';
import { benchScenario } from './cluster/scenario.ts';

const SPIRIT = join(ROOT, 'bin', 'spirit.js');
const APPS = 8;
/** A node counts as served every interval when it never went longer than this without a round (timer jitter
 *  on a shared machine; a missed round is a whole interval late). */
const SERVED_GRACE = 1.1;
/** Replicas are sized to run at this share of their core, leaving room to take over a failed peer's nodes. */
const TARGET_UTILIZATION = 0.5;
const TARGET_NODES = 100_000;

export interface Config { nodes: number; replicas: number; intervalMs: number; leaseTtlMs: number; measureIntervals: number; baselineMs: number }

export const FULL: Config = { nodes: 2000, replicas: 2, intervalMs: 10_000, leaseTtlMs: 6000, measureIntervals: 3, baselineMs: 5000 };
const QUICK: Config = { nodes: 120, replicas: 2, intervalMs: 2000, leaseTtlMs: 1500, measureIntervals: 2, baselineMs: 2000 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const r3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Polls until `probe` answers, or null after `deadlineMs`: a figure the run did not reach is reported as such. */
async function waitUntil<T>(probe: () => Promise<T | null | false>, deadlineMs: number, everyMs = 100): Promise<T | null> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const v = await probe();
    if (v) return v;
    await sleep(everyMs);
  }
  return null;
}

async function until<T>(what: string, probe: () => Promise<T | null | false>, deadlineMs: number, everyMs = 100): Promise<T> {
  const v = await waitUntil(probe, deadlineMs, everyMs);
  if (v === null) throw new Error(`bench cluster: timed out after ${deadlineMs} ms waiting for ${what}`);
  return v;
}

interface Replica { id: string; child: Child }

async function startReplica(c: Config, redisUrl: string, id: string): Promise<Replica> {
  const child = await startWithUrl(process.execPath, [SPIRIT, 'serve', '--port', '0', '--redis', redisUrl, '--replica', id,
    '--interval-ms', String(c.intervalMs), '--lease-ttl-ms', String(c.leaseTtlMs), '--log-level', 'warn'], { PORT: '', SPIRIT_TOKEN: '', REDIS_URL: '' });
  return { id, child };
}

/** Registers N nodes x 8 apps straight through the bus (the HTTP route re-reads the registry per app). */
async function register(redisUrl: string, nodes: number): Promise<string[]> {
  const bus = await RedisBus.connect(redisUrl);
  const ids: string[] = [];
  try {
    const now = Date.now();
    for (let n = 0; n < nodes; n += 50) {
      await Promise.all(Array.from({ length: Math.min(50, nodes - n) }, async (_, k) => {
        const i = n + k;
        const s = benchScenario(i, APPS);
        const id = `n${i}`;
        await bus.putNode({ id, capacity: s.capacity, createdMs: now, updatedMs: now });
        await bus.ensureTelemetryGroup(id);
        for (const a of s.apps) await bus.putApp({ id: `${id}.${a.id}`, node: id, weight: a.weight ?? 1, createdMs: now, updatedMs: now });
        ids.push(id);
      }));
    }
  } finally {
    await bus.close();
  }
  return ids.sort();
}

interface Producer { proc: ChildProcess; appended: () => number; lateMs: () => number; stop(): Promise<void> }

async function startProducer(redisUrl: string, nodes: number): Promise<Producer> {
  const proc = spawnTracked(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'cluster', 'producer.ts'), redisUrl, String(nodes), String(APPS)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let last = { appended: 0, lateMs: 0 };
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) last = JSON.parse(l) as typeof last;
  });
  await until('the producer\'s first second', async () => last.appended > 0, 60_000);
  return {
    proc, appended: () => last.appended, lateMs: () => last.lateMs,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => { clearTimeout(t); resolve(); });
      proc.kill('SIGTERM');
    }),
  };
}

interface Totals { ingested: number; solveS: number; solves: number; estimateS: number; estimates: number; leased: number[]; cpuS: number; outcomes: Record<string, number> }

async function replicaTotals(rs: Replica[]): Promise<Totals> {
  const ms = await Promise.all(rs.map((r) => scrape(r.child.url)));
  const outcomes: Record<string, number> = {};
  for (const m of ms) {
    for (const [k, v] of m) {
      const o = /^spirit_rounds_total\{outcome="([a-z-]+)"\}$/.exec(k)?.[1];
      if (o) outcomes[o] = (outcomes[o] ?? 0) + v;
    }
  }
  return {
    estimateS: ms.reduce((t, m) => t + (m.get('spirit_round_estimate_seconds_sum') ?? 0), 0),
    estimates: ms.reduce((t, m) => t + (m.get('spirit_round_estimate_seconds_count') ?? 0), 0),
    outcomes,
    ingested: ms.reduce((t, m) => t + sumOf(m, 'spirit_telemetry_records_total'), 0),
    solveS: ms.reduce((t, m) => t + (m.get('spirit_solve_duration_seconds_sum{source="round"}') ?? 0), 0),
    solves: ms.reduce((t, m) => t + (m.get('spirit_solve_duration_seconds_count{source="round"}') ?? 0), 0),
    leased: ms.map((m) => m.get('spirit_nodes_leased') ?? 0),
    cpuS: rs.reduce((t, r) => t + cpuSeconds(r.child.proc.pid), 0),
  };
}

export function run(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  return runWith(opts.quick ? QUICK : FULL, opts.quick);
}

/** The benchmark with another configuration (sizing experiments: `runWith({ ...FULL, nodes: 600 })`). */
export async function runWith(c: Config, quick = false): Promise<Record<string, unknown>> {
  const opts = { quick };
  const redis = await startRedisServer();
  const admin = new Redis(redis.url);
  const sub = new Redis(redis.url);
  const replicas: Replica[] = [];
  let producer: Producer | null = null;
  const log = (msg: string): void => { process.stderr.write(`bench cluster: ${msg} (load ${load1()})\n`); };
  try {
    const nodes = await register(redis.url, c.nodes);
    log(`${nodes.length} nodes x ${APPS} apps registered`);
    const announcements = new Announcements(sub);
    await announcements.start();

    // baseline: what Redis itself does with XADDs of a record of this size
    const sampleRecord = JSON.stringify({ app: 'n0.social-0', node: 'n0', timeMs: Date.now(), cacheMB: 1615.25, bandwidthMbps: 827.375,
      throughputOpsPerSec: 812345.6, missRatio: 0.1234, pageTrafficBytesPerSec: 123456789, residentBytes: 1693712384,
      mrc: benchScenario(0, APPS).apps.map((a) => (a.model as { mrc: [number, number][] }).mrc)[0], missStallNs: 5123.4, missTokenWaitNs: 812.5 });
    const xadd = redisBenchmarkXadd(redis.port, sampleRecord, opts.quick ? 50_000 : 200_000, 16, 50);
    const xaddLoad = load1();
    log(`redis-benchmark XADD ${Math.round(xadd.requestsPerSec)}/s`);

    // the producer alone: its own Redis traffic and CPU, and the backlog the replicas will drain
    producer = await startProducer(redis.url, nodes.length);
    const p0 = await redisCounters(admin);
    const pc0 = cpuSeconds(producer.proc.pid);
    const pa0 = producer.appended();
    await sleep(c.baselineMs);
    const p1 = await redisCounters(admin);
    const producerRedis = diff(p0, p1);
    const producerRecords = producer.appended() - pa0;
    const producerCpuS = cpuSeconds(producer.proc.pid) - pc0;
    const perRecord = { commands: producerRedis.commands / producerRecords, bytes: (producerRedis.netInBytes + producerRedis.netOutBytes) / producerRecords };
    const producerPerSec = producerRecords / (producerRedis.atMs / 1000);
    const baselineLoad = load1();
    log(`producer alone: ${Math.round(producerPerSec)} records/s`);

    // R replicas start; they drain the backlog and take the leases
    const startedAt = Date.now();
    for (let i = 0; i < c.replicas; i++) replicas.push(await startReplica(c, redis.url, `r${i + 1}`));
    const allLeased = await waitUntil(async () => (await leaseHolders(admin, nodes)).every((h) => h !== null) && Date.now(), 120_000);
    const leasedMs = allLeased === null ? null : allLeased - startedAt;
    const backlogAtStart = producer.appended();
    // the replicas drain the backlog (bounded: replicas that cannot keep up never do, and that is a figure)
    const drainEnd = await waitUntil(async () => {
      const t = await replicaTotals(replicas);
      return t.ingested >= producer!.appended() - producerPerSec * 2 ? { at: Date.now(), ingested: t.ingested } : null;
    }, Math.max(60_000, 6 * c.intervalMs), 50);
    const drained = drainEnd !== null;
    const drainAt = drainEnd ?? { at: Date.now(), ingested: (await replicaTotals(replicas)).ingested };
    const drainSeconds = (drainAt.at - startedAt) / 1000;
    const drainPerSec = drainAt.ingested / drainSeconds;
    const drainLoad = load1();
    log(drained ? `backlog of ${backlogAtStart} drained in ${drainSeconds.toFixed(1)} s` : `backlog NOT drained after ${drainSeconds.toFixed(1)} s`);
    // every node allocated once (bounded), then one more interval to settle
    await waitUntil(async () => nodes.every((n) => (announcements.byNode.get(n)?.length ?? 0) > 0), 3 * c.intervalMs);
    await sleep(c.intervalMs);

    // steady state with R replicas
    const w0 = { redis: await redisCounters(admin), reps: await replicaTotals(replicas), produced: producer.appended(), at: Date.now() };
    await sleep(c.measureIntervals * c.intervalMs);
    const w1 = { redis: await redisCounters(admin), reps: await replicaTotals(replicas), produced: producer.appended(), at: Date.now() };
    const steadyLoad = load1();
    const windowS = (w1.at - w0.at) / 1000;
    const served = announcements.window(nodes, w0.at, w1.at);
    const nodeRounds = served.rounds;
    const rd = diff(w0.redis, w1.redis);
    // the producer's share by the records it wrote in the window (its rate drifts when it runs late)
    const windowRecords = w1.produced - w0.produced;
    const prod = {
      commands: perRecord.commands * windowRecords, bytes: perRecord.bytes * windowRecords,
      cpuS: (producerRedis.cpuSeconds / producerRecords) * windowRecords,
    };
    // rounds that did the work (read, estimated, solved), published or not: the cost is theirs
    const worked = ['published', 'held', 'lost-lease', 'stale', 'failed'].reduce((t, k) => t + ((w1.reps.outcomes[k] ?? 0) - (w0.reps.outcomes[k] ?? 0)), 0);
    const costRounds = Math.max(1, worked);
    const cpuPerNodeRoundMs = ((w1.reps.cpuS - w0.reps.cpuS) * 1000) / costRounds;
    const solveMsPerRound = ((w1.reps.solveS - w0.reps.solveS) * 1000) / Math.max(1, w1.reps.solves - w0.reps.solves);
    const estimateMsPerRound = ((w1.reps.estimateS - w0.reps.estimateS) * 1000) / Math.max(1, w1.reps.estimates - w0.reps.estimates);
    const outcomes = Object.fromEntries(Object.keys(w1.reps.outcomes).map((k) => [k, w1.reps.outcomes[k] - (w0.reps.outcomes[k] ?? 0)]));
    const ingestLivePerSec = (w1.reps.ingested - w0.reps.ingested) / windowS;
    const producedPerSec = (w1.produced - w0.produced) / windowS;
    const backlogEnd = w1.produced - w1.reps.ingested;
    log(`steady: ${nodeRounds} node-rounds in ${windowS.toFixed(1)} s, longest gap ${served.maxGapMs} ms`);

    // scale 2 -> 3
    const before = await leaseHolders(admin, nodes);
    const scaleAt = Date.now();
    const third = await startReplica(c, redis.url, `r${c.replicas + 1}`);
    replicas.push(third);
    const share = Math.floor(nodes.length / replicas.length);
    const scaleDeadlineMs = 6 * c.intervalMs + 30_000;
    const even = await waitUntil(async () => {
      const h = await leaseHolders(admin, nodes);
      const counts = replicas.map((r) => h.filter((x) => x === r.id).length);
      return counts.every((k) => k >= share && k <= share + 1) ? { at: Date.now(), holders: h } : null;
    }, scaleDeadlineMs);
    const holdersAfter = even?.holders ?? (await leaseHolders(admin, nodes));
    const moved = nodes.filter((n, i) => holdersAfter[i] !== before[i] && holdersAfter[i] !== null);
    const movedServed = await waitUntil(async () => {
      const firsts = moved.map((n) => announcements.firstBy(n, holdersAfter[nodes.indexOf(n)]!, scaleAt));
      return firsts.every((t) => t !== null) ? Math.max(scaleAt, ...(firsts as number[])) : null;
    }, scaleDeadlineMs, 200);
    const scaleLoad = load1();
    log(`scaled to 3: split even ${even ? `after ${even.at - scaleAt} ms` : 'NOT reached'}, moved nodes allocated ${movedServed ? `after ${movedServed - scaleAt} ms` : 'NOT all'}`);

    // a replica killed
    const victim = replicas[0];
    const holdersNow = await leaseHolders(admin, nodes);
    const orphaned = nodes.filter((_, i) => holdersNow[i] === victim.id);
    const killAt = Date.now();
    victim.child.proc.kill('SIGKILL');
    await new Promise((r) => victim.child.proc.once('exit', r));
    replicas.shift();
    const takenAt = await waitUntil(async () => {
      const h = await leaseHolders(admin, orphaned);
      return h.every((x) => x !== null && x !== victim.id) ? Date.now() : null;
    }, 10 * c.leaseTtlMs + 30_000, 50);
    const servedAgainAt = await waitUntil(async () => {
      const firsts = orphaned.map((n) => announcements.firstNotBy(n, victim.id, killAt));
      return firsts.every((t) => t !== null) ? Math.max(killAt, ...(firsts as number[])) : null;
    }, 6 * c.intervalMs + 30_000, 100);
    const killLoad = load1();
    log(`killed ${victim.id}: its ${orphaned.length} nodes leased again ${takenAt ? `after ${takenAt - killAt} ms` : 'NOT all'}, allocated ${servedAgainAt ? `after ${servedAgainAt - killAt} ms` : 'NOT all'}`);

    const nodesPerCore = (c.intervalMs / cpuPerNodeRoundMs);
    const nodesPerReplica = Math.floor(nodesPerCore * TARGET_UTILIZATION);
    const redisCommandsPerNodeRound = (rd.commands - prod.commands) / costRounds;
    const redisBytesPerNodeRound = (rd.netInBytes + rd.netOutBytes - prod.bytes) / costRounds;
    const redisCpuPerNodeRoundMs = ((rd.cpuSeconds - prod.cpuS) * 1000) / costRounds;
    return {
      benchmark: 'cluster', quick: opts.quick,
      machine: { cpus: cpus().length },
      config: { ...c, appsPerNode: APPS, recordsPerAppPerSecond: 1, redis: 'one redis-server (single shard)' },
      baseline: {
        redisBenchmarkXaddPerSec: Math.round(xadd.requestsPerSec), recordBytes: sampleRecord.length, loadAvg1m: xaddLoad,
        producer: { recordsPerSec: Math.round(producerPerSec), redisCommandsPerRecord: r3(perRecord.commands), redisBytesPerRecord: Math.round(perRecord.bytes),
          cpuPerRecordUs: r3((producerCpuS * 1e6) / producerRecords), loadAvg1m: baselineLoad },
      },
      served: {
        everyNodeEveryInterval: served.maxGapMs <= c.intervalMs * SERVED_GRACE && served.unserved === 0,
        intervalMs: c.intervalMs, slowestNodeGapMs: served.maxGapMs, slowestNodeLagMs: Math.max(0, served.maxGapMs - c.intervalMs), slowestNode: served.slowest,
        medianNodeGapMs: served.medianGapMs, unservedNodes: served.unserved, nodeRounds, windowS: r3(windowS),
        nodeRoundsPerSec: r3(nodeRounds / windowS), loadAvg1m: steadyLoad,
      },
      cost: {
        cpuPerNodeRoundMs: r3(cpuPerNodeRoundMs), solveMsPerRound: r3(solveMsPerRound), estimateMsPerRound: r3(estimateMsPerRound), roundOutcomes: outcomes,
        roundsComputed: worked, roundsPublished: nodeRounds,
        replicaUtilization: r3((w1.reps.cpuS - w0.reps.cpuS) / (windowS * c.replicas)),
        nodesPerCoreAtInterval: Math.floor(nodesPerCore), nodesPerReplicaAtTarget: nodesPerReplica, targetUtilization: TARGET_UTILIZATION,
        replicasFor100kNodes: Math.ceil(TARGET_NODES / nodesPerReplica),
        redisCommandsPerNodeRound: r3(redisCommandsPerNodeRound), redisBytesPerNodeRound: Math.round(redisBytesPerNodeRound),
        redisCpuPerNodeRoundMs: r3(redisCpuPerNodeRoundMs), redisCommandsPerSecFor100kNodes: Math.round((redisCommandsPerNodeRound * TARGET_NODES * 1000) / c.intervalMs),
        loadAvg1m: steadyLoad,
      },
      ingest: {
        drained, drainPerSec: Math.round(drainPerSec), drainVsXadd: r3(drainPerSec / xadd.requestsPerSec), backlogRecords: backlogAtStart, loadAvg1mDrain: drainLoad,
        livePerSec: Math.round(ingestLivePerSec), producedPerSec: Math.round(producedPerSec), liveVsXadd: r3(ingestLivePerSec / xadd.requestsPerSec),
        backlogAtEndRecords: backlogEnd, keepsUp: backlogEnd <= producedPerSec * 2, producerLateMs: producer.lateMs(), loadAvg1m: steadyLoad,
      },
      takeover: {
        nodes: orphaned.length, leasedAgainMs: takenAt === null ? null : takenAt - killAt, allocatedAgainMs: servedAgainAt === null ? null : servedAgainAt - killAt,
        leaseTtlMs: c.leaseTtlMs, twoLeasePeriodsMs: 2 * c.leaseTtlMs, leasedWithinTwoLeasePeriods: takenAt !== null && takenAt - killAt <= 2 * c.leaseTtlMs, loadAvg1m: killLoad,
      },
      scale: {
        from: c.replicas, to: c.replicas + 1, evenSplitMs: even === null ? null : even.at - scaleAt, movedNodes: moved.length,
        movedNodesAllocatedMs: movedServed === null ? null : movedServed - scaleAt,
        intervalMs: c.intervalMs, firstLeasesMs: leasedMs, loadAvg1m: scaleLoad,
      },
    };
  } finally {
    await producer?.stop();
    for (const r of replicas) await r.child.stop();
    sub.disconnect();
    admin.disconnect();
    await redis.stop();
  }
}

export function format(f: Record<string, unknown>): string {
  const g = f as unknown as {
    config: Config & { appsPerNode: number }; baseline: { redisBenchmarkXaddPerSec: number; recordBytes: number; loadAvg1m: number; producer: { recordsPerSec: number; redisCommandsPerRecord: number; redisBytesPerRecord: number; cpuPerRecordUs: number; loadAvg1m: number } };
    served: { everyNodeEveryInterval: boolean; intervalMs: number; slowestNodeGapMs: number; slowestNodeLagMs: number; medianNodeGapMs: number; unservedNodes: number; nodeRounds: number; windowS: number; loadAvg1m: number };
    cost: { cpuPerNodeRoundMs: number; solveMsPerRound: number; estimateMsPerRound: number; roundOutcomes: Record<string, number>; roundsComputed: number; roundsPublished: number; replicaUtilization: number; nodesPerCoreAtInterval: number; nodesPerReplicaAtTarget: number; targetUtilization: number; replicasFor100kNodes: number; redisCommandsPerNodeRound: number; redisBytesPerNodeRound: number; redisCpuPerNodeRoundMs: number; redisCommandsPerSecFor100kNodes: number; loadAvg1m: number };
    ingest: { drained: boolean; drainPerSec: number; drainVsXadd: number; backlogRecords: number; loadAvg1mDrain: number; livePerSec: number; producedPerSec: number; liveVsXadd: number; keepsUp: boolean; backlogAtEndRecords: number; loadAvg1m: number };
    takeover: { nodes: number; leasedAgainMs: number | null; allocatedAgainMs: number | null; twoLeasePeriodsMs: number; leasedWithinTwoLeasePeriods: boolean; loadAvg1m: number };
    scale: { from: number; to: number; evenSplitMs: number | null; movedNodes: number; movedNodesAllocatedMs: number | null; intervalMs: number; loadAvg1m: number };
  };
  const c = g.config;
  return [
    `${c.nodes} nodes x ${c.appsPerNode} apps, ${c.replicas} replicas, ${c.intervalMs / 1000} s interval, ${c.leaseTtlMs / 1000} s leases, one redis-server`,
    `figure                                   measured                     baseline (same run)              load`,
    `all nodes served every interval          ${g.served.everyNodeEveryInterval ? 'yes' : 'NO'}: slowest node ${g.served.slowestNodeGapMs} ms without a round (median ${g.served.medianNodeGapMs})   interval ${g.served.intervalMs} ms   ${g.served.loadAvg1m}`,
    `  slowest node's lag                     ${g.served.slowestNodeLagMs} ms; ${g.served.nodeRounds} node-rounds in ${g.served.windowS} s, ${g.served.unservedNodes} nodes unserved`,
    `CPU per node-round (replicas)            ${g.cost.cpuPerNodeRoundMs} ms (estimators ${g.cost.estimateMsPerRound} ms, solve ${g.cost.solveMsPerRound} ms, wall)   a core per interval: ${g.cost.nodesPerCoreAtInterval} nodes   ${g.cost.loadAvg1m}`,
    `  rounds computed ${g.cost.roundsComputed}, published ${g.cost.roundsPublished}; by outcome ${Object.entries(g.cost.roundOutcomes).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  replicas' utilization                  ${g.cost.replicaUtilization}; at ${g.cost.targetUtilization} a replica serves ${g.cost.nodesPerReplicaAtTarget} nodes: ${g.cost.replicasFor100kNodes} replicas for 100,000 nodes`,
    `Redis per node-round (replicas' share)   ${g.cost.redisCommandsPerNodeRound} commands, ${g.cost.redisBytesPerNodeRound} bytes, ${g.cost.redisCpuPerNodeRoundMs} ms Redis CPU   producer: ${g.baseline.producer.redisCommandsPerRecord} commands, ${g.baseline.producer.redisBytesPerRecord} bytes per record   ${g.cost.loadAvg1m}`,
    `  at 100,000 nodes                       ${g.cost.redisCommandsPerSecFor100kNodes} commands/s`,
    `ingest, draining a backlog of ${g.ingest.backlogRecords}     ${g.ingest.drained ? '' : 'NOT drained: '}${g.ingest.drainPerSec} records/s (${g.ingest.drainVsXadd} of XADD)   redis-benchmark XADD ${g.baseline.redisBenchmarkXaddPerSec}/s (${g.baseline.recordBytes} B)   ${g.ingest.loadAvg1mDrain}`,
    `ingest, live                             ${g.ingest.livePerSec} records/s of ${g.ingest.producedPerSec} produced (${g.ingest.liveVsXadd} of XADD); keeps up: ${g.ingest.keepsUp ? 'yes' : 'NO'} (${g.ingest.backlogAtEndRecords} behind)   ${g.ingest.loadAvg1m}`,
    `a replica killed: its ${g.takeover.nodes} nodes          leased again after ${g.takeover.leasedAgainMs ?? 'never'} ms, allocated after ${g.takeover.allocatedAgainMs ?? 'never'} ms   two lease periods ${g.takeover.twoLeasePeriodsMs} ms: ${g.takeover.leasedWithinTwoLeasePeriods ? 'within' : 'NOT within'}   ${g.takeover.loadAvg1m}`,
    `scale ${g.scale.from} -> ${g.scale.to} replicas                   even split after ${g.scale.evenSplitMs ?? 'never'} ms; ${g.scale.movedNodes} moved nodes allocated by their new holder after ${g.scale.movedNodesAllocatedMs ?? 'never'} ms   interval ${g.scale.intervalMs} ms   ${g.scale.loadAvg1m}`,
  ].join('\n');
}
