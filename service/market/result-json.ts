// A solve's result (solve.ts) as JSON text, written field by field: exactly the text JSON.stringify(result)
// gives (same keys, same order, same numbers), at about half its cost on the uncached POST /v1/solve path,
// where JSON.stringify's generic walk (each key looked up and escaped, each object checked for toJSON) was
// a tenth of a request. tests/market/result-json.test.ts compares the two on thousands of solves.
import type { Allocation, Certificate, SolveResult } from '../scenario/types.ts';

/** A number as JSON.stringify writes it: the shortest round-trip text, null when not finite. */
const num = (v: number): string => (Number.isFinite(v) ? `${v}` : 'null');
const str = (s: string): string => JSON.stringify(s);

function strings(a: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < a.length; i++) out += (i ? ',' : '') + str(a[i]);
  return out + ']';
}

function allocation(a: Allocation): string {
  let out = `{"id":${str(a.id)},"cacheMB":${num(a.cacheMB)},"bandwidthMbps":${num(a.bandwidthMbps)},"normalizedPerf":${num(a.normalizedPerf)}`;
  if (a.partitions !== undefined) {
    out += ',"partitions":[';
    for (let k = 0; k < a.partitions.length; k++) {
      const q = a.partitions[k];
      out += `${k ? ',' : ''}{"accessShare":${num(q.accessShare)},"cacheMB":${num(q.cacheMB)}}`;
    }
    out += ']';
  }
  return out + '}';
}

function certificate(c: Certificate): string {
  let out = `{"cleared":${c.cleared},"iterations":${num(c.iterations)},"leftoverCacheMB":${num(c.leftoverCacheMB)},` +
    `"leftoverBandwidthMbps":${num(c.leftoverBandwidthMbps)},"maxEnvy":${num(c.maxEnvy)},"sharingIncentiveViolations":${strings(c.sharingIncentiveViolations)}`;
  if (c.envious !== undefined) {
    out += ',"envious":[';
    for (let k = 0; k < c.envious.length; k++) {
      const e = c.envious[k];
      out += `${k ? ',' : ''}{"app":${str(e.app)},"envies":${str(e.envies)},"ratio":${num(e.ratio)}}`;
    }
    out += ']';
  }
  if (c.allAtMaximum !== undefined) out += `,"allAtMaximum":${c.allAtMaximum}`;
  if (c.geoMeanPerf !== undefined) out += `,"geoMeanPerf":${num(c.geoMeanPerf)}`;
  if (c.minPerf !== undefined) out += `,"minPerf":${num(c.minPerf)}`;
  if (c.trustRegion !== undefined) out += `,"trustRegion":${c.trustRegion}`;
  if (c.step !== undefined) out += `,"step":{"fractionCache":${num(c.step.fractionCache)},"fractionBandwidth":${num(c.step.fractionBandwidth)}}`;
  if (c.held !== undefined) out += `,"held":${c.held}`;
  if (c.method !== undefined) out += `,"method":${str(c.method)}`;
  const e = c.equilibrium;
  if (e !== undefined) {
    // (the budgets' keys in the order JSON.stringify takes them: integer-like ids first)
    let budgets = '{';
    let first = true;
    for (const id of Object.keys(e.budgets)) {
      budgets += `${first ? '' : ','}${str(id)}:${num(e.budgets[id])}`;
      first = false;
    }
    out += `,"equilibrium":{"exact":${e.exact},"bestResponseGap":${num(e.bestResponseGap)},"budgets":${budgets}},` +
      `"dividend":${num(e.dividend)},"marginShare":${num(e.marginShare)}}`;
  }
  return out + '}';
}

/**
 * JSON.stringify(r) for a result built by solveScenario (its fields in its order). A result with any other
 * key (one this writer does not know) goes to JSON.stringify, so nothing is ever dropped.
 */
export function resultJson(r: SolveResult): string {
  if (!knownShape(r)) return JSON.stringify(r);
  let out = `{"policy":${str(r.policy)}`;
  if (r.prices !== undefined) out += `,"prices":{"cache":${num(r.prices.cache)},"bandwidth":${num(r.prices.bandwidth)}}`;
  out += ',"allocations":[';
  for (let i = 0; i < r.allocations.length; i++) out += (i ? ',' : '') + allocation(r.allocations[i]);
  out += `],"certificate":${certificate(r.certificate)},"elapsedMs":${num(r.elapsedMs)}`;
  if (r.engine !== undefined) out += `,"engine":${str(r.engine)}`;
  if (r.warnings !== undefined) out += `,"warnings":${strings(r.warnings)}`;
  if (r.convexified !== undefined) out += `,"convexified":${r.convexified}`;
  return out + '}';
}

const RESULT_KEYS = ['policy', 'prices', 'allocations', 'certificate', 'elapsedMs', 'engine', 'warnings', 'convexified'];
const CERTIFICATE_KEYS = ['cleared', 'iterations', 'leftoverCacheMB', 'leftoverBandwidthMbps', 'maxEnvy', 'sharingIncentiveViolations',
  'envious', 'allAtMaximum', 'geoMeanPerf', 'minPerf', 'trustRegion', 'step', 'held', 'method', 'equilibrium'];

/** Every key of the result and its certificate is one this writer knows, in the order it writes them. */
function knownShape(r: SolveResult): boolean {
  return inOrder(r, RESULT_KEYS) && inOrder(r.certificate, CERTIFICATE_KEYS);
}

function inOrder(o: object, keys: readonly string[]): boolean {
  let at = 0;
  for (const k in o) {
    while (at < keys.length && keys[at] !== k) at++;
    if (at === keys.length) return false;
    at++;
  }
  return true;
}
