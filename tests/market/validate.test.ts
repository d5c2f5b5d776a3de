// Scenario validation: every kind of bad input is rejected with a message naming the field and the problem.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../service/errors.ts';
import { parseScenarioText, validateScenario } from '../../service/scenario/validate.ts';
import { nonIncreasingFit } from '../../service/scenario/isotonic.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES_DIR, loadExample } from './helpers.ts';

const mrcApp = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  model: { type: 'mrc', mrc: [[0, 1], [100, 0.5], [200, 0]], pageBytes: 4096, localNs: 100, remoteNs: 5000 },
  ...extra,
});
const base = () => ({ capacity: { cacheMB: 1000, bandwidthMbps: 1000 }, apps: [mrcApp('a'), mrcApp('b')] });

function rejects(input: unknown, where: string | RegExp, problem: RegExp): void {
  let err: unknown;
  try {
    validateScenario(input);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an InputError').toBeInstanceOf(InputError);
  const e = err as InputError;
  if (typeof where === 'string') expect(e.where).toBe(where); else expect(e.where).toMatch(where);
  expect(e.problem).toMatch(problem);
}

describe('scenario validation', () => {
  it('accepts every shipped example', () => {
    for (const name of ['identical-pair', 'limits', 'many-48', 'paper-mix', 'stream-vs-kvs', 'surface-pair', 'weighted']) {
      expect(loadExample(name).apps.length).toBeGreaterThan(0);
    }
  });

  it('rejects text that is not JSON, naming the parse error', () => {
    expect(() => parseScenarioText('{"capacity":')).toThrow(/not valid JSON/);
  });

  it('rejects missing and mistyped fields with their path', () => {
    rejects({ apps: [] }, 'capacity', /expected object|Invalid input/i);
    const s = base();
    (s.apps[1].model as Record<string, unknown>).localNs = 'fast';
    rejects(s, 'apps[1].model.localNs', /expected number/);
  });

  it('rejects unknown fields (the schema is closed)', () => {
    const s = { ...base(), extra: 1 };
    rejects(s, '(root)', /Unrecognized key/i);
  });

  it('rejects numbers that are not finite', () => {
    const text = JSON.stringify(base()).replace('"bandwidthMbps":1000', '"bandwidthMbps":1e999');
    expect(() => parseScenarioText(text)).toThrow(InputError);
    try { parseScenarioText(text); } catch (e) { expect((e as InputError).where).toBe('capacity.bandwidthMbps'); }
  });

  it('rejects non-positive capacity, weights and latencies', () => {
    rejects({ ...base(), capacity: { cacheMB: 0, bandwidthMbps: 1 } }, 'capacity.cacheMB', /greater than 0|>0/i);
    const s = base();
    (s.apps[0] as Record<string, unknown>).weight = -1;
    rejects(s, 'apps[0].weight', /0/);
  });

  it('rejects duplicate ids', () => {
    const s = base();
    s.apps[1].id = 'a';
    rejects(s, 'apps[1].id', /duplicate id 'a'.*apps\[0\]/);
  });

  it('rejects a miss-ratio curve whose cache sizes do not increase', () => {
    const s = base();
    (s.apps[0].model as { mrc: number[][] }).mrc = [[0, 1], [100, 0.5], [100, 0.4]];
    rejects(s, 'apps[0].model.mrc[2][0]', /strictly increasing/);
  });

  it('rejects a miss-ratio curve that rises by more than measurement noise', () => {
    const s = base();
    (s.apps[0].model as { mrc: number[][] }).mrc = [[0, 1], [100, 0.2], [200, 0.6]];
    rejects(s, 'apps[0].model.mrc[2][1]', /non-increasing.*larger/);
  });

  it('smooths small rises in a measured curve into the nearest non-increasing one, with a warning', () => {
    const s = base();
    (s.apps[0].model as { mrc: number[][] }).mrc = [[0, 1], [100, 0.3], [200, 0.34], [300, 0.1]];
    const { scenario, warnings } = validateScenario(s);
    const m = (scenario.apps[0].model as { mrc: number[][] }).mrc.map((p) => p[1]);
    for (let k = 1; k < m.length; k++) expect(m[k]).toBeLessThanOrEqual(m[k - 1]);
    expect(m[1]).toBeCloseTo(0.32, 10);
    expect(m[2]).toBeCloseTo(0.32, 10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/app 'a'.*rises from 0.3 to 0.34/);
  });

  it('in strict mode rejects any rise', () => {
    const s = base();
    (s.apps[0].model as { mrc: number[][] }).mrc = [[0, 1], [100, 0.3], [200, 0.3001]];
    expect(() => validateScenario(s, { strict: true })).toThrow(/non-increasing/);
  });

  it('does not modify its input', () => {
    const s = base();
    (s.apps[0].model as { mrc: number[][] }).mrc = [[0, 1], [100, 0.3], [200, 0.34]];
    const copy = JSON.stringify(s);
    validateScenario(s);
    expect(JSON.stringify(s)).toBe(copy);
  });

  it('returns a scenario that shares no object or array with its input', () => {
    const input = JSON.parse(readFileSync(join(EXAMPLES_DIR, 'paper-mix.json'), 'utf8')) as { apps: unknown[] };
    input.apps.push({ id: 'surf', model: { type: 'surface', cacheMB: [0, 100], bandwidthMbps: [0, 100], throughput: [[0, 2], [1, 3]] } });
    const seen = new Set<object>();
    const collect = (v: unknown): void => {
      if (v === null || typeof v !== 'object') return;
      seen.add(v);
      for (const x of Object.values(v)) collect(x);
    };
    collect(input);
    const shared: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (v === null || typeof v !== 'object') return;
      if (seen.has(v)) shared.push(path);
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    };
    walk(validateScenario(input).scenario, '(root)');
    expect(shared).toEqual([]);
    expect(seen.size).toBeGreaterThan(50);
  });

  it('checks surface axes and dimensions', () => {
    const surf = (cacheMB: number[], bandwidthMbps: number[], throughput: number[][]) =>
      ({ capacity: { cacheMB: 100, bandwidthMbps: 100 }, apps: [{ id: 's', model: { type: 'surface', cacheMB, bandwidthMbps, throughput } }] });
    rejects(surf([0, 50, 50], [0, 100], [[0, 1], [0, 2], [0, 3]]), 'apps[0].model.cacheMB[2]', /strictly increasing/);
    rejects(surf([0, 100], [0, 100], [[0, 1]]), 'apps[0].model.throughput', /2 rows|1 rows/);
    rejects(surf([0, 100], [0, 100], [[0, 1], [0]]), 'apps[0].model.throughput[1]', /1 values; expected/);
    rejects(surf([0, 100], [0, 100], [[0, 0], [0, 0]]), 'apps[0].model.throughput', /zero everywhere/);
    rejects(surf([0, 100], [0, 100], [[0, 10], [0, 1]]), /apps\[0\]\.model\.throughput\[1\]\[1\]/, /non-decreasing/);
  });

  it('checks limits against each other and against capacity', () => {
    const s = base();
    (s.apps[0] as Record<string, unknown>).limits = { minCacheMB: 500, maxCacheMB: 100 };
    rejects(s, 'apps[0].limits.minCacheMB', /above maxCacheMB/);
    const t = base();
    (t.apps[0] as Record<string, unknown>).limits = { minBandwidthMbps: 2000 };
    rejects(t, 'apps[0].limits.minBandwidthMbps', /more than the node's whole bandwidth capacity/);
  });

  it('rejects minimum limits that cannot all be met, saying so plainly', () => {
    const s = base();
    (s.apps[0] as Record<string, unknown>).limits = { minCacheMB: 600 };
    (s.apps[1] as Record<string, unknown>).limits = { minCacheMB: 600 };
    rejects(s, 'apps[*].limits.minCacheMB', /adds up to 1200 MB but the node has only 1000 MB: these minima cannot all be met/);
  });

  it('pool-adjacent-violators fit is non-increasing and keeps the mean', () => {
    const v = [1, 0.5, 0.6, 0.2, 0.25, 0.1];
    const f = nonIncreasingFit(v);
    for (let k = 1; k < f.length; k++) expect(f[k]).toBeLessThanOrEqual(f[k - 1] + 1e-15);
    expect(f.reduce((a, b) => a + b)).toBeCloseTo(v.reduce((a, b) => a + b), 12);
  });
});
