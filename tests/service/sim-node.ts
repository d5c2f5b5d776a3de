// A simulated node for the live-estimation tests: a real SpiritService (real AppEstimators with their default
// options, the real control loop and market) on the in-process bus, and a daemon stand-in that measures each
// app at exactly the bundle in force, from the app's true model with 5% noise (no spreading of its own: any
// variety in the data comes from the loop's exploration). Rounds are driven one by one: records in, wait
// until the service ingested them, one round, read the allocation.
import type { AllocationDoc } from '../../service/bus/types.ts';
import { MemoryBus } from '../../service/bus/memory.ts';
import { putApp, putNode } from '../../service/control/registry.ts';
import { SpiritService } from '../../service/control/service.ts';
import { AppEstimator, type AppEstimatorOptions } from '../../service/estimator/app-estimator.ts';
import { syntheticTelemetry, type SyntheticOptions } from '../../service/estimator/synthetic.ts';
import { buildProblem } from '../../service/market/problem.ts';
import type { MrcModel, Scenario } from '../../service/scenario/types.ts';
import { engine, memoryLogger, waitFor } from './harness.ts';

export interface SimOptions {
  /** records per app per round (the daemon's periods in one control interval) */
  perRound?: number;
  /** what the daemon measures beyond the basics: the stall and token wait per miss (default), or nothing */
  stall?: SyntheticOptions['stall'];
  seed?: number;
  /** declare the true models at registration (the loop then needs no estimator: the reference run) */
  declareModels?: boolean;
  estimator?: AppEstimatorOptions;
  /** the service's exploreMaxLoss (default: the service's default) */
  exploreMaxLoss?: number;
}

export interface SimRound {
  doc: AllocationDoc;
  /** each app's throughput under its TRUE model over its fair share (the hull at its equal share; see truth()) */
  truePerf: number[];
  /** the same over its unsplit equal share (static's) */
  truePerfVsUnsplit: number[];
  trueGeoMean: number;
}

export class SimNode {
  readonly node = 'sim';
  readonly rounds: SimRound[] = [];
  private timeMs = 1_700_000_000_000;
  private sent = 0;

  private constructor(readonly scenario: Scenario, readonly service: SpiritService, readonly bus: MemoryBus, private readonly o: SimOptions) {}

  static async start(scenario: Scenario, o: SimOptions = {}): Promise<SimNode> {
    const bus = new MemoryBus();
    const { log } = memoryLogger();
    const service = new SpiritService({
      bus, engine: await engine(), log, estimatorFactory: (id) => new AppEstimator(id, o.estimator ?? {}),
      intervalMs: 3_600_000, leaseTtlMs: 60_000, silentAfterMs: 3_600_000, // rounds are driven by the test; a short lease would be lost on a busy machine
      ...(o.exploreMaxLoss !== undefined ? { exploreMaxLoss: o.exploreMaxLoss } : {}),
    });
    const sim = new SimNode(scenario, service, bus, o);
    await putNode(bus, sim.node, { capacity: scenario.capacity });
    for (const a of scenario.apps) {
      await putApp(bus, sim.id(a.id), {
        node: sim.node, ...(a.weight ? { weight: a.weight } : {}), ...(a.limits ? { limits: a.limits } : {}), ...(o.declareModels ? { model: a.model } : {}),
      });
    }
    await service.start();
    await waitFor('the first allocation', () => bus.getAllocation(sim.node));
    return sim;
  }

  id(app: string): string { return `${this.node}.${app}`; }

  /** One control interval: telemetry at the bundles in force, ingested, then one round. */
  async round(): Promise<SimRound> {
    const doc = (await this.bus.getAllocation(this.node))!;
    const perRound = this.o.perRound ?? 5;
    const periodMs = 2000;
    const k = this.rounds.length;
    const records: string[] = [];
    this.scenario.apps.forEach((a, i) => {
      const b = doc.bundles.find((x) => x.app === this.id(a.id))!;
      // a split app misses as its partitions make it (the data plane realizes the split)
      const at = Array.from({ length: perRound }, () => ({ cacheMB: b.cacheMB, bandwidthMbps: b.bandwidthMbps, ...(b.partitions ? { partitions: b.partitions } : {}) }));
      const model = a.model as MrcModel;
      const recs = syntheticTelemetry(model, at, {
        seed: (this.o.seed ?? 1) * 1_000_003 + k * 101 + i, app: this.id(a.id), node: this.node, startMs: this.timeMs, periodMs,
        stall: this.o.stall ?? true,
      });
      for (const r of recs) records.push(JSON.stringify({ ...r, mrc: model.mrc }));
    });
    this.timeMs += perRound * periodMs;
    await this.bus.appendTelemetry(this.node, records);
    this.sent += records.length;
    await waitFor('telemetry ingested', async () => (await this.ingested()) >= this.sent, 30_000, 2);
    const r = await this.service.roundFor(this.node);
    if (!r?.doc) throw new Error(`round ${k} published nothing (${r?.outcome ?? 'failed'})`);
    const round = { doc: r.doc, ...this.truth(r.doc) };
    this.rounds.push(round);
    return round;
  }

  private async ingested(): Promise<number> {
    const line = (await this.service.metrics.text()).split('\n').find((l) => l.startsWith('spirit_telemetry_records_total '));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  /**
   * Normalized performance of a published allocation under the true models (the market's own evaluator), each
   * bundle as the data plane realizes it: a split bundle follows the curve's hull, an unsplit one the curve as it
   * is. truePerf is over the fair share (the hull's value at the equal share, what a convexified market
   * promises); truePerfVsUnsplit over the unsplit equal share (what static gives).
   */
  truth(doc: Pick<AllocationDoc, 'bundles'>): { truePerf: number[]; truePerfVsUnsplit: number[]; trueGeoMean: number } {
    const e = this.service.engine;
    const cap = this.scenario.capacity;
    const bundles = this.scenario.apps.map((a) => doc.bundles.find((x) => x.app === this.id(a.id) || x.app === a.id)!);
    const evaluate = (convexify: boolean): { perf: number[]; ref: number[] } => {
      e.load(buildProblem(this.scenario, { convexify }));
      return {
        perf: bundles.map((b, i) => e.perf(i, b.cacheMB / cap.cacheMB, b.bandwidthMbps / cap.bandwidthMbps)),
        ref: bundles.map((_, i) => e.refPerf(i)),
      };
    };
    const hull = evaluate(true);
    const raw = evaluate(false);
    const realized = bundles.map((b, i) => ((b.partitions?.length ?? 0) > 1 ? hull.perf[i] : raw.perf[i]));
    const truePerf = realized.map((v, i) => v / hull.ref[i]);
    const truePerfVsUnsplit = realized.map((v, i) => v / raw.ref[i]);
    return { truePerf, truePerfVsUnsplit, trueGeoMean: Math.exp(truePerf.reduce((s, v) => s + Math.log(v), 0) / truePerf.length) };
  }

  /** The first round from which every app was estimated (and stayed so), or -1. */
  allEstimatedFrom(): number {
    let from = -1;
    this.rounds.forEach((r, i) => {
      const all = r.doc.bundles.every((b) => b.source === 'estimated');
      if (all && from < 0) from = i;
      if (!all) from = -1;
    });
    return from;
  }

  /** Each app's equal share (MB, Mbps), as the market computes it. */
  equalShares(): Map<string, { cacheMB: number; bandwidthMbps: number }> {
    const p = buildProblem(this.scenario);
    return new Map(this.scenario.apps.map((a, i) => [this.id(a.id), {
      cacheMB: p.refX[i] * this.scenario.capacity.cacheMB, bandwidthMbps: p.refY[i] * this.scenario.capacity.bandwidthMbps,
    }]));
  }

  estimator(app: string): AppEstimator {
    return this.service.estimators.get(this.id(app)) as AppEstimator;
  }

  async stop(): Promise<void> { await this.service.stop(); }
}
