// `spirit bench node --quick --json`: the document's shape and the relations between its figures (never their
// speed): every archetype measured on both memories, the scan's traffic within its bandwidth limit, every
// published allocation seen applied, tick costs positive, and on the live market each app ends up with more of
// the resource it lives on than the other.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cleanEnv, SPIRIT } from './procs.ts';

type Bundle = { cacheMB: number; bandwidthMbps: number };

describe('spirit bench node --quick --json', () => {
  it('prints one JSON document of figures with ratios against local memory', () => {
    const r = spawnSync(process.execPath, [SPIRIT, 'bench', 'node', '--quick', '--json'], { encoding: 'utf8', env: cleanEnv(), timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    const f = JSON.parse(r.stdout) as {
      bandwidthMbps: number;
      archetypes: { archetype: string; localAccessesPerSec: number; farAllCachedPerSec: number; farQuarterCachedPerSec: number; quarterCachedVsLocal: number; quarterTrafficMbps: number }[];
      enforcement: { changes: number; daemonApplied: { n: number; p50Ms: number; maxMs: number }; dataPlaneApplied: { n: number }; metTarget: boolean };
      daemonTicks: { cpuMsPerTick: number; records: number; workloads: number };
      market: {
        node: { cacheMB: number; bandwidthMbps: number };
        apps: { app: string; staticOpsPerSec: number; spiritOpsPerSec: number; gain: number; staticBundle: Bundle; spiritBundle: Bundle }[];
        minGain: number; maxEnvy: number;
      };
    };
    expect(f.archetypes.map((a) => a.archetype)).toEqual(['stream', 'kv', 'embedding', 'micro']);
    for (const a of f.archetypes) {
      expect(a.localAccessesPerSec).toBeGreaterThan(0);
      expect(a.farAllCachedPerSec).toBeGreaterThan(0);
      expect(a.farQuarterCachedPerSec).toBeGreaterThan(0);
      expect(a.quarterCachedVsLocal).toBeCloseTo(a.farQuarterCachedPerSec / a.localAccessesPerSec, 2);
    }
    const stream = f.archetypes[0];
    expect(stream.quarterTrafficMbps).toBeLessThanOrEqual(f.bandwidthMbps * 1.1);  // the token bucket holds
    expect(f.enforcement.daemonApplied.n).toBe(f.enforcement.changes);
    expect(f.enforcement.dataPlaneApplied.n).toBe(f.enforcement.changes);
    expect(f.enforcement.daemonApplied.maxMs).toBeGreaterThanOrEqual(f.enforcement.daemonApplied.p50Ms);
    expect(typeof f.enforcement.metTarget).toBe('boolean');
    expect(f.daemonTicks.workloads).toBe(4);
    expect(f.daemonTicks.records).toBeGreaterThan(0);
    expect(f.daemonTicks.cpuMsPerTick).toBeGreaterThan(0);
    // the market on a live node: equal shares first, then the trade the estimator's models lead to
    const m = f.market;
    expect(m.apps.map((a) => a.app)).toEqual(['kv', 'scan']);
    for (const a of m.apps) {
      expect(a.staticBundle).toEqual({ cacheMB: m.node.cacheMB / 2, bandwidthMbps: m.node.bandwidthMbps / 2 });
      expect(a.staticOpsPerSec).toBeGreaterThan(0);
      expect(a.gain).toBeCloseTo(a.spiritOpsPerSec / a.staticOpsPerSec, 1);
    }
    const [kv, scan] = m.apps;
    // the scan lives on bandwidth and the key-value store on cache: each ends up with more of what it needs
    expect(scan.spiritBundle.bandwidthMbps).toBeGreaterThan(kv.spiritBundle.bandwidthMbps);
    expect(kv.spiritBundle.cacheMB).toBeGreaterThan(scan.spiritBundle.cacheMB);
    expect(kv.spiritBundle.cacheMB + scan.spiritBundle.cacheMB).toBeLessThanOrEqual(m.node.cacheMB + 0.02);
    expect(kv.spiritBundle.bandwidthMbps + scan.spiritBundle.bandwidthMbps).toBeLessThanOrEqual(m.node.bandwidthMbps + 0.2);
    expect(m.minGain).toBe(Math.min(kv.gain, scan.gain));
    expect(m.maxEnvy).toBeGreaterThanOrEqual(0);
  }, 660_000);
});
