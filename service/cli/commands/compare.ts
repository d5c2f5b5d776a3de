// `spirit compare SCENARIO.json [--json]`: every policy on one scenario, as tables (or one JSON document).
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('compare')
    .description('run every policy on one scenario and show the allocations side by side')
    .argument('<scenario>', 'scenario JSON file')
    .option('--json', 'print {scenario, results, skipped} as one JSON document')
    .action(async (file: string, o: { json?: boolean }) => {
      const { readScenarioFile } = await import('../scenario-file.ts');
      const { createEngine } = await import('../../market/engines.ts');
      const { comparePolicies } = await import('../../market/compare.ts');
      const { printJson, log } = await import('../output.ts');
      const { renderComparison } = await import('../table.ts');
      const { scenario, warnings } = readScenarioFile(file);
      for (const w of warnings) log(`spirit: warning: ${file}: ${w}`);
      const c = comparePolicies(await createEngine('wasm'), scenario);
      if (o.json) printJson(c);
      else process.stdout.write(renderComparison(c) + '\n');
    });
}
