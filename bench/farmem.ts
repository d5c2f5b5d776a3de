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
//    sequential scan, with the data plane's work meanwhile (target: random within 2x of local memory).
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attachControl } from '../native/index.ts';
import { log } from '../service/cli/output.ts';
import { mbpsFromBytesPerSec, mibFromBytes, secFromMs, secFromNs, usFromNs } from '../service/units.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const TRIAL = join(HERE, 'farmem', 'trial.ts');
const SCAN = join(HERE, 'farmem', 'scan.ts');

const TARGET_LATENCY_RATIO = 2;
const MOONSHOT_LATENCY_RATIO = 1.3;
const TARGET_SEQ_VS_TCP = 0.5;
const TARGET_CACHED_VS_LOCAL = 0.5;
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
}

const FULL: Plan = { repeats: 3, latencySamples: 5000, regionMiB: 256, cacheMiB: 32, randomOps: 40_000, streamMiB: 1024, windowsPerLimit: 2, integrityMiB: 32, integrityOps: 200_000,
  cachedMiB: 64, cachedRounds: 10, cachedRoundMs: 200 };
const QUICK: Plan = { repeats: 1, latencySamples: 1000, regionMiB: 64, cacheMiB: 8, randomOps: 5000, streamMiB: 256, windowsPerLimit: 1, integrityMiB: 8, integrityOps: 20_000,
  cachedMiB: 16, cachedRounds: 4, cachedRoundMs: 100 };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)];
};
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

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

function startMemNode(): Promise<{ address: string; proc: ChildProcess }> {
  // the one token the trials use (bench/farmem/trial.ts, scan.ts) is the only one the memory node accepts
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'spirit.js'), 'memnode', '--port', '0', '--capacity-mb', '2048'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SPIRIT_MEMNODE_TOKENS: FARMEM_TOKEN } });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`memnode did not start: ${err}`)), 30_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ address: m[1], proc });
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
    return { bare, rtt, far, floorP50Us, floorP99Us, ratioP50: round(far.p50Us / floorP50Us), ratioP99: round(far.p99Us / floorP99Us) };
  });
  const mid = [...each].sort((a, b) => a.ratioP50 - b.ratioP50)[Math.floor((each.length - 1) / 2)];
  return { mid, each };
}

function throughputMiBps(trials: Record<string, unknown>[]): { miBps: number; trialsMiBps: number[] } {
  const each = trials.map((t) => mibFromBytes(t.bytes as number) / secFromNs(t.elapsedNs as number));
  return { miBps: round(median(each), 1), trialsMiBps: each.map((x) => round(x, 1)) };
}

interface CachedTrial {
  rand: { far: number[]; local: number[] };
  scan: { far: number[]; local: number[] };
  counters: Record<string, number | null>;
  elapsedMs: number;
}

/** Far/local ratios of a fully cached region, round by round (each round pairs a far and a local run). */
function cachedFigures(trials: CachedTrial[]) {
  const ratios = (k: 'rand' | 'scan') => trials.flatMap((t) => t[k].far.map((f, i) => f / t[k].local[i]));
  const rates = (k: 'rand' | 'scan', side: 'far' | 'local') => round(median(trials.flatMap((t) => t[k][side])) / 1e6, 2);
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
    const t: Record<string, Record<string, unknown>[]> = { lat: [], seq: [], rand: [], stream: [], memcpy: [], cached: [] };
    for (let r = 0; r < plan.repeats; r++) {
      log(`bench farmem: round ${r + 1}/${plan.repeats}`);
      const seed = 101 + r;
      t.lat.push(await runTrial({ kind: 'latency', memnode: mn.address, samples: plan.latencySamples, regionMiB: plan.regionMiB, seed }));
      t.stream.push(await runTrial({ kind: 'tcp-stream', streamMiB: plan.streamMiB }));
      t.seq.push(await runTrial({ kind: 'seq', memnode: mn.address, regionMiB: plan.regionMiB, cacheMiB: plan.cacheMiB }));
      t.rand.push(await runTrial({ kind: 'rand', memnode: mn.address, regionMiB: plan.regionMiB, cacheMiB: plan.cacheMiB, ops: plan.randomOps, seed }));
      t.memcpy.push(await runTrial({ kind: 'memcpy', streamMiB: Math.min(plan.streamMiB, 512) }));
      t.cached.push(await runTrial({ kind: 'cached', memnode: mn.address, regionMiB: plan.cachedMiB, rounds: plan.cachedRounds, roundMs: plan.cachedRoundMs }));
    }
    log('bench farmem: bandwidth limit accuracy');
    const bandwidth = await bandwidthAccuracy(mn.address, plan);
    log('bench farmem: integrity');
    const integ = await runTrial({ kind: 'integrity', memnode: mn.address, regionMiB: plan.integrityMiB, ops: plan.integrityOps, seed: 5 });

    const lat = latencyTrials(t.lat);
    const { bare, rtt, far: fault, floorP50Us, floorP99Us } = lat.mid;
    const latencyRatio = lat.mid.ratioP50;
    const trials = lat.each.map((e) => ({ bareP50Us: e.bare.p50Us, rttP50Us: e.rtt.p50Us, farP50Us: e.far.p50Us, ratioP50: e.ratioP50 }));
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
    };
  } finally {
    mn.proc.kill('SIGTERM');
  }
}

export function format(f: Record<string, unknown>): string {
  const fl = f.floors as Record<string, Record<string, number> & number>;
  const fa = f.faultLatency as Record<string, number | boolean>;
  const th = f.throughput as Record<string, number | boolean>;
  const bw = f.bandwidthLimit as { limitMbps: number; measuredMbps: number[]; maxErrorPct: number }[];
  const ig = f.integrity as { ops: number; errors: number };
  const fc = f.fullyCached as ReturnType<typeof cachedFigures> & { regionMiB: number };
  const lines = [
    `far memory (${f.quick ? 'quick' : 'full'} run; load ${(f.machine as Record<string, number>).loadAvg1m})`,
    '',
    'fault-to-data latency (us)        p50      p99',
    `  bare userfaultfd fault      ${String(fl.bareFaultUs.p50Us).padStart(8)} ${String(fl.bareFaultUs.p99Us).padStart(8)}`,
    `  TCP loopback round trip     ${String(fl.tcpRoundTripUs.p50Us).padStart(8)} ${String(fl.tcpRoundTripUs.p99Us).padStart(8)}`,
    `  floor (sum)                 ${String(fl.floorP50Us).padStart(8)} ${String(fl.floorP99Us).padStart(8)}`,
    `  far-memory fault            ${String(fa.p50Us).padStart(8)} ${String(fa.p99Us).padStart(8)}`,
    `  ratio p50 to floor: ${fa.ratioP50ToFloor} (target <= ${fa.targetRatio}: ${fa.targetMet ? 'met' : 'NOT met'}; moonshot <= ${fa.moonshotRatio}: ${fa.moonshotMet ? 'met' : 'not met'})`,
    `  per trial (bare + rtt -> far, ratio): ${(f.faultLatency as unknown as { trials: { bareP50Us: number; rttP50Us: number; farP50Us: number; ratioP50: number }[] }).trials
      .map((t) => `${t.bareP50Us} + ${t.rttP50Us} -> ${t.farP50Us} (${t.ratioP50})`).join('; ')}`,
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
    '',
    'bandwidth limit (2 s windows)',
    ...bw.map((b) => `  ${String(b.limitMbps).padStart(5)} Mbps: measured ${b.measuredMbps.join(', ')} Mbps (max error ${b.maxErrorPct}%)`),
    '',
    `integrity: ${ig.errors} errors in ${ig.ops} random operations`,
  ];
  return lines.join('\n');
}
