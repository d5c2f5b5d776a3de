// `spirit generate --apps N [--seed S] [...]`: a seeded scenario of the archetypes (for benchmarks, tests
// and what-if experiments), printed as one JSON document.
import { type Command, Option } from 'commander';
import { InputError } from '../../errors.ts';
import { MAX_APPS } from '../../limits.ts';

function intIn(name: string, lo: number, hi: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new InputError(`--${name}`, `must be an integer from ${lo} to ${hi}, got '${v}'`);
    return n;
  };
}

function shareIn(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(n >= 0 && n <= 1)) throw new InputError(`--${name}`, `must be a number from 0 to 1, got '${v}'`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('print a seeded scenario of streaming, key-value, embedding and microservice apps')
    .requiredOption('--apps <n>', `number of apps (1..${MAX_APPS})`, intIn('apps', 1, MAX_APPS))
    .option('--seed <s>', 'random seed', intIn('seed', 0, 2 ** 31 - 1), 1)
    .addOption(new Option('--mix <archetypes>', 'comma-separated archetypes (stream,kvs,dlrm,social)'))
    .option('--weighted <share>', 'share of apps with weights other than 1', shareIn('weighted'), 0)
    .option('--limits <share>', 'share of apps with limits', shareIn('limits'), 0)
    .option('--surfaces <share>', 'share of apps described by sampled surfaces', shareIn('surfaces'), 0)
    .option('--noisy', 'measured-looking noise on the microservice curves')
    .action(async (o: { apps: number; seed: number; mix?: string; weighted: number; limits: number; surfaces: number; noisy?: boolean }) => {
      const { ARCHETYPES, generateScenario } = await import('../../scenario/generate.ts');
      const { printJson } = await import('../output.ts');
      let mix: (typeof ARCHETYPES)[number][] | undefined;
      if (o.mix) {
        const names = o.mix.split(',').map((x) => x.trim());
        for (const m of names) {
          if (!(ARCHETYPES as readonly string[]).includes(m)) throw new InputError('--mix', `unknown archetype '${m}'; expected some of ${ARCHETYPES.join(', ')}`);
        }
        mix = names as (typeof ARCHETYPES)[number][];
      }
      printJson(generateScenario({ apps: o.apps, seed: o.seed, mix, weightedShare: o.weighted, limitShare: o.limits, surfaceShare: o.surfaces, noisy: o.noisy }));
    });
}
