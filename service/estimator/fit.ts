// Fits an app's `mrc` performance model from telemetry: a typed facade over the WASM kernel
// (assembly/estimator/fit.ts; TS twin in fit-twin.ts). The facade validates samples, weights them by age
// (EWMA), converts units (service/units.ts), and turns the kernel's estimate and covariance into a model,
// a residual and a confidence that the allocator can act on.
import { InputError, assert } from '../errors.ts';
import { NS_PER_S, PAGE_BYTES_DEFAULT, bytesPerSecFromMbps } from '../units.ts';
import { fitKernelTs, type FitColumns, type FitKernelResult, type FitPrior } from './fit-twin.ts';
import { MAX_FIT_SAMPLES, MAX_MISS_STALL_NS, MAX_MODEL_POINTS, MIN_MISS_STALL_NS } from './limits.ts';
import { missRatioAt, splitMissRatio, throughputAtMiss, type MrcModel } from './model.ts';
import { checkRegion, defaultRegion, predictionSigmaOver, type FitRegion, type Witnesses, witnessesOf } from './region.ts';
import { checkMrc, checkNumber, describe, optNumber } from './validate.ts';
import { newEstimatorInstance, ptr, type EstimatorExports } from './wasm.ts';

/** One observation of an app (a TelemetryRecord has all these fields). */
export interface FitSample {
  timeMs: number;
  cacheMB: number;
  bandwidthMbps: number;
  throughputOpsPerSec: number;
  missRatio: number;
  pageTrafficBytesPerSec: number;
  /** measured stall per miss, ns, token waits excluded (TelemetryRecord.missStallNs): observes remoteNs */
  missStallNs?: number;
  /** measured wait for bandwidth tokens per miss, ns (TelemetryRecord.missTokenWaitNs): with the stall, tells localNs */
  missTokenWaitNs?: number;
  /** the hash split in force (TelemetryRecord.partitions): the curve is read through it */
  partitions?: readonly { accessShare: number; cacheMB: number }[];
  /** extra weight, default 1 */
  weight?: number;
}

export interface FitOptions {
  /** EWMA: a sample's weight halves every halfLifeMs of age (relative to the newest). 0 = equal weights. Default 120 s. */
  halfLifeMs?: number;
  /** the weak prior (also the answer for what the data cannot tell) */
  prior?: { localNs?: number; remoteNs?: number; pageBytes?: number };
  /** width of the prior in log space (3 = a factor of 20). Default 3. */
  priorSigma?: number;
  /**
   * which miss ratio explains each sample's throughput: the curve's m(c) (default: the miss ratio the model
   * will predict with, and smooth, so noise in measured miss ratios does not blur remoteNs; a sample taken
   * while the cache still filled is then an outlier the robust fit rejects), or the one measured in the sample.
   */
  missRatio?: 'measured' | 'curve';
  /** which kernel: the WASM one (default) or its TypeScript twin */
  engine?: 'wasm' | 'ts';
  /**
   * the bundles the confidence speaks for: predictions are checked over this box (the market's next trust
   * region). Default: the box of the samples within one half-life of the newest, widened by 25% each way.
   */
  region?: FitRegion;
  /**
   * the best relative precision measured stalls alone may give remoteNs (log space; default 0.05): a daemon's
   * stall may be biased (histogram buckets), so many stalls never outweigh what throughput says.
   */
  stallSigmaFloor?: number;
}

export interface FitResult {
  model: MrcModel;
  /** 0..1: coverage (effective samples) x precision (predictions' uncertainty over the region) x quality (leave-one-out error) */
  confidence: number;
  /** relative RMS error of the model's throughput at the samples (robust inliers) */
  residual: number;
  /** the same, leave-one-out: each inlier predicted by the fit without it (hat-matrix approximation, log space) */
  looResidual: number;
  /** the region the precision was evaluated over */
  region: FitRegion;
  /** samples with a measured stall, and those of them the robust fit rejected */
  stallSamples: number;
  stallOutliers: number;
  /** bandwidth-bound samples with stall and token wait, whose throughput pins localNs (the identity) */
  identitySamples: number;
  /** samples with a throughput that the fit used */
  samplesUsed: number;
  /** samples the robust fit rejected */
  outliers: number;
  /** samples whose page traffic was at the bandwidth limit */
  bandwidthBoundSamples: number;
  /** relative standard errors of the parameters (log-space posterior) */
  relativeSigma: { localNs: number; remoteNs: number; pageBytes: number };
  /** largest relative standard error of a predicted throughput over the region (both branches, see region.ts) */
  predictionSigma: number;
  parts: { coverage: number; precision: number; quality: number };
  /** what carryFit needs to move this fit to a newer curve and another region without refitting */
  basis: FitBasis;
}

/** The fitted parameters, their covariance and the witnesses of each branch (region.ts) of one fit. */
export interface FitBasis {
  kernel: Pick<FitKernelResult, 'a' | 'c' | 'p' | 'cov'>;
  witnesses: Witnesses;
}

export const DEFAULT_PRIOR = { localNs: 100, remoteNs: 10_000, pageBytes: PAGE_BYTES_DEFAULT };
export const DEFAULT_FIT_HALF_LIFE_MS = 120_000;
/** Effective samples for full coverage. */
export const FULL_COVERAGE_SAMPLES = 10;
/**
 * Relative prediction error (worst over the region) at which precision counts half: the far corner of the
 * market's next step may be 15% off (the next round's data correct it), like the residual at which quality does.
 */
const PRECISION_REF = 0.15;
/** Relative (leave-one-out) residual at which quality counts half. */
export const QUALITY_REF = 0.15;
/** Default best precision of remoteNs from stalls alone (log space). */
const STALL_SIGMA_FLOOR = 0.05;
/** Leverage is clipped here for leave-one-out residuals: a sample that alone fixes a parameter is not divided by ~0. */
const MAX_LEVERAGE = 0.95;

const FIELDS = ['timeMs', 'cacheMB', 'bandwidthMbps', 'throughputOpsPerSec', 'missRatio', 'pageTrafficBytesPerSec'] as const;

/** Validates samples (each field finite, non-negative, miss ratio <= 1, times non-decreasing). */
export function checkSamples(samples: unknown, where = 'samples'): FitSample[] {
  if (!Array.isArray(samples)) throw new InputError(where, `must be an array of telemetry samples, got ${describe(samples)}`);
  if (samples.length === 0) throw new InputError(where, 'is empty: a fit needs at least one sample');
  samples.forEach((s: Record<string, unknown>, i) => {
    if (s === null || typeof s !== 'object') throw new InputError(`${where}[${i}]`, `must be an object, got ${describe(s)}`);
    for (const f of FIELDS) checkNumber(`${where}[${i}].${f}`, s[f], { min: 0, max: f === 'missRatio' ? 1 : undefined });
    if (s.weight !== undefined) checkNumber(`${where}[${i}].weight`, s.weight, { min: 0 });
    if (s.missStallNs !== undefined) checkNumber(`${where}[${i}].missStallNs`, s.missStallNs, { min: MIN_MISS_STALL_NS, max: MAX_MISS_STALL_NS });
    if (s.missTokenWaitNs !== undefined) checkNumber(`${where}[${i}].missTokenWaitNs`, s.missTokenWaitNs, { min: 0, max: MAX_MISS_STALL_NS });
    if (i > 0 && (s.timeMs as number) < samples[i - 1].timeMs) {
      throw new InputError(`${where}[${i}].timeMs`, `${s.timeMs} is earlier than ${where}[${i - 1}].timeMs ${samples[i - 1].timeMs}: samples must be in time order`);
    }
  });
  return samples as FitSample[];
}

let fitWasm: EstimatorExports | null = null;

/** The WASM kernel: columns copied into the instance's memory, results read back. */
function fitKernelWasm(cols: FitColumns, n: number, prior: FitPrior, nsPerSec: number): FitKernelResult {
  fitWasm ??= newEstimatorInstance();
  const w = fitWasm;
  const base = ptr(w.fitReserve(n));
  const block = new Float64Array(w.memory.buffer, base, 7 * n);
  block.set(cols.m, 0);
  block.set(cols.bw, n);
  block.set(cols.x, 2 * n);
  block.set(cols.tr, 3 * n);
  block.set(cols.w, 4 * n);
  block.set(cols.s, 5 * n);
  block.set(cols.q, 6 * n);
  w.fitRun(n, prior.logL0, prior.logR0, prior.logP0, prior.sigma, nsPerSec, prior.stallCap);
  const r = new Float64Array(w.memory.buffer, ptr(w.fitResultPtr()), 21);
  const out = new Float64Array(w.memory.buffer, base, 12 * n); // memory may have grown: fresh view
  return {
    a: r[0], c: r[1], p: r[2], cov: [r[3], r[4], r[5], r[6], r[7], r[8]], sR: r[9], sQ: r[10], steps: r[11],
    nThroughput: r[12], nTraffic: r[13], nLatencyInit: r[14], nSaturated: r[15], sS: r[16], nStall: r[17], stallFactor: r[18], sI: r[19], nIdentity: r[20],
    u: out.slice(7 * n, 8 * n), v: out.slice(8 * n, 9 * n), vs: out.slice(9 * n, 10 * n), h: out.slice(10 * n, 11 * n), vi: out.slice(11 * n, 12 * n),
  };
}

function columnsOf(samples: FitSample[], halfLifeMs: number, curve: [number, number][] | null): FitColumns {
  const n = samples.length;
  const cols: FitColumns = {
    m: new Float64Array(n), bw: new Float64Array(n), x: new Float64Array(n), tr: new Float64Array(n), w: new Float64Array(n), s: new Float64Array(n), q: new Float64Array(n),
  };
  const newestMs = samples[n - 1].timeMs;
  samples.forEach((s, i) => {
    cols.m[i] = curve ? (s.partitions && s.partitions.length > 1 ? splitMissRatio(curve, s.partitions) : missRatioAt(curve, s.cacheMB)) : s.missRatio;
    cols.bw[i] = bytesPerSecFromMbps(s.bandwidthMbps);
    cols.x[i] = s.throughputOpsPerSec;
    cols.tr[i] = s.pageTrafficBytesPerSec;
    cols.s[i] = s.missStallNs ?? 0;
    cols.q[i] = s.missTokenWaitNs ?? -1;
    cols.w[i] = (halfLifeMs > 0 ? Math.pow(0.5, (newestMs - s.timeMs) / halfLifeMs) : 1) * (s.weight ?? 1);
  });
  return cols;
}

/**
 * Relative RMS error of the model at the samples the robust fit kept, in-sample and leave-one-out (each
 * log-space residual divided by 1 - its leverage: what the fit without that sample would have predicted).
 */
function residualOf(model: MrcModel, samples: FitSample[], k: FitKernelResult, cols: FitColumns): { residual: number; loo: number; nEff: number; used: number; outliers: number } {
  const w = cols.w;
  let sw = 0, sw2 = 0, se = 0, sl = 0, used = 0, outliers = 0;
  samples.forEach((s, i) => {
    if (!(s.throughputOpsPerSec > 0) || !(w[i] > 0)) return;
    used++;
    if (k.u[i] <= 0) { outliers++; return; }
    const predicted = throughputAtMiss(model, cols.m[i], s.bandwidthMbps);
    const e = predicted / s.throughputOpsPerSec - 1;
    const lnE = Math.log(s.throughputOpsPerSec / predicted) / (1 - Math.min(MAX_LEVERAGE, Math.max(0, k.h[i])));
    sw += w[i];
    sw2 += w[i] * w[i];
    se += w[i] * e * e;
    sl += w[i] * lnE * lnE;
  });
  return { residual: sw > 0 ? Math.sqrt(se / sw) : 1, loo: sw > 0 ? Math.sqrt(sl / sw) : 1, nEff: sw2 > 0 ? (sw * sw) / sw2 : 0, used, outliers };
}

/**
 * Fits localNs, remoteNs and pageBytes of an `mrc` model to samples of one app, given its current curve.
 * Uses the newest MAX_FIT_SAMPLES samples. Never returns NaN: with too little data the parameters fall back
 * to the prior and the confidence is low.
 */
export function fitModel(samples: FitSample[], mrc: [number, number][], opts: FitOptions = {}): FitResult {
  const all = checkSamples(samples);
  const curve = checkMrc('mrc', mrc, MAX_MODEL_POINTS);
  const halfLifeMs = optNumber('halfLifeMs', opts.halfLifeMs, DEFAULT_FIT_HALF_LIFE_MS, { min: 0 });
  const sigma = optNumber('priorSigma', opts.priorSigma, 3, { min: 0.1, max: 20 });
  const stallFloor = optNumber('stallSigmaFloor', opts.stallSigmaFloor, STALL_SIGMA_FLOOR, { min: 0.001, max: 10 });
  const pr = { ...DEFAULT_PRIOR, ...(opts.prior ?? {}) };
  const prior: FitPrior = {
    logL0: Math.log(checkNumber('prior.localNs', pr.localNs, { min: 0, above: true })),
    logR0: Math.log(checkNumber('prior.remoteNs', pr.remoteNs, { min: 0, above: true })),
    logP0: Math.log(checkNumber('prior.pageBytes', pr.pageBytes, { min: 0, above: true })),
    sigma,
    stallCap: 1 / (stallFloor * stallFloor),
  };
  if (opts.engine !== undefined && opts.engine !== 'wasm' && opts.engine !== 'ts') {
    throw new InputError('engine', `must be 'wasm' or 'ts', got ${describe(opts.engine)}`);
  }
  const used = all.length > MAX_FIT_SAMPLES ? all.slice(all.length - MAX_FIT_SAMPLES) : all;
  if (opts.missRatio !== undefined && opts.missRatio !== 'measured' && opts.missRatio !== 'curve') {
    throw new InputError('missRatio', `must be 'measured' or 'curve', got ${describe(opts.missRatio)}`);
  }
  const cols = columnsOf(used, halfLifeMs, opts.missRatio === 'measured' ? null : curve);
  const region = opts.region === undefined ? defaultRegion(used, cols.w) : checkRegion('region', opts.region);
  const kernel = opts.engine === 'ts' ? fitKernelTs : fitKernelWasm;
  const k = kernel(cols, used.length, prior, NS_PER_S);
  const model: MrcModel = { type: 'mrc', mrc: curve, pageBytes: Math.exp(k.p), localNs: Math.exp(k.a), remoteNs: Math.exp(k.c) };
  assert(model.pageBytes > 0 && model.localNs > 0 && model.remoteNs >= 0 && Number.isFinite(model.remoteNs), 'fitted parameters are positive and finite');
  const fit = residualOf(model, used, k, cols);
  const basis: FitBasis = { kernel: { a: k.a, c: k.c, p: k.p, cov: k.cov }, witnesses: witnessesOf(cols, k.u, used.length) };
  const predSigma = predictionSigmaOver(region, curve, basis.kernel, basis.witnesses);
  const parts = {
    coverage: Math.min(1, fit.nEff / FULL_COVERAGE_SAMPLES),
    precision: precisionOf(predSigma),
    quality: 1 / (1 + (fit.loo / QUALITY_REF) ** 2),
  };
  return {
    model,
    confidence: confidenceOf(parts),
    residual: fit.residual,
    looResidual: fit.loo,
    region,
    stallSamples: k.nStall,
    stallOutliers: countRejected(k.vs, cols),
    identitySamples: k.nIdentity,
    samplesUsed: fit.used,
    outliers: fit.outliers,
    bandwidthBoundSamples: k.nSaturated,
    relativeSigma: { localNs: Math.sqrt(k.cov[0]), remoteNs: Math.sqrt(k.cov[3]), pageBytes: Math.sqrt(k.cov[5]) },
    predictionSigma: predSigma,
    parts,
    basis,
  };
}

const precisionOf = (predSigma: number): number => 1 / (1 + (predSigma / PRECISION_REF) ** 2);

function confidenceOf(parts: FitResult['parts']): number {
  const c = parts.coverage * parts.precision * parts.quality;
  return Number.isFinite(c) ? Math.min(1, Math.max(0, c)) : 0;
}

/**
 * A fit carried over to a newer curve and another region without refitting (the estimator's stable epochs):
 * the same parameters and covariance, the model on `mrc`, the precision over `region` with that curve. The
 * witnesses stay those of the samples' miss ratios on the fitted curve (a carry is for curves that moved little).
 */
export function carryFit(fit: FitResult, mrc: [number, number][], region: FitRegion): FitResult {
  const curve = checkMrc('mrc', mrc, MAX_MODEL_POINTS);
  const r = checkRegion('region', region);
  const predSigma = predictionSigmaOver(r, curve, fit.basis.kernel, fit.basis.witnesses);
  const parts = { ...fit.parts, precision: precisionOf(predSigma) };
  return { ...fit, model: { ...fit.model, mrc: curve }, region: r, predictionSigma: predSigma, parts, confidence: confidenceOf(parts) };
}

function countRejected(weights: Float64Array, cols: FitColumns): number {
  let n = 0;
  for (let i = 0; i < weights.length; i++) if (cols.s[i] > 0 && cols.w[i] > 0 && weights[i] <= 0) n++;
  return n;
}
