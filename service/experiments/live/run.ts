// `spirit experiment live`: every policy, in turn, on real workloads on the real data plane, on one running
// node. The estimator learns each app's curves from telemetry first (no model is given), under spirit; then
// each repeat measures every policy for the same window after its allocation settled, in an order rotated
// between repeats, and normalizes each app's throughput to static's in the same repeat. `dynamic` runs one
// policy through two phase changes of one app instead.
import { cpus, loadavg } from 'node:os';
import type { AllocationDoc } from '../../bus/types.ts';
import { type AppFigures, isSettled, measureApps, settleAfter } from './measure.ts';
import { MIX_DEFS, type Mix, type MixName } from './mixes.ts';
import { LIVE_POLICY_DEFS, type LivePolicy } from './policies.ts';
import { Progress } from './progress.ts';
import { type LiveStack, startStack } from './stack.ts';

export interface LivePlan {
  quick: boolean;
  repeats: number;
  /** measured window of each policy (paper, many) */
  windowS: number;
  /** after a policy change: at least this long, then until the allocation stops moving, at most settleMaxS */
  settleMinS: number;
  settleMaxS: number;
  /** most time the estimator gets to learn every app before the policies run (apps still unlearned are
   *  reported: they run at their equal share under every policy) */
  learnMaxS: number;
  /** dynamic: length of each phase */
  phaseS: number;
}

export function planOf(o: { quick: boolean; minutes?: number; repeats?: number }): LivePlan {
  const windowS = o.minutes !== undefined ? o.minutes * 60 : o.quick ? 8 : 60;
  return o.quick
    ? { quick: true, repeats: o.repeats ?? 1, windowS, settleMinS: 3, settleMaxS: 10, learnMaxS: 150, phaseS: o.minutes !== undefined ? windowS : 25 }
    : { quick: false, repeats: o.repeats ?? 3, windowS, settleMinS: 6, settleMaxS: 30, learnMaxS: 300, phaseS: Math.max(60, windowS * 1.5) };
}

/** Allocations within this share of capacity of each other count as the same (settling). */
const SETTLE_TOL = 0.02;
const SETTLE_ROUNDS = 4;
/** Dynamic: back within this share of capacity of the settled allocation (the target: 5%). */
export const DYNAMIC_TOL = 0.05;
export const DYNAMIC_TARGET_ROUNDS = 3;
const POLL_MS = 250;

export interface PolicyRun {
  repeat: number;
  policy: LivePolicy;
  /** position in this repeat's order */
  order: number;
  settleS: number;
  settled: boolean;
  measuredFromMs: number;
  measuredToMs: number;
  loadAvg1m: number;
  apps: Record<string, AppFigures>;
  /** the last document of the window: envy on the fitted curves, prices, bundles with their splits */
  lastDoc: { epoch: number; maxEnvy: number; prices?: AllocationDoc['prices']; sources: Record<string, string>;
    partitions: Record<string, { accessShare: number; cacheMB: number }[]> };
}

export interface DynamicPhase {
  index: number;
  what: string;
  fromMs: number;
  toMs: number;
  /** rounds and seconds after the change until the allocation was back within DYNAMIC_TOL of where it settled */
  settle: { rounds: number; seconds: number } | null;
  apps: Record<string, AppFigures>;
  loadAvg1m: number;
}

export interface LiveRun {
  mix: Mix;
  plan: LivePlan;
  policies: LivePolicy[];
  /** workloadCpuCores: each workload's CPU quota in cores (null: none, the workloads share the cores freely) */
  machine: { cpus: number; loadAvgAtStart: number[]; loadAvgAtEnd: number[]; workloadCpuCores: number | null };
  startedMs: number;
  endedMs: number;
  /** apps with a model fitted from telemetry (estimated or persisted) when the policies began, and how long it took */
  learned: { afterS: number; estimated: string[]; notEstimated: string[] };
  runs: PolicyRun[];
  dynamic?: { policy: LivePolicy; phases: DynamicPhase[] };
  /** the time series (dynamic; and every run, for the plots): per round, allocations and prices */
  rounds: { tS: number; policy: string; prices?: AllocationDoc['prices']; bundles: Record<string, { cacheMB: number; bandwidthMbps: number }> }[];
  /** per window of every app: seconds since start, throughput */
  throughput: { tS: number; app: string; opsPerSec: number }[];
  dataErrors: number;
  workloadRestarts: number;
  /** what the run started and stopped again: the workload processes (at the end) and the control directory */
  started: { workloadPids: number[]; controlDir: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2): number => Number(x.toFixed(d));

export interface LiveOptions {
  mix: MixName;
  policies: LivePolicy[];
  plan: LivePlan;
  progress?: Progress;
  /** called once the system runs (the dashboard URL) */
  onStarted?: (url: string) => void;
  /** each workload's CPU quota, cores (`--workload-cpu`); none when undefined */
  workloadCpuCores?: number;
}

/** Planned seconds of the whole run (for the progress line). */
function plannedS(o: LiveOptions): number {
  const p = o.plan;
  if (o.mix === 'dynamic') return 20 + p.learnMaxS / 3 + p.settleMaxS + p.phaseS * (1 + (MIX_DEFS.dynamic.phases?.length ?? 0)) * o.policies.length;
  return 20 + p.learnMaxS / 3 + p.repeats * o.policies.length * (p.windowS + (p.settleMinS + p.settleMaxS) / 2);
}

export async function runLive(o: LiveOptions): Promise<LiveRun> {
  const mix = MIX_DEFS[o.mix];
  const progress = o.progress ?? new Progress(plannedS(o), process.stderr, true);
  progress.replan(plannedS(o));
  const startedMs = Date.now();
  const loadAvgAtStart = loadavg().map((x) => round(x));
  const first = o.mix === 'dynamic' ? LIVE_POLICY_DEFS[o.policies[0] ?? 'spirit'] : LIVE_POLICY_DEFS.spirit;
  progress.step(`${o.mix}: starting a memory node, the service and ${mix.workloads.length} workloads`, 20);
  const stack = await startStack({
    mix, policy: first.policy, convexify: first.convexify, ...(o.workloadCpuCores !== undefined ? { workloadCpuCores: o.workloadCpuCores } : {}),
  });
  try {
    o.onStarted?.(stack.url);
    progress.done(20);
    const learned = await learn(stack, mix, o.plan, progress);
    const result: LiveRun = {
      mix, plan: o.plan, policies: o.policies, machine: { cpus: cpus().length, loadAvgAtStart, loadAvgAtEnd: [], workloadCpuCores: o.workloadCpuCores ?? null },
      startedMs, endedMs: 0, learned,
      runs: [], rounds: [], throughput: [], dataErrors: 0, workloadRestarts: 0, started: { workloadPids: [], controlDir: stack.controlDir },
    };
    if (o.mix === 'dynamic') result.dynamic = await dynamicRun(stack, mix, o, progress);
    else result.runs = await policyRuns(stack, mix, o, progress);
    result.endedMs = Date.now();
    result.machine.loadAvgAtEnd = loadavg().map((x) => round(x));
    result.rounds = stack.docs.map((d) => ({
      tS: round((d.timeMs - startedMs) / 1000, 1), policy: d.policy, ...(d.prices ? { prices: d.prices } : {}),
      bundles: Object.fromEntries(d.bundles.map((b) => [b.app, { cacheMB: round(b.cacheMB, 3), bandwidthMbps: round(b.bandwidthMbps, 1) }])),
    }));
    result.throughput = stack.windows.map((w) => ({ tS: round((w.rec.timeMs - startedMs) / 1000, 2), app: w.rec.app, opsPerSec: Math.round(w.rec.throughputOpsPerSec) }));
    const st = stack.daemon.status();
    result.dataErrors = st.dataErrors;
    result.workloadRestarts = st.workloads.reduce((s, w) => s + w.restarts, 0);
    result.started.workloadPids = st.workloads.map((w) => w.pid).filter((p): p is number => p !== null);
    return result;
  } finally {
    progress.step(`${o.mix}: stopping the workloads, the service and the memory node`, 0);
    await stack.stop();
  }
}

/** A model fitted from this run's telemetry: the estimator's current one, or the last confident one it
 *  persisted (used while the current estimate lacks data, e.g. right after the allocation moved). */
const LEARNED_SOURCES = new Set(['estimated', 'persisted']);

/** Until every app has a model learned from telemetry (its bundle's source) or learnMaxS passed. */
async function learn(stack: LiveStack, mix: Mix, plan: LivePlan, progress: Progress): Promise<LiveRun['learned']> {
  const t0 = Date.now();
  const label = `${mix.name}: the estimator learns ${mix.workloads.length} apps from telemetry (no model given)`;
  progress.step(label, plan.learnMaxS / 3);
  let estimated: string[] = [];
  while (Date.now() - t0 < plan.learnMaxS * 1000) {
    const last = stack.docs[stack.docs.length - 1];
    estimated = last ? last.bundles.filter((b) => LEARNED_SOURCES.has(b.source)).map((b) => b.app) : [];
    if (last && estimated.length === stack.apps.length) break;
    progress.tick(`${label}: ${estimated.length}/${stack.apps.length} learned`, Math.max(0, plan.learnMaxS / 3 - (Date.now() - t0) / 1000));
    await sleep(POLL_MS);
  }
  progress.done(plan.learnMaxS / 3);
  return { afterS: round((Date.now() - t0) / 1000, 1), estimated, notEstimated: stack.apps.filter((a) => !estimated.includes(a)) };
}

/** Switches the policy and waits for it to be in force and settled. */
async function switchTo(stack: LiveStack, mix: Mix, policy: LivePolicy, plan: LivePlan, label: string, progress: Progress): Promise<{ settleS: number; settled: boolean }> {
  const def = LIVE_POLICY_DEFS[policy];
  const t0 = Date.now();
  stack.setPolicy(def.policy, def.convexify);
  const since = (): AllocationDoc[] => stack.docs.filter((d) => d.timeMs > t0 && d.policy === def.policy);
  let settled = false;
  while (Date.now() - t0 < plan.settleMaxS * 1000) {
    const docs = since();
    const elapsedS = (Date.now() - t0) / 1000;
    if (elapsedS >= plan.settleMinS && docs.length > 0 && isSettled(docs, mix.capacity, SETTLE_ROUNDS, SETTLE_TOL)) {
      settled = true;
      break;
    }
    progress.tick(`${label}: settling (${docs.length} rounds)`, plan.settleMaxS - elapsedS);
    await sleep(POLL_MS);
  }
  return { settleS: round((Date.now() - t0) / 1000, 1), settled };
}

function lastDocSummary(doc: AllocationDoc | undefined): PolicyRun['lastDoc'] {
  if (!doc) return { epoch: 0, maxEnvy: NaN, sources: {}, partitions: {} };
  return {
    epoch: doc.epoch, maxEnvy: round(doc.certificate.maxEnvy, 4), ...(doc.prices ? { prices: doc.prices } : {}),
    sources: Object.fromEntries(doc.bundles.map((b) => [b.app, b.source])),
    partitions: Object.fromEntries(doc.bundles.filter((b) => b.partitions && b.partitions.length > 1)
      .map((b) => [b.app, b.partitions!.map((q) => ({ accessShare: round(q.accessShare, 3), cacheMB: round(q.cacheMB, 2) }))])),
  };
}

async function measure(stack: LiveStack, seconds: number, label: string, progress: Progress): Promise<{ fromMs: number; toMs: number; apps: Record<string, AppFigures>; doc: AllocationDoc | undefined; loadAvg1m: number }> {
  const fromMs = Date.now();
  while (Date.now() - fromMs < seconds * 1000) {
    progress.tick(`${label}: measuring`, seconds - (Date.now() - fromMs) / 1000);
    await sleep(Math.min(POLL_MS * 4, seconds * 1000 - (Date.now() - fromMs) + 1));
  }
  const toMs = Date.now();
  await sleep(WINDOW_SLACK_MS);  // the window that ends last is recorded a moment later
  return { fromMs, toMs, apps: measureApps(stack.windows, stack.apps, fromMs, toMs), doc: stack.docs[stack.docs.length - 1], loadAvg1m: round(loadavg()[0]) };
}
const WINDOW_SLACK_MS = 400;

async function policyRuns(stack: LiveStack, mix: Mix, o: LiveOptions, progress: Progress): Promise<PolicyRun[]> {
  const runs: PolicyRun[] = [];
  const n = o.policies.length;
  for (let r = 0; r < o.plan.repeats; r++) {
    const order = o.policies.map((_, i) => o.policies[(i + r) % n]);
    for (let k = 0; k < n; k++) {
      const policy = order[k];
      const label = `${mix.name} repeat ${r + 1}/${o.plan.repeats}, ${policy} (${k + 1}/${n})`;
      progress.step(label, o.plan.windowS + o.plan.settleMaxS);
      const s = await switchTo(stack, mix, policy, o.plan, label, progress);
      const m = await measure(stack, o.plan.windowS, label, progress);
      progress.done(o.plan.windowS + (o.plan.settleMinS + o.plan.settleMaxS) / 2);
      runs.push({
        repeat: r + 1, policy, order: k + 1, settleS: s.settleS, settled: s.settled, measuredFromMs: m.fromMs, measuredToMs: m.toMs, loadAvg1m: m.loadAvg1m,
        apps: m.apps, lastDoc: lastDocSummary(m.doc),
      });
    }
  }
  return runs;
}

async function dynamicRun(stack: LiveStack, mix: Mix, o: LiveOptions, progress: Progress): Promise<NonNullable<LiveRun['dynamic']>> {
  const policy = o.policies[0] ?? 'spirit';
  const steps = mix.phases ?? [];
  const label0 = `dynamic under ${policy}`;
  progress.step(`${label0}: settling before the first phase`, o.plan.settleMaxS);
  await switchTo(stack, mix, policy, o.plan, label0, progress);
  progress.done(o.plan.settleMaxS);
  const phases: DynamicPhase[] = [];
  const run = async (index: number, what: string): Promise<void> => {
    const label = `${label0}, phase ${index + 1}/${steps.length + 1} (${what})`;
    progress.step(label, o.plan.phaseS);
    const m = await measure(stack, o.plan.phaseS, label, progress);
    progress.done(o.plan.phaseS);
    phases.push({
      index, what, fromMs: m.fromMs, toMs: m.toMs, apps: m.apps, loadAvg1m: m.loadAvg1m,
      settle: index === 0 ? null : settleAfter(stack.docs, m.fromMs, m.toMs, mix.capacity, DYNAMIC_TOL),
    });
  };
  await run(0, 'first phase, settled');
  for (let i = 0; i < steps.length; i++) {
    stack.daemon.setPhase(steps[i].app, steps[i].change);
    await run(i + 1, `${steps[i].app}: ${steps[i].what}`);
  }
  return { policy, phases };
}
