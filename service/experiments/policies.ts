// Experiment `policies`: every policy on every shipped example (the paper's setups): geometric mean and minimum
// of normalized performance, envy, idle capacity; a table and two charts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { comparePolicies } from '../market/compare.ts';
import { createEngine } from '../market/engines.ts';
import { POLICIES } from '../scenario/types.ts';
import { validateScenario } from '../scenario/validate.ts';
import { barChart } from './svg.ts';
import type { Experiment, ExperimentOutput } from './types.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

export const policiesExperiment: Experiment = {
  name: 'policies',
  description: 'every policy on every shipped example: fairness and efficiency side by side',
  async run(): Promise<ExperimentOutput> {
    const engine = await createEngine('wasm');
    const rows: Record<string, unknown>[] = [];
    const names = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
    const gm: Record<string, number[]> = Object.fromEntries(POLICIES.map((p) => [p, []]));
    const mins: Record<string, number[]> = Object.fromEntries(POLICIES.map((p) => [p, []]));
    const table = [`| example | ${POLICIES.join(' | ')} |`, `|---|${POLICIES.map(() => '---').join('|')}|`];
    for (const f of names) {
      const s = validateScenario(JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8'))).scenario;
      const c = comparePolicies(engine, s);
      const cells: string[] = [];
      const per: Record<string, unknown> = {};
      for (const p of POLICIES) {
        const r = c.results.find((x) => x.policy === p);
        gm[p].push(r ? r.certificate.geoMeanPerf ?? NaN : NaN);
        mins[p].push(r ? r.certificate.minPerf ?? NaN : NaN);
        if (!r) { cells.push('n/a'); continue; }
        const cert = r.certificate;
        per[p] = {
          geoMeanPerf: cert.geoMeanPerf, minPerf: cert.minPerf, maxEnvy: cert.maxEnvy,
          sharingIncentiveViolations: cert.sharingIncentiveViolations.length, cleared: cert.cleared,
          idleCacheShare: cert.leftoverCacheMB / s.capacity.cacheMB, idleBandwidthShare: cert.leftoverBandwidthMbps / s.capacity.bandwidthMbps,
        };
        const marks = [cert.sharingIncentiveViolations.length ? `SI x${cert.sharingIncentiveViolations.length}` : '', cert.maxEnvy > 0.01 ? 'EF' : '', cert.cleared ? '' : 'idle'].filter(Boolean);
        cells.push(`${(cert.geoMeanPerf ?? 0).toFixed(2)}${marks.length ? ` (${marks.join(', ')})` : ''}`);
      }
      table.push(`| ${f.replace('.json', '')} | ${cells.join(' | ')} |`);
      rows.push({ example: f.replace('.json', ''), apps: s.apps.length, policies: per });
    }
    const cats = names.map((f) => f.replace('.json', ''));
    return {
      summary: { examples: rows },
      files: {
        'table.md': table.join('\n') + '\n',
        'geomean.svg': barChart('geometric mean of normalized performance (higher is better)', 'normalized performance', cats,
          POLICIES.map((p) => ({ name: p, values: gm[p].map((v) => Math.min(v, 10)) }))),
        'minimum.svg': barChart('worst-off app (below 1: someone does worse than its equal share)', 'normalized performance', cats,
          POLICIES.map((p) => ({ name: p, values: mins[p].map((v) => Math.min(v, 10)) }))),
      },
    };
  },
};
