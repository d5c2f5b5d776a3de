// Full validation of a scenario: shape (schema.ts), then relations between fields. Bad input throws an
// InputError naming the field (a JSON path) and the problem; small measurement noise in curves is smoothed
// and reported as a warning instead (see MRC_NOISE_TOLERANCE).
import { InputError } from '../errors.ts';
import { MAX_SCENARIO_BYTES, MRC_NOISE_TOLERANCE, SURFACE_NOISE_TOLERANCE } from '../limits.ts';
import { formatPath } from './path.ts';
import { scenarioSchema } from './schema.ts';
import { scenarioShape } from './shape.ts';
import type { AppSpec, MrcModel, Scenario, SurfaceModel } from './types.ts';
import { nonIncreasingFit } from './isotonic.ts';

export interface ParseOptions {
  /** reject any rise in a miss-ratio curve or dip in a surface, however small */
  strict?: boolean;
}

export interface Parsed {
  scenario: Scenario;
  warnings: string[];
}

const MAX_DETAILS = 20;

/** Parse JSON text (a file's contents or a request body) into a validated scenario. */
export function parseScenarioText(text: string, opts: ParseOptions = {}): Parsed {
  if (text.length > MAX_SCENARIO_BYTES) {
    throw new InputError('', `scenario is ${text.length} bytes; the limit is ${MAX_SCENARIO_BYTES}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError('', `not valid JSON (${(err as Error).message})`);
  }
  return validateScenario(json, opts);
}

/** Validate an already-parsed JSON value. Returns a copy; the input is not modified. */
export function validateScenario(input: unknown, opts: ParseOptions = {}): Parsed {
  // the hand-written shape check (shape.ts) accepts exactly what the zod schema does, at a fraction of the
  // cost; zod runs only for input it refuses, for its messages. Either result is a copy at every level, so the
  // smoothing below never reaches the caller's value.
  let scenario = scenarioShape(input);
  if (!scenario) {
    const r = scenarioSchema.safeParse(input);
    if (!r.success) {
      const details = r.error.issues.slice(0, MAX_DETAILS).map((i) => ({ where: formatPath(i.path), problem: i.message }));
      throw new InputError(details[0].where, details[0].problem, details);
    }
    scenario = r.data as Scenario;
  }
  const warnings: string[] = [];
  const seen = new Map<string, number>();
  scenario.apps.forEach((app, i) => {
    const prev = seen.get(app.id);
    if (prev !== undefined) throw new InputError(`apps[${i}].id`, `duplicate id '${app.id}' (also apps[${prev}].id)`);
    seen.set(app.id, i);
    if (app.model.type === 'mrc') checkMrc(app.model, `apps[${i}].model`, app.id, opts, warnings);
    else checkSurface(app.model, `apps[${i}].model`, app.id, opts, warnings);
    if (app.model.type === 'surface' && app.partitionable === true) {
      throw new InputError(`apps[${i}].partitionable`, `app '${app.id}' has a sampled surface, not a miss-ratio curve: only an mrc model can be split into partitions`);
    }
    checkLimits(app, `apps[${i}].limits`, scenario);
  });
  checkMinimaFeasible(scenario);
  return { scenario, warnings };
}

function checkMrc(m: MrcModel, where: string, id: string, opts: ParseOptions, warnings: string[]): void {
  for (let k = 1; k < m.mrc.length; k++) {
    if (!(m.mrc[k][0] > m.mrc[k - 1][0])) {
      throw new InputError(`${where}.mrc[${k}][0]`,
        `cacheMB must be strictly increasing (${m.mrc[k][0]} after ${m.mrc[k - 1][0]})`);
    }
  }
  let worst = 0;
  let worstAt = -1;
  for (let k = 1; k < m.mrc.length; k++) {
    const rise = m.mrc[k][1] - m.mrc[k - 1][1];
    if (rise > worst) { worst = rise; worstAt = k; }
  }
  if (worstAt < 0) return;
  const msg = `miss ratio rises from ${m.mrc[worstAt - 1][1]} to ${m.mrc[worstAt][1]}; a miss-ratio curve must be non-increasing`;
  if (opts.strict || worst > MRC_NOISE_TOLERANCE) {
    const why = opts.strict ? '' : ` (rises up to ${MRC_NOISE_TOLERANCE} are smoothed as measurement noise; this one is larger)`;
    throw new InputError(`${where}.mrc[${worstAt}][1]`, msg + why);
  }
  const fitted = nonIncreasingFit(m.mrc.map((p) => p[1]));
  m.mrc = m.mrc.map((p, k) => [p[0], fitted[k]]);
  warnings.push(`app '${id}': ${where}.mrc: ${msg}; smoothed to the nearest non-increasing curve (largest rise ${round(worst)})`);
}

function checkSurface(m: SurfaceModel, where: string, id: string, opts: ParseOptions, warnings: string[]): void {
  for (const axis of ['cacheMB', 'bandwidthMbps'] as const) {
    const a = m[axis];
    for (let k = 1; k < a.length; k++) {
      if (!(a[k] > a[k - 1])) throw new InputError(`${where}.${axis}[${k}]`, `must be strictly increasing (${a[k]} after ${a[k - 1]})`);
    }
  }
  const nx = m.cacheMB.length;
  const ny = m.bandwidthMbps.length;
  if (m.throughput.length !== nx) {
    throw new InputError(`${where}.throughput`, `has ${m.throughput.length} rows; expected one per cacheMB value (${nx})`);
  }
  let top = 0;
  m.throughput.forEach((row, i) => {
    if (row.length !== ny) {
      throw new InputError(`${where}.throughput[${i}]`, `has ${row.length} values; expected one per bandwidthMbps value (${ny})`);
    }
    for (const v of row) top = Math.max(top, v);
  });
  if (top <= 0) throw new InputError(`${where}.throughput`, 'is zero everywhere; the app can do no work with any bundle');
  // non-decreasing in both: compare with the running maximum (the smallest non-decreasing surface above it)
  let worst = 0;
  let worstAt = '';
  const fixed = m.throughput.map((row) => row.slice());
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      const floor = Math.max(i > 0 ? fixed[i - 1][j] : 0, j > 0 ? fixed[i][j - 1] : 0);
      if (fixed[i][j] < floor) {
        if (floor - fixed[i][j] > worst) { worst = floor - fixed[i][j]; worstAt = `[${i}][${j}]`; }
        fixed[i][j] = floor;
      }
    }
  }
  if (!worstAt) return;
  const msg = `throughput falls by ${round(worst)} with more resources; a surface must be non-decreasing in both`;
  if (opts.strict || worst > SURFACE_NOISE_TOLERANCE * top) {
    throw new InputError(`${where}.throughput${worstAt}`, msg);
  }
  m.throughput = fixed;
  warnings.push(`app '${id}': ${where}.throughput${worstAt}: ${msg}; raised to the running maximum`);
}

function checkLimits(app: AppSpec, where: string, s: Scenario): void {
  const l = app.limits;
  if (!l) return;
  const pairs = [
    ['minCacheMB', 'maxCacheMB', s.capacity.cacheMB, 'cache capacity', 'MB'],
    ['minBandwidthMbps', 'maxBandwidthMbps', s.capacity.bandwidthMbps, 'bandwidth capacity', 'Mbps'],
  ] as const;
  for (const [lo, hi, cap, capName, unit] of pairs) {
    const min = l[lo];
    const max = l[hi];
    if (min !== undefined && max !== undefined && min > max) {
      throw new InputError(`${where}.${lo}`, `${min} is above ${hi} ${max}`);
    }
    if (min !== undefined && min > cap) {
      throw new InputError(`${where}.${lo}`, `${min} ${unit} is more than the node's whole ${capName} (${cap} ${unit})`);
    }
  }
}

function checkMinimaFeasible(s: Scenario): void {
  const sums = { cache: 0, bw: 0 };
  for (const a of s.apps) {
    sums.cache += a.limits?.minCacheMB ?? 0;
    sums.bw += a.limits?.minBandwidthMbps ?? 0;
  }
  // relative slack so that minima that add up to exactly the capacity are accepted despite rounding
  const eps = 1e-9;
  if (sums.cache > s.capacity.cacheMB * (1 + eps)) {
    throw new InputError('apps[*].limits.minCacheMB',
      `the apps' minimum cache adds up to ${round(sums.cache)} MB but the node has only ${s.capacity.cacheMB} MB: these minima cannot all be met`);
  }
  if (sums.bw > s.capacity.bandwidthMbps * (1 + eps)) {
    throw new InputError('apps[*].limits.minBandwidthMbps',
      `the apps' minimum bandwidth adds up to ${round(sums.bw)} Mbps but the node has only ${s.capacity.bandwidthMbps} Mbps: these minima cannot all be met`);
  }
}

const round = (v: number): number => Math.round(v * 1e4) / 1e4;
