// Limits of the service layer, each with the reason it exists. Nothing in service/ is unbounded.

/** Apps in one scenario: the benchmark goes to 1024; 4x headroom keeps one solve well under a second. */
export const MAX_APPS = 4096;
/** Points in one miss-ratio curve: estimator output is ~100 points; measured curves rarely exceed 1k. */
export const MAX_MRC_POINTS = 10_000;
/** Grid size per axis of a surface model: 256x256 values per app is already 0.5 MiB of floats. */
export const MAX_SURFACE_AXIS = 256;
/** Length of an app id (spec/scenario.schema.json). */
export const MAX_ID_LENGTH = 128;
/** Scenario file or body size: 4096 apps with 100-point curves fit in ~16 MiB of JSON. */
export const MAX_SCENARIO_BYTES = 32 * 1024 * 1024;
/**
 * Measured miss-ratio curves carry sampling noise (the shipped paper-mix and many-48 examples rise by up to
 * 0.077 between neighbouring points). Rises up to this much are smoothed away (isotonic fit) with a warning;
 * a larger rise is not noise but a wrong curve, and is rejected.
 */
export const MRC_NOISE_TOLERANCE = 0.1;
/** Same idea for surfaces, relative to the surface's largest throughput. */
export const SURFACE_NOISE_TOLERANCE = 0.05;

/**
 * Ranges of the numbers a registered node or app may carry (PUT /v1/nodes, PUT /v1/apps): what the market
 * handles meaningfully. Weights are relative shares: beyond a 1:10^6 ratio the smaller app's share is below
 * any page or bit the data plane can enforce. Capacities stop at 1 PB of cache and 10 Tbps; times at a
 * minute per access; pages between 64 B and 1 GiB (huge pages); throughputs at 10^15 per second.
 */
export const REGISTRY_RANGES = {
  weight: { min: 0.001, max: 1000 },
  cacheMB: { min: 0, max: 1e9 },
  bandwidthMbps: { min: 0, max: 1e7 },
  pageBytes: { min: 64, max: 1 << 30 },
  ns: { min: 0, max: 6e10 },
  throughput: { min: 0, max: 1e15 },
} as const;
