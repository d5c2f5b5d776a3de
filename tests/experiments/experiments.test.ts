// `spirit experiment`: the policies experiment as a user runs it (real process), its files, and bad names.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { barChart, lineChart } from '../../service/experiments/svg.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'spirit.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

describe('spirit experiment', () => {
  it('policies: summary JSON on stdout, a table and two charts on disk, spirit fair everywhere', () => {
    const out = mkdtempSync(join(tmpdir(), 'spirit-exp-'));
    const r = run('experiment', 'policies', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.experiment).toBe('policies');
    expect(doc.examples).toHaveLength(readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).length);
    for (const e of doc.examples) {
      expect(e.policies.spirit.sharingIncentiveViolations).toBe(0);
      expect(e.policies.spirit.maxEnvy).toBeLessThanOrEqual(0.01);
      expect(e.policies.spirit.geoMeanPerf).toBeGreaterThanOrEqual(e.policies.static.geoMeanPerf - 1e-9);
    }
    expect(doc.files.map((f: string) => f.split('/').pop()).sort()).toEqual(['geomean.svg', 'minimum.svg', 'table.md']);
    const table = readFileSync(join(out, 'policies', 'table.md'), 'utf8');
    expect(table).toMatch(/^\| example \| spirit \| static/);
    expect(readFileSync(join(out, 'policies', 'geomean.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<rect[\s\S]*<\/svg>\n$/);
  });

  it('an unknown experiment is bad input (exit 2, naming the choices)', () => {
    const r = run('experiment', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown experiment 'nope'; expected one of policies, scaling/);
  });

  it('charts scale their axis to the largest value (nothing is cut off)', () => {
    const svg = barChart('t', 'y', ['a', 'b'], [{ name: 's', values: [6.22, 1] }]);
    const labels = [...svg.matchAll(/text-anchor="end">([\d.]+)</g)].map((m) => Number(m[1]));
    expect(Math.max(...labels)).toBeGreaterThanOrEqual(6.22);
    const line = lineChart('t', 'y', [8, 16, 32], [{ name: 'a', values: [1, 2, 3] }], true);
    expect(line).toContain('<polyline');
  });
});
