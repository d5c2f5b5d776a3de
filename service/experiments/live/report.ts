// The report of a live run: a markdown page (report.md), every figure as JSON (results.json) and plots
// (SVG; PNG too when an SVG renderer, rsvg-convert or ImageMagick's convert, is on PATH).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { barChart, lineChart, niceTicks } from '../svg.ts';
import type { Spread } from './measure.ts';
import { LIVE_POLICY_DEFS, type LivePolicy } from './policies.ts';
import type { LiveRun } from './run.ts';
import { type LiveSummary, SI_BAR } from './summary.ts';

const s3 = (s: Spread): string => (Number.isFinite(s.median) ? `${s.median} (${s.min}..${s.max})` : 'n/a');
const mark = (v: string): string => (v === 'gain' ? '' : v === 'loss' ? ' **loss**' : ' *no gain*');
/** Points of a time series kept in a plot (the JSON keeps them all). */
const PLOT_POINTS_MAX = 600;

export function reportFiles(run: LiveRun, sum: LiveSummary): Record<string, string> {
  const files: Record<string, string> = {};
  const apps = run.mix.workloads.map((w) => /id=([^,]+)/.exec(w)![1]);
  files['results.json'] = JSON.stringify({ experiment: 'live', ...run, summary: sum }, null, 1) + '\n';
  files['report.md'] = markdown(run, sum, apps);
  if (run.runs.length > 0) {
    const ps = run.policies.filter((p) => sum.policies[p]);
    files['throughput.svg'] = barChart(`${run.mix.name}: each app's throughput over static's (median of ${run.plan.repeats} repeat(s))`, 'throughput / static',
      [...apps, 'geo mean'], ps.map((p) => ({ name: p, values: [...apps.map((a) => sum.policies[p]!.apps[a].vsStatic.median), sum.policies[p]!.geoMean.median] })), 980, 380);
  }
  const series = timeSeries(run, apps);
  if (run.mix.name === 'dynamic' || run.runs.length > 0) {
    const marks = eventMarks(run);
    const ticks = (xs: number[]) => ({ xTicks: niceTicks(xs[0], xs[xs.length - 1]), marks });
    files['allocations.svg'] = lineChart(`${run.mix.name}: cache of each app by round (MiB; x: seconds)`, 'cache MiB', series.ts, series.cache, false, 980, 380, ticks(series.ts));
    files['bandwidth.svg'] = lineChart(`${run.mix.name}: bandwidth of each app by round (Mbps; x: seconds)`, 'Mbps', series.ts, series.bandwidth, false, 980, 380, ticks(series.ts));
    if (series.prices.some((p) => p.values.some((v) => Number.isFinite(v) && v > 0))) {
      files['prices.svg'] = lineChart(`${run.mix.name}: market prices by round (spirit rounds; x: seconds)`, 'price', series.ts, series.prices, false, 980, 380, ticks(series.ts));
    }
    files['throughput-over-time.svg'] = lineChart(`${run.mix.name}: throughput of each app (accesses/s, 2 s means; x: seconds)`, 'accesses/s',
      series.tput.ts, series.tput.series, false, 980, 380, ticks(series.tput.ts));
  }
  return files;
}

/**
 * Renders every SVG to PNG beside it with rsvg-convert or ImageMagick's convert when one is on PATH; returns
 * the files written and the renderer (null: none here, the SVGs are the plots). (scripts/svg-png.ts renders
 * with a headless chromium for the README's copies; the runtime depends on no browser.)
 */
export function pngs(dir: string, svgs: string[]): { written: string[]; renderer: string | null } {
  return toolPngs(dir, svgs);
}

function toolPngs(dir: string, svgs: string[]): { written: string[]; renderer: string | null } {
  const tools: [string, (i: string, o: string) => string[]][] = [['rsvg-convert', (i, o) => ['-o', o, i]], ['convert', (i, o) => [i, o]]];
  for (const [tool, args] of tools) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) continue;
    const written: string[] = [];
    for (const f of svgs) {
      const out = f.replace(/\.svg$/, '.png');
      if (spawnSync(tool, args(join(dir, f), join(dir, out)), { stdio: 'ignore', timeout: 60_000 }).status === 0) written.push(out);
    }
    return { written, renderer: tool };
  }
  return { written: [], renderer: null };
}

/** Where each measured stretch began (policy, or phase change), seconds since the start. */
function eventMarks(run: LiveRun): { x: number; label: string }[] {
  const t = (ms: number): number => Math.round((ms - run.startedMs) / 100) / 10;
  if (run.dynamic) return run.dynamic.phases.slice(1).map((p) => ({ x: t(p.fromMs), label: `phase ${p.index + 1}` }));
  return run.runs.map((r) => ({ x: t(r.measuredFromMs), label: r.policy }));
}

function timeSeries(run: LiveRun, apps: string[]) {
  const step = Math.max(1, Math.ceil(run.rounds.length / PLOT_POINTS_MAX));
  const rounds = run.rounds.filter((_, i) => i % step === 0);
  const ts = rounds.map((r) => r.tS);
  const cache = apps.map((a) => ({ name: a, values: rounds.map((r) => r.bundles[a]?.cacheMB ?? NaN) }));
  const bandwidth = apps.map((a) => ({ name: a, values: rounds.map((r) => r.bundles[a]?.bandwidthMbps ?? NaN) }));
  const prices = [
    { name: 'cache', values: rounds.map((r) => r.prices?.cache ?? NaN) },
    { name: 'bandwidth', values: rounds.map((r) => r.prices?.bandwidth ?? NaN) },
  ];
  // throughput: 2-second buckets of each app's windows
  const bucket = new Map<number, Map<string, number[]>>();
  for (const w of run.throughput) {
    const b = Math.floor(w.tS / 2) * 2;
    const m = bucket.get(b) ?? new Map<string, number[]>();
    m.set(w.app, [...(m.get(w.app) ?? []), w.opsPerSec]);
    bucket.set(b, m);
  }
  const keys = [...bucket.keys()].sort((a, b) => a - b);
  const kstep = Math.max(1, Math.ceil(keys.length / PLOT_POINTS_MAX));
  const kept = keys.filter((_, i) => i % kstep === 0);
  const tput = {
    ts: kept.length > 1 ? kept : [0, 1],
    series: apps.map((a) => ({
      name: a, values: kept.length > 1 ? kept.map((k) => { const v = bucket.get(k)!.get(a); return v ? v.reduce((s, x) => s + x, 0) / v.length : NaN; }) : [NaN, NaN],
    })),
  };
  return { ts: ts.length > 1 ? ts : [0, 1], cache, bandwidth, prices, tput };
}

function markdown(run: LiveRun, sum: LiveSummary, apps: string[]): string {
  const L: string[] = [];
  const when = new Date(run.startedMs).toISOString();
  L.push(`# spirit experiment live --mix ${run.mix.name}`, '');
  L.push(`${when}; ${run.machine.cpus} cores; load average at start ${run.machine.loadAvgAtStart.join(' / ')}, at end ${run.machine.loadAvgAtEnd.join(' / ')} ` +
    `(1/5/15 min); ${Math.round((run.endedMs - run.startedMs) / 1000)} s in all${run.plan.quick ? '; --quick' : ''}; ` +
    (run.machine.workloadCpuCores !== null ? `every workload under a CPU quota of ${run.machine.workloadCpuCores} cores.` : 'workloads without a CPU quota (they share the cores freely).'), '');
  L.push(`Node: ${run.mix.capacity.cacheMB} MiB of cache, ${run.mix.capacity.bandwidthMbps} Mbps; ${run.mix.what}:`, '');
  for (const w of run.mix.workloads) L.push(`- \`${w}\``);
  L.push('', `Every app started with no model: ${learnedLine(run, apps)}`);
  L.push(`Data errors: ${run.dataErrors}; workload restarts: ${run.workloadRestarts}.`, '');
  if (run.runs.length > 0) policyTables(run, sum, apps, L);
  if (run.dynamic) dynamicTables(run, apps, L);
  if (sum.targets.length > 0) {
    L.push('## Targets (measured)', '', '| target | measured | met |', '|---|---|---|');
    for (const t of sum.targets) L.push(`| ${t.what} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
    L.push('');
  }
  return L.join('\n') + '\n';
}

/** How the apps' models were learned, and where their models came from in the measured rounds. */
export function learnedLine(run: Pick<LiveRun, 'learned' | 'runs'>, apps: string[]): string {
  // per source, the apps it served in each measured window's last round (an app's source varies by window)
  const inForce = new Map<string, Map<string, number>>();
  for (const r of run.runs) {
    for (const [a, s] of Object.entries(r.lastDoc.sources)) {
      const m = inForce.get(s) ?? new Map<string, number>();
      inForce.set(s, m.set(a, (m.get(a) ?? 0) + 1));
    }
  }
  const windows = run.runs.length;
  const sources = [...inForce.entries()].map(([s, m]) => `${s} in ${[...m.values()].reduce((x, y) => x + y, 0)} of ${windows * apps.length}` +
    (m.size < apps.length ? ` (${[...m.keys()].join(', ')})` : '')).join(', ');
  return `the estimator fitted ${run.learned.estimated.length}/${apps.length} from telemetry in ${run.learned.afterS} s` +
    (run.learned.notEstimated.length ? ` (not yet: ${run.learned.notEstimated.join(', ')})` : '') +
    (sources ? `; the models in force at the end of the measured windows (app x window): ${sources} (estimated: the current fit; persisted: the last confident fit, ` +
      'used while the current one lacks data; equal-share: no model, held at its equal share)' : '') + '.';
}

function policyTables(run: LiveRun, sum: LiveSummary, apps: string[], L: string[]): void {
  const ps = run.policies.filter((p) => sum.policies[p]) as LivePolicy[];
  L.push(`Each policy measured for ${run.plan.windowS} s after its allocation settled (${run.plan.settleMinS}..${run.plan.settleMaxS} s), ` +
    `${run.plan.repeats} repeat(s), order rotated between repeats; figures are median (min..max) over repeats; a ratio whose range crosses 1 is *no gain*` +
    (run.plan.repeats === 1 ? ' (one repeat: no spread was measured, the marks are those of a single run)' : '') + '.', '');
  L.push('## Throughput over static, per app', '', `| policy | ${apps.join(' | ')} | geo mean | worst | below ${SI_BAR} | envy (fitted) | load 1m |`,
    `|---|${apps.map(() => '---:').join('|')}|---:|---|---|---:|---:|`);
  for (const p of ps) {
    const s = sum.policies[p]!;
    L.push(`| ${p} | ${apps.map((a) => s3(s.apps[a].vsStatic) + (p === 'static' ? '' : mark(s.apps[a].verdict))).join(' | ')} | ` +
      `${s3(s.geoMean)}${p === 'static' ? '' : mark(s.verdict)} | ${s.worst ? `${s.worst.app} ${s.worst.vsStatic}` : '-'} | ` +
      `${s.belowBar.length === 0 ? 'none' : s.belowBar.map((b) => `${b.app} ${b.vsStatic} (r${b.repeat})`).join(', ')} | ${s3(s.maxEnvy)} | ${s3(s.loadAvg1m)} |`);
  }
  L.push('', '## Per app and policy (medians)', '',
    '| app | policy | accesses/s | p99 op us | miss ratio | traffic Mbps | cache MiB | resident MiB | bandwidth Mbps |', '|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const a of apps) {
    for (const p of ps) {
      const x = sum.policies[p]!.apps[a];
      L.push(`| ${a} | ${p} | ${x.opsPerSec.median} | ${x.p99OpUs.median} | ${x.missRatio.median} | ${x.trafficMbps.median} | ${x.cacheMB.median} | ${x.residentMB.median} | ${x.bandwidthMbps.median} |`);
    }
  }
  L.push('', 'Policies: ' + ps.map((p) => `\`${p}\` ${LIVE_POLICY_DEFS[p].what}`).join('; ') + '.', '');
  const split = run.runs.filter((r) => Object.keys(r.lastDoc.partitions).length > 0);
  if (split.length > 0) {
    L.push('Page splits in force at the end of a window (share of pages : cache MiB):', '');
    for (const r of split) {
      L.push(`- repeat ${r.repeat}, ${r.policy}: ` + Object.entries(r.lastDoc.partitions).map(([a, q]) => `${a} ${q.map((x) => `${x.accessShare}:${x.cacheMB}`).join(' + ')}`).join('; '));
    }
    L.push('');
  }
  L.push('![throughput over static](throughput.svg)', '', '![cache by round](allocations.svg)', '');
}

function dynamicTables(run: LiveRun, apps: string[], L: string[]): void {
  const d = run.dynamic!;
  L.push(`## Phase changes under ${d.policy} (${run.plan.phaseS} s per phase)`, '',
    `| phase | settled after | load 1m | ${apps.map((a) => `${a} accesses/s (cache MiB)`).join(' | ')} |`, `|---|---|---:|${apps.map(() => '---:').join('|')}|`);
  for (const ph of d.phases) {
    L.push(`| ${ph.index + 1}: ${ph.what} | ${ph.index === 0 ? '-' : ph.settle ? `${ph.settle.rounds} rounds, ${ph.settle.seconds} s` : 'not within the phase'} | ${ph.loadAvg1m} | ` +
      apps.map((a) => `${ph.apps[a].opsPerSec} (${ph.apps[a].cacheMB})`).join(' | ') + ' |');
  }
  L.push('', '![cache by round](allocations.svg)', '', '![prices by round](prices.svg)', '', '![throughput over time](throughput-over-time.svg)', '');
}
