// `spirit start` (what `npm start` runs): every policy on the paper-like six-app mix, as tables.
import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const START_SCENARIO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'paper-mix.json');

export function register(program: Command): void {
  program
    .command('start')
    .description('show every policy on the paper-like six-app mix (examples/paper-mix.json)')
    .action(async () => {
      const { readScenarioFile } = await import('../scenario-file.ts');
      const { createEngine } = await import('../../market/engines.ts');
      const { comparePolicies } = await import('../../market/compare.ts');
      const { renderComparison } = await import('../table.ts');
      const { scenario } = readScenarioFile(START_SCENARIO);
      const c = comparePolicies(await createEngine('wasm'), scenario);
      process.stdout.write(renderComparison(c) + '\n');
    });
}
