// The README's quality table: every policy on every shipped example (geometric mean of normalized
// performance; marks where a policy leaves an app below its share (SI), envious (EF) or capacity idle).
// Run: node --import tsx scripts/quality-table.ts (prints it); scripts/readme-tables.ts puts it in README.md.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEngine } from '../service/market/engines.ts';
import { comparePolicies } from '../service/market/compare.ts';
import { gainOverUnsplitStatic } from '../service/market/gain.ts';
import { solveScenario } from '../service/market/solve.ts';
import { IDEAL_MAX_APPS } from '../service/market/twin/ideal.ts';
import { validateScenario } from '../service/scenario/validate.ts';
import { POLICIES, type Scenario } from '../service/scenario/types.ts';

export async function qualityTable(): Promise<string> {
  const engine = await createEngine('wasm');
  const rows: string[] = [];
  rows.push(`| example | apps | ${POLICIES.join(' | ')} |`);
  rows.push(`|---|---|${POLICIES.map(() => '---').join('|')}|`);
  for (const [name, s] of shippedExamples()) {
    const c = comparePolicies(engine, s);
    const cells = POLICIES.map((p) => {
      const r = c.results.find((x) => x.policy === p);
      if (!r) return 'n/a';
      const cert = r.certificate;
      const marks: string[] = [];
      if (cert.sharingIncentiveViolations.length) marks.push(`SI x${cert.sharingIncentiveViolations.length}`);
      if (cert.maxEnvy > 0.01) marks.push(cert.maxEnvy >= 1e6 ? 'EF inf' : cert.maxEnvy < 0.5 ? `EF +${Math.round(cert.maxEnvy * 100)}%` : `EF ${(1 + cert.maxEnvy).toFixed(1)}x`);
      if (!cert.cleared) marks.push('idle');
      const v = (cert.geoMeanPerf ?? 0).toFixed(2);
      return p === 'spirit' ? `**${v}**` : marks.length ? `${v} (${marks.join(', ')})` : v;
    });
    rows.push(`| ${name} | ${s.apps.length} | ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

/** The shipped examples, validated, by name, in name order. */
function shippedExamples(): [string, Scenario][] {
  const dir = join(import.meta.dirname, '..', 'examples');
  return readdirSync(dir).filter((x) => x.endsWith('.json')).sort()
    .map((f) => [f.replace('.json', ''), validateScenario(JSON.parse(readFileSync(join(dir, f), 'utf8'))).scenario]);
}

/**
 * The two modes on one scale: each result's gain over static unsplit (service/market/gain.ts), for static with
 * page splits (each app its equal share on its hull: the data plane's gain alone), spirit on the curves as given
 * (--no-convexify), spirit convexified (the default), and ideal in both modes where it runs.
 */
export async function gainTable(): Promise<string> {
  const engine = await createEngine('wasm');
  const cols: { head: string; policy: 'static' | 'spirit' | 'ideal'; convexify: boolean }[] = [
    { head: 'static, split', policy: 'static', convexify: true },
    { head: 'spirit unsplit', policy: 'spirit', convexify: false },
    { head: 'spirit convexified', policy: 'spirit', convexify: true },
    { head: 'ideal unsplit', policy: 'ideal', convexify: false },
    { head: 'ideal convexified', policy: 'ideal', convexify: true },
  ];
  const rows = [`| example | apps | ${cols.map((c) => c.head).join(' | ')} |`, `|---|---|${cols.map(() => '---').join('|')}|`];
  for (const [name, s] of shippedExamples()) {
    const cells = cols.map((c) => {
      if (c.policy === 'ideal' && s.apps.length > IDEAL_MAX_APPS) return 'n/a';
      const g = gainOverUnsplitStatic(engine, s, solveScenario(engine, s, { policy: c.policy, convexify: c.convexify })).toFixed(2);
      return c.policy === 'spirit' && c.convexify ? `**${g}**` : g;
    });
    rows.push(`| ${name} | ${s.apps.length} | ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await qualityTable());
