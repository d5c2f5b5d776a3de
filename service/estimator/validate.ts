// Input checks shared by the estimator's entry points: each throws InputError naming the field and the value.
import { InputError } from '../errors.ts';

export interface NumberRule {
  min?: number;
  /** min is exclusive */
  above?: boolean;
  max?: number;
  integer?: boolean;
}

export function describe(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '...' : v}'`;
  if (v === undefined) return 'nothing (missing)';
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? s.slice(0, 60) + '...' : s;
  } catch {
    return typeof v;
  }
}

/** A finite number obeying the rule, or an InputError at `where`. */
export function checkNumber(where: string, v: unknown, rule: NumberRule = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(where, `must be a finite number, got ${describe(v)}`);
  if (rule.integer && !Number.isInteger(v)) throw new InputError(where, `must be an integer, got ${v}`);
  if (rule.min !== undefined) {
    if (rule.above ? v <= rule.min : v < rule.min) {
      throw new InputError(where, `must be ${rule.above ? '>' : '>='} ${rule.min}, got ${v}`);
    }
  }
  if (rule.max !== undefined && v > rule.max) throw new InputError(where, `must be <= ${rule.max}, got ${v}`);
  return v;
}

/** An optional number: undefined gives the default. */
export function optNumber(where: string, v: unknown, dflt: number, rule: NumberRule = {}): number {
  return v === undefined ? dflt : checkNumber(where, v, rule);
}

/**
 * A miss-ratio curve as the scenario format requires: >= 2 [cacheMB, missRatio] points, cacheMB >= 0 and
 * strictly increasing, missRatio in [0, 1] and non-increasing. Returns a copy.
 */
/** An optional boolean option: `dflt` when absent, else it must be a boolean. */
export function optBoolean(where: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new InputError(where, `must be true or false, got ${describe(v)}`);
  return v;
}

export function checkMrc(where: string, mrc: unknown, maxPoints: number): [number, number][] {
  if (!Array.isArray(mrc)) throw new InputError(where, `must be an array of [cacheMB, missRatio] points, got ${describe(mrc)}`);
  if (mrc.length < 2) throw new InputError(where, `needs at least 2 points, got ${mrc.length}`);
  if (mrc.length > maxPoints) throw new InputError(where, `has ${mrc.length} points; at most ${maxPoints} are accepted`);
  const out: [number, number][] = [];
  mrc.forEach((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 2) throw new InputError(`${where}[${i}]`, `must be a [cacheMB, missRatio] pair, got ${describe(p)}`);
    const c = checkNumber(`${where}[${i}][0]`, p[0], { min: 0 });
    const m = checkNumber(`${where}[${i}][1]`, p[1], { min: 0, max: 1 });
    if (i > 0 && c <= out[i - 1][0]) throw new InputError(`${where}[${i}][0]`, `cacheMB ${c} is not above the previous point's ${out[i - 1][0]}; cacheMB must be strictly increasing`);
    if (i > 0 && m > out[i - 1][1]) throw new InputError(`${where}[${i}][1]`, `missRatio ${m} is above the previous point's ${out[i - 1][1]}; missRatio must be non-increasing`);
    out.push([c, m]);
  });
  return out;
}
