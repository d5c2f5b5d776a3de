// `spirit experiment NAME [--out DIR]`: a reproducible experiment with its table and plots; prints a summary
// JSON document (what ran, the figures, the files written).
import type { Command } from 'commander';
import { InputError } from '../../errors.ts';

export function register(program: Command): void {
  program
    .command('experiment')
    .description('run a reproducible experiment (policies | scaling) and write its table and plots')
    .argument('<name>', 'experiment name')
    .option('--out <dir>', 'where to write the report files', 'out/experiments')
    .action(async (name: string, o: { out: string }) => {
      const { EXPERIMENTS } = await import('../../experiments/index.ts');
      const { mkdirSync, writeFileSync } = await import('node:fs');
      const { join, resolve } = await import('node:path');
      const { printJson, log } = await import('../output.ts');
      const exp = EXPERIMENTS.find((e) => e.name === name);
      if (!exp) throw new InputError('experiment', `unknown experiment '${name}'; expected one of ${EXPERIMENTS.map((e) => e.name).join(', ')}`);
      const dir = resolve(o.out, exp.name);
      log(`experiment ${exp.name}: ${exp.description}`);
      const out = await exp.run();
      mkdirSync(dir, { recursive: true });
      const files: string[] = [];
      for (const [f, text] of Object.entries(out.files)) {
        writeFileSync(join(dir, f), text);
        files.push(join(dir, f));
      }
      printJson({ experiment: exp.name, description: exp.description, ...out.summary, files });
    });
}
