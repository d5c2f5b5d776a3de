// README.md's `live` section from a run of `spirit experiment live --mix paper`: the run's header line, its
// table of throughput over static and its targets, and its plots copied to docs/live/. A measurement of a
// machine, so it is written from a run, never checked against one:
//   node --import tsx scripts/live-readme.ts [DIR]     (DIR: the run's directory, default out/experiments/live/paper)
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { learnedLine } from '../service/experiments/live/report.ts';
import { chromiumPngs } from './svg-png.ts';
import { section } from './readme-tables.ts';

const ROOT = join(import.meta.dirname, '..');
const dir = resolve(process.argv[2] ?? join(ROOT, 'out', 'experiments', 'live', 'paper'));
const md = readFileSync(join(dir, 'report.md'), 'utf8');
const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
  startedMs: number; endedMs: number; plan: { repeats: number; windowS: number; quick: boolean };
  machine: { cpus: number; loadAvgAtStart: number[]; loadAvgAtEnd: number[]; workloadCpuCores?: number | null }; mix: { workloads: string[] };
} & Parameters<typeof learnedLine>[0];

/** The lines of `md` from the heading `from` to the next heading. */
function part(from: string): string {
  const i = md.indexOf(from);
  if (i < 0) throw new Error(`${dir}/report.md has no '${from}'`);
  const rest = md.slice(i + from.length);
  const j = rest.indexOf('\n## ');
  return (j < 0 ? rest : rest.slice(0, j)).trim();
}

const out = join(ROOT, 'docs', 'live');
mkdirSync(out, { recursive: true });
const plots: string[] = [];
for (const f of ['throughput', 'allocations']) {
  if (!existsSync(join(dir, `${f}.svg`))) continue;
  copyFileSync(join(dir, `${f}.svg`), join(out, `paper-${f}.svg`));
  plots.push(`![${f}](docs/live/paper-${f}.svg)`);
}
// PNG copies for viewers that do not show SVG (a headless chromium, when installed)
await chromiumPngs(out, ['paper-throughput.svg', 'paper-allocations.svg'].filter((f) => existsSync(join(out, f)))).catch(() => []);
const body = [
  `Run of ${new Date(res.startedMs).toISOString().slice(0, 16).replace('T', ' ')} UTC, ${Math.round((res.endedMs - res.startedMs) / 60_000)} min: ` +
    `${res.plan.repeats} repeat(s) of ${res.plan.windowS} s per policy${res.plan.quick ? ' (--quick)' : ''}, ${res.machine.cpus} cores` +
    `${typeof res.machine.workloadCpuCores === 'number' ? ` (each workload under a CPU quota of ${res.machine.workloadCpuCores} cores)` : ' (no CPU quotas)'}, load average ` +
    `${res.machine.loadAvgAtStart[0]} at start and ${res.machine.loadAvgAtEnd[0]} at end (load average of each window in the table). No model was given: ` +
    learnedLine(res, res.mix.workloads.map((w) => /id=([^,]+)/.exec(w)![1])) + ' Median (min..max) over repeats.',
  '',
  part('## Throughput over static, per app'),
  '',
  part('## Targets (measured)'),
  '',
  ...plots,
].join('\n');
const readme = join(ROOT, 'README.md');
const text = readFileSync(readme, 'utf8');
const { start, end } = section(text, 'live');
writeFileSync(readme, text.slice(0, start) + body + '\n' + text.slice(end));
process.stdout.write(`README.md's live section written from ${dir}\n`);
