// `spirit bench solver`: solve times of the spirit policy, in both modes, on two kinds of mixes of 6, 64, 256
// and 1024 apps: `generated` (generate.ts: the archetypes, many apps sharing a class) and `distinct` (mixes.ts:
// every app different, its own class: the hard case). Each figure beside its same-run baselines: the
// TypeScript twin on the same input, and for the convexified mode the search (engine.spirit()) on the same
// hulls, i.e. what the market did before the exact equilibrium. Times are medians of wall time of the engine's
// core (load + solve) and of the whole solveScenario (planning the curves, the certificate, the result), with
// CPU time beside (on a busy machine it is not inflated by waiting for a core). Also WASM memory across
// 10,000 consecutive solves. Targets (2-core machine): convexified 6 apps <= 20 us and 1024 distinct <= 5 ms,
// unsplit 256 distinct <= 10 ms and 1024 distinct <= 30 ms, no memory growth.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createEngine } from '../service/market/engines.ts';
import type { Engine } from '../service/market/engine.ts';
import { buildProblem } from '../service/market/problem.ts';
import { solveScenario } from '../service/market/solve.ts';
import { WasmEngine } from '../service/market/wasm/engine.ts';
import { generateScenario } from '../service/scenario/generate.ts';
import { freshMix } from '../service/scenario/mixes.ts';
import type { Scenario } from '../service/scenario/types.ts';
import { validateScenario } from '../service/scenario/validate.ts';
import { median, round3 } from './stats.ts';

const SIZES = [6, 64, 256, 1024];
const KINDS = ['generated', 'distinct'] as const;
type Kind = (typeof KINDS)[number];
const MEMORY_SOLVES = 10_000;
/** Targets by mode, kind and size: the engine's core, WASM, milliseconds. */
const TARGET_MS: Record<string, number> = {
  'convexified 6': 0.02, 'convexified distinct 1024': 5, 'unsplit distinct 256': 10, 'unsplit distinct 1024': 30,
};

function scenarioOf(kind: Kind, apps: number): Scenario {
  const raw = kind === 'generated'
    ? generateScenario({ apps, seed: 1000 + apps, weightedShare: 0.2, noisy: true })
    : freshMix({ apps, seed: 7000 + apps, limitShare: 0 });
  return validateScenario(raw).scenario;
}

interface Timing { coreMs: number; coreCpuMs: number; solveMs: number; iterations: number }

/** Median times of `reps` solves after `warm` warm-up ones: the core (load + run) and the whole solve. */
function time(engine: Engine, s: Scenario, convexify: boolean, core: 'market' | 'search', warm: number, reps: number): Timing {
  const p = buildProblem(s, { convexify });
  const run = (): number => {
    engine.load(p);
    return core === 'search' || !(p.convex && p.proportional) ? engine.spirit().iterations : engine.equilibrium().iterations;
  };
  for (let k = 0; k < warm; k++) { run(); solveScenario(engine, s, { convexify }); }
  const wall: number[] = [];
  const cpu: number[] = [];
  const whole: number[] = [];
  let iterations = 0;
  for (let k = 0; k < reps; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    iterations = run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    if (core === 'market') whole.push(solveScenario(engine, s, { convexify }).elapsedMs);
  }
  return { coreMs: median(wall), coreCpuMs: median(cpu), solveMs: whole.length ? median(whole) : NaN, iterations };
}

export async function run(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const wasm = await createEngine('wasm');
  const ts = await createEngine('ts');
  const rows = [];
  for (const convexify of [true, false]) {
    const mode = convexify ? 'convexified' : 'unsplit';
    for (const kind of KINDS) {
      for (const apps of SIZES) {
        const s = scenarioOf(kind, apps);
        const reps = opts.quick ? 3 : apps <= 6 ? 301 : apps <= 64 ? 51 : apps <= 256 ? 15 : 7;
        const warm = opts.quick ? 1 : apps <= 64 ? 20 : 2;
        const load = os.loadavg()[0];
        const w = time(wasm, s, convexify, 'market', warm, reps);
        const t = time(ts, s, convexify, 'market', opts.quick ? 0 : 1, opts.quick ? 1 : Math.max(3, reps >> 2));
        // the search on the same hulls: what the convexified market would cost without the exact equilibrium
        const search = convexify ? time(wasm, s, true, 'search', opts.quick ? 0 : 1, opts.quick ? 1 : Math.max(3, reps >> 2)) : null;
        const target = TARGET_MS[`${mode} ${apps}`] ?? TARGET_MS[`${mode} ${kind} ${apps}`];
        rows.push({
          mode, kind, apps, loadAverage1m: round3(load),
          wasmCoreMs: round3(w.coreMs), wasmCoreCpuMs: round3(w.coreCpuMs), wasmSolveMs: round3(w.solveMs), iterations: w.iterations,
          tsCoreMs: round3(t.coreMs), speedupOverTs: round3(t.coreMs / w.coreMs),
          ...(search ? { searchCoreMs: round3(search.coreMs), speedupOverSearch: round3(search.coreMs / w.coreMs) } : {}),
          ...(target !== undefined ? { targetMs: target, meetsTarget: w.coreMs <= target, meetsTargetCpu: w.coreCpuMs <= target } : {}),
        });
      }
    }
  }
  // memory: the same engine over many consecutive solves of varying scenarios up to 64 apps, both modes
  const engine = wasm as WasmEngine;
  const pool = [6, 16, 32, 64].flatMap((n) => [scenarioOf('generated', n), scenarioOf('distinct', n)]);
  for (const s of pool) { solveScenario(engine, s); solveScenario(engine, s, { convexify: false }); }
  const before = engine.memoryBytes();
  const solves = opts.quick ? 500 : MEMORY_SOLVES;
  for (let k = 0; k < solves; k++) solveScenario(engine, pool[k % pool.length], { convexify: k % 2 === 0 });
  const after = engine.memoryBytes();
  return {
    benchmark: 'solver', policy: 'spirit', loadAverage: os.loadavg().map(round3), rows,
    memory: { solves, wasmBytesBefore: before, wasmBytesAfter: after, grew: after > before },
  };
}

export function format(f: Record<string, unknown>): string {
  type Row = {
    mode: string; kind: string; apps: number; loadAverage1m: number; wasmCoreMs: number; wasmCoreCpuMs: number; wasmSolveMs: number;
    iterations: number; tsCoreMs: number; speedupOverTs: number; searchCoreMs?: number; speedupOverSearch?: number; meetsTarget?: boolean; targetMs?: number;
  };
  const head = ['mode', 'mix', 'apps', 'core ms', 'cpu ms', 'solve ms', 'vs twin', 'vs search', 'target', 'load'];
  const lines = (f.rows as Row[]).map((r) => [r.mode, r.kind, r.apps, r.wasmCoreMs.toFixed(3), r.wasmCoreCpuMs.toFixed(3), r.wasmSolveMs.toFixed(3),
    `${r.speedupOverTs.toFixed(2)}x`, r.speedupOverSearch === undefined ? '' : `${r.speedupOverSearch.toFixed(1)}x`,
    r.meetsTarget === undefined ? '' : `${r.targetMs} ${r.meetsTarget ? 'met' : 'MISSED'}`, r.loadAverage1m.toFixed(2)].map(String).map((c) => c.padStart(11)).join(''));
  const m = f.memory as { solves: number; wasmBytesBefore: number; wasmBytesAfter: number; grew: boolean };
  return [head.map((c) => c.padStart(11)).join(''), ...lines,
    `memory: ${m.wasmBytesBefore} -> ${m.wasmBytesAfter} bytes over ${m.solves} solves (${m.grew ? 'GREW' : 'no growth'})`].join('\n');
}
