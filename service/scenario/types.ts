// The one model format (DESIGN.md section 3, spec/scenario.schema.json): a node's allocation problem.

export type Point = [cacheMB: number, missRatio: number];

export interface MrcModel {
  type: 'mrc';
  /** [cacheMB, missRatio]: cacheMB strictly increasing, missRatio non-increasing in [0, 1] */
  mrc: Point[];
  pageBytes: number;
  localNs: number;
  remoteNs: number;
}

export interface SurfaceModel {
  type: 'surface';
  cacheMB: number[];
  bandwidthMbps: number[];
  /** throughput[i][j] at cacheMB[i], bandwidthMbps[j]; non-decreasing in both */
  throughput: number[][];
}

export type Model = MrcModel | SurfaceModel;

export interface Limits {
  minCacheMB?: number;
  maxCacheMB?: number;
  minBandwidthMbps?: number;
  maxBandwidthMbps?: number;
}

export interface Bundle {
  cacheMB: number;
  bandwidthMbps: number;
}

export interface AppSpec {
  id: string;
  weight?: number;
  limits?: Limits;
  current?: Bundle;
  model: Model;
  /**
   * whether the data plane can split this app's pages into two hash partitions (Talus), so its miss ratio
   * follows the lower convex hull of its curve. Default: true for `mrc` models; kernel-swap apps (cgroups)
   * cannot be split. Surfaces are never split.
   */
  partitionable?: boolean;
}

export interface Capacity {
  cacheMB: number;
  bandwidthMbps: number;
}

export interface Scenario {
  name?: string;
  capacity: Capacity;
  apps: AppSpec[];
}

export const POLICIES = ['spirit', 'static', 'drf', 'harvest', 'trade', 'ideal'] as const;
export type Policy = (typeof POLICIES)[number];

/** One hash partition of an app's pages: it sees `accessShare` of the pages and holds `cacheMB` of cache. */
export interface Partition {
  accessShare: number;
  cacheMB: number;
}

export interface Allocation extends Bundle {
  id: string;
  normalizedPerf: number;
  /** how the app's pages are split (convexified solves, partitionable apps): shares sum to 1, sizes to cacheMB */
  partitions?: Partition[];
}

export interface Certificate {
  cleared: boolean;
  iterations: number;
  leftoverCacheMB: number;
  leftoverBandwidthMbps: number;
  maxEnvy: number;
  sharingIncentiveViolations: string[];
  /** extensions (spec allows more fields) */
  envious?: { app: string; envies: string; ratio: number }[];
  allAtMaximum?: boolean;
  geoMeanPerf?: number;
  minPerf?: number;
  /** the solve ran with a trust region around current bundles */
  trustRegion?: boolean;
  /** hysteresis kept the current allocation */
  held?: boolean;
  /** live control moved this fraction of the way to the equilibrium (absent when it got there) */
  step?: { fractionCache: number; fractionBandwidth: number };
  /**
   * how the spirit policy found the allocation: the exact equilibrium (convex curves), the market's search,
   * the knot search (2-3 apps), or the static split (no fair candidate): docs/market.md
   */
  method?: 'equilibrium' | 'market' | 'knots' | 'static';
  /** the proof of an exact equilibrium (convex curves): see docs/market.md */
  equilibrium?: EquilibriumProof;
}

export interface EquilibriumProof {
  /** the market found an exact equilibrium (every app's bundle a best response at the prices) */
  exact: boolean;
  /** max over apps of (best affordable throughput at the prices and budgets / own throughput) - 1 */
  bestResponseGap: number;
  /** each app's budget beyond its reservation: the value of its fair share at the prices, times 1 + dividend */
  budgets: Record<string, number>;
  /** the share by which every budget was raised with the money of satiated apps */
  dividend: number;
  /** the curve error margin every model was planned with (a share of both resources) */
  marginShare: number;
}

export interface SolveResult {
  policy: Policy;
  prices?: { cache: number; bandwidth: number };
  allocations: Allocation[];
  certificate: Certificate;
  elapsedMs: number;
  warnings?: string[];
  engine?: 'wasm' | 'ts';
  /** the market worked on convex hulls of partitionable apps' curves; their allocations carry partitions */
  convexified?: boolean;
}
