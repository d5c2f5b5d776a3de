// Plain-text tables for humans (stderr or a terminal); machine output stays JSON.
import type { Comparison } from '../market/compare.ts';

function pad(s: string, w: number, right = false): string {
  return right ? s.padStart(w) : s.padEnd(w);
}

export function renderTable(header: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]): string => cells.map((c, k) => pad(c, widths[k], rightAlign[k])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
/** Envy as a ratio; ENVY_CAP (an app with nothing that would do something with another's bundle) as "inf". */
const fmtEnvy = (v: number): string => (v >= 1e6 ? 'inf' : v.toFixed(3));

/** One table per policy (per app: cache, bandwidth, normalized performance) and a summary across policies. */
export function renderComparison(c: Comparison): string {
  const out: string[] = [`scenario: ${c.scenario}`];
  for (const r of c.results) {
    const rows = r.allocations.map((a) => [a.id, fmt(a.cacheMB, 0), fmt(a.bandwidthMbps, 0), fmt(a.normalizedPerf)]);
    out.push('', `policy ${r.policy}` + (r.prices ? `  (prices: cache ${fmt(r.prices.cache, 3)}, bandwidth ${fmt(r.prices.bandwidth, 3)})` : ''));
    out.push(renderTable(['app', 'cache MB', 'bandwidth Mbps', 'normalized perf'], rows, [false, true, true, true]));
  }
  const summary = c.results.map((r) => {
    const cert = r.certificate;
    const notes: string[] = [];
    if (cert.sharingIncentiveViolations.length) notes.push(`${cert.sharingIncentiveViolations.length} below fair share`);
    if (cert.maxEnvy > 0.01) {
      notes.push(cert.maxEnvy >= 1e6 ? 'envious (an app with nothing)'
        : cert.maxEnvy < 0.5 ? `envious (an app ${Math.round(cert.maxEnvy * 100)}% better off with another's bundle)`
          : `envious (an app ${fmt(cert.maxEnvy + 1, 1)}x better off with another's bundle)`);
    }
    if (!cert.cleared) notes.push('capacity idle');
    return [r.policy, fmt(cert.minPerf ?? NaN), fmt(cert.geoMeanPerf ?? NaN), fmtEnvy(cert.maxEnvy),
      fmt(cert.leftoverCacheMB, 0), fmt(cert.leftoverBandwidthMbps, 0), notes.join(', ') || 'fair'];
  });
  out.push('', 'summary (normalized performance: throughput / throughput at the weighted equal share)');
  out.push(renderTable(['policy', 'min', 'geo mean', 'max envy', 'idle MB', 'idle Mbps', 'notes'], summary,
    [false, true, true, true, true, true, false]));
  for (const s of c.skipped) out.push(`(${s.policy} skipped: ${s.reason})`);
  return out.join('\n');
}
