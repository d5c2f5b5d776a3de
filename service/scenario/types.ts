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

export interface Allocation extends Bundle {
  id: string;
  normalizedPerf: number;
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
}

export interface SolveResult {
  policy: Policy;
  prices?: { cache: number; bandwidth: number };
  allocations: Allocation[];
  certificate: Certificate;
  elapsedMs: number;
  warnings?: string[];
  engine?: 'wasm' | 'ts';
}
