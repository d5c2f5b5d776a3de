// Shared test helpers for the market: bundled examples, engines, and checks on results.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../service/market/engines.ts';
import type { Engine } from '../../service/market/engine.ts';
import { validateScenario } from '../../service/scenario/validate.ts';
import type { Scenario, SolveResult } from '../../service/scenario/types.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const EXAMPLES_DIR = join(ROOT, 'examples');

export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
}

export function loadExample(name: string): Scenario {
  return validateScenario(JSON.parse(readFileSync(join(EXAMPLES_DIR, `${name}.json`), 'utf8'))).scenario;
}

let wasm: Engine | null = null;
let ts: Engine | null = null;
export async function engines(): Promise<{ wasm: Engine; ts: Engine }> {
  wasm ??= await createEngine('wasm');
  ts ??= await createEngine('ts');
  return { wasm, ts };
}

/** Shares used by the result (sum of bundles / capacity) and per-app limit checks. */
export function checkFeasible(s: Scenario, r: SolveResult, tol = 1e-9): string[] {
  const errors: string[] = [];
  let c = 0;
  let b = 0;
  r.allocations.forEach((a, i) => {
    c += a.cacheMB;
    b += a.bandwidthMbps;
    const l = s.apps[i].limits ?? {};
    const capC = s.capacity.cacheMB * tol;
    const capB = s.capacity.bandwidthMbps * tol;
    if (a.cacheMB < -capC || a.bandwidthMbps < -capB) errors.push(`${a.id}: negative bundle`);
    if (l.minCacheMB !== undefined && a.cacheMB < l.minCacheMB - capC) errors.push(`${a.id}: cache ${a.cacheMB} < min ${l.minCacheMB}`);
    if (l.maxCacheMB !== undefined && a.cacheMB > l.maxCacheMB + capC) errors.push(`${a.id}: cache ${a.cacheMB} > max ${l.maxCacheMB}`);
    if (l.minBandwidthMbps !== undefined && a.bandwidthMbps < l.minBandwidthMbps - capB) errors.push(`${a.id}: bandwidth below min`);
    if (l.maxBandwidthMbps !== undefined && a.bandwidthMbps > l.maxBandwidthMbps + capB) errors.push(`${a.id}: bandwidth above max`);
  });
  if (c > s.capacity.cacheMB * (1 + tol)) errors.push(`cache ${c} > capacity ${s.capacity.cacheMB}`);
  if (b > s.capacity.bandwidthMbps * (1 + tol)) errors.push(`bandwidth ${b} > capacity ${s.capacity.bandwidthMbps}`);
  return errors;
}

/** Cleared per the spec: leftover of each resource <= 0.5% of capacity unless every app is at its maximum. */
export function clearedOrAtMax(s: Scenario, r: SolveResult): boolean {
  const leftC = r.certificate.leftoverCacheMB / s.capacity.cacheMB;
  const leftB = r.certificate.leftoverBandwidthMbps / s.capacity.bandwidthMbps;
  const atMax = (key: 'cacheMB' | 'bandwidthMbps', lim: 'maxCacheMB' | 'maxBandwidthMbps'): boolean =>
    r.allocations.every((a, i) => a[key] >= Math.min(s.apps[i].limits?.[lim] ?? Infinity, s.capacity[key]) * (1 - 1e-9));
  return (leftC <= 0.005 || atMax('cacheMB', 'maxCacheMB')) && (leftB <= 0.005 || atMax('bandwidthMbps', 'maxBandwidthMbps'));
}
