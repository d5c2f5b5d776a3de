// The drift of the simulated apps' curves (the cluster producer, and bench mrc's epoch close): the cache axis
// is scaled by 1 + DRIFT sin(2 pi t / DRIFT_PERIOD_MS + phase), so estimates keep changing.
import type { MrcModel } from '../../service/estimator/model.ts';

export const DRIFT_PERIOD_MS = 120_000;
export const DRIFT = 0.25;

export function drifted(model: MrcModel, phase: number, timeMs: number): MrcModel {
  const k = 1 + DRIFT * Math.sin((2 * Math.PI * timeMs) / DRIFT_PERIOD_MS + phase);
  return { ...model, mrc: model.mrc.map(([c, m]) => [c * k, m] as [number, number]) };
}
