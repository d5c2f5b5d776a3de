// The estimators of the apps whose nodes this replica holds: one AppEstimator (service/estimator) per app,
// created on the app's first telemetry record and dropped when the app leaves or its node's lease is lost.
import type { MrcModel } from '../scenario/types.ts';
import type { TelemetryRecord } from '../telemetry/record.ts';

/** What the control loop needs of an app estimator (service/estimator/app-estimator.ts AppEstimator). */
export interface EstimatorLike {
  ingest(record: TelemetryRecord): void;
  /** closes the epoch; `region`: the bundles the market may give the app next round (the confidence speaks for those) */
  endEpoch(ctx?: { region?: { cacheMB: [number, number]; bandwidthMbps: [number, number] } }): unknown;
  /** `samples`: records held (an app with none is not explored); `epoch`: epochs closed (exploration grows with them) */
  current(): {
    model: MrcModel | null; confidence: number; residual: number; enoughData: boolean; samples?: number; epoch?: number;
    /** the confidence's factors, for the debug log that says why an app is still at its equal share */
    parts?: Record<string, number>; mrcSource?: string; lastEpochError?: number | null;
  };
  dispose?(): void;
}

export type EstimatorFactory = (appId: string) => EstimatorLike;

/** The project's estimator (loaded at run time so the control layer does not pull it in until needed). */
export async function defaultEstimatorFactory(): Promise<EstimatorFactory> {
  const mod = (await import('../estimator/app-estimator.ts')) as { AppEstimator: new (id: string) => EstimatorLike };
  return (appId) => new mod.AppEstimator(appId);
}

export class Estimators {
  private readonly byApp = new Map<string, { node: string; est: EstimatorLike }>();

  constructor(private readonly make: EstimatorFactory) {}

  /** The app's estimator, made on first use. */
  of(app: string, node: string): EstimatorLike {
    let e = this.byApp.get(app);
    if (!e || e.node !== node) {
      e?.est.dispose?.();
      e = { node, est: this.make(app) };
      this.byApp.set(app, e);
    }
    return e.est;
  }

  get(app: string): EstimatorLike | undefined { return this.byApp.get(app)?.est; }

  /** Drops the estimators of apps that are gone (not in `keep`). */
  prune(keep: ReadonlySet<string>): void {
    for (const [app, e] of this.byApp) {
      if (!keep.has(app)) {
        e.est.dispose?.();
        this.byApp.delete(app);
      }
    }
  }

  dropNode(node: string): void {
    for (const [app, e] of this.byApp) {
      if (e.node === node) {
        e.est.dispose?.();
        this.byApp.delete(app);
      }
    }
  }

  get size(): number { return this.byApp.size; }

  disposeAll(): void {
    for (const e of this.byApp.values()) e.est.dispose?.();
    this.byApp.clear();
  }
}
