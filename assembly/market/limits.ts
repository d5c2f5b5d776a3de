// Limits and tolerances of the market core; service/market/twin/limits.ts holds the same values.

/** Lowest and highest cache price tried (p_cache + p_bandwidth = 1): keeps budget lines finite. */
export const PRICE_MIN: f64 = 1e-4;
/** Prices probed in the scan for sign changes of excess demand; aggregate demand of many apps is smoother. */
export const SCAN_POINTS_SMALL: i32 = 24;
export const SCAN_POINTS_LARGE: i32 = 16;
export const LARGE_N: i32 = 64;
/** Bisection steps per bracket: 2^-18 of a scan step (~2e-7 in price); finer moved no allocation measurably. */
export const BISECT_STEPS: i32 = 18;
/**
 * Of those, the first steps may be regula falsi (Illinois). Off: most brackets hold a demand jump, where
 * it saves little, and it can settle on a different jump than bisection (measured worse on many-48).
 */
export const SECANT_STEPS: i32 = 0;
/** Excess demand this close to zero is a root: demand clears at that price. */
export const H_ROOT: f64 = 1e-9;
/** Brackets (candidate equilibria) refined and resolved per market round. */
export const MAX_BRACKETS_SMALL: i32 = 3;
export const MAX_BRACKETS_LARGE: i32 = 1;
/** Switching classes enumerated exactly (2^k combinations); beyond, threshold combinations only. */
export const MAX_ENUM_CLASSES: i32 = 8;
/** Combinations of a jump scored at most (2^MAX_ENUM_CLASSES; threshold combinations beyond are skipped). */
export const MAX_COMBOS: i32 = 256;
/** Combinations of a jump that are repaired, handed out and kept as candidates. */
export const MAX_COMBOS_EVAL: i32 = 4;
/** Demand differing by more than this (shares) across a bracket marks a switching class. */
export const SWITCH_EPS: f64 = 1e-7;
/** Capacity overshoot tolerated as rounding (shares). */
export const FEAS_TOL: f64 = 1e-9;
/** Envy the market aims to stay under (a hair below the spec's 0.01, so rounding never crosses it). */
export const ENVY_TARGET: f64 = 0.0099;
/** Envy accepted when no candidate meets the target (else the static allocation). */
export const ENVY_LIMIT: f64 = 0.05;
/** A candidate leaves at most this share of each resource idle (spec: the market clears, <= 0.5%). */
export const CLEAR_SHARE: f64 = 0.005;
/** Rounds of surplus hand-out, and steps of feasibility repair. */
export const HANDOUT_ROUNDS: i32 = 8;
export const REPAIR_STEPS: i32 = 64;
/** Classes tried per resource and hand-out round when there are many apps. */
export const HANDOUT_TRIES_LARGE: i32 = 8;
/** Classes tried per resource and hand-out round otherwise; gifts beyond the best few are crumbs. */
export const HANDOUT_TRIES_SMALL: i32 = 12;
/** Halvings of a gift before giving up on a class (1/65536 of the room), and bisection steps after. */
export const HANDOUT_STEPS: i32 = 16;
export const HANDOUT_REFINE: i32 = 4;
/** Bisection steps when searching the largest safe amount to give or take (1/65536 of the range). */
export const AMOUNT_STEPS: i32 = 16;
/** Leftover below this share of capacity is not worth handing out. */
export const LEFTOVER_TOL: f64 = 1e-7;
/** Margin above the reference throughput that repairs keep (relative). */
export const SI_MARGIN: f64 = 1e-9;
/** Relative throughput an app may lose to the feasibility repair (half the envy target). */
export const REPAIR_ENVY: f64 = 0.005;
/** Envy reported when an app with zero throughput would do something with another's bundle (no ratio). */
export const ENVY_CAP: f64 = 1e6;
/**
 * An app within this fraction of the best throughput it can ever reach counts as satiated: it takes the
 * cheapest such bundle and its unspent budget goes to the others. Its envy is then at most TAU / (1 - TAU).
 */
export const SATIATION_TAU: f64 = 0.004;
/** Relative slack under the best throughput within which bundles count as equally good (cheapest wins). */
export const SATIATION_TOL: f64 = 1e-9;
/** Rounds of passing satiated apps' unspent budgets on to the others. */
export const RECYCLE_ROUNDS: i32 = 3;
/** Moves of the fairness repair per candidate, and unfair candidates of highest welfare repaired. */
export const FAIR_STEPS: i32 = 32;
/** Times the same violation may be worked on before the repair gives up on it. */
export const FAIR_REPEATS: i32 = 3;
export const FAIR_CANDIDATES: i32 = 3;
/** Budget boosts: classes tried (by n), factors, tries per class, largest budget share, qualifying gain. */
export const BOOST_SMALL_N: i32 = 16;
export const BOOST_CLASSES_SMALL: i32 = 2;
export const BOOST_CLASSES_LARGE: i32 = 1;
export const BOOST_FACTOR_COUNT: i32 = 4;
export const BOOST_TRIES: i32 = 2;
export const BOOST_MAX_SHARE: f64 = 0.95;
export const BOOST_MIN_GAIN: f64 = 1.2;
/** Candidate allocations kept per solve (the best by welfare). */
export const POOL_SLOTS: i32 = 32;
/** Largest scan (prices probed) of any round. */
export const MAX_SCAN: i32 = 64;
/** Ideal search: refinement levels (each halves the step) and apps (exhaustive search). */
export const IDEAL_REFINE_LEVELS: i32 = 8;
export const IDEAL_MAX_APPS: i32 = 3;

// The exact equilibrium on convex curves (equilibrium.ts).
/** A price under this is taken as 0 (the resource is free, in excess): see the twin's limits. */
export const EQ_FREE_PRICE: f64 = 1e-5;
/** Relative width of the bracket on p / q at which the bisection stops (the mix of both ends then clears exactly). */
export const EQ_PRICE_TOL: f64 = 1e-12;
/** Bisection steps at most (log2 of the initial bracket's log-width, 46, over EQ_PRICE_TOL, plus a margin). */
export const EQ_PRICE_STEPS: i32 = 64;
/** Relative width of a bracket of p / q under which a jump of one app's demand is located on that app alone. */
export const EQ_JUMP_WIDTH: f64 = 1e-2;
/** ... when its demand differs between the bracket's ends by this many times more than any other app's. */
export const EQ_JUMP_RATIO: f64 = 64;
/** Prices scanned for sign changes of excess demand (each one brackets an equilibrium), by problem size. */
export const EQ_SCAN_SMALL: i32 = 16;
export const EQ_SCAN_LARGE: i32 = 8;
export const EQ_LARGE_N: i32 = 64;
/** Brackets refined at most (the equilibrium of highest Nash welfare among them is chosen). */
export const EQ_BRACKETS: i32 = 4;
/** Newton steps for the dividend (one per satiation threshold crossed, at most). */
export const EQ_NEWTON_STEPS: i32 = 64;

/** Boost factor k (0 <= k < BOOST_FACTOR_COUNT). */
export function boostFactor(k: i32): f64 {
  return k == 0 ? 1.25 : k == 1 ? 1.5 : k == 2 ? 2.0 : 3.0;
}

// Effort of one solve by its size (twin: tuning() in service/market/twin/limits.ts): small problems get the
// full search; beyond LARGE_N apps each round costs N best responses and each envy check N^2 evaluations.
export let T_SCAN: i32 = SCAN_POINTS_SMALL;
export let T_BRACKETS: i32 = MAX_BRACKETS_SMALL;
export let T_RECYCLE: i32 = RECYCLE_ROUNDS;
export let T_COMBOS: i32 = MAX_COMBOS_EVAL;
export let T_HANDOUT_ROUNDS: i32 = HANDOUT_ROUNDS;
export let T_HANDOUT_TRIES: i32 = 0;
export let T_HANDOUT_STEPS: i32 = HANDOUT_STEPS;
export let T_FAIR: i32 = FAIR_CANDIDATES;
export let T_BOOST: i32 = BOOST_CLASSES_SMALL;
export let T_SELECT: i32 = POOL_SLOTS;

export function setTuning(n: i32): void {
  if (n <= LARGE_N) {
    T_SCAN = SCAN_POINTS_SMALL; T_BRACKETS = MAX_BRACKETS_SMALL; T_RECYCLE = RECYCLE_ROUNDS; T_COMBOS = MAX_COMBOS_EVAL;
    T_HANDOUT_ROUNDS = HANDOUT_ROUNDS; T_HANDOUT_TRIES = n < HANDOUT_TRIES_SMALL ? n : HANDOUT_TRIES_SMALL;
    T_HANDOUT_STEPS = HANDOUT_STEPS; T_FAIR = FAIR_CANDIDATES;
    T_BOOST = n <= BOOST_SMALL_N ? BOOST_CLASSES_SMALL : BOOST_CLASSES_LARGE; T_SELECT = POOL_SLOTS;
  } else {
    T_SCAN = SCAN_POINTS_LARGE; T_BRACKETS = MAX_BRACKETS_LARGE; T_RECYCLE = 2; T_COMBOS = 2;
    T_HANDOUT_ROUNDS = 2; T_HANDOUT_TRIES = HANDOUT_TRIES_LARGE; T_HANDOUT_STEPS = 10; T_FAIR = 1;
    T_BOOST = 0; T_SELECT = 3;
  }
}
