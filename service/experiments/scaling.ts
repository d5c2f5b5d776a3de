// Experiment `scaling`: solve time and quality of the spirit policy as the node grows from 8 to 1024 apps
// (generated mixes of the archetypes), WASM core against its TypeScript twin.
import { performance } from 'node:perf_hooks';
import { createEngine } from '../market/engines.ts';
import { solveScenario } from '../market/solve.ts';
import { generateScenario } from '../scenario/generate.ts';
import { validateScenario } from '../scenario/validate.ts';
import { lineChart } from './svg.ts';
import type { Experiment, ExperimentOutput } from './types.ts';

const SIZES = [8, 16, 32, 64, 128, 256, 512, 1024];
const REPS = 5;
const WARM = 5;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

export const scalingExperiment: Experiment = {
  name: 'scaling',
  description: 'solve time and quality of spirit from 8 to 1024 apps, WASM against the TypeScript twin',
  async run(): Promise<ExperimentOutput> {
    const wasm = await createEngine('wasm');
    const ts = await createEngine('ts');
    const rows: { apps: number; wasmMs: number; tsMs: number; geoMeanPerf: number; maxEnvy: number }[] = [];
    for (const apps of SIZES) {
      const s = validateScenario(generateScenario({ apps, seed: 4242 + apps, weightedShare: 0.2, limitShare: 0.1 })).scenario;
      const time = (e: typeof wasm): number => {
        for (let k = 0; k < WARM; k++) solveScenario(e, s); // the JIT settles before timing
        const t: number[] = [];
        for (let k = 0; k < REPS; k++) { const t0 = performance.now(); solveScenario(e, s); t.push(performance.now() - t0); }
        return median(t);
      };
      const r = solveScenario(wasm, s);
      rows.push({ apps, wasmMs: time(wasm), tsMs: time(ts), geoMeanPerf: r.certificate.geoMeanPerf ?? NaN, maxEnvy: r.certificate.maxEnvy });
    }
    const table = ['| apps | WASM ms | TypeScript ms | speedup | geo mean perf | max envy |', '|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.apps} | ${r.wasmMs.toFixed(2)} | ${r.tsMs.toFixed(2)} | ${(r.tsMs / r.wasmMs).toFixed(2)} | ${r.geoMeanPerf.toFixed(2)} | ${r.maxEnvy.toFixed(4)} |`)];
    return {
      summary: { rows },
      files: {
        'table.md': table.join('\n') + '\n',
        'time.svg': lineChart('median solve time (ms) by apps per node', 'ms', SIZES,
          [{ name: 'WASM', values: rows.map((r) => r.wasmMs) }, { name: 'TypeScript', values: rows.map((r) => r.tsMs) }], true),
        'quality.svg': lineChart('geometric mean of normalized performance by apps per node', 'normalized performance', SIZES,
          [{ name: 'spirit', values: rows.map((r) => r.geoMeanPerf) }], true),
      },
    };
  },
};
