// Shape of a scenario (spec/scenario.schema.json) as a zod schema: types, ranges, unknown fields.
// Relations between fields (increasing axes, limits against capacity, unique ids) are in validate.ts.
import { z } from 'zod';
import { MAX_APPS, MAX_ID_LENGTH, MAX_MRC_POINTS, MAX_SURFACE_AXIS } from '../limits.ts';

const nonNeg = z.number().min(0);
const positive = z.number().gt(0);

export const bundleSchema = z.object({ cacheMB: nonNeg, bandwidthMbps: nonNeg });

export const limitsSchema = z.strictObject({
  minCacheMB: nonNeg.optional(),
  maxCacheMB: nonNeg.optional(),
  minBandwidthMbps: nonNeg.optional(),
  maxBandwidthMbps: nonNeg.optional(),
});

export const mrcModelSchema = z.strictObject({
  type: z.literal('mrc'),
  mrc: z.array(z.tuple([nonNeg, z.number().min(0).max(1)])).min(2).max(MAX_MRC_POINTS),
  pageBytes: positive,
  localNs: positive,
  remoteNs: nonNeg,
});

export const surfaceModelSchema = z.strictObject({
  type: z.literal('surface'),
  cacheMB: z.array(nonNeg).min(2).max(MAX_SURFACE_AXIS),
  bandwidthMbps: z.array(nonNeg).min(2).max(MAX_SURFACE_AXIS),
  throughput: z.array(z.array(nonNeg).max(MAX_SURFACE_AXIS)).max(MAX_SURFACE_AXIS),
});

export const modelSchema = z.discriminatedUnion('type', [mrcModelSchema, surfaceModelSchema]);

export const appSchema = z.strictObject({
  id: z.string().min(1).max(MAX_ID_LENGTH),
  weight: positive.optional(),
  limits: limitsSchema.optional(),
  current: bundleSchema.optional(),
  model: modelSchema,
  partitionable: z.boolean().optional(),
});

export const capacitySchema = z.strictObject({ cacheMB: positive, bandwidthMbps: positive });

export const scenarioSchema = z.strictObject({
  name: z.string().optional(),
  capacity: capacitySchema,
  apps: z.array(appSchema).min(1).max(MAX_APPS),
});
