// `spirit bench cluster --quick --json`: the document's shape and the relations between its figures (never
// their speed: the machine is shared): every phase ran on real processes (a producer, replicas, redis-server,
// redis-benchmark), costs are per round computed, a killed replica's nodes and a scale-out were followed, and
// the 100,000-node read-off is the figure it says it is.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.ts';

describe('spirit bench cluster --quick --json', () => {
  it('prints every figure with its same-run baseline and the load average beside it', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'spirit.js'), 'bench', 'cluster', '--quick', '--json'],
      { encoding: 'utf8', env: { ...process.env, REDIS_URL: '', PORT: '', SPIRIT_TOKEN: '' }, timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    const f = JSON.parse(r.stdout) as {
      config: { nodes: number; replicas: number; intervalMs: number; leaseTtlMs: number; appsPerNode: number };
      baseline: { redisBenchmarkXaddPerSec: number; recordBytes: number; loadAvg1m: number; producer: { recordsPerSec: number; redisCommandsPerRecord: number } };
      served: { everyNodeEveryInterval: boolean; slowestNodeGapMs: number; slowestNodeLagMs: number; medianNodeGapMs: number; unservedNodes: number; nodeRounds: number; loadAvg1m: number };
      cost: { cpuPerNodeRoundMs: number; roundsComputed: number; roundsPublished: number; nodesPerCoreAtInterval: number; nodesPerReplicaAtTarget: number; replicasFor100kNodes: number; targetUtilization: number; loadAvg1m: number };
      ingest: { drainPerSec: number; livePerSec: number; drainVsXadd: number; loadAvg1m: number };
      takeover: { nodes: number; leasedAgainMs: number | null; twoLeasePeriodsMs: number; leasedWithinTwoLeasePeriods: boolean; loadAvg1m: number };
      scale: { from: number; to: number; evenSplitMs: number | null; loadAvg1m: number };
    };
    expect(f.config).toMatchObject({ nodes: 120, replicas: 2, appsPerNode: 8 });
    for (const part of [f.baseline, f.served, f.cost, f.ingest, f.takeover, f.scale]) expect(part.loadAvg1m).toBeGreaterThanOrEqual(0);
    // baselines measured in the run
    expect(f.baseline.redisBenchmarkXaddPerSec).toBeGreaterThan(0);
    expect(f.baseline.producer.recordsPerSec).toBeGreaterThan(0);
    expect(f.baseline.producer.redisCommandsPerRecord).toBeGreaterThan(0);
    // served: the yes/no is the slowest gap against the interval
    expect(f.served.slowestNodeGapMs).toBeGreaterThanOrEqual(f.served.medianNodeGapMs);
    expect(f.served.slowestNodeLagMs).toBe(Math.max(0, f.served.slowestNodeGapMs - f.config.intervalMs));
    if (f.served.everyNodeEveryInterval) expect(f.served.unservedNodes).toBe(0);
    // costs per round computed; the read-off follows from them (a starved run may compute few rounds: no speed
    // is asserted, only that the figures are what they say)
    expect(f.cost.roundsPublished).toBeLessThanOrEqual(f.cost.roundsComputed + f.config.nodes); // first rounds may fall just inside the window
    expect(f.cost.cpuPerNodeRoundMs).toBeGreaterThan(0);
    expect(f.cost.nodesPerCoreAtInterval).toBe(Math.floor(f.config.intervalMs / f.cost.cpuPerNodeRoundMs));
    expect(f.cost.nodesPerReplicaAtTarget).toBe(Math.floor((f.config.intervalMs / f.cost.cpuPerNodeRoundMs) * f.cost.targetUtilization));
    if (f.cost.nodesPerReplicaAtTarget > 0) expect(f.cost.replicasFor100kNodes).toBe(Math.ceil(100_000 / f.cost.nodesPerReplicaAtTarget));
    expect(f.ingest.livePerSec).toBeGreaterThanOrEqual(0);
    expect(f.ingest.drainVsXadd).toBeCloseTo(f.ingest.drainPerSec / f.baseline.redisBenchmarkXaddPerSec, 2);
    // a replica was killed and its nodes (however many it held then) followed; a third replica was added
    expect(f.takeover.nodes).toBeGreaterThanOrEqual(0);
    expect(f.takeover.nodes).toBeLessThanOrEqual(f.config.nodes);
    expect(f.takeover.twoLeasePeriodsMs).toBe(2 * f.config.leaseTtlMs);
    if (f.takeover.leasedAgainMs !== null) expect(f.takeover.leasedWithinTwoLeasePeriods).toBe(f.takeover.leasedAgainMs <= f.takeover.twoLeasePeriodsMs);
    expect(f.scale).toMatchObject({ from: 2, to: 3 });
  }, 660_000);
});
