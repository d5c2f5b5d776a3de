// Units of exploration (service/control/explore.ts) and of the next-round region (regions.ts): offsets are
// trades, bounded, zero-sum between two or more explorers, average to the equal share over a cycle, grow while
// an app stays unknown (up to the trust region), respect limits; apps pinned without telemetry do not explore.
import { describe, expect, it } from 'vitest';
import type { AppRecord } from '../../service/bus/types.ts';
import { EXPLORE_CYCLE_ROUNDS, explorationOffsets, type Explorer } from '../../service/control/explore.ts';
import { nextRoundRegion } from '../../service/control/regions.ts';
import { buildRoundScenario, type AppInput } from '../../service/control/round-scenario.ts';

const explorer = (id: string, ref: number, o: Partial<Explorer> = {}): Explorer => ({
  id, rounds: 0, refX: ref, refY: ref, xmin: 0, xmax: 1, ymin: 0, ymax: 1, ...o,
});

describe('explorationOffsets', () => {
  for (const k of [1, 2, 3, 5]) {
    it(`${k} explorer(s): trades, bounded, ${k >= 2 ? 'zero-sum every round, ' : ''}zero on average over a cycle`, () => {
      const ex = Array.from({ length: k }, (_, j) => explorer(`a${j}`, 1 / (k + 1)));
      const mean = new Map<string, { x: number; y: number }>();
      let moved = 0;
      for (let round = 0; round < 3 * EXPLORE_CYCLE_ROUNDS; round++) {
        const off = explorationOffsets(round, ex, { share: 0.05 });
        expect(off.size).toBe(k);
        let sx = 0, sy = 0;
        for (const [id, { dx, dy }] of off) {
          expect(dx * dy).toBeLessThanOrEqual(0); // more of one, less of the other: never dominated
          expect(Math.abs(dx)).toBeLessThanOrEqual(0.05 + 1e-12);
          expect(Math.abs(dy)).toBeLessThanOrEqual(0.05 + 1e-12);
          if (dx !== 0) moved++;
          sx += dx; sy += dy;
          const m = mean.get(id) ?? { x: 0, y: 0 };
          mean.set(id, { x: m.x + dx, y: m.y + dy });
        }
        if (k >= 2) { expect(Math.abs(sx)).toBeLessThan(1e-12); expect(Math.abs(sy)).toBeLessThan(1e-12); }
      }
      for (const m of mean.values()) { expect(Math.abs(m.x)).toBeLessThan(1e-12); expect(Math.abs(m.y)).toBeLessThan(1e-12); }
      expect(moved).toBeGreaterThan(0);
      // deterministic
      expect(explorationOffsets(7, ex, { share: 0.05 })).toEqual(explorationOffsets(7, ex, { share: 0.05 }));
    });
  }

  it('grows while the apps stay unknown, up to maxShare and half of the smallest share', () => {
    const peak = (rounds: number, maxShare: number, ref = 0.5): number => {
      let m = 0;
      for (let r = 0; r < EXPLORE_CYCLE_ROUNDS; r++) {
        for (const { dx, dy } of explorationOffsets(r, [explorer('a', ref, { rounds }), explorer('b', ref, { rounds })], { share: 0.05, maxShare }).values()) {
          m = Math.max(m, Math.abs(dx), Math.abs(dy));
        }
      }
      return m;
    };
    expect(peak(0, 0.15)).toBeCloseTo(0.05, 12);
    expect(peak(EXPLORE_CYCLE_ROUNDS, 0.15)).toBeCloseTo(0.1, 12);
    expect(peak(10 * EXPLORE_CYCLE_ROUNDS, 0.15)).toBeCloseTo(0.15, 12);
    expect(peak(10 * EXPLORE_CYCLE_ROUNDS, 0.15, 0.2)).toBeCloseTo(0.1, 12); // half of a 20% share
  });

  it('stays within limits; an app its limits pin does not explore; share 0 means off', () => {
    const tight = explorer('tight', 0.3, { xmin: 0.295, xmax: 0.305 }); // 0.5% room vs a 5% offset
    const roomy = explorer('roomy', 0.3, { xmax: 0.32 });
    const off = explorationOffsets(0, [tight, roomy, explorer('free', 0.3)], { share: 0.05 });
    expect(off.has('tight')).toBe(false);
    for (const { dx } of off.values()) expect(Math.abs(dx)).toBeLessThanOrEqual(0.02 + 1e-12); // roomy's room, for all
    expect(explorationOffsets(0, [explorer('a', 0.5), explorer('b', 0.5)], { share: 0 }).size).toBe(0);
  });
});

describe('the predicted-loss check', () => {
  const both = (predictRatio?: Explorer['predictRatio']) => [explorer('a', 0.5, predictRatio ? { predictRatio } : {}), explorer('b', 0.5)];
  const peak = (off: Map<string, { dx: number; dy: number }>): number => Math.max(0, ...[...off.values()].map((o) => Math.abs(o.dx)));

  it('halves every offset of the round (sums stay zero) until no explorer\'s model predicts a loss over maxLoss', () => {
    const cliff = (dx: number) => (dx < -0.02 ? 0.2 : 1); // losing more than 2% of cache costs 80%
    for (let round = 0; round < EXPLORE_CYCLE_ROUNDS; round++) {
      const off = explorationOffsets(round, both(cliff), { share: 0.08 });
      const a = off.get('a')!;
      expect(a.dx).toBeGreaterThanOrEqual(-0.02);
      expect(a.dx + off.get('b')!.dx).toBeCloseTo(0, 12);
    }
    expect(peak(explorationOffsets(0, both(cliff), { share: 0.08 }))).toBeCloseTo(0.08, 12); // a gains cache: no loss
    expect(peak(explorationOffsets(2, both(cliff), { share: 0.08 }))).toBeCloseTo(0.02, 12); // 0.08 halved twice
    expect(peak(explorationOffsets(2, both(cliff), { share: 0.08, maxLoss: 1 }))).toBeCloseTo(0.08, 12); // check off
  });

  it('a round where even tiny offsets are predicted to hurt goes without exploration; a model that cannot tell does not block', () => {
    expect(explorationOffsets(0, both(() => 0), { share: 0.05 }).size).toBe(0);
    expect(explorationOffsets(0, both(() => Number.NaN), { share: 0.05 }).size).toBe(2);
  });
});

describe('exploration in the round scenario', () => {
  const cap = { cacheMB: 1000, bandwidthMbps: 1000 };
  const app = (id: string): AppRecord => ({ id, node: 'n', weight: 1, createdMs: 0, updatedMs: 0 });
  const unknown = (id: string, samples: number): AppInput => ({ app: app(id), estimate: { model: null, confidence: 0, enoughData: false, samples, epoch: 0 } });

  it('offsets only apps pinned for lack of a model whose telemetry flows; the pinned bundles stay on the node', () => {
    const r = buildRoundScenario('n', cap, [unknown('a', 5), unknown('b', 5), unknown('quiet', 0)], null, { explore: { share: 0.05 }, round: 0 });
    expect([...r.explored.keys()].sort()).toEqual(['a', 'b']);
    const byId = new Map(r.scenario.apps.map((s) => [s.id, s.limits!]));
    expect(byId.get('quiet')!.minCacheMB).toBeCloseTo(1000 / 3, 9);
    expect(byId.get('a')!.minCacheMB).not.toBeCloseTo(1000 / 3, 3);
    const total = r.scenario.apps.reduce((t, s) => t + s.limits!.minCacheMB!, 0);
    expect(total).toBeCloseTo(1000, 9);
    for (const s of r.scenario.apps) expect(s.limits!.minCacheMB).toBe(s.limits!.maxCacheMB);
    // without exploration options, the equal share exactly
    const plain = buildRoundScenario('n', cap, [unknown('a', 5), unknown('b', 5)], null);
    expect(plain.explored.size).toBe(0);
    for (const s of plain.scenario.apps) expect(s.limits!.minCacheMB).toBeCloseTo(500, 9);
  });

  it('a lone explorer with no app the market allocates has nobody to trade with: no exploration, the pins fit', () => {
    // 'b' cannot explore (its limits leave no room), so 'a' would explore alone against a node of pinned apps
    const fixed: AppInput = { ...unknown('b', 5), app: { ...app('b'), limits: { minCacheMB: 500, maxCacheMB: 500, minBandwidthMbps: 500, maxBandwidthMbps: 500 } } };
    for (let round = 0; round < 8; round++) {
      const r = buildRoundScenario('n', cap, [unknown('a', 5), fixed], null, { explore: { share: 0.05 }, round });
      for (const o of r.explored.values()) expect(Math.abs(o.dx) + Math.abs(o.dy)).toBe(0);
      const total = r.scenario.apps.reduce((t, x) => t + x.limits!.minBandwidthMbps!, 0);
      expect(total).toBeLessThanOrEqual(cap.bandwidthMbps * (1 + 1e-12));
    }
  });

  it('an app alone on its node does not explore (it gets everything whatever its model)', () => {
    expect(buildRoundScenario('n', cap, [unknown('a', 5)], null, { explore: { share: 0.05 }, round: 0 }).explored.size).toBe(0);
  });
});

describe('nextRoundRegion', () => {
  const cap = { cacheMB: 1000, bandwidthMbps: 2000 };
  const rec = (limits?: AppRecord['limits']): AppRecord => ({ id: 'a', node: 'n', weight: 1, createdMs: 0, updatedMs: 0, ...(limits ? { limits } : {}) });

  it('is the trust region around the bundle in force and the equal share, within limits and the node', () => {
    const r = nextRoundRegion(rec(), cap, 0.5, 0.5, { cacheMB: 300, bandwidthMbps: 1000 }, 0.15);
    expect(r.cacheMB[0]).toBeCloseTo(150, 9);
    expect(r.cacheMB[1]).toBeCloseTo(650, 9);
    expect(r.bandwidthMbps[0]).toBeCloseTo(700, 9);
    expect(r.bandwidthMbps[1]).toBeCloseTo(1300, 9);
    const capped = nextRoundRegion(rec({ maxCacheMB: 400, minBandwidthMbps: 900 }), cap, 0.4, 0.5, undefined, 0.15);
    expect(capped.cacheMB[1]).toBeCloseTo(400, 9);
    expect(capped.bandwidthMbps[0]).toBeCloseTo(900, 9);
    const edge = nextRoundRegion(rec(), cap, 0.95, 0.05, undefined, 0.15);
    expect(edge.cacheMB[1]).toBeCloseTo(1000, 9);
    expect(edge.bandwidthMbps[0]).toBe(0);
  });

  it('without a trust region: everything the limits allow', () => {
    const r = nextRoundRegion(rec({ maxBandwidthMbps: 500 }), cap, 0.5, 0.25, undefined, undefined);
    expect(r).toEqual({ cacheMB: [0, 1000], bandwidthMbps: [0, 500] });
  });
});
