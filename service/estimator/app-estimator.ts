// The estimator of one app, driven by the control loop: ingest() each telemetry record as it arrives,
// endEpoch() once per allocation round (refits, and detects drift), current() for the market.
//
// Curve source, best first: the newest curve a daemon sent (record.mrc), the curve of the sampled pages
// daemons sent (record.sampledPages, through a decaying MrcBuilder), or the measured (cacheMB, missRatio)
// points made monotone. Drift: an epoch is wrong when the median |ln(measured / predicted throughput)| of
// its records exceeds driftThreshold; two wrong epochs in a row raise a DriftEvent, drop every sample older
// than those two epochs, rebuild the sampled curve from those epochs' pages, and refit.
// Confidence: the fit's (coverage x precision over the region the market will consider next x leave-one-out
// quality), with quality also bounded by the measured out-of-sample error (the last epoch predicted by the model
// fitted before it). enoughData has hysteresis: entered at minConfidence, kept down to stayFraction of it.
import { InputError } from '../errors.ts';
import { MAX_RECORD_PARTITIONS, RECORD_SHARE_SUM_TOLERANCE, type TelemetryRecord } from '../telemetry/record.ts';
import { DEFAULT_FIT_HALF_LIFE_MS, QUALITY_REF, carryFit, fitModel, type FitOptions, type FitResult, type FitSample } from './fit.ts';
import {
  CARRY_ERROR_SHARE, MAX_APP_SAMPLES, MAX_CARRIED_EPOCHS, MAX_EPOCH_PAGES, MAX_MISS_STALL_NS, MAX_MODEL_POINTS, MAX_RECORD_PAGES,
  MIN_MISS_STALL_NS, MIN_SAMPLE_RATE,
} from './limits.ts';
import { mix32 } from './hash.ts';
import { measuredMrc } from './measured-mrc.ts';
import { MrcBuilder, type MrcBuilderOptions } from './mrc.ts';
import { throughputOf, type MrcModel } from './model.ts';
import { checkRegion, type FitRegion } from './region.ts';
import { checkMrc, checkNumber, describe, optBoolean, optNumber } from './validate.ts';
import { secFromMs } from '../units.ts';

export interface AppEstimatorOptions {
  /** fit options (EWMA half-life, prior, engine) */
  fit?: FitOptions;
  /** records kept (the newest); default 512 */
  maxSamples?: number;
  /** enoughData needs at least this many samples with a throughput; default 5 */
  minSamples?: number;
  /** enoughData needs at least this confidence; default 0.5 */
  minConfidence?: number;
  /** once enoughData, it is kept while the confidence is at least this share of minConfidence; default 0.6 */
  stayFraction?: number;
  /** an epoch is wrong when its median |ln(measured / predicted)| exceeds this; default 0.2 (about 22%) */
  driftThreshold?: number;
  /** options of the builder fed with record.sampledPages; default: 65536 sample pages, half-life 5e7 accesses */
  mrc?: Omit<MrcBuilderOptions, 'presampledRate'>;
  /** carry a trusted, well-predicting fit over instead of refitting (see endEpoch); default true */
  carry?: boolean;
  /** curve points handed to the model; default 64 */
  curvePoints?: number;
}

export interface DriftEvent {
  type: 'drift';
  app: string;
  /** the epoch that confirmed the drift (the second wrong one in a row) */
  epoch: number;
  /** its median |ln(measured / predicted throughput)| */
  error: number;
  /** the same for the epoch before */
  previousError: number;
  threshold: number;
  /** samples kept for the refit (those of the two wrong epochs) */
  samplesKept: number;
  /** time of the newest record, ms since the epoch */
  atMs: number;
}

export type MrcSource = 'telemetry' | 'sampled-pages' | 'measured' | 'none';

export interface AppEstimate {
  model: MrcModel | null;
  confidence: number;
  residual: number;
  /** false: keep the app at its (weighted) equal share */
  enoughData: boolean;
  samples: number;
  epoch: number;
  mrcSource: MrcSource;
  /** error of the model on the last closed epoch (median |ln(measured / predicted)|), null if not measured */
  lastEpochError: number | null;
  /** the confidence's factors: the fit's coverage, precision (over `region`) and quality, the last epoch's (held-out) quality */
  parts: { coverage: number; precision: number; quality: number; heldOut: number };
  /** the bundles the confidence speaks for (the region given to endEpoch, else the recent samples' box) */
  region: FitRegion | null;
  /** largest relative standard error of a prediction over the region */
  predictionSigma: number | null;
  /** epoch closes since the last full fit: 0 when the last one refitted, else how many carried the fit over */
  carriedEpochs: number;
}

/** What the control loop tells the estimator when it closes an epoch. */
export interface EpochContext {
  /** the bundles the market may give the app next round (its trust region) */
  region?: FitRegion;
}

/** A curve from measurements is only known between observed cache sizes: its confidence is scaled down. */
const MEASURED_CURVE_TRUST = 0.8;
/** Sampled accesses before a builder's curve is preferred over the measured one. */
const MIN_SAMPLED_ACCESSES = 2000;
const DEFAULT_BUILDER: MrcBuilderOptions = { maxSamplePages: 65536, decay: { halfLifeAccesses: 5e7 } };
const DEFAULT_STAY_FRACTION = 0.6;
const RECORD_FIELDS = ['timeMs', 'cacheMB', 'bandwidthMbps', 'throughputOpsPerSec', 'missRatio', 'pageTrafficBytesPerSec', 'residentBytes'] as const;

interface Held {
  sample: FitSample;
  epoch: number;
}

export class AppEstimator {
  private readonly opts: Required<Omit<AppEstimatorOptions, 'fit' | 'mrc'>> & { fit: FitOptions; mrc: MrcBuilderOptions };
  private held: Held[] = [];
  private epoch = 0;
  private lastTimeMs: number | null = null;
  /**
   * The newest curve a daemon sent, as flat (cacheMB, missRatio) pairs in a buffer reused from record to
   * record: a replica at scale takes ~8,000 records a second, each with a 64-point curve, and copying each into
   * fresh arrays was a good part of its garbage. The pairs are made when an epoch closes (and then kept).
   */
  private curveFlat = new Float64Array(0);
  private curvePoints = 0;
  private curvePairs: [number, number][] | null = null;
  private builder: MrcBuilder | null = null;
  private builderRate = 0;
  /** sampled pages of the current and the previous epoch, for a rebuild after drift */
  private epochPages: { epoch: number; rate: number; pages: number[] }[] = [];
  private fit: FitResult | null = null;
  private source: MrcSource = 'none';
  private wrongStreak = 0;
  private previousError = 0;
  private lastError: number | null = null;
  /** how much the last epoch's error speaks for the current fit: the weight share of the data it was predicted from */
  private errorRelevance = 0;
  private region: FitRegion | undefined;
  private enough = false;
  /** epochs closed since the last full fit (the others carried it over: see endEpoch) */
  private carried = 0;
  /**
   * Which epochs force a refit: those with (epoch + phase) % (MAX_CARRIED_EPOCHS + 1) === 0. The phase comes
   * from the app's id, so the forced refits of apps that started together are spread over the epochs instead
   * of all landing on one round (which made every sixth pass of a replica several times slower).
   */
  private readonly refitPhase: number;

  constructor(readonly appId: string, opts: AppEstimatorOptions = {}) {
    if (typeof appId !== 'string' || appId.length === 0) throw new InputError('appId', `must be a non-empty string, got ${describe(appId)}`);
    this.opts = {
      fit: opts.fit ?? {},
      maxSamples: optNumber('maxSamples', opts.maxSamples, MAX_APP_SAMPLES, { integer: true, min: 2, max: MAX_APP_SAMPLES }),
      minSamples: optNumber('minSamples', opts.minSamples, 5, { integer: true, min: 1, max: MAX_APP_SAMPLES }),
      minConfidence: optNumber('minConfidence', opts.minConfidence, 0.5, { min: 0, max: 1 }),
      stayFraction: optNumber('stayFraction', opts.stayFraction, DEFAULT_STAY_FRACTION, { min: 0, max: 1 }),
      driftThreshold: optNumber('driftThreshold', opts.driftThreshold, 0.2, { min: 0, above: true, max: 10 }),
      mrc: { ...DEFAULT_BUILDER, ...(opts.mrc ?? {}) },
      curvePoints: optNumber('curvePoints', opts.curvePoints, 64, { integer: true, min: 2, max: MAX_MODEL_POINTS }),
      carry: optBoolean('carry', opts.carry, true),
    };
    optNumber('fit.halfLifeMs', this.opts.fit.halfLifeMs, DEFAULT_FIT_HALF_LIFE_MS, { min: 0 });
    let h = 0x811c9dc5; // FNV-1a of the id
    for (let i = 0; i < appId.length; i++) h = Math.imul(h ^ appId.charCodeAt(i), 0x01000193);
    this.refitPhase = mix32(h >>> 0) % (MAX_CARRIED_EPOCHS + 1);
  }

  /** Takes one telemetry record of this app; throws InputError naming the bad field (the state is unchanged then). */
  ingest(record: TelemetryRecord): void {
    this.check(record);
    const r = record;
    const periodMs = this.lastTimeMs === null ? 0 : r.timeMs - this.lastTimeMs;
    this.lastTimeMs = r.timeMs;
    // no spreads: one object per record (this runs for every record of every app a replica holds)
    const sample: FitSample = {
      timeMs: r.timeMs, cacheMB: r.cacheMB, bandwidthMbps: r.bandwidthMbps, throughputOpsPerSec: r.throughputOpsPerSec,
      missRatio: r.missRatio, pageTrafficBytesPerSec: r.pageTrafficBytesPerSec,
    };
    if (r.missStallNs !== undefined) sample.missStallNs = r.missStallNs;
    if (r.missTokenWaitNs !== undefined) sample.missTokenWaitNs = r.missTokenWaitNs;
    if (r.partitions && r.partitions.length > 1) sample.partitions = r.partitions.map((p) => ({ accessShare: p.accessShare, cacheMB: p.cacheMB }));
    this.held.push({ epoch: this.epoch, sample });
    if (this.held.length > this.opts.maxSamples) this.held.splice(0, this.held.length - this.opts.maxSamples);
    if (r.mrc) {
      const n = r.mrc.length;
      if (this.curveFlat.length < 2 * n) this.curveFlat = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        this.curveFlat[2 * i] = r.mrc[i][0];
        this.curveFlat[2 * i + 1] = r.mrc[i][1];
      }
      this.curvePoints = n;
      this.curvePairs = null;
    }
    if (r.sampledPages && r.sampledPages.length > 0) {
      // the accesses the sample stands for: as the daemon counted them, else throughput over the period since the previous record
      const counted = r.accessesSampled ?? r.throughputOpsPerSec * secFromMs(periodMs);
      this.feedPages(r.sampledPages, r.sampleRate ?? 1, counted >= r.sampledPages.length && (r.sampleRate ?? 1) < 1 ? counted : undefined);
    }
  }

  private check(r: TelemetryRecord): void {
    if (r === null || typeof r !== 'object') throw new InputError('record', `must be a telemetry record object, got ${describe(r)}`);
    if (r.app !== this.appId) throw new InputError('record.app', `is ${describe(r.app)}, but this is the estimator of '${this.appId}'`);
    for (const f of RECORD_FIELDS) checkNumber(`record.${f}`, r[f], { min: 0, max: f === 'missRatio' ? 1 : undefined });
    if (this.lastTimeMs !== null && r.timeMs < this.lastTimeMs) {
      throw new InputError('record.timeMs', `${r.timeMs} is earlier than the previous record's ${this.lastTimeMs}: records must arrive in time order`);
    }
    if (r.mrc !== undefined) checkMrc('record.mrc', r.mrc, MAX_MODEL_POINTS);
    if (r.sampleRate !== undefined) checkNumber('record.sampleRate', r.sampleRate, { min: MIN_SAMPLE_RATE, max: 1 });
    if (r.accessesSampled !== undefined) checkNumber('record.accessesSampled', r.accessesSampled, { min: 0 });
    if (r.missStallNs !== undefined) checkNumber('record.missStallNs', r.missStallNs, { min: MIN_MISS_STALL_NS, max: MAX_MISS_STALL_NS });
    if (r.missTokenWaitNs !== undefined) checkNumber('record.missTokenWaitNs', r.missTokenWaitNs, { min: 0, max: MAX_MISS_STALL_NS });
    if (r.partitions !== undefined) checkRecordPartitions(r.partitions);
    if (r.sampledPages !== undefined) {
      if (!Array.isArray(r.sampledPages)) throw new InputError('record.sampledPages', `must be an array of page numbers, got ${describe(r.sampledPages)}`);
      if (r.sampledPages.length > MAX_RECORD_PAGES) throw new InputError('record.sampledPages', `has ${r.sampledPages.length} pages; at most ${MAX_RECORD_PAGES} per record`);
      r.sampledPages.forEach((p, i) => {
        if (!(Number.isInteger(p) && p >= 0 && p <= Number.MAX_SAFE_INTEGER)) {
          throw new InputError(`record.sampledPages[${i}]`, `must be a non-negative integer page number, got ${describe(p)}`);
        }
      });
    }
  }

  private feedPages(pages: number[], rate: number, accesses: number | undefined): void {
    if (!this.builder || this.builderRate !== rate) { // a new rate means a new sample: start over
      this.builder?.dispose();
      this.builder = new MrcBuilder({ ...this.opts.mrc, presampledRate: rate });
      this.builderRate = rate;
      this.epochPages = [];
    }
    this.builder.addPages(pages, { accesses });
    let mine = this.epochPages.find((e) => e.epoch === this.epoch);
    if (!mine) {
      mine = { epoch: this.epoch, rate, pages: [] };
      this.epochPages.push(mine);
      this.epochPages = this.epochPages.filter((e) => e.epoch >= this.epoch - 1);
    }
    const room = MAX_EPOCH_PAGES - mine.pages.length;
    for (let i = 0; i < Math.min(room, pages.length); i++) mine.pages.push(pages[i]);
  }

  /** EWMA weight share of the samples older than `epoch` (those the model that predicted `epoch` was fitted on). */
  private priorWeightShare(epoch: number): number {
    const w = this.weights();
    let before = 0, all = 0;
    this.held.forEach((h, i) => { all += w[i]; if (h.epoch < epoch) before += w[i]; });
    return all > 0 ? before / all : 0;
  }

  private weights(): number[] {
    const half = this.opts.fit.halfLifeMs ?? DEFAULT_FIT_HALF_LIFE_MS;
    const newest = this.held.length > 0 ? this.held[this.held.length - 1].sample.timeMs : 0;
    return this.held.map((h) => (half > 0 ? Math.pow(0.5, (newest - h.sample.timeMs) / half) : 1));
  }

  private curve(): { mrc: [number, number][] | null; source: MrcSource } {
    if (this.curvePoints > 0) {
      const f = this.curveFlat;
      this.curvePairs ??= Array.from({ length: this.curvePoints }, (_, i) => [f[2 * i], f[2 * i + 1]] as [number, number]);
      return { mrc: this.curvePairs, source: 'telemetry' };
    }
    if (this.builder && this.builder.sampledAccesses >= MIN_SAMPLED_ACCESSES) {
      return { mrc: this.builder.curve({ points: this.opts.curvePoints }), source: 'sampled-pages' };
    }
    const m = measuredMrc(this.held.map((h) => h.sample), this.weights());
    return m ? { mrc: m, source: 'measured' } : { mrc: null, source: 'none' };
  }

  private refit(): void {
    const { mrc, source } = this.curve();
    this.source = source;
    const opts = this.region ? { ...this.opts.fit, region: this.region } : this.opts.fit;
    this.fit = mrc && this.held.length > 0 ? fitModel(this.held.map((h) => h.sample), mrc, opts) : null;
    this.carried = 0;
  }

  /**
   * The fit carried over to the newest curve and the next region, without refitting, when it is still good;
   * false when it has to be refitted. Good: the estimate is trusted already (enoughData, full coverage: while
   * it learns, every epoch's data goes in), it predicted the epoch just closed (out of sample) within
   * CARRY_ERROR_SHARE of the drift threshold, the curve comes from the same source, it was fitted fewer than
   * MAX_CARRIED_EPOCHS epochs ago, and this is not one of the app's epochs that always refit (refitPhase). A fit of ~512 samples is a few ms of CPU and an epoch close happens for
   * every app every round, so this is most of a replica's work at scale (docs/estimator.md, "Cost").
   */
  private carry(err: number | null): boolean {
    const fit = this.fit;
    if (!this.opts.carry || !fit || !this.enough || fit.parts.coverage < 1) return false;
    if (err === null || err > this.opts.driftThreshold * CARRY_ERROR_SHARE) return false;
    if (this.carried >= MAX_CARRIED_EPOCHS || (this.epoch + this.refitPhase) % (MAX_CARRIED_EPOCHS + 1) === 0) return false;
    const { mrc, source } = this.curve();
    if (!mrc || source !== this.source) return false;
    this.fit = carryFit(fit, mrc, this.region ?? fit.region);
    this.carried++;
    return true;
  }

  /** Median |ln(measured / predicted)| of the current model over the samples of one epoch, or null. */
  private epochError(epoch: number): number | null {
    const model = this.fit?.model;
    if (!model) return null;
    const errs = this.held
      .filter((h) => h.epoch === epoch && h.sample.throughputOpsPerSec > 0)
      .map((h) => Math.abs(Math.log(h.sample.throughputOpsPerSec / throughputOf(model, h.sample.cacheMB, h.sample.bandwidthMbps, h.sample.partitions))))
      .sort((a, b) => a - b);
    if (errs.length === 0) return null;
    const mid = errs.length >> 1;
    return errs.length % 2 ? errs[mid] : (errs[mid - 1] + errs[mid]) / 2;
  }

  /**
   * Closes the current epoch: checks the model against it (the out-of-sample error), raises drift after two
   * wrong epochs, refits. `ctx.region`: the bundles the market may give the app next (its confidence speaks for those).
   */
  endEpoch(ctx: EpochContext = {}): DriftEvent | null {
    if (ctx === null || typeof ctx !== 'object') throw new InputError('endEpoch', `takes { region? }, got ${describe(ctx)}`);
    const region = ctx.region === undefined ? undefined : checkRegion('endEpoch.region', ctx.region);
    const regionChanged = JSON.stringify(region) !== JSON.stringify(this.region);
    this.region = region;
    const closing = this.epoch;
    this.epoch++;
    const err = this.epochError(closing);
    let event: DriftEvent | null = null;
    if (err !== null) {
      this.lastError = err;
      this.errorRelevance = this.priorWeightShare(closing);
      const wrong = err > this.opts.driftThreshold;
      this.wrongStreak = wrong ? this.wrongStreak + 1 : 0;
      if (this.wrongStreak >= 2) {
        this.held = this.held.filter((h) => h.epoch >= closing - 1);
        event = {
          type: 'drift', app: this.appId, epoch: closing, error: err, previousError: this.previousError,
          threshold: this.opts.driftThreshold, samplesKept: this.held.length, atMs: this.lastTimeMs ?? 0,
        };
        this.rebuildCurveFromRecentPages(closing - 1);
        this.wrongStreak = 0;
      }
      this.previousError = err;
    }
    const fresh = this.held.some((h) => h.epoch === closing);
    if (fresh || event || (!this.fit && this.held.length > 0) || (regionChanged && this.fit)) {
      if (event || !this.carry(err)) this.refit();
    }
    this.enough = this.judge();
    return event;
  }

  private rebuildCurveFromRecentPages(fromEpoch: number): void {
    if (!this.builder) return;
    this.builder.reset();
    this.epochPages = this.epochPages.filter((e) => e.epoch >= fromEpoch);
    for (const e of this.epochPages) this.builder.addPages(e.pages);
  }

  /** The confidence and its factors: the fit's, with quality bounded by the last epoch's out-of-sample error. */
  private confidence(): { confidence: number; heldOut: number } {
    const f = this.fit;
    if (!f) return { confidence: 0, heldOut: 0 };
    // the error of the model fitted before the last epoch, on that epoch: it speaks for the current fit as far
    // as the current fit rests on the same data (a model of 2 samples failing says little about one of 40)
    const q = this.lastError === null ? 1 : 1 / (1 + (this.lastError / QUALITY_REF) ** 2);
    const heldOut = 1 - this.errorRelevance + this.errorRelevance * q;
    const trust = this.source === 'measured' ? MEASURED_CURVE_TRUST : 1;
    const c = f.parts.coverage * f.parts.precision * Math.min(f.parts.quality, heldOut) * trust;
    return { confidence: Number.isFinite(c) ? Math.min(1, Math.max(0, c)) : 0, heldOut };
  }

  /** enoughData, with hysteresis: entered at minConfidence, kept down to stayFraction x minConfidence. */
  private judge(): boolean {
    const f = this.fit;
    if (!f || f.samplesUsed < this.opts.minSamples) return false;
    const bar = this.enough ? this.opts.minConfidence * this.opts.stayFraction : this.opts.minConfidence;
    return this.confidence().confidence >= bar;
  }

  /** What the market should use now. */
  current(): AppEstimate {
    const f = this.fit;
    const { confidence, heldOut } = this.confidence();
    return {
      model: f ? f.model : null,
      confidence,
      residual: f ? f.residual : 1,
      enoughData: this.enough,
      samples: this.held.length,
      epoch: this.epoch,
      mrcSource: this.source,
      lastEpochError: this.lastError,
      parts: f ? { ...f.parts, heldOut } : { coverage: 0, precision: 0, quality: 0, heldOut: 0 },
      region: f ? f.region : null,
      predictionSigma: f ? f.predictionSigma : null,
      carriedEpochs: this.carried,
    };
  }

  /** Releases the WASM state of the sampled-page curve. */
  dispose(): void {
    this.builder?.dispose();
    this.builder = null;
  }
}

/** A record's split (TelemetryRecord.partitions): 1..2 partitions, shares in [0, 1] summing to 1, sizes >= 0. */
function checkRecordPartitions(ps: unknown): void {
  if (!Array.isArray(ps) || ps.length < 1 || ps.length > MAX_RECORD_PARTITIONS) {
    throw new InputError('record.partitions', `must be an array of 1 to ${MAX_RECORD_PARTITIONS} partitions, got ${describe(ps)}`);
  }
  let sum = 0;
  ps.forEach((p: unknown, k) => {
    if (p === null || typeof p !== 'object') throw new InputError(`record.partitions[${k}]`, `must be { accessShare, cacheMB }, got ${describe(p)}`);
    const q = p as { accessShare: unknown; cacheMB: unknown };
    checkNumber(`record.partitions[${k}].accessShare`, q.accessShare, { min: 0, max: 1 });
    checkNumber(`record.partitions[${k}].cacheMB`, q.cacheMB, { min: 0 });
    sum += q.accessShare as number;
  });
  if (Math.abs(sum - 1) > RECORD_SHARE_SUM_TOLERANCE) throw new InputError('record.partitions', `accessShare must sum to 1, got ${sum}`);
}
