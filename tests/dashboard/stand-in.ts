// A node daemon stand-in for the dashboard's tests (and for trying the dashboard by hand): it reads each app's
// bundle from the service's HTTP API and posts the telemetry a daemon would, computed from a true model of the
// app at that bundle with a little noise (throughput, miss ratio, page traffic, the stall and token wait per
// miss). A bundle split into partitions is measured as the data plane would run it: each partition like the
// whole app with its cache over its share of the pages. The service, its estimators, market and HTTP API are the real ones.
import type { MrcModel } from '../../service/scenario/types.ts';
import { missRatioAt, splitMissRatio, throughputAtMiss } from '../../service/estimator/model.ts';

export interface StandInApp { id: string; model: MrcModel }

export interface StandIn {
  /** one period: every app's record at the bundle in force (apps without a bundle yet: their equal share) */
  tick(): Promise<number>;
  stop(): void;
}

/** Starts posting a record per app every `periodMs` (and `tick()` posts one period on demand). */
export function standIn(url: string, token: string, node: string, apps: () => StandInApp[], periodMs: number, seed = 1): StandIn {
  let t = Date.now();
  let s = seed >>> 0;
  const noise = (): number => { // xorshift32: deterministic, within +-5%
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return 1 + ((s / 4294967296) - 0.5) * 0.1;
  };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const tick = async (): Promise<number> => {
    const list = apps();
    if (list.length === 0) return 0;
    const nodeRes = await fetch(`${url}/v1/nodes/${node}`);
    if (!nodeRes.ok) return 0;
    type Bundle = { app: string; cacheMB: number; bandwidthMbps: number; partitions?: { accessShare: number; cacheMB: number }[] };
    const view = await nodeRes.json() as { capacity: { cacheMB: number; bandwidthMbps: number }; allocation: { bundles: Bundle[] } | null };
    const bundles = new Map((view.allocation?.bundles ?? []).map((b) => [b.app, b]));
    t = Math.max(t + periodMs, Date.now());
    const records = list.map(({ id, model }) => {
      const b: Omit<Bundle, 'app'> = bundles.get(id) ?? { cacheMB: view.capacity.cacheMB / list.length, bandwidthMbps: view.capacity.bandwidthMbps / list.length };
      const miss = b.partitions?.length ? splitMissRatio(model.mrc, b.partitions) : missRatioAt(model.mrc, b.cacheMB);
      const ops = throughputAtMiss(model, miss, b.bandwidthMbps) * noise();
      const perMissNs = miss > 0 ? (1e9 / ops - model.localNs) / miss : 0;
      return {
        app: id, node, timeMs: t, cacheMB: b.cacheMB, bandwidthMbps: b.bandwidthMbps,
        throughputOpsPerSec: ops, missRatio: miss, pageTrafficBytesPerSec: ops * miss * model.pageBytes, residentBytes: b.cacheMB * 1048576,
        mrc: model.mrc, // the curve a daemon would have computed from its sampled pages
        ...(miss > 0 ? { missStallNs: model.remoteNs, missTokenWaitNs: Math.max(0, perMissNs - model.remoteNs) } : {}),
      };
    });
    const res = await fetch(`${url}/v1/telemetry`, { method: 'POST', headers, body: JSON.stringify({ records }) });
    if (res.status !== 202) throw new Error(`telemetry: ${res.status} ${await res.text()}`);
    return records.length;
  };
  let stopped = false;
  const loop = (): void => {
    if (stopped) return;
    tick().catch(() => {}).finally(() => { if (!stopped) timer = setTimeout(loop, periodMs); });
  };
  let timer = setTimeout(loop, periodMs);
  return { tick, stop() { stopped = true; clearTimeout(timer); } };
}
