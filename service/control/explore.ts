// Exploration: an app the estimator does not know well enough yet is pinned near its weighted equal share,
// but not exactly on it: small, bounded, deterministic offsets, so that its telemetry comes from several
// bundles and becomes identifying (an app measured at one bundle only says how it does there). It stops as
// soon as the estimator has enough data: the app then joins the market.
//
// What exploration promises (docs/service.md):
//  - every offset is a trade: more of one resource and less of the other, never less of both, so an
//    exploring app's bundle is never dominated by its equal share. Its size per resource starts at `share` of
//    capacity and doubles every cycle the app stays unknown, up to `maxShare` (the trust region: the
//    estimator must become confident over the region the market would move the app in, so exploration
//    grows until it has seen that region); always at most half of the app's own equal share and the room its
//    limits leave;
//  - offsets follow a cosine over the rounds, so over each cycle an exploring app's average bundle is its
//    equal share;
//  - two or more exploring apps: their offsets sum to zero per resource, so the pool the market divides
//    among the other apps, and every other app's reference bundle, are exactly what they were without it.
//    A lone exploring app trades with the pool: the round checks (round.ts) that every market app still does
//    at least as well as at its equal share, and drops the offset for that round otherwise.
//  - the exploring app's own throughput: all offsets of a round are halved (up to MAX_HALVINGS times, else
//    the round does not explore) until no explorer's own model, untrusted as it is, predicts a loss of more
//    than `maxLoss` (default 30%) against its equal share. That is a best effort, not a guarantee: without a
//    trusted model nobody knows for sure how the app trades cache for bandwidth. Its price: an app whose curve
//    has a cliff inside its trust region is not moved across it, so it may never be learned (it stays at
//    its equal share); maxLoss 1 turns the check off (learning first).

/** One exploring app, in capacity shares: its equal-share bundle and its limits. */
export interface Explorer {
  id: string;
  /** rounds its estimator has closed (exploration grows with them) */
  rounds: number;
  /**
   * throughput at (equal share + offset) over throughput at the equal share, as far as its (not yet trusted)
   * model can tell; absent without a model. Its curve and page size are usually known before the latency
   * branch is, and they are what makes a trade across a cliff in the curve costly.
   */
  predictRatio?: (dx: number, dy: number) => number;
  refX: number; refY: number;
  xmin: number; xmax: number; ymin: number; ymax: number;
}

export interface ExploreOptions {
  /** first offset per resource, as a share of capacity */
  share: number;
  /** largest offset per resource, as a share of capacity (the trust region); default `share` */
  maxShare?: number;
  /** the trade's slope (radians from the cache axis), instead of the one the round's cycle visits */
  angle?: number;
  /** the most an explorer's own model may predict it loses in a round; default MAX_PREDICTED_LOSS; 1 = no check */
  maxLoss?: number;
}

/** An offset is at most this share of the app's own equal share: an explored app keeps at least half of each resource. */
export const EXPLORE_MAX_OF_REF = 0.5;
/** An app whose limits leave less room than this share of the nominal offset does not explore. */
const MIN_ROOM_OF_OFFSET = 0.2;
/** The most an exploring app's own model may predict it loses in a round (share of its equal-share throughput), by default. */
export const MAX_PREDICTED_LOSS = 0.3;
/** Halvings of a round's offsets tried before the round goes without exploration. */
const MAX_HALVINGS = 5;
/** Doublings of the offset at most (bounds the growth whatever maxShare says). */
const MAX_DOUBLINGS = 4;
/** Rounds of one cycle of the cosine. */
export const EXPLORE_CYCLE_ROUNDS = 4;
/** Trade slopes visited in turn (angle between the cache axis and the trade line), so offsets span both axes. */
const TRADE_ANGLES = [Math.PI / 4, Math.PI / 8, (3 * Math.PI) / 8];
/**
 * Slopes a lone explorer may fall back to when its round's trade would cost a market app (round.ts): the
 * market apps can be made whole by trading at another rate (more bandwidth for the cache taken, or less).
 */
export const FALLBACK_TRADE_ANGLES = [Math.PI / 16, Math.PI / 8, Math.PI / 4, (3 * Math.PI) / 8, (7 * Math.PI) / 16];

/**
 * Offsets (capacity shares) of the exploring apps in round `round`; apps left out (no room) get none. All apps
 * use one amplitude per resource (the smallest any of them allows), so the offsets sum to zero when 2+ explore.
 */
export function explorationOffsets(round: number, explorers: Explorer[], o: ExploreOptions, angle?: number): Map<string, { dx: number; dy: number }> {
  const out = new Map<string, { dx: number; dy: number }>();
  if (!(o.share > 0) || explorers.length === 0) return out;
  // one growth for all (offsets of different apps must cancel): the least explored app's
  const grown = o.share * 2 ** Math.min(MAX_DOUBLINGS, Math.floor(Math.min(...explorers.map((e) => e.rounds)) / EXPLORE_CYCLE_ROUNDS));
  const amp = Math.min(grown, Math.max(o.share, o.maxShare ?? o.share));
  const nominal = (ref: number): number => Math.min(amp, EXPLORE_MAX_OF_REF * ref);
  const room = (e: Explorer, r: 'x' | 'y'): number => {
    const [ref, lo, hi] = r === 'x' ? [e.refX, e.xmin, e.xmax] : [e.refY, e.ymin, e.ymax];
    return Math.min(nominal(ref), ref - lo, hi - ref);
  };
  const fits = (e: Explorer, r: 'x' | 'y'): boolean => room(e, r) > 0 && room(e, r) >= MIN_ROOM_OF_OFFSET * nominal(r === 'x' ? e.refX : e.refY);
  const able = explorers.filter((e) => fits(e, 'x') && fits(e, 'y'));
  if (able.length === 0) return out;
  const ax = Math.min(...able.map((e) => room(e, 'x')));
  const ay = Math.min(...able.map((e) => room(e, 'y')));
  const cycle = Math.floor(round / EXPLORE_CYCLE_ROUNDS);
  const psi = angle ?? TRADE_ANGLES[((cycle % TRADE_ANGLES.length) + TRADE_ANGLES.length) % TRADE_ANGLES.length];
  const k = able.length;
  const norm = Math.max(Math.cos(psi), Math.sin(psi)); // the steeper component reaches the full amplitude
  able.forEach((e, j) => {
    // phases spread evenly over the apps: sum_j cos(theta + 2 pi j / k) = 0 for k >= 2 (a lone app's cycle
    // is +1, 0, -1, 0: both extremes, and its equal share as the baseline)
    const c = Math.cos((2 * Math.PI * round) / EXPLORE_CYCLE_ROUNDS + (2 * Math.PI * j) / k);
    const a = Math.abs(c) < 1e-12 ? 0 : c;
    out.set(e.id, { dx: (a * ax * Math.cos(psi)) / norm, dy: (-a * ay * Math.sin(psi)) / norm });
  });
  const maxLoss = o.maxLoss ?? MAX_PREDICTED_LOSS;
  return maxLoss >= 1 ? out : withinPredictedLoss(out, able, maxLoss);
}

/** The offsets scaled down together (zero sums stay zero) until no explorer's model predicts too big a loss. */
function withinPredictedLoss(out: Map<string, { dx: number; dy: number }>, able: Explorer[], maxLoss: number): Map<string, { dx: number; dy: number }> {
  for (let h = 0, f = 1; h <= MAX_HALVINGS; h++, f /= 2) {
    const ok = able.every((e) => {
      const o = out.get(e.id)!;
      const r = e.predictRatio ? e.predictRatio(o.dx * f, o.dy * f) : 1;
      return !(r < 1 - maxLoss); // NaN (a model that cannot tell) does not block
    });
    if (ok) return f === 1 ? out : new Map([...out].map(([id, o]) => [id, { dx: o.dx * f, dy: o.dy * f }]));
  }
  return new Map();
}
