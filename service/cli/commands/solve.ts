// `spirit solve SCENARIO.json [--policy P]`: one solve, the result JSON on stdout (spec/cli.md).
import { type Command, Option } from 'commander';
import { POLICIES, type Policy } from '../../scenario/types.ts';

export function register(program: Command): void {
  program
    .command('solve')
    .description('solve one scenario (spec/scenario.schema.json) and print the result (spec/result.schema.json)')
    .argument('<scenario>', 'scenario JSON file')
    .addOption(new Option('--policy <policy>', 'allocation policy').choices(POLICIES as unknown as string[]).default('spirit'))
    .addOption(new Option('--engine <engine>', 'numeric core').choices(['wasm', 'ts']).default('wasm'))
    .option('--strict', 'reject any rise in a miss-ratio curve instead of smoothing measurement noise')
    .option('--no-convexify', 'plan every app on its curve as given, not on the convex hull that splitting its pages realizes')
    .option('--trust-region-cache-mb <MB>', 'live control: largest cache change per app (spirit policy)', parseFloat)
    .option('--trust-region-bandwidth-mbps <Mbps>', 'live control: largest bandwidth change per app (spirit policy)', parseFloat)
    .option('--hysteresis <share>', 'live control: keep the current allocation when no bundle moves more than this share of capacity', parseFloat)
    .action(async (file: string, o: { policy: Policy; engine: 'wasm' | 'ts'; strict?: boolean; convexify: boolean; trustRegionCacheMb?: number; trustRegionBandwidthMbps?: number; hysteresis?: number }) => {
      const { readScenarioFile } = await import('../scenario-file.ts');
      const { createEngine } = await import('../../market/engines.ts');
      const { solveScenario } = await import('../../market/solve.ts');
      const { printJson, log } = await import('../output.ts');
      const { scenario, warnings } = readScenarioFile(file, { strict: o.strict });
      for (const w of warnings) log(`spirit: warning: ${file}: ${w}`);
      const engine = await createEngine(o.engine);
      const result = solveScenario(engine, scenario, {
        policy: o.policy, warnings, convexify: o.convexify,
        trustRegionCacheMB: o.trustRegionCacheMb, trustRegionBandwidthMbps: o.trustRegionBandwidthMbps, hysteresisShare: o.hysteresis,
      });
      printJson(result);
    });
}
