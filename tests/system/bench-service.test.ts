// `spirit bench service --quick --json`: the document's shape and the relations between its figures (never
// their speed): every round of every server measured (and of the varied load: a different scenario in every
// request), each ratio taken within its round and the reported one their median, no failed request, every
// telemetry record ingested both live and from a backlog.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cleanEnv, SPIRIT } from './procs.ts';

interface Load { requestsPerSec: number; p50Ms: number; p99Ms: number; non2xx: number; errors: number; requests: number }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

describe('spirit bench service --quick --json', () => {
  it('prints one JSON document of figures with ratios against the ceiling measured in the same rounds', () => {
    const r = spawnSync(process.execPath, [SPIRIT, 'bench', 'service', '--quick', '--json'], { encoding: 'utf8', env: cleanEnv(), timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    const f = JSON.parse(r.stdout) as {
      http: {
        ceiling: Load; solve: Load; solveCached: Load; ceilingVaried: Load & { distinct: number; seed: number }; solveVaried: Load & { distinct: number; seed: number };
        solveVsCeiling: number; solveCachedVsCeiling: number; solveVariedVsCeiling: number; solveVariedVsCliCeiling: number; rounds: number;
        trials: {
          ceiling: number[]; solve: number[]; solveCached: number[]; ceilingVaried: number[]; solveVaried: number[];
          solveVsCeiling: number[]; solveCachedVsCeiling: number[]; solveVariedVsCeiling: number[]; solveVariedVsCliCeiling: number[]; loadAvg1m: number[];
        };
      };
      ingest: { records: number; ingestedAll: boolean; ingestLivePerSec: number; ingestBacklogPerSec: number; redisBenchmarkXaddPerSec: number };
      targets: {
        solveAtLeastHalfOfCeiling: { metUncached: boolean; metCached: boolean; cached: number };
        variedAtLeastQuarterOfCeiling: { varied: number; met: boolean };
        ingestAtLeast50kPerSec: { metBacklog: boolean };
      };
    };
    const h = f.http;
    expect(h.rounds).toBe(2);
    for (const k of ['ceiling', 'solve', 'solveCached', 'ceilingVaried', 'solveVaried'] as const) {
      expect(h.trials[k]).toHaveLength(h.rounds);
      expect(h[k].non2xx).toBe(0);
      expect(h[k].errors).toBe(0);
      expect(h[k].requests).toBeGreaterThan(0);
      expect(h.trials[k]).toContain(h[k].requestsPerSec);  // the median round's own figures
    }
    // the load average beside each round's figures
    expect(h.trials.loadAvg1m).toHaveLength(h.rounds);
    for (const l of h.trials.loadAvg1m) expect(l).toBeGreaterThanOrEqual(0);
    h.trials.solveCachedVsCeiling.forEach((ratio, i) => expect(ratio).toBeCloseTo(h.trials.solveCached[i] / h.trials.ceiling[i], 2));
    expect(h.solveCachedVsCeiling).toBeCloseTo(median(h.trials.solveCached.map((v, i) => v / h.trials.ceiling[i])), 2);
    expect(h.solveVsCeiling).toBeCloseTo(median(h.trials.solve.map((v, i) => v / h.trials.ceiling[i])), 2);
    expect(f.targets.solveAtLeastHalfOfCeiling.cached).toBe(h.solveCachedVsCeiling);
    // every request new: a pool of distinct valid mixes (each solved: no 4xx above), new seeds every run, the
    // same ones for the ceiling loaded by that generator; the ratio within the round against that ceiling
    expect(h.solveVaried.distinct).toBeGreaterThan(1000);
    expect(Number.isInteger(h.solveVaried.seed)).toBe(true);
    expect(h.trials.solveVaried).toContain(h.solveVaried.requestsPerSec);
    expect(h.solveVariedVsCeiling).toBeCloseTo(median(h.trials.solveVaried.map((v, i) => v / h.trials.ceilingVaried[i])), 2);
    expect(h.solveVariedVsCliCeiling).toBeCloseTo(median(h.trials.solveVaried.map((v, i) => v / h.trials.ceiling[i])), 2);
    expect(f.targets.variedAtLeastQuarterOfCeiling.varied).toBe(h.solveVariedVsCeiling);
    expect(typeof f.targets.solveAtLeastHalfOfCeiling.metCached).toBe('boolean');
    expect(f.ingest.ingestedAll).toBe(true);
    expect(f.ingest.ingestLivePerSec).toBeGreaterThan(0);
    expect(f.ingest.ingestBacklogPerSec).toBeGreaterThan(0);
    expect(f.ingest.redisBenchmarkXaddPerSec).toBeGreaterThan(0);
  }, 660_000);
});
