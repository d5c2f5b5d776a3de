// The WASM core allocates nothing per solve: its linear memory does not grow over many consecutive solves.
import { describe, expect, it } from 'vitest';
import { solveScenario } from '../../service/market/solve.ts';
import { WasmEngine } from '../../service/market/wasm/engine.ts';
import { generateScenario } from '../../service/scenario/generate.ts';
import { validateScenario } from '../../service/scenario/validate.ts';

describe('WASM memory', () => {
  it('does not grow across 2,000 solves of varying scenarios', async () => {
    const engine = await WasmEngine.create();
    const scenarios = [3, 6, 17, 40].map((apps, k) => validateScenario(generateScenario({ apps, seed: 77 + k, limitShare: 0.3 })).scenario);
    for (const s of scenarios) solveScenario(engine, s); // buffers reach their size for the largest
    const before = engine.memoryBytes();
    for (let k = 0; k < 2000; k++) solveScenario(engine, scenarios[k % scenarios.length]);
    expect(engine.memoryBytes()).toBe(before);
  }, 300_000);
});
