// `spirit bench solver`: median solve time of the spirit policy on generated scenarios of 6, 64, 256 and
// 1024 apps (mixed archetypes), WASM core against its TypeScript twin in the same run, and WASM memory
// across 10,000 consecutive solves. Targets (2-core machine): 6 apps <= 1 ms, 1024 apps <= 100 ms,
// WASM >= 3x the twin at 256 apps and above, no memory growth.
import { createEngine } from '../service/market/engines.ts';
import { solveScenario } from '../service/market/solve.ts';
import { WasmEngine } from '../service/market/wasm/engine.ts';
import { generateScenario } from '../service/scenario/generate.ts';
import { validateScenario } from '../service/scenario/validate.ts';
import type { Engine } from '../service/market/engine.ts';
import type { Scenario } from '../service/scenario/types.ts';
import os from 'node:os';
import { median, round3 } from './stats.ts';

const SIZES = [6, 64, 256, 1024];
const TARGET_MS: Record<number, number> = { 6: 1, 1024: 100 };
const SPEEDUP_TARGET = 3;
const MEMORY_SOLVES = 10_000;

function scenarioOf(apps: number): Scenario {
  return validateScenario(generateScenario({ apps, seed: 1000 + apps, weightedShare: 0.2, limitShare: 0.1, noisy: true })).scenario;
}

/**
 * Median wall time (the result's elapsedMs) and median CPU time of `reps` solves after `warm` warm-up solves.
 * CPU time is this process's user + system time: on a shared machine it is not inflated by waiting for a core.
 */
function timeSolves(engine: Engine, s: Scenario, warm: number, reps: number): { wallMs: number; cpuMs: number } {
  for (let k = 0; k < warm; k++) solveScenario(engine, s);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < reps; k++) {
    const c0 = process.cpuUsage();
    wall.push(solveScenario(engine, s).elapsedMs);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

export async function run(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const wasm = await createEngine('wasm');
  const ts = await createEngine('ts');
  const sizes = [];
  for (const apps of SIZES) {
    const s = scenarioOf(apps);
    const reps = opts.quick ? 3 : apps <= 64 ? 101 : apps <= 256 ? 21 : 9;
    const warm = opts.quick ? 1 : apps <= 64 ? 20 : 3;
    const w = timeSolves(wasm, s, warm, reps);
    const t = timeSolves(ts, s, warm, opts.quick ? 1 : Math.max(3, reps >> 1));
    const target = TARGET_MS[apps];
    sizes.push({
      apps,
      wasmMedianMs: round3(w.wallMs), tsMedianMs: round3(t.wallMs), speedup: round3(t.wallMs / w.wallMs),
      wasmMedianCpuMs: round3(w.cpuMs), tsMedianCpuMs: round3(t.cpuMs), speedupCpu: round3(t.cpuMs / w.cpuMs),
      ...(target ? { targetMs: target, meetsTarget: w.wallMs <= target, meetsTargetCpu: w.cpuMs <= target } : {}),
      ...(apps >= 256 ? { speedupTarget: SPEEDUP_TARGET, meetsSpeedupTarget: t.wallMs / w.wallMs >= SPEEDUP_TARGET } : {}),
    });
  }
  // memory: the same engine over many consecutive solves of varying scenarios up to 64 apps
  const engine = wasm as WasmEngine;
  const pool = [6, 16, 32, 64].map(scenarioOf);
  for (const s of pool) solveScenario(engine, s);
  const before = engine.memoryBytes();
  const solves = opts.quick ? 500 : MEMORY_SOLVES;
  for (let k = 0; k < solves; k++) solveScenario(engine, pool[k % pool.length]);
  const after = engine.memoryBytes();
  return {
    benchmark: 'solver',
    policy: 'spirit',
    loadAverage: os.loadavg().map(round3),
    sizes,
    memory: { solves, wasmBytesBefore: before, wasmBytesAfter: after, grew: after > before },
  };
}

export function format(f: Record<string, unknown>): string {
  type Row = { apps: number; wasmMedianMs: number; tsMedianMs: number; speedup: number; wasmMedianCpuMs: number; tsMedianCpuMs: number; speedupCpu: number; meetsTarget?: boolean };
  const rows = (f.sizes as Row[]).map((r) => [r.apps, r.wasmMedianMs.toFixed(3), r.tsMedianMs.toFixed(3), `${r.speedup.toFixed(2)}x`,
    r.wasmMedianCpuMs.toFixed(3), r.tsMedianCpuMs.toFixed(3), `${r.speedupCpu.toFixed(2)}x`,
    r.meetsTarget === undefined ? '' : r.meetsTarget ? 'target met' : 'TARGET MISSED'].map(String).map((c) => c.padStart(10)).join(''));
  const m = f.memory as { solves: number; wasmBytesBefore: number; wasmBytesAfter: number; grew: boolean };
  return [['apps', 'wasm ms', 'ts ms', 'speedup', 'wasm cpu', 'ts cpu', 'speedup', ''].map((c) => c.padStart(10)).join(''), ...rows,
    `load average ${(f.loadAverage as number[]).join(' ')}`,
    `memory: ${m.wasmBytesBefore} -> ${m.wasmBytesAfter} bytes over ${m.solves} solves (${m.grew ? 'GREW' : 'no growth'})`].join('\n');
}
