// Limits of the estimator, each with the reason it exists. Every loop, buffer and queue of the estimator is
// bounded by one of these.

/** Sampled pages one streaming builder keeps (SHARDS fixed-size): ~4 MiB of state per app. */
export const DEFAULT_MAX_SAMPLE_PAGES = 65536;
/** Fewer sampled pages than this cannot give a usable curve. */
export const MIN_SAMPLE_PAGES = 64;
/** Most sampled pages of one builder: 2^23 pages (32 GiB working set exact) is ~400 MiB of WASM state. */
export const MAX_SAMPLE_PAGES = 1 << 23;
/** One-shot curves (`spirit mrc`) stay exact up to 2^22 distinct pages (16 GiB of 4 KiB pages), then sample. */
export const ONE_SHOT_MAX_SAMPLE_PAGES = 1 << 22;
/** Pages copied into WASM per call: 128 KiB staging buffer; also the granularity of decay. */
export const INPUT_CHUNK_PAGES = 16384;
/** Points of one curve: plenty for a piecewise-linear model, and the output buffer stays 64 KiB. */
export const MAX_CURVE_POINTS = 4096;
export const DEFAULT_CURVE_POINTS = 100;
/** Smallest sampling rate: one of the 2^24 hash values. */
export const MIN_SAMPLE_RATE = 1 / 16777216;
/** Page sizes accepted: 512 B .. 1 GiB (huge pages). */
export const MIN_PAGE_BYTES = 512;
export const MAX_PAGE_BYTES = 1 << 30;

/** Samples one fit uses (the newest): the LM normal equations are 3x3, but medians sort the samples. */
export const MAX_FIT_SAMPLES = 1024;
/** Robust reweighting rounds (Huber twice, then Tukey) and LM steps per round (the WASM kernel mirrors them). */
export const FIT_OUTER_ROUNDS = 8;
export const FIT_LM_STEPS = 40;
/** An LM round ends when an accepted step lowers the objective by less than this share of it (the WASM kernel: LM_FTOL). */
export const FIT_LM_FTOL = 1e-10;
/** MRC points of one model: more would only slow the market's best responses. */
export const MAX_MODEL_POINTS = 4096;

/**
 * An epoch close refits only when the fit it has mispredicted the epoch by more than this share of the drift
 * threshold (median |ln(measured / predicted)|), or was fitted MAX_CARRIED_EPOCHS closes ago; otherwise the fit
 * is carried over to the newest curve and region (a refit of a full window costs milliseconds, a carry ~1%).
 */
export const CARRY_ERROR_SHARE = 0.5;
export const MAX_CARRIED_EPOCHS = 5;
/** Telemetry records one app estimator keeps (window); older ones also fade by the EWMA half-life. */
export const MAX_APP_SAMPLES = 512;
/** Sampled pages kept per epoch for a refit after drift (two epochs are kept). */
export const MAX_EPOCH_PAGES = 65536;
/** Sampled pages accepted in one telemetry record. */
export const MAX_RECORD_PAGES = 1 << 20;

/** A measured stall per miss below 10 ns is not a page fault (one costs microseconds): a unit or counter bug. */
export const MIN_MISS_STALL_NS = 10;
/** A stall per miss above 1 s is a failure (timeouts, a lost memory node), not an operating point to learn from. */
export const MAX_MISS_STALL_NS = 1e9;
