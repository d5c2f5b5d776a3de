// The experiments `spirit experiment NAME` knows.
import { policiesExperiment } from './policies.ts';
import { scalingExperiment } from './scaling.ts';
import type { Experiment } from './types.ts';

export const EXPERIMENTS: readonly Experiment[] = [policiesExperiment, scalingExperiment];
