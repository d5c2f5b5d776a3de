// Shapes of the dashboard's read routes (a node's history, an app's estimate) for the OpenAPI document.
import { z } from 'zod';
import { limitsSchema, modelSchema } from '../scenario/schema.ts';
import { allocationBundleSchema, measuredSchema } from './schemas.ts';

const historyBundle = z.object({
  app: z.string(), cacheMB: z.number(), bandwidthMbps: z.number(),
  normalizedPerf: z.number().describe('predicted: the model\'s throughput at this bundle over its throughput at the app\'s equal share'),
  source: z.enum(['estimated', 'persisted', 'declared', 'equal-share']), confidence: z.number(),
  referenceOpsPerSec: z.number().optional(),
  measured: measuredSchema.optional().describe('what the daemon measured while this bundle was in force'),
  measuredNormalized: z.number().optional().describe('measured throughput over referenceOpsPerSec: the measured counterpart of normalizedPerf'),
});

export const historySchema = z.object({
  node: z.string(),
  maxRounds: z.number().int().describe('rounds kept per node (older ones are dropped)'),
  rounds: z.array(z.object({
    epoch: z.number().int(), timeMs: z.number(),
    prices: z.object({ cache: z.number(), bandwidth: z.number() }).optional(),
    marker: z.enum(['held', 'step', 'changed']).nullable()
      .describe('held: hysteresis kept the allocation; step: moved part of the way to the equilibrium; changed: moved; null: same bundles as before'),
    step: z.object({ fractionCache: z.number(), fractionBandwidth: z.number() }).optional(),
    cleared: z.boolean(), maxEnvy: z.number(),
    bundles: z.array(historyBundle),
  })).describe('oldest first'),
}).meta({ id: 'NodeHistory' });

export const historyQuery = z.strictObject({
  since: z.string().regex(/^\d{1,15}$/, 'must be a whole number (an epoch)').optional().describe('only rounds with this epoch or a later one'),
});

const point = z.tuple([z.number(), z.number()]);

export const appEstimateSchema = z.object({
  app: z.string(), node: z.string(), weight: z.number(), limits: limitsSchema.nullable(), partitionable: z.boolean().nullable(),
  modelSource: z.enum(['estimator', 'persisted', 'declared', 'none'])
    .describe('estimator: the live estimator of this replica (it holds the node); persisted: the last model a round stored; declared: given at registration'),
  model: modelSchema.nullable(),
  curve: z.array(point).nullable().describe('the model\'s miss-ratio curve, [cacheMB, missRatio]'),
  hull: z.array(point).nullable().describe('the lower convex hull of the curve'),
  estimate: z.object({
    confidence: z.number(), enoughData: z.boolean(), residual: z.number(), samples: z.number().nullable(), epoch: z.number().nullable(),
    mrcSource: z.string().nullable(), lastEpochError: z.number().nullable(), parts: z.record(z.string(), z.number()).nullable(),
  }).nullable().describe('the estimator\'s state (null unless this replica holds the node and has seen the app\'s telemetry)'),
  allocation: allocationBundleSchema.extend({ epoch: z.number().int(), timeMs: z.number() }).nullable(),
  holds: z.object({ cacheMB: z.number(), missRatio: z.number(), partitioned: z.boolean() }).nullable()
    .describe('the point the app holds on its curve (through its partitions when split)'),
}).meta({ id: 'AppEstimate' });
