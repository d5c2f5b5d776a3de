// `spirit solve` and `spirit compare` as a user runs them: real processes, output checked against the
// contract (spec/result.schema.json, spec/cli.md), exit codes 0 / 2 / 1.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import { ROOT } from './helpers.ts';

const BIN = join(ROOT, 'bin', 'spirit.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

// ajv ships CommonJS: its class is the module's default export
const Ajv2020 = (Ajv2020Module as unknown as { default: typeof Ajv2020Module }).default ?? Ajv2020Module;
const ajv = new (Ajv2020 as unknown as new (o: object) => import('ajv').default)({ strict: false });
const validateResult = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'spec', 'result.schema.json'), 'utf8')));

describe('spirit solve (CLI)', () => {
  it('prints one result document that satisfies spec/result.schema.json, with elapsedMs', () => {
    const r = run('solve', 'examples/paper-mix.json');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validateResult(doc), JSON.stringify(validateResult.errors)).toBe(true);
    expect(doc.policy).toBe('spirit');
    expect(doc.elapsedMs).toBeGreaterThan(0);
    expect(doc.allocations.map((a: { id: string }) => a.id)).toEqual(['stream-0', 'stream-1', 'stream-2', 'kvs-3', 'dlrm-4', 'social-5']);
    // the shipped example's curves are clean: no warning on any solve
    expect(r.stderr).not.toMatch(/warning/);
    // measured-noise smoothing is reported on stderr, not mixed into stdout
    const noisy = JSON.parse(readFileSync(join(ROOT, 'examples', 'paper-mix.json'), 'utf8')) as { apps: { id: string; model: { mrc: number[][] } }[] };
    noisy.apps[5].model.mrc[3][1] = noisy.apps[5].model.mrc[2][1] + 0.04;
    const file = join(mkdtempSync(join(tmpdir(), 'spirit-noisy-')), 'noisy.json');
    writeFileSync(file, JSON.stringify(noisy));
    const n = run('solve', file);
    expect(n.status, n.stderr).toBe(0);
    expect(n.stderr).toMatch(/warning: .*noisy\.json: app 'social-5'.*smoothed/);
    expect(JSON.parse(n.stdout).warnings[0]).toMatch(/social-5/);
  });

  it('runs every policy named in the contract', () => {
    for (const policy of ['spirit', 'static', 'drf', 'harvest', 'trade', 'ideal']) {
      const r = run('solve', 'examples/stream-vs-kvs.json', '--policy', policy);
      expect(r.status, `${policy}: ${r.stderr}`).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(validateResult(doc)).toBe(true);
      expect(doc.policy).toBe(policy);
    }
  });

  it('exits 2 with one message naming file, field and problem on bad input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spirit-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ capacity: { cacheMB: 100, bandwidthMbps: 100 }, apps: [
      { id: 'a', model: { type: 'mrc', mrc: [[0, 1], [50, 0.2], [100, 0.7]], pageBytes: 4096, localNs: 100, remoteNs: 1000 } },
    ] }));
    const r = run('solve', file);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file}: apps[0].model.mrc[2][1]: miss ratio rises from 0.2 to 0.7`);
  });

  it('exits 2 for a missing file, an unknown policy, and the ideal policy on more than 3 apps', () => {
    expect(run('solve', 'no/such/file.json').status).toBe(2);
    const p = run('solve', 'examples/paper-mix.json', '--policy', 'best');
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/best/);
    const i = run('solve', 'examples/paper-mix.json', '--policy', 'ideal');
    expect(i.status).toBe(2);
    expect(i.stderr).toMatch(/ideal policy .* at most 3 apps; this scenario has 6/);
  });

  it('solves with the TypeScript twin on request and gives the same allocation', () => {
    const a = JSON.parse(run('solve', 'examples/weighted.json').stdout);
    const b = JSON.parse(run('solve', 'examples/weighted.json', '--engine', 'ts').stdout);
    expect(a.engine).toBe('wasm');
    expect(b.engine).toBe('ts');
    expect(b.allocations.map((x: { cacheMB: number }) => Math.round(x.cacheMB))).toEqual(a.allocations.map((x: { cacheMB: number }) => Math.round(x.cacheMB)));
  });

  it('compare shows every policy with min and geometric mean', () => {
    const r = run('compare', 'examples/stream-vs-kvs.json');
    expect(r.status, r.stderr).toBe(0);
    for (const p of ['spirit', 'static', 'drf', 'harvest', 'trade', 'ideal']) expect(r.stdout).toMatch(new RegExp(`^${p}\\s`, 'm'));
    expect(r.stdout).toMatch(/geo mean/);
    const j = JSON.parse(run('compare', 'examples/paper-mix.json', '--json').stdout);
    expect(j.results).toHaveLength(5);
    expect(j.skipped[0].policy).toBe('ideal');
  });

  it('generate prints a valid seeded scenario (same seed, same scenario) and rejects bad options', () => {
    const a = run('generate', '--apps', '12', '--seed', '5', '--limits', '0.3', '--weighted', '0.3');
    expect(a.status, a.stderr).toBe(0);
    const s = JSON.parse(a.stdout);
    expect(s.apps).toHaveLength(12);
    expect(run('generate', '--apps', '12', '--seed', '5', '--limits', '0.3', '--weighted', '0.3').stdout).toBe(a.stdout);
    expect(run('generate', '--apps', '12', '--seed', '6').stdout).not.toBe(a.stdout);
    const bad = run('generate', '--apps', '-3');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--apps: must be an integer/);
    expect(run('generate', '--apps', '3', '--mix', 'stream,nope').stderr).toMatch(/unknown archetype 'nope'/);
  });
});
