// `spirit experiment NAME [--out DIR]`: a reproducible experiment with its table and plots; prints a summary
// JSON document (what ran, the figures, the files written).
// `spirit experiment live [--mix paper|dynamic|many] [--policies ...] [--repeats N] [--minutes M] [--quick]`:
// every policy on real workloads on the real data plane (service/experiments/live/).
import type { Command } from 'commander';
import { InputError } from '../../errors.ts';

interface Flags { out: string; mix?: string; policies?: string; repeats?: string; minutes?: string; quick?: boolean; progress: boolean; workloadCpu?: string }

const LIVE_ONLY = [['mix', '--mix'], ['policies', '--policies'], ['repeats', '--repeats'], ['minutes', '--minutes'], ['quick', '--quick'], ['workloadCpu', '--workload-cpu']] as const;

function positive(flag: string, v: string | undefined, max: number, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n)) throw new InputError(flag, `'${v}' is not a number`);
  if (integer && !Number.isInteger(n)) throw new InputError(flag, `must be a whole number; got ${v}`);
  if (n <= 0 || n > max) throw new InputError(flag, `must be above 0 and at most ${max}; got ${n}`);
  return n;
}

export function register(program: Command): void {
  program
    .command('experiment')
    .description('run a reproducible experiment (policies | scaling | live) and write its table and plots')
    .argument('<name>', 'experiment name')
    .option('--out <dir>', 'where to write the report files', 'out/experiments')
    .option('--mix <mix>', 'live: paper | dynamic | many (default paper)')
    .option('--policies <list>', 'live: comma-separated policies (static, static-split, drf, harvest, trade, spirit-unsplit, spirit)')
    .option('--repeats <N>', 'live: repeats of every policy (default 3; 1 with --quick)')
    .option('--minutes <M>', 'live: measured window of each policy, minutes (default 1; 8 s with --quick)')
    .option('--quick', 'live: short windows, one repeat (a few minutes in all)')
    .option('--no-progress', 'live: no progress line on stderr')
    .option('--workload-cpu <CORES>', 'live: each workload under a fixed CPU quota of CORES cores (own cgroup, needs root), auto (3/4 of the cores shared out; default) or off')
    .action(async (name: string, o: Flags) => {
      const { mkdirSync, writeFileSync } = await import('node:fs');
      const { join, resolve } = await import('node:path');
      const { printJson, log } = await import('../output.ts');
      if (name === 'live') {
        await live(o, (dir, files) => {
          mkdirSync(dir, { recursive: true });
          return Object.entries(files).map(([f, text]) => { writeFileSync(join(dir, f), text); return join(dir, f); });
        }, resolve, printJson, log);
        return;
      }
      const { EXPERIMENTS } = await import('../../experiments/index.ts');
      const exp = EXPERIMENTS.find((e) => e.name === name);
      if (!exp) throw new InputError('experiment', `unknown experiment '${name}'; expected one of ${[...EXPERIMENTS.map((e) => e.name), 'live'].join(', ')}`);
      for (const [k, flag] of LIVE_ONLY) if (o[k] !== undefined) throw new InputError(flag, `is an option of 'spirit experiment live' only`);
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

async function live(o: Flags, write: (dir: string, files: Record<string, string>) => string[], resolve: (...p: string[]) => string,
  printJson: (d: unknown) => void, log: (m: string) => void): Promise<void> {
  const { MIXES, MIX_DEFS } = await import('../../experiments/live/mixes.ts');
  const MIX_WORKLOADS = Object.fromEntries(MIXES.map((m) => [m, MIX_DEFS[m].workloads.length])) as Record<(typeof MIXES)[number], number>;
  const { LIVE_POLICIES, parseLivePolicies } = await import('../../experiments/live/policies.ts');
  const mix = o.mix ?? 'paper';
  if (!(MIXES as readonly string[]).includes(mix)) throw new InputError('--mix', `'${mix}' is not a mix; expected one of ${MIXES.join(', ')}`);
  const fallback = mix === 'many' ? (['static', 'static-split', 'spirit-unsplit', 'spirit'] as const) : LIVE_POLICIES;
  let policies = parseLivePolicies(o.policies, fallback);
  if (mix === 'dynamic') {
    // one policy through the phase changes (static is not added: nothing is normalized to it)
    const named = o.policies === undefined ? [] : o.policies.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (named.length > 1) throw new InputError('--policies', `the dynamic mix runs one policy through its phase changes; got ${named.length}`);
    policies = named.length === 1 ? parseLivePolicies(named[0], []).filter((p) => p === named[0]) : ['spirit'];
  }
  const repeats = positive('--repeats', o.repeats, 20, true);
  const minutes = positive('--minutes', o.minutes, 120, false);
  const { planOf, runLive } = await import('../../experiments/live/run.ts');
  const { Progress } = await import('../../experiments/live/progress.ts');
  const { summarize } = await import('../../experiments/live/summary.ts');
  const { reportFiles, pngs } = await import('../../experiments/live/report.ts');
  const plan = planOf({ quick: Boolean(o.quick), minutes, repeats });
  const { workloadCpuOf } = await import('../../experiments/live/cpu.ts');
  const cpu = workloadCpuOf(o.workloadCpu ?? 'auto', MIX_WORKLOADS[mix as (typeof MIXES)[number]]);
  if (cpu.why) log(`experiment live: workloads run without a CPU quota (${cpu.why})`);
  log(`experiment live --mix ${mix}: ${policies.join(', ')}; ${plan.repeats} repeat(s), ${plan.windowS} s windows`);
  const run = await runLive({
    mix: mix as (typeof MIXES)[number], policies, plan, progress: new Progress(0, process.stderr, !o.progress),
    ...(cpu.cores !== null ? { workloadCpuCores: cpu.cores } : {}),
    onStarted: (url) => log(`experiment live: dashboard at ${url}/ while it runs`),
  });
  const summary = summarize(run);
  const dir = resolve(o.out, 'live', mix);
  const files = write(dir, reportFiles(run, summary));
  const png = pngs(dir, files.filter((f) => f.endsWith('.svg')).map((f) => f.slice(dir.length + 1)));
  printJson({
    experiment: 'live', mix, policies, repeats: plan.repeats, windowS: plan.windowS, quick: plan.quick,
    loadAvgAtStart: run.machine.loadAvgAtStart, loadAvgAtEnd: run.machine.loadAvgAtEnd, workloadCpuCores: run.machine.workloadCpuCores, learned: run.learned,
    geoMean: Object.fromEntries(Object.entries(summary.policies).map(([p, s]) => [p, s!.geoMean])),
    targets: summary.targets, dataErrors: run.dataErrors,
    files: [...files, ...png.written.map((f) => `${dir}/${f}`)], pngRenderer: png.renderer,
  });
}
