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
import { median, round3 } from './stats.ts';

const SIZES = [6, 64, 256, 1024];
const TARGET_MS: Record<number, number> = { 6: 1, 1024: 100 };
const SPEEDUP_TARGET = 3;
const MEMORY_SOLVES = 10_000;

function scenarioOf(apps: number): Scenario {
  return validateScenario(generateScenario({ apps, seed: 1000 + apps, weightedShare: 0.2, limitShare: 0.1, noisy: true })).scenario;
}

/** Median elapsedMs of `reps` solves after `warm` warm-up solves. */
function timeSolves(engine: Engine, s: Scenario, warm: number, reps: number): number {
  for (let k = 0; k < warm; k++) solveScenario(engine, s);
  const times: number[] = [];
  for (let k = 0; k < reps; k++) times.push(solveScenario(engine, s).elapsedMs);
  return median(times);
}

export async function run(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const wasm = await createEngine('wasm');
  const ts = await createEngine('ts');
  const sizes = [];
  for (const apps of SIZES) {
    const s = scenarioOf(apps);
    const reps = opts.quick ? 3 : apps <= 64 ? 101 : apps <= 256 ? 21 : 9;
    const warm = opts.quick ? 1 : apps <= 64 ? 20 : 3;
    const wasmMs = timeSolves(wasm, s, warm, reps);
    const tsMs = timeSolves(ts, s, warm, opts.quick ? 1 : Math.max(3, reps >> 1));
    const target = TARGET_MS[apps];
    sizes.push({
      apps, wasmMedianMs: round3(wasmMs), tsMedianMs: round3(tsMs), speedup: round3(tsMs / wasmMs),
      ...(target ? { targetMs: target, meetsTarget: wasmMs <= target } : {}),
      ...(apps >= 256 ? { speedupTarget: SPEEDUP_TARGET, meetsSpeedupTarget: tsMs / wasmMs >= SPEEDUP_TARGET } : {}),
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
    sizes,
    memory: { solves, wasmBytesBefore: before, wasmBytesAfter: after, grew: after > before },
  };
}

export function format(f: Record<string, unknown>): string {
  const rows = (f.sizes as { apps: number; wasmMedianMs: number; tsMedianMs: number; speedup: number; meetsTarget?: boolean }[])
    .map((r) => `${String(r.apps).padStart(6)} ${r.wasmMedianMs.toFixed(3).padStart(10)} ${r.tsMedianMs.toFixed(3).padStart(10)} ${r.speedup.toFixed(2).padStart(8)}x ${r.meetsTarget === undefined ? '' : r.meetsTarget ? 'target met' : 'TARGET MISSED'}`);
  const m = f.memory as { solves: number; wasmBytesBefore: number; wasmBytesAfter: number; grew: boolean };
  return ['  apps  wasm ms      ts ms   speedup', ...rows,
    `memory: ${m.wasmBytesBefore} -> ${m.wasmBytesAfter} bytes over ${m.solves} solves (${m.grew ? 'GREW' : 'no growth'})`].join('\n');
}
