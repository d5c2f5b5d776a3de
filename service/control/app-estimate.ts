// One app as the dashboard's app view shows it: the model behind its bundle (the estimator's live one when
// this replica holds the app's node, else the one an earlier round stored, else the declared one), its
// miss-ratio curve with the curve's lower convex hull and the point the app holds now (through its partitions
// when it is split), the estimator's confidence and its factors, weight, limits and the current bundle.
import { NotFoundError } from '../errors.ts';
import type { Model } from '../scenario/types.ts';
import { lowerConvexHull } from '../estimator/hull.ts';
import { missRatioAt, splitMissRatio } from '../estimator/model.ts';
import type { AllocationBundle, AppRecord, Bus } from '../bus/types.ts';
import type { Estimators } from './estimators.ts';

/** Where the model shown comes from: the live estimator (this replica holds the node), the last fitted model
 *  a round stored, the model given at registration, or none. */
export type ShownModelSource = 'estimator' | 'persisted' | 'declared' | 'none';

export interface AppEstimateView {
  app: string;
  node: string;
  weight: number;
  limits: AppRecord['limits'] | null;
  partitionable: boolean | null;
  modelSource: ShownModelSource;
  model: Model | null;
  /** the model's miss-ratio curve ([cacheMB, missRatio]) and its lower convex hull; null for surfaces and without a model */
  curve: [number, number][] | null;
  hull: [number, number][] | null;
  /** the estimator's state, when this replica holds the app's node and has seen its telemetry */
  estimate: {
    confidence: number; enoughData: boolean; residual: number; samples: number | null; epoch: number | null;
    mrcSource: string | null; lastEpochError: number | null; parts: Record<string, number> | null;
  } | null;
  allocation: (AllocationBundle & { epoch: number; timeMs: number }) | null;
  /** the point the app holds on its curve: its cache and the miss ratio the model gives it there (through its
   *  partitions when split: then on the hull) */
  holds: { cacheMB: number; missRatio: number; partitioned: boolean } | null;
}

export async function appEstimate(bus: Bus, estimators: Estimators, id: string): Promise<AppEstimateView> {
  const app = await bus.getApp(id);
  if (!app) throw new NotFoundError('app', id);
  const [doc, fitted] = await Promise.all([bus.getAllocation(app.node), bus.getFittedModels(app.node)]);
  const b = doc?.bundles.find((x) => x.app === id);
  const allocation = b && doc ? { ...b, epoch: doc.epoch, timeMs: doc.timeMs } : null;
  const est = estimators.get(id)?.current() ?? null;
  const [model, modelSource]: [Model | null, ShownModelSource] = est?.model ? [est.model, 'estimator']
    : fitted[id] ? [fitted[id], 'persisted']
    : app.model ? [app.model, 'declared'] : [null, 'none'];
  const curve = model?.type === 'mrc' ? model.mrc.map(([c, m]) => [c, m] as [number, number]) : null;
  const holds = curve && allocation ? {
    cacheMB: allocation.cacheMB,
    missRatio: allocation.partitions?.length ? splitMissRatio(curve, allocation.partitions) : missRatioAt(curve, allocation.cacheMB),
    partitioned: Boolean(allocation.partitions?.length),
  } : null;
  return {
    app: id, node: app.node, weight: app.weight, limits: app.limits ?? null, partitionable: app.partitionable ?? null,
    modelSource, model, curve, hull: curve ? lowerConvexHull(curve) : null,
    estimate: est ? {
      confidence: est.confidence, enoughData: est.enoughData, residual: est.residual, samples: est.samples ?? null, epoch: est.epoch ?? null,
      mrcSource: est.mrcSource ?? null, lastEpochError: est.lastEpochError ?? null, parts: est.parts ?? null,
    } : null,
    allocation, holds,
  };
}
