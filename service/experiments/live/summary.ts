// The figures of a live run: each app's throughput under each policy over static's in the same repeat
// (median and range over repeats), per policy the geometric mean, the worst app and the apps below 0.95 of
// static (measured sharing-incentive violations), and the issue's targets checked against what was measured.
import { geoMean, type Spread, spread, verdict } from './measure.ts';
import type { LivePolicy } from './policies.ts';
import { DYNAMIC_TARGET_ROUNDS, type LiveRun, type PolicyRun } from './run.ts';

/** Below this share of static's throughput an app counts as worse off (the issue's sharing-incentive bar). */
export const SI_BAR = 0.95;
export const TARGETS = { spiritGeoMean: 1.25, unsplitGeoMean: 1.1 } as const;

export interface AppSummary {
  vsStatic: Spread;
  verdict: 'gain' | 'loss' | 'no gain';
  opsPerSec: Spread;
  p99OpUs: Spread;
  trafficMbps: Spread;
  cacheMB: Spread;
  bandwidthMbps: Spread;
  residentMB: Spread;
  missRatio: Spread;
}

export interface PolicySummary {
  geoMean: Spread;
  verdict: 'gain' | 'loss' | 'no gain';
  worst: { app: string; vsStatic: number; repeat: number } | null;
  /** every (repeat, app) below SI_BAR of static */
  belowBar: { repeat: number; app: string; vsStatic: number }[];
  /** envy on the fitted curves (the last round's certificate of each repeat) */
  maxEnvy: Spread;
  settled: number;
  loadAvg1m: Spread;
  apps: Record<string, AppSummary>;
}

export interface Target { what: string; measured: string; met: boolean }

export interface LiveSummary {
  policies: Partial<Record<LivePolicy, PolicySummary>>;
  targets: Target[];
}

/** Throughput of `app` in `run` over static's in the same repeat (NaN when either was not measured). */
function ratio(runs: PolicyRun[], run: PolicyRun, app: string): number {
  const base = runs.find((r) => r.repeat === run.repeat && r.policy === 'static');
  const b = base?.apps[app]?.opsPerSec ?? NaN;
  const x = run.apps[app]?.opsPerSec ?? NaN;
  return b > 0 ? x / b : NaN;
}

export function summarize(run: LiveRun): LiveSummary {
  const apps = run.mix.workloads.map((w) => /id=([^,]+)/.exec(w)![1]);
  const policies: Partial<Record<LivePolicy, PolicySummary>> = {};
  for (const p of run.policies) {
    const mine = run.runs.filter((r) => r.policy === p);
    if (mine.length === 0) continue;
    const perRepeat = mine.map((r) => ({ r, ratios: apps.map((a) => ratio(run.runs, r, a)) }));
    const belowBar: PolicySummary['belowBar'] = [];
    let worst: PolicySummary['worst'] = null;
    for (const { r, ratios } of perRepeat) {
      ratios.forEach((x, i) => {
        if (!Number.isFinite(x)) return;
        if (x < SI_BAR) belowBar.push({ repeat: r.repeat, app: apps[i], vsStatic: round(x) });
        if (!worst || x < worst.vsStatic) worst = { app: apps[i], vsStatic: round(x), repeat: r.repeat };
      });
    }
    const geo = spread(perRepeat.map(({ ratios }) => geoMean(ratios)));
    const of = (a: string, f: (x: NonNullable<PolicyRun['apps'][string]>) => number): Spread => spread(mine.map((r) => (r.apps[a] ? f(r.apps[a]) : NaN)));
    policies[p] = {
      geoMean: geo, verdict: p === 'static' ? 'no gain' : verdict(geo), worst, belowBar,
      maxEnvy: spread(mine.map((r) => r.lastDoc.maxEnvy)), settled: mine.filter((r) => r.settled).length, loadAvg1m: spread(mine.map((r) => r.loadAvg1m)),
      apps: Object.fromEntries(apps.map((a) => {
        const vs = spread(mine.map((r) => ratio(run.runs, r, a)));
        return [a, {
          vsStatic: vs, verdict: p === 'static' ? 'no gain' : verdict(vs), opsPerSec: of(a, (x) => x.opsPerSec), p99OpUs: of(a, (x) => x.p99OpUs),
          trafficMbps: of(a, (x) => x.trafficMbps), cacheMB: of(a, (x) => x.cacheMB), bandwidthMbps: of(a, (x) => x.bandwidthMbps),
          residentMB: of(a, (x) => x.residentMB), missRatio: of(a, (x) => x.missRatio),
        } satisfies AppSummary];
      })),
    };
  }
  return { policies, targets: targets(run, policies) };
}

const round = (x: number, d = 3): number => Number(x.toFixed(d));
const fmt = (s: Spread): string => `${s.median} (${s.min}..${s.max})`;

function targets(run: LiveRun, ps: Partial<Record<LivePolicy, PolicySummary>>): Target[] {
  const out: Target[] = [];
  if (run.mix.name === 'dynamic' && run.dynamic) {
    for (const ph of run.dynamic.phases.slice(1)) {
      out.push({
        what: `phase ${ph.index + 1} (${ph.what}): back within 5% of the settled allocation within ${DYNAMIC_TARGET_ROUNDS} rounds`,
        measured: ph.settle ? `${ph.settle.rounds} rounds, ${ph.settle.seconds} s` : 'did not settle within the phase',
        met: ph.settle !== null && ph.settle.rounds <= DYNAMIC_TARGET_ROUNDS,
      });
    }
    return out;
  }
  if (run.mix.name !== 'paper') return out;
  const sp = ps.spirit;
  const un = ps['spirit-unsplit'];
  if (sp) {
    out.push({ what: `spirit (convexified) geometric mean >= ${TARGETS.spiritGeoMean} of static`, measured: fmt(sp.geoMean), met: sp.geoMean.median >= TARGETS.spiritGeoMean && sp.geoMean.min > 1 });
    const others = Object.entries(ps).filter(([k]) => k !== 'spirit' && k !== 'static');
    out.push({
      what: 'spirit (convexified) >= every other policy (median geometric mean)',
      measured: others.map(([k, v]) => `${k} ${v!.geoMean.median}`).join(', ') + ` vs spirit ${sp.geoMean.median}`,
      met: others.every(([, v]) => sp.geoMean.median >= v!.geoMean.median),
    });
    out.push({
      what: `spirit (convexified): no app below ${SI_BAR} of static in any repeat`,
      measured: sp.belowBar.length === 0 ? `none (worst ${sp.worst?.app} ${sp.worst?.vsStatic})` : sp.belowBar.map((b) => `${b.app} ${b.vsStatic} (repeat ${b.repeat})`).join(', '),
      met: sp.belowBar.length === 0,
    });
  }
  if (un) {
    out.push({
      what: `spirit unsplit geometric mean >= ${TARGETS.unsplitGeoMean} of static, no app below ${SI_BAR}`,
      measured: `${fmt(un.geoMean)}; below ${SI_BAR}: ${un.belowBar.length === 0 ? 'none' : un.belowBar.map((b) => `${b.app} ${b.vsStatic}`).join(', ')}`,
      met: un.geoMean.median >= TARGETS.unsplitGeoMean && un.geoMean.min > 1 && un.belowBar.length === 0,
    });
  }
  return out;
}
