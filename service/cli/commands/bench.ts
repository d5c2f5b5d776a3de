// `spirit bench solver|mrc|farmem|service|node|cluster [--json]`: each benchmark is bench/<name>.ts exporting
// `run(opts) => Promise<object>` (the figures) and `format(figures) => string` (a human-readable table).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../errors.ts';
import { printJson } from '../output.ts';

const BENCHES = ['solver', 'mrc', 'farmem', 'service', 'node', 'cluster', 'chaos'] as const;

export interface BenchModule {
  run(opts: { quick: boolean }): Promise<Record<string, unknown>>;
  format(figures: Record<string, unknown>): string;
}

export function register(program: Command): void {
  program
    .command('bench')
    .description(`run a benchmark: ${BENCHES.join(' | ')}`)
    .argument('<name>', 'which benchmark')
    .option('--json', 'print one JSON document of figures on stdout')
    .option('--quick', 'fewer repetitions (for smoke tests)')
    .action(async (name: string, opts: { json?: boolean; quick?: boolean }) => {
      if (!(BENCHES as readonly string[]).includes(name)) {
        throw new InputError('bench', `unknown benchmark '${name}'; expected one of ${BENCHES.join(', ')}`);
      }
      const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', `${name}.ts`);
      if (!existsSync(file)) throw new Error(`benchmark '${name}' is not built into this version (no bench/${name}.ts)`);
      const mod = (await import(file)) as BenchModule;
      const figures = await mod.run({ quick: Boolean(opts.quick) });
      if (opts.json) printJson(figures);
      else process.stdout.write(mod.format(figures) + '\n');
    });
}
