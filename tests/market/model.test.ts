// Model evaluation (DESIGN.md section 3) in both engines, against the formula written out in MB and Mbps.
import { describe, expect, it } from 'vitest';
import { CURVE_MARGIN_SHARE, missFloorOf } from '../../service/market/convex.ts';
import { MRC_HEADER } from '../../service/market/encoding.ts';
import { buildProblem } from '../../service/market/problem.ts';
import type { Scenario } from '../../service/scenario/types.ts';
import { engines } from './helpers.ts';

const scenario: Scenario = {
  capacity: { cacheMB: 4096, bandwidthMbps: 4000 },
  apps: [
    { id: 'kvs', model: { type: 'mrc', mrc: [[0, 1], [1000, 0.4], [2000, 0.1], [3000, 0]], pageBytes: 4096, localNs: 300, remoteNs: 5000 } },
    { id: 'cliff', model: { type: 'mrc', mrc: [[500, 1], [1500, 0.985], [1600, 0.01]], pageBytes: 8192, localNs: 60, remoteNs: 6000 } },
    { id: 'grid', model: { type: 'surface', cacheMB: [0, 1024, 4096], bandwidthMbps: [0, 2000, 4000], throughput: [[0, 100, 150], [0, 400, 450], [10, 500, 520]] } },
  ],
};

/** The model's formula, in the units of the scenario (DESIGN.md section 3). */
function expectedMrc(mrc: number[][], pageBytes: number, localNs: number, remoteNs: number, cacheMB: number, mbps: number): number {
  let m: number;
  if (cacheMB <= mrc[0][0]) m = mrc[0][1];
  else if (cacheMB >= mrc[mrc.length - 1][0]) m = mrc[mrc.length - 1][1];
  else {
    let k = 0;
    while (mrc[k + 1][0] < cacheMB) k++;
    m = mrc[k][1] + ((cacheMB - mrc[k][0]) / (mrc[k + 1][0] - mrc[k][0])) * (mrc[k + 1][1] - mrc[k][1]);
  }
  const latency = 1e9 / (localNs + m * remoteNs);
  const bandwidth = m > 0 ? (mbps * 1e6 / 8) / (m * pageBytes) : Infinity;
  return Math.min(latency, bandwidth);
}

/** The models exactly as given: no error margin, no miss-ratio floor, no convex hull. */
const AS_GIVEN = { margin: 0, missFloor: 0, convexify: false };

describe('model evaluation', () => {
  it('matches the mrc formula (latency- and bandwidth-bound, between and beyond points) in both engines', async () => {
    const p = buildProblem(scenario, AS_GIVEN);
    for (const e of Object.values(await engines())) {
      e.load(p);
      for (const [i, app] of [[0, scenario.apps[0]], [1, scenario.apps[1]]] as const) {
        const m = app.model as { mrc: number[][]; pageBytes: number; localNs: number; remoteNs: number };
        for (const cacheMB of [0, 250, 500, 999, 1000, 1550, 1600, 2500, 3000, 4096]) {
          for (const mbps of [1, 100, 1000, 4000]) {
            const got = e.perf(i, cacheMB / 4096, mbps / 4000);
            const want = expectedMrc(m.mrc, m.pageBytes, m.localNs, m.remoteNs, cacheMB, mbps);
            expect(got / want, `${e.kind} ${app.id} ${cacheMB} MB ${mbps} Mbps`).toBeCloseTo(1, 10);
          }
        }
      }
    }
  });

  it('interpolates a surface bilinearly and clamps beyond its grid, in both engines', async () => {
    const p = buildProblem(scenario, AS_GIVEN);
    for (const e of Object.values(await engines())) {
      e.load(p);
      expect(e.perf(2, 1024 / 4096, 2000 / 4000)).toBeCloseTo(400, 9); // a grid point
      expect(e.perf(2, 512 / 4096, 1000 / 4000)).toBeCloseTo((0 + 100 + 0 + 400) / 4, 9); // cell centre
      expect(e.perf(2, 1024 / 4096, 3000 / 4000)).toBeCloseTo(425, 9); // edge midpoint
      expect(e.perf(2, 1, 1)).toBeCloseTo(520, 9);
    }
  });

  it('reports each app\'s throughput at its reference bundle (the weighted equal split)', async () => {
    const p = buildProblem(scenario);
    const { wasm, ts } = await engines();
    wasm.load(p);
    ts.load(p);
    for (let i = 0; i < 3; i++) {
      expect(wasm.refPerf(i)).toBeCloseTo(ts.refPerf(i), 6);
      expect(wasm.refPerf(i)).toBeCloseTo(wasm.perf(i, 1 / 3, 1 / 3), 9);
    }
  });

  it('plans every model with the error margin and the miss-ratio floor: f((1 - margin) x, (1 - margin) y), misses >= floor', async () => {
    const p = buildProblem(scenario, { convexify: false });
    expect(p.margin).toBe(CURVE_MARGIN_SHARE);
    const shrink = 1 - CURVE_MARGIN_SHARE;
    for (const e of Object.values(await engines())) {
      e.load(p);
      for (const [i, app] of [[0, scenario.apps[0]], [1, scenario.apps[1]]] as const) {
        const m = app.model as { mrc: number[][]; pageBytes: number; localNs: number; remoteNs: number };
        const floored = m.mrc.map(([c, v]) => [c, Math.max(missFloorOf(m.localNs, m.remoteNs), v)]);
        for (const cacheMB of [0, 250, 999, 1000, 1001, 1600, 2999, 3000, 3003, 4096]) {
          for (const mbps of [1, 100, 1000, 4000]) {
            const got = e.perf(i, cacheMB / 4096, mbps / 4000);
            const want = expectedMrc(floored, m.pageBytes, m.localNs, m.remoteNs, cacheMB * shrink, mbps * shrink);
            expect(got / want, `${e.kind} ${app.id} ${cacheMB} MB ${mbps} Mbps`).toBeCloseTo(1, 9);
          }
        }
      }
      // a surface: its grid seen with the margin less of both resources
      expect(e.perf(2, 1024 / 4096 / shrink, 2000 / 4000 / shrink)).toBeCloseTo(400, 9);
    }
    // at 3000 MB the kvs reaches no misses in the scenario, but is planned with the floor's trickle of them:
    // 1e-4, or less where that would cost more than 0.2% of the latency bound (300 ns local, 5000 ns remote)
    expect(p.models[p.modelOff[0] + MRC_HEADER + 2 * 4 - 1]).toBe(Math.min(1e-4, (0.002 * 300) / 5000));
  });
});
