// What a result gives apps against today's static partitioning: the geometric mean over apps of the throughput
// of each app's bundle, on the curve the data plane realizes (the hull when the result split the app, the
// curve as given otherwise), over its throughput at its unsplit weighted equal share. Unlike a certificate's
// normalized performance (over the fair share on the curves the market planned on), this compares results of
// both modes on one scale.
import type { Engine } from './engine.ts';
import { buildProblem } from './problem.ts';
import type { Scenario, SolveResult } from '../scenario/types.ts';
import { shareOf } from '../units.ts';

export function gainOverUnsplitStatic(engine: Engine, s: Scenario, r: SolveResult): number {
  const raw = buildProblem(s, { convexify: false });
  engine.load(raw);
  const ref = Array.from({ length: raw.n }, (_, i) => engine.refPerf(i));
  const planned = buildProblem(s, { convexify: r.convexified ?? false });
  engine.load(planned);
  let log = 0;
  r.allocations.forEach((a, i) => {
    log += Math.log(engine.perf(i, shareOf(a.cacheMB, s.capacity.cacheMB), shareOf(a.bandwidthMbps, s.capacity.bandwidthMbps)) / ref[i]);
  });
  return Math.exp(log / raw.n);
}
