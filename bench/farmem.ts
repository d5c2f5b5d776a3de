// `spirit bench farmem [--json] [--quick]`: the far-memory data plane against floors measured in the same
// run, every trial in a fresh process.
//  - fault-to-data latency p50/p99 of a far-memory fault over loopback, against its floor: a bare
//    userfaultfd fault served from local memory plus one raw TCP loopback round trip carrying a page
//    (targets: p50 <= 2x the floor, moonshot 1.3x). The three are measured interleaved, one sample of
//    each in turn in the same process: on this VM a wake-up costs very different amounts depending on
//    whether the other vCPU is halted, so separate trials would compare different machine states;
//  - sequential and random throughput through a region 8x its cache, against raw TCP loopback throughput in
//    page-sized messages and against memcpy (target: sequential >= 50% of raw TCP);
//  - bandwidth-limit accuracy over 2 s windows at 100, 500 and 2000 Mbps;
//  - the integrity check's error count (random reads/writes over a region 10x its cache);
//  - a fully cached region (cache = size, warm, default sampling) against local memory, random pages and a
//    sequential scan, with the data plane's work meanwhile (target: random within 2x of local memory), and
//    the same region split in two partitions against it (target: >= 0.95 of the unsplit rate);
//  - split regions (docs/dataplane.md, "Partitions"): a scan over W MiB given W/2 MiB, unsplit and split at
//    its hull point (target: hit ratio within 0.05 of the predicted 0.5), and the kv and embedding
//    workloads at three cache sizes split as the market splits a convex curve between two knots, against
//    unsplit (target: >= 0.97 of its throughput).
// Every trial notes the machine's load: the load average, and the cores other processes used meanwhile
// (load.ts); fault-latency trials are reported apart as quiet and loaded.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attachControl } from '../native/index.ts';
import { log } from '../service/cli/output.ts';
import { mbpsFromBytesPerSec, mibFromBytes, secFromMs, secFromNs, usFromNs } from '../service/units.ts';
import { cpuMark, otherCores, QUIET_OTHER_CORES } from './farmem/load.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const TRIAL = join(HERE, 'farmem', 'trial.ts');
const SCAN = join(HERE, 'farmem', 'scan.ts');

const TARGET_LATENCY_RATIO = 2;
const MOONSHOT_LATENCY_RATIO = 1.3;
const TARGET_SEQ_VS_TCP = 0.5;
const TARGET_CACHED_VS_LOCAL = 0.5;
const TARGET_CACHED_SPLIT_VS_UNSPLIT = 0.95;
const CLIFF_PREDICTED_HIT_RATIO = 0.5;
const CLIFF_TOLERANCE = 0.05;
const TARGET_CONVEX_SPLIT_VS_UNSPLIT = 0.97;
const CONVEX_ARCHETYPES = ['kv', 'embedding'] as const;
const BANDWIDTH_LIMITS_MBPS = [100, 500, 2000];
const WINDOW_MS = 2000;
const SETTLE_MS = 1000;
const TRIAL_TIMEOUT_MS = 300_000;
/** The token farmem/trial.ts and farmem/scan.ts bind their regions to. */
const FARMEM_TOKEN = 'bench-farmem-token';

interface Plan {
  repeats: number;
  latencySamples: number;
  regionMiB: number;
  cacheMiB: number;
  randomOps: number;
  streamMiB: number;
  windowsPerLimit: number;
  integrityMiB: number;
  integrityOps: number;
  cachedMiB: number;
  cachedRounds: number;
  cachedRoundMs: number;
  cliffMiB: number[];
  cliffPasses: number;
  convexRegionMiB: number;
  convexCacheMiB: number[];
  convexRounds: number;
  convexRoundMs: number;
}

const FULL: Plan = { repeats: 3, latencySamples: 5000, regionMiB: 256, cacheMiB: 32, randomOps: 40_000, streamMiB: 1024, windowsPerLimit: 2, integrityMiB: 32, integrityOps: 200_000,
  cachedMiB: 64, cachedRounds: 40, cachedRoundMs: 50, cliffMiB: [32, 64], cliffPasses: 4, convexRegionMiB: 32, convexCacheMiB: [4, 8, 16], convexRounds: 60, convexRoundMs: 100 };
const QUICK: Plan = { repeats: 1, latencySamples: 1000, regionMiB: 64, cacheMiB: 8, randomOps: 5000, streamMiB: 256, windowsPerLimit: 1, integrityMiB: 8, integrityOps: 20_000,
  cachedMiB: 16, cachedRounds: 4, cachedRoundMs: 100, cliffMiB: [16, 32], cliffPasses: 2, convexRegionMiB: 16, convexCacheMiB: [2, 4, 8], convexRounds: 8, convexRoundMs: 50 };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)];
};
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** A trial with the machine's load around it: the load average and the cores other processes used. */
async function runMarked(params: Record<string, unknown>, memnodePid: number): Promise<Record<string, unknown>> {
  const a = cpuMark([memnodePid]);
  const t = await runTrial(params);
  const b = cpuMark([memnodePid]);
  return { ...t, load: { loadAvg1m: round(b.loadAvg1m), otherCores: round(otherCores(a, b, (t.cpuMs as number | undefined) ?? 0)) } };
}

function runTrial(params: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', TRIAL, JSON.stringify(params)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), TRIAL_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last) return reject(new Error(`trial ${String(params.kind)} failed (${code ?? signal}): ${err.slice(-2000)}`));
      resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
}

function startMemNode(): Promise<{ address: string; proc: ChildProcess; stderr: () => string }> {
  // the one token the trials use (bench/farmem/trial.ts, scan.ts) is the only one the memory node accepts
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'spirit.js'), 'memnode', '--port', '0', '--capacity-mb', '2048'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SPIRIT_MEMNODE_TOKENS: FARMEM_TOKEN } });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`memnode did not start: ${err}`)), 30_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8192);  // kept: a failed trial reports what the memory node said
      const m = /listening on (\S+:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ address: m[1], proc, stderr: () => err });
      }
    });
    proc.once('exit', (c) => reject(new Error(`memnode exited (${c}): ${err}`)));
  });
}

interface LatencyFigures {
  p50Us: number;
  p99Us: number;
  samples: number;
}

function latencyOf(ns: number[]): LatencyFigures {
  return { p50Us: round(usFromNs(quantile(ns, 0.5))), p99Us: round(usFromNs(quantile(ns, 0.99))), samples: ns.length };
}

/**
 * Per trial: bare fault, round trip and far fault were measured interleaved, so their ratio is taken within
 * the trial; the trial with the median ratio represents the run, and every trial's figures are listed.
 */
function latencyTrials(trials: Record<string, unknown>[]) {
  const each = trials.map((t) => {
    const bare = latencyOf(t.bareNs as number[]);
    const rtt = latencyOf(t.rttNs as number[]);
    const far = latencyOf(t.farNs as number[]);
    const floorP50Us = round(bare.p50Us + rtt.p50Us);
    const floorP99Us = round(bare.p99Us + rtt.p99Us);
    const load = t.load as { loadAvg1m: number; otherCores: number };
    return {
      bare, rtt, far, floorP50Us, floorP99Us, ratioP50: round(far.p50Us / floorP50Us), ratioP99: round(far.p99Us / floorP99Us), load,
      quiet: load.otherCores < QUIET_OTHER_CORES, stages: stagesOf(t),
    };
  });
  const midOf = (xs: typeof each) => [...xs].sort((a, b) => a.ratioP50 - b.ratioP50)[Math.floor((xs.length - 1) / 2)];
  const group = (xs: typeof each) => xs.length === 0 ? null : {
    trials: xs.length, ratioP50: midOf(xs).ratioP50, farP50Us: midOf(xs).far.p50Us, floorP50Us: midOf(xs).floorP50Us,
    ratiosP50: xs.map((x) => x.ratioP50), otherCores: xs.map((x) => x.load.otherCores), loadAvg1m: xs.map((x) => x.load.loadAvg1m),
  };
  const quiet = each.filter((x) => x.quiet);
  // the figures of the run: the median trial of the quiet ones when there are any (the targets are about a
  // quiet machine), else of all
  return { mid: midOf(quiet.length > 0 ? quiet : each), each, quiet: group(quiet), loaded: group(each.filter((x) => !x.quiet)) };
}

/**
 * Where a far fault's time went, as means over the trial (us): the fault thread's stages of each demand fetch
 * (fault read -> request written -> reply received -> page installed) and the rest of what the application
 * measured (the fault reaching the fault thread, the application resuming), against the bare fault, which
 * pays those two and one page copy.
 */
function stagesOf(t: Record<string, unknown>) {
  const s = t.stages as { samples: number; planNs: number; roundTripNs: number; installNs: number } | undefined;
  if (!s || s.samples === 0) return null;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const planUs = usFromNs(s.planNs / s.samples);
  const roundTripUs = usFromNs(s.roundTripNs / s.samples);
  const installUs = usFromNs(s.installNs / s.samples);
  const farMeanUs = usFromNs(mean(t.farNs as number[]));
  return {
    farMeanUs: round(farMeanUs, 1), planUs: round(planUs, 1), roundTripUs: round(roundTripUs, 1), installUs: round(installUs, 1),
    deliveryAndResumeUs: round(Math.max(0, farMeanUs - planUs - roundTripUs - installUs), 1),
    bareMeanUs: round(usFromNs(mean(t.bareNs as number[])), 1), rttMeanUs: round(usFromNs(mean(t.rttNs as number[])), 1),
  };
}

/** The cliff trials: hit ratio of a scan over W MiB in W/2 MiB, unsplit and split at the hull point. */
function cliffFigures(trials: Record<string, unknown>[]) {
  return trials.map((t) => {
    const u = t.unsplit as { hitRatio: number; pagesPerSec: number; errors: number };
    const s = t.split as { hitRatio: number; pagesPerSec: number; errors: number; limitPages: number[]; partitionAPages: number };
    const error = Math.abs(s.hitRatio - CLIFF_PREDICTED_HIT_RATIO);
    return {
      regionMiB: t.regionMiB as number, cacheMiB: t.cacheMiB as number, unsplitHitRatio: round(u.hitRatio, 3), splitHitRatio: round(s.hitRatio, 3),
      predictedHitRatio: CLIFF_PREDICTED_HIT_RATIO, unsplitPagesPerSec: Math.round(u.pagesPerSec), splitPagesPerSec: Math.round(s.pagesPerSec),
      splitVsUnsplitSpeed: round(s.pagesPerSec / u.pagesPerSec), partitionLimitPages: s.limitPages, errors: u.errors + s.errors,
      load: t.load, withinTolerance: error <= CLIFF_TOLERANCE,
    };
  });
}

/** The convex trials: throughput split in proportion against unsplit, per workload and cache size. */
function convexFigures(trials: Record<string, unknown>[]) {
  return trials.map((t) => {
    const rates = t.rates as { unsplit: number[]; split: number[] };
    type Total = { accesses: number; ms: number; pagesIn: number };
    const totals = t.totals as { unsplit: Total; split: Total };
    const rate = (x: Total) => x.accesses / secFromMs(x.ms);
    const missRatio = (x: Total) => x.pagesIn / Math.max(1, x.accesses);
    // the median of each adjacent pair of slices' ratio: on a machine this busy a slice now and then gets no
    // CPU at all, which moves totals by factors and a median not at all
    const ratio = round(median(rates.split.map((x, i) => x / rates.unsplit[i])), 3);
    const missUnsplit = missRatio(totals.unsplit);
    const missSplit = missRatio(totals.split);
    return {
      archetype: t.archetype as string, regionMiB: t.regionMiB as number, cacheMiB: t.cacheMiB as number, slices: rates.split.length, sliceMs: t.roundMs as number,
      unsplitAccessesPerSec: Math.round(rate(totals.unsplit)), splitAccessesPerSec: Math.round(rate(totals.split)), splitVsUnsplit: ratio,
      ratioOfTotals: round(rate(totals.split) / rate(totals.unsplit), 3),
      unsplitMissRatio: round(missUnsplit, 4), splitMissRatio: round(missSplit, 4), missRatioSplitOverUnsplit: round(missSplit / missUnsplit, 3),
      errors: t.errors as number, load: t.load, targetMet: ratio >= TARGET_CONVEX_SPLIT_VS_UNSPLIT,
    };
  });
}

function throughputMiBps(trials: Record<string, unknown>[]): { miBps: number; trialsMiBps: number[] } {
  const each = trials.map((t) => mibFromBytes(t.bytes as number) / secFromNs(t.elapsedNs as number));
  return { miBps: round(median(each), 1), trialsMiBps: each.map((x) => round(x, 1)) };
}

interface CachedTrial {
  rand: { far: number[]; farSplit: number[]; farControl: number[]; local: number[] };
  scan: { far: number[]; farSplit: number[]; farControl: number[]; local: number[] };
  counters: Record<string, number | null>;
  elapsedMs: number;
  split: { partitions: number; evictions: number; fetchedPages: number };
}

/** Far/local ratios of a fully cached region, round by round (each round pairs a far and a local run). */
function cachedFigures(trials: CachedTrial[]) {
  type Side = 'far' | 'farSplit' | 'farControl' | 'local';
  const ratios = (k: 'rand' | 'scan', of: Side = 'far', to: Side = 'local') =>
    trials.flatMap((t) => t[k][of].map((f, i) => f / t[k][to][i]));
  const rates = (k: 'rand' | 'scan', side: Side) => round(median(trials.flatMap((t) => t[k][side])) / 1e6, 2);
  // split vs unsplit: the median of the rounds' ratios (rounds alternate, so both see the same machine), beside
  // the same figure for two identical unsplit regions: how much the machine alone moves such a ratio
  const splitRand = round(median(ratios('rand', 'farSplit', 'far')), 3);
  const controlRand = round(median(ratios('rand', 'farControl', 'far')), 3);
  const sec = trials.reduce((s, t) => s + secFromMs(t.elapsedMs), 0);
  const perSec = (k: string): number | null => {
    const xs = trials.map((t) => t.counters[k]);
    return xs.some((x) => x === null) ? null : round((xs as number[]).reduce((a, b) => a + b, 0) / sec, 1);
  };
  const rand = ratios('rand');
  const randomVsLocal = round(median(rand), 3);
  return {
    randomFarMAccessesPerSec: rates('rand', 'far'),
    randomLocalMAccessesPerSec: rates('rand', 'local'),
    randomVsLocal,
    randomVsLocalRange: [round(Math.min(...rand), 3), round(Math.max(...rand), 3)],
    scanFarMLinesPerSec: rates('scan', 'far'),
    scanLocalMLinesPerSec: rates('scan', 'local'),
    scanVsLocal: round(median(ratios('scan')), 3),
    perSec: Object.fromEntries(['faults', 'softFaults', 'parks', 'sampleParks', 'evictions', 'reserveEvictions', 'fetchedPages'].map((k) => [k, perSec(k)])),
    targetRandomVsLocal: TARGET_CACHED_VS_LOCAL,
    targetMet: randomVsLocal >= TARGET_CACHED_VS_LOCAL,
    split: {
      randomMAccessesPerSec: rates('rand', 'farSplit'), randomVsUnsplit: splitRand, scanVsUnsplit: round(median(ratios('scan', 'farSplit', 'far')), 3),
      controlRandomVsUnsplit: controlRand, controlScanVsUnsplit: round(median(ratios('scan', 'farControl', 'far')), 3),
      partitions: Math.min(...trials.map((t) => t.split.partitions)),
      evictions: trials.reduce((n, t) => n + t.split.evictions, 0), fetchedPages: trials.reduce((n, t) => n + t.split.fetchedPages, 0),
      targetRandomVsUnsplit: TARGET_CACHED_SPLIT_VS_UNSPLIT, targetMet: splitRand >= TARGET_CACHED_SPLIT_VS_UNSPLIT,
    },
  };
}

async function bandwidthAccuracy(memnode: string, plan: Plan): Promise<Record<string, unknown>[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCAN, memnode, '128', '16'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
      child.once('exit', (c) => reject(new Error(`bandwidth workload exited (${c})`)));
    });
    const control = attachControl(JSON.parse(line).controlPath);
    const out: Record<string, unknown>[] = [];
    for (const limitMbps of BANDWIDTH_LIMITS_MBPS) {
      control.setLimits({ bandwidthMbps: limitMbps });
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const measured: number[] = [];
      for (let w = 0; w < plan.windowsPerLimit; w++) {
        const a = control.read();
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, WINDOW_MS));
        const b = control.read();
        const sec = secFromMs(performance.now() - t0);
        measured.push(round(mbpsFromBytesPerSec((b.bytesIn + b.bytesOut - a.bytesIn - a.bytesOut) / sec), 1));
      }
      const worst = Math.max(...measured.map((m) => Math.abs(m - limitMbps) / limitMbps));
      out.push({ limitMbps, windowMs: WINDOW_MS, measuredMbps: measured, maxErrorPct: round(100 * worst), within5Pct: worst <= 0.05 });
    }
    control.close();
    return out;
  } finally {
    child.kill('SIGKILL');
  }
}

export async function run(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const plan = opts.quick ? QUICK : FULL;
  const mn = await startMemNode();
  try {
    const t: Record<string, Record<string, unknown>[]> = { lat: [], latNoPoll: [], seq: [], rand: [], stream: [], memcpy: [], cached: [] };
    const pid = mn.proc.pid ?? 0;
    for (let r = 0; r < plan.repeats; r++) {
      log(`bench farmem: round ${r + 1}/${plan.repeats}`);
      const seed = 101 + r;
      t.lat.push(await runMarked({ kind: 'latency', memnode: mn.address, samples: plan.latencySamples, regionMiB: plan.regionMiB, seed }, pid));
      // the same without the fault thread's polling (pollUs 0): what polling buys, in this run's conditions
      t.latNoPoll.push(await runMarked({ kind: 'latency', memnode: mn.address, samples: plan.latencySamples, regionMiB: plan.regionMiB, seed, pollUs: 0 }, pid));
      t.stream.push(await runTrial({ kind: 'tcp-stream', streamMiB: plan.streamMiB }));
      t.seq.push(await runTrial({ kind: 'seq', memnode: mn.address, regionMiB: plan.regionMiB, cacheMiB: plan.cacheMiB }));
      t.rand.push(await runTrial({ kind: 'rand', memnode: mn.address, regionMiB: plan.regionMiB, cacheMiB: plan.cacheMiB, ops: plan.randomOps, seed }));
      t.memcpy.push(await runTrial({ kind: 'memcpy', streamMiB: Math.min(plan.streamMiB, 512) }));
      t.cached.push(await runTrial({ kind: 'cached', memnode: mn.address, regionMiB: plan.cachedMiB, rounds: plan.cachedRounds, roundMs: plan.cachedRoundMs }));
    }
    log('bench farmem: split regions (a scan at its cliff; convex workloads)');
    const cliff: Record<string, unknown>[] = [];
    for (const w of plan.cliffMiB) cliff.push(await runMarked({ kind: 'cliff', memnode: mn.address, regionMiB: w, passes: plan.cliffPasses }, pid));
    const convex: Record<string, unknown>[] = [];
    for (const archetype of CONVEX_ARCHETYPES)
      for (const cacheMiB of plan.convexCacheMiB)
        convex.push(await runMarked({ kind: 'convex', memnode: mn.address, archetype, regionMiB: plan.convexRegionMiB, cacheMiB, rounds: plan.convexRounds, roundMs: plan.convexRoundMs, seed: 1 }, pid));
    log('bench farmem: bandwidth limit accuracy');
    const bandwidth = await bandwidthAccuracy(mn.address, plan);
    log('bench farmem: integrity');
    const integ = await runTrial({ kind: 'integrity', memnode: mn.address, regionMiB: plan.integrityMiB, ops: plan.integrityOps, seed: 5 });

    const lat = latencyTrials(t.lat);
    const noPoll = latencyTrials(t.latNoPoll);
    const { bare, rtt, far: fault, floorP50Us, floorP99Us } = lat.mid;
    const latencyRatio = lat.mid.ratioP50;
    const trialsOf = (x: ReturnType<typeof latencyTrials>) =>
      x.each.map((e) => ({ bareP50Us: e.bare.p50Us, rttP50Us: e.rtt.p50Us, farP50Us: e.far.p50Us, ratioP50: e.ratioP50, quiet: e.quiet, ...e.load, stages: e.stages }));
    const trials = trialsOf(lat);
    const tcp = throughputMiBps(t.stream);
    const memcpy = throughputMiBps(t.memcpy);
    const seq = throughputMiBps(t.seq);
    const rand = throughputMiBps(t.rand);
    const seqVsTcp = round(seq.miBps / tcp.miBps);
    return {
      bench: 'farmem',
      quick: opts.quick,
      machine: { cpus: cpus().length, kernel: release(), node: process.version, loadAvg1m: round(loadavg()[0]) },
      plan,
      floors: {
        bareFaultUs: bare,
        tcpRoundTripUs: rtt,
        floorP50Us,
        floorP99Us,
        tcpStreamMiBps: tcp.miBps,
        memcpyMiBps: memcpy.miBps,
      },
      faultLatency: {
        ...fault,
        ratioP50ToFloor: latencyRatio,
        ratioP99ToFloor: lat.mid.ratioP99,
        trials,
        quiet: lat.quiet,
        loaded: lat.loaded,
        quietOtherCoresBelow: QUIET_OTHER_CORES,
        judgedOn: lat.quiet ? 'quiet trials' : 'loaded trials only: needs a quiet run',
        withoutPolling: { ratioP50: noPoll.mid.ratioP50, farP50Us: noPoll.mid.far.p50Us, trials: trialsOf(noPoll), quiet: noPoll.quiet, loaded: noPoll.loaded },
        targetRatio: TARGET_LATENCY_RATIO,
        moonshotRatio: MOONSHOT_LATENCY_RATIO,
        targetMet: latencyRatio <= TARGET_LATENCY_RATIO,
        moonshotMet: latencyRatio <= MOONSHOT_LATENCY_RATIO,
      },
      throughput: {
        regionMiB: plan.regionMiB,
        cacheMiB: plan.cacheMiB,
        sequentialMiBps: seq.miBps,
        sequentialTrialsMiBps: seq.trialsMiBps,
        randomMiBps: rand.miBps,
        randomTrialsMiBps: rand.trialsMiBps,
        sequentialVsTcp: seqVsTcp,
        randomVsTcp: round(rand.miBps / tcp.miBps, 3),
        sequentialVsMemcpy: round(seq.miBps / memcpy.miBps, 3),
        targetSequentialVsTcp: TARGET_SEQ_VS_TCP,
        targetMet: seqVsTcp >= TARGET_SEQ_VS_TCP,
      },
      fullyCached: { regionMiB: plan.cachedMiB, cacheMiB: plan.cachedMiB, ...cachedFigures(t.cached as unknown as CachedTrial[]) },
      bandwidthLimit: bandwidth,
      integrity: integ,
      split: {
        cliff: cliffFigures(cliff), cliffTolerance: CLIFF_TOLERANCE, convex: convexFigures(convex), targetConvexSplitVsUnsplit: TARGET_CONVEX_SPLIT_VS_UNSPLIT,
      },
    };
  } catch (err) {
    const state = mn.proc.exitCode !== null || mn.proc.signalCode !== null ? `exited (${mn.proc.exitCode ?? mn.proc.signalCode})` : 'running';
    throw new Error(`${(err as Error).message}\nmemory node: ${state}; its last output: ${mn.stderr().slice(-2000)}`, { cause: err });
  } finally {
    mn.proc.kill('SIGTERM');
  }
}

export function format(f: Record<string, unknown>): string {
  const fl = f.floors as Record<string, Record<string, number> & number>;
  const fa = f.faultLatency as Record<string, number | boolean>;
  type TrialLine = { bareP50Us: number; rttP50Us: number; farP50Us: number; ratioP50: number; quiet: boolean; otherCores: number; loadAvg1m: number; stages: ReturnType<typeof stagesOf> };
  const fal = f.faultLatency as unknown as { trials: TrialLine[]; withoutPolling: { trials: TrialLine[] } };
  const th = f.throughput as Record<string, number | boolean>;
  const bw = f.bandwidthLimit as { limitMbps: number; measuredMbps: number[]; maxErrorPct: number }[];
  const ig = f.integrity as { ops: number; errors: number };
  const fc = f.fullyCached as ReturnType<typeof cachedFigures> & { regionMiB: number };
  const sp = f.split as { cliff: ReturnType<typeof cliffFigures>; cliffTolerance: number; convex: ReturnType<typeof convexFigures>; targetConvexSplitVsUnsplit: number };
  const loadOf = (l: unknown): string => {
    const x = l as { loadAvg1m: number; otherCores: number };
    return `${x.loadAvg1m} (others ${x.otherCores} cores)`;
  };
  const lines = [
    `far memory (${f.quick ? 'quick' : 'full'} run; load ${(f.machine as Record<string, number>).loadAvg1m})`,
    '',
    'fault-to-data latency (us)        p50      p99',
    `  bare userfaultfd fault      ${String(fl.bareFaultUs.p50Us).padStart(8)} ${String(fl.bareFaultUs.p99Us).padStart(8)}`,
    `  TCP loopback round trip     ${String(fl.tcpRoundTripUs.p50Us).padStart(8)} ${String(fl.tcpRoundTripUs.p99Us).padStart(8)}`,
    `  floor (sum)                 ${String(fl.floorP50Us).padStart(8)} ${String(fl.floorP99Us).padStart(8)}`,
    `  far-memory fault            ${String(fa.p50Us).padStart(8)} ${String(fa.p99Us).padStart(8)}`,
    `  ratio p50 to floor: ${fa.ratioP50ToFloor} (target <= ${fa.targetRatio}: ${fa.targetMet ? 'met' : 'NOT met'}; moonshot <= ${fa.moonshotRatio}: ${fa.moonshotMet ? 'met' : 'not met'})`,
    `  per trial (bare + rtt -> far, ratio; other processes' cores, load average): ${(f.faultLatency as unknown as { trials: { bareP50Us: number; rttP50Us: number; farP50Us: number; ratioP50: number; quiet: boolean; otherCores: number; loadAvg1m: number }[] }).trials
      .map((t) => `${t.bareP50Us} + ${t.rttP50Us} -> ${t.farP50Us} (${t.ratioP50}; ${t.quiet ? 'quiet' : 'loaded'}, ${t.otherCores} cores, load ${t.loadAvg1m})`).join('; ')}`,
    `  judged on: ${fa.judgedOn}`,
    `  stages, mean us (plan -> round trip -> install; delivery + resume): ${fal.trials.map((t) => t.stages
      ? `${t.stages.planUs} + ${t.stages.roundTripUs} + ${t.stages.installUs}; ${t.stages.deliveryAndResumeUs} (far mean ${t.stages.farMeanUs}, bare ${t.stages.bareMeanUs})` : 'n/a').join('; ')}`,
    `  without the fault thread's polling (pollUs 0): ${fal.withoutPolling.trials.map((t) => `${t.bareP50Us} + ${t.rttP50Us} -> ${t.farP50Us} (${t.ratioP50}; ${t.quiet ? 'quiet' : 'loaded'}, ${t.otherCores} cores)`).join('; ')}`,
    '',
    'throughput (MiB/s)',
    `  raw TCP loopback, 4 KiB     ${fl.tcpStreamMiBps}`,
    `  memcpy, 4 KiB               ${fl.memcpyMiBps}`,
    `  sequential through region   ${th.sequentialMiBps}  (${th.sequentialVsTcp}x TCP; target >= ${th.targetSequentialVsTcp}: ${th.targetMet ? 'met' : 'NOT met'})`,
    `  random through region       ${th.randomMiBps}  (${th.randomVsTcp}x TCP)`,
    '',
    `fully cached region (${fc.regionMiB} MiB, cache = size, warm, 1% sampling) vs local memory`,
    `  random pages                ${fc.randomFarMAccessesPerSec} vs ${fc.randomLocalMAccessesPerSec} M accesses/s: ${fc.randomVsLocal}x local` +
      ` (rounds ${fc.randomVsLocalRange.join('..')}; target >= ${fc.targetRandomVsLocal}: ${fc.targetMet ? 'met' : 'NOT met'})`,
    `  sequential scan             ${fc.scanFarMLinesPerSec} vs ${fc.scanLocalMLinesPerSec} M lines/s: ${fc.scanVsLocal}x local`,
    `  data plane work per second: ${Object.entries(fc.perSec).map(([k, v]) => `${k} ${v ?? 'n/a'}`).join(', ')}`,
    `  split in two partitions: random ${fc.split.randomMAccessesPerSec} M accesses/s, ${fc.split.randomVsUnsplit}x unsplit` +
      ` (target >= ${fc.split.targetRandomVsUnsplit}: ${fc.split.targetMet ? 'met' : 'NOT met'}); scan ${fc.split.scanVsUnsplit}x unsplit;` +
      ` control (a second unsplit region): random ${fc.split.controlRandomVsUnsplit}x, scan ${fc.split.controlScanVsUnsplit}x`,
    '',
    'bandwidth limit (2 s windows)',
    ...bw.map((b) => `  ${String(b.limitMbps).padStart(5)} Mbps: measured ${b.measuredMbps.join(', ')} Mbps (max error ${b.maxErrorPct}%)`),
    '',
    `integrity: ${ig.errors} errors in ${ig.ops} random operations`,
    '',
    'split regions: a scan over W MiB in W/2 MiB, unsplit and split at its hull point (predicted hit ratio 0.5)',
    ...sp.cliff.map((c) => `  W ${c.regionMiB} MiB: hit ratio unsplit ${c.unsplitHitRatio}, split ${c.splitHitRatio} (${c.withinTolerance ? 'within' : 'NOT within'} ${sp.cliffTolerance});` +
      ` pages/s ${c.unsplitPagesPerSec} -> ${c.splitPagesPerSec} (${c.splitVsUnsplitSpeed}x); load ${loadOf(c.load)}`),
    `convex workloads split half-way between two knots of a 64-point curve (r = 0.5) vs unsplit (target >= ${sp.targetConvexSplitVsUnsplit})`,
    ...sp.convex.map((c) => `  ${c.archetype.padEnd(9)} ${String(c.cacheMiB).padStart(3)} of ${c.regionMiB} MiB: ${c.splitAccessesPerSec} vs ${c.unsplitAccessesPerSec} accesses/s = ${c.splitVsUnsplit}x` +
      ` (${c.targetMet ? 'met' : 'NOT met'}); miss ratio ${c.splitMissRatio} vs ${c.unsplitMissRatio} (${c.missRatioSplitOverUnsplit}x); load ${loadOf(c.load)}`),
  ];
  return lines.join('\n');
}
