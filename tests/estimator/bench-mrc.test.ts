// `spirit bench mrc --json --quick` runs end to end and reports every figure it promises (speed is measured,
// never asserted: tests check correctness only).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/spirit.js', import.meta.url).pathname;

describe('spirit bench mrc', () => {
  it('prints one JSON document with WASM and TypeScript rates, their ratios, accuracy and fit speed', () => {
    const r = spawnSync(process.execPath, [BIN, 'bench', 'mrc', '--json', '--quick'], { encoding: 'utf8', timeout: 400_000 });
    expect(r.status, r.stderr).toBe(0);
    const f = JSON.parse(r.stdout);
    for (const key of ['exact', 'sampled']) {
      const s = f[key];
      expect(s.wasmAccessesPerSec).toBeGreaterThan(0);
      expect(s.tsAccessesPerSec).toBeGreaterThan(0);
      expect(s.ratio).toBeCloseTo(s.wasmAccessesPerSec / s.tsAccessesPerSec, 9);
      expect(typeof s.met).toBe('boolean');
    }
    expect(f.sampled.rate).toBe(0.01);
    expect(f.trace.accesses).toBe(1_000_000);
    expect(f.trace.distinctPages).toBeGreaterThan(100_000);
    expect(f.accuracy.maeAt1Percent).toBeGreaterThanOrEqual(0);
    expect(f.accuracy.maeAt1Percent).toBeLessThan(0.05);
    expect(f.fit.wasmFitsPerSec).toBeGreaterThan(0);
    expect(f.fit.tsFitsPerSec).toBeGreaterThan(0);
    // and the window an estimator refits at every epoch close in steady state
    expect(f.fit.window.samples).toBe(512);
    expect(f.fit.window.wasmFitsPerSec).toBeGreaterThan(0);
    expect(f.fit.window.ratio).toBeCloseTo(f.fit.window.wasmFitsPerSec / f.fit.window.tsFitsPerSec, 6);
    // the epoch close in steady state, carrying fits over against refitting every close, on the same records
    const c = f.epochClose;
    expect(c.apps).toBe(16);
    expect(c.closesTimed).toBe(16 * 6);
    expect(c.ratio).toBeCloseTo(c.refitMsPerClose / c.carryMsPerClose, 6);
    expect(c.refitShare).toBeGreaterThan(0);
    expect(c.refitShare).toBeLessThan(1); // some closes carried the fit over
    // and the carried models predict about as well as the refitted ones (5% noise; errors are |ln| ratios)
    expect(c.carryError.median).toBeLessThan(0.05);
    expect(c.carryError.p90).toBeLessThan(Math.max(0.1, 2 * c.refitError.p90));
  }, 420_000);
});
