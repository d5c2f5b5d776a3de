// Limits and tolerances of the market (the WASM core in assembly/market/limits.ts has the same values).

/** Lowest and highest cache price tried (p_cache + p_bandwidth = 1): keeps budget lines finite. */
export const PRICE_MIN = 1e-4;
/** Prices probed in the scan for sign changes of excess demand; aggregate demand of many apps is smoother. */
export const SCAN_POINTS_SMALL = 24;
export const SCAN_POINTS_LARGE = 16;
export const LARGE_N = 64;
/** Bisection steps per bracket: 2^-18 of a scan step (~2e-7 in price); finer moved no allocation measurably. */
export const BISECT_STEPS = 18;
/**
 * Of those, the first steps may be regula falsi (Illinois). Off: most brackets hold a demand jump, where
 * it saves little, and it can settle on a different jump than bisection (measured worse on many-48).
 */
export const SECANT_STEPS = 0;
/** Excess demand this close to zero is a root: demand clears at that price. */
export const H_ROOT = 1e-9;
/** Brackets (candidate equilibria) refined and resolved per solve. */
export const MAX_BRACKETS_SMALL = 3;
export const MAX_BRACKETS_LARGE = 1;
/** Switching classes enumerated exactly (2^k combinations); beyond, threshold combinations only. */
export const MAX_ENUM_CLASSES = 8;
/** Combinations of a jump scored at most (2^MAX_ENUM_CLASSES; threshold combinations beyond are skipped). */
export const MAX_COMBOS = 256;
/** Capacity overshoot tolerated as rounding (shares). */
export const FEAS_TOL = 1e-9;
/** Envy the market aims to stay under (spec: maxEnvy <= 0.01 on 99% of scenarios). */
export const ENVY_TARGET = 0.0099;
/** Envy never accepted when handing out or repairing. */
export const ENVY_LIMIT = 0.05;
/** A candidate leaves at most this share of each resource idle (spec: the market clears, <= 0.5%). */
export const CLEAR_SHARE = 0.005;
/** Rounds of surplus hand-out and of feasibility repair (each round serves every class at most once). */
export const HANDOUT_ROUNDS = 8;
export const REPAIR_STEPS = 64;
/** Bisection steps when searching the largest safe amount to give or take (1/65536 of the range). */
export const AMOUNT_STEPS = 16;
/** Leftover below this share of capacity is not worth handing out. */
export const LEFTOVER_TOL = 1e-7;
/** Margin above the reference throughput that repairs keep (relative). */
export const SI_MARGIN = 1e-9;
/** Envy reported when an app with zero throughput would do something with another's bundle (no ratio exists). */
export const ENVY_CAP = 1e6;
/**
 * An app within this fraction of the best throughput it can ever reach counts as satiated: it takes the
 * cheapest such bundle and its unspent budget goes to the others. Its envy is then at most TAU / (1 - TAU).
 */
export const SATIATION_TAU = 0.004;
/** Rounds of passing satiated apps' unspent budgets on to the others. */
export const RECYCLE_ROUNDS = 3;
/** Moves of the fairness repair per candidate. */
export const FAIR_STEPS = 32;
/** Times the same violation may be worked on before the repair gives up on it. */
export const FAIR_REPEATS = 3;
/** Unfair candidates of highest welfare that get a fairness repair. */
export const FAIR_CANDIDATES = 3;
/** Budget boosts: classes tried (by n), factors, the largest budget share, and the gain that qualifies. */
export const BOOST_SMALL_N = 16;
export const BOOST_CLASSES_SMALL = 2;
export const BOOST_CLASSES_LARGE = 1;
export const BOOST_FACTORS = [1.25, 1.5, 2, 3] as const;
export const BOOST_TRIES = 2;
export const BOOST_MAX_SHARE = 0.95;
export const BOOST_MIN_GAIN = 1.2;
/** Combinations of a jump that are repaired, handed out and kept as candidates. */
export const MAX_COMBOS_EVAL = 4;
/** Demand differing by more than this (shares) across a bracket marks a switching class. */
export const SWITCH_EPS = 1e-7;
/** Candidate allocations kept per solve (the best by welfare). */
export const POOL_SLOTS = 32;
/** Classes tried per resource and hand-out round when there are many apps. */
export const HANDOUT_TRIES_LARGE = 8;
/** Classes tried per resource and hand-out round otherwise; gifts beyond the best few are crumbs. */
export const HANDOUT_TRIES_SMALL = 12;
/** Halvings of a gift before giving up on a class (1/65536 of the room), and bisection steps after. */
export const HANDOUT_STEPS = 16;
export const HANDOUT_REFINE = 4;
/** Relative throughput an app may lose to the feasibility repair (half the envy target). */
export const REPAIR_ENVY = 0.005;

/**
 * Effort of one solve by its size: small problems get the full search; beyond LARGE_N apps each round
 * costs N best responses and each envy check N^2 evaluations, so large problems search less per round.
 */
export interface Tuning {
  scanPoints: number;
  maxBrackets: number;
  recycleRounds: number;
  combosEval: number;
  handoutRounds: number;
  handoutTries: number;
  handoutSteps: number;
  fairCandidates: number;
  boostClasses: number;
  selectChecks: number;
}

export function tuning(n: number): Tuning {
  if (n <= LARGE_N) {
    return {
      scanPoints: SCAN_POINTS_SMALL, maxBrackets: MAX_BRACKETS_SMALL, recycleRounds: RECYCLE_ROUNDS, combosEval: MAX_COMBOS_EVAL,
      handoutRounds: HANDOUT_ROUNDS, handoutTries: Math.min(n, HANDOUT_TRIES_SMALL), handoutSteps: HANDOUT_STEPS, fairCandidates: FAIR_CANDIDATES,
      boostClasses: n <= BOOST_SMALL_N ? BOOST_CLASSES_SMALL : BOOST_CLASSES_LARGE, selectChecks: POOL_SLOTS,
    };
  }
  return {
    scanPoints: SCAN_POINTS_LARGE, maxBrackets: MAX_BRACKETS_LARGE, recycleRounds: 2, combosEval: 2,
    handoutRounds: 2, handoutTries: HANDOUT_TRIES_LARGE, handoutSteps: 10, fairCandidates: 1,
    boostClasses: 0, selectChecks: 3,
  };
}

// The exact equilibrium on convex curves (equilibrium.ts).
/**
 * A price under this is taken as 0 (the resource is free, in excess): so close to free, the other
 * resource's quantity is too ill-conditioned (p / q amplifies rounding) to clear the market by mixing.
 */
export const EQ_FREE_PRICE = 1e-5;
/** Relative width of the bracket on p / q at which the bisection stops (the mix of both ends then clears exactly). */
export const EQ_PRICE_TOL = 1e-12;
/** Bisection steps at most (log2 of the initial bracket's log-width, 46, over EQ_PRICE_TOL, plus a margin). */
export const EQ_PRICE_STEPS = 64;
/** Relative width of a bracket of p / q under which a jump of one app's demand is located on that app alone. */
export const EQ_JUMP_WIDTH = 1e-2;
/** ... when its demand differs between the bracket's ends by this many times more than any other app's. */
export const EQ_JUMP_RATIO = 64;
/** Prices scanned for sign changes of excess demand (each one brackets an equilibrium), by problem size. */
export const EQ_SCAN_SMALL = 16;
export const EQ_SCAN_LARGE = 8;
export const EQ_LARGE_N = 64;
/** Brackets refined at most (the equilibrium of highest Nash welfare among them is chosen). */
export const EQ_BRACKETS = 4;
/** Newton steps for the dividend (one per satiation threshold crossed, at most). */
export const EQ_NEWTON_STEPS = 64;
