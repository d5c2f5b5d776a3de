// Shapes of the API's inputs and outputs as zod schemas: the routes validate with them and the OpenAPI
// document (openapi.ts) is generated from them, so the two cannot drift apart.
import { z } from 'zod';
import { BUS_ID_PATTERN, MAX_BUS_ID_LENGTH } from '../bus/limits.ts';
import { telemetryRecordSchema } from '../bus/telemetry-schema.ts';
import { bundleSchema, capacitySchema, limitsSchema, modelSchema } from '../scenario/schema.ts';
import { POLICIES } from '../scenario/types.ts';
import { REGISTRY_RANGES } from '../limits.ts';
import { MAX_TELEMETRY_BATCH } from './limits.ts';

export const busId = z.string().min(1).max(MAX_BUS_ID_LENGTH)
  .regex(BUS_ID_PATTERN, 'may hold only letters, digits and . _ : - (and must start with a letter or digit)');

// inputs ------------------------------------------------------------------------------------------------------

export const nodeBody = z.strictObject({ capacity: capacitySchema }).meta({ id: 'NodeInput' });

export const appBody = z.strictObject({
  node: busId.describe('the node the app runs on (registered with PUT /v1/nodes/{id})'),
  weight: z.number().min(REGISTRY_RANGES.weight.min).max(REGISTRY_RANGES.weight.max).optional()
    .describe('share of the node the app is entitled to, relative to the others (default 1; 0.001 to 1000)'),
  limits: limitsSchema.optional(),
  model: modelSchema.optional().describe('a declared performance model, used until the estimator has enough telemetry'),
  partitionable: z.boolean().optional().describe('false when the data plane cannot split the app\'s pages by hash (kernel-swap apps under cgroups); default true'),
}).meta({ id: 'AppInput' });

const flag = z.enum(['true', 'false', '1', '0']);

export const solveQuery = z.strictObject({
  policy: z.enum(POLICIES).optional().describe('allocation policy, as `spirit solve --policy` (default spirit)'),
  strict: flag.optional().describe('reject any rise in a miss-ratio curve instead of smoothing measurement noise'),
});

export const nodeFilterQuery = z.strictObject({ node: busId.optional().describe('only this node') });

export const telemetryBody = z.strictObject({
  records: z.array(telemetryRecordSchema).min(1).max(MAX_TELEMETRY_BATCH),
}).meta({ id: 'TelemetryBatch' });

// outputs -----------------------------------------------------------------------------------------------------

export const errorSchema = z.object({
  code: z.string().describe('bad_input, not_found, unauthorized, too_large, unavailable or internal'),
  message: z.string(),
  details: z.array(z.object({ where: z.string(), problem: z.string() })).optional().describe('every bad field (400 only)'),
}).meta({ id: 'Error' });

export const nodeRecordSchema = z.object({
  id: z.string(), capacity: capacitySchema, createdMs: z.number(), updatedMs: z.number(),
}).meta({ id: 'Node' });

export const appRecordSchema = z.object({
  id: z.string(), node: z.string(), weight: z.number(), limits: limitsSchema.optional(), model: modelSchema.optional(),
  partitionable: z.boolean().optional(), createdMs: z.number(), updatedMs: z.number(),
}).meta({ id: 'App' });

const certificateSchema = z.looseObject({
  cleared: z.boolean(), iterations: z.number(), leftoverCacheMB: z.number(), leftoverBandwidthMbps: z.number(),
  maxEnvy: z.number(), sharingIncentiveViolations: z.array(z.string()), held: z.boolean().optional(), trustRegion: z.boolean().optional(),
}).meta({ id: 'Certificate' });

export const measuredSchema = z.object({
  records: z.number().int(), fromMs: z.number(), toMs: z.number(), throughputOpsPerSec: z.number(), missRatio: z.number(),
  pageTrafficBytesPerSec: z.number(), cacheMB: z.number(), bandwidthMbps: z.number(),
}).describe('means of the telemetry records of the app between two rounds').meta({ id: 'Measured' });

const bundleOutSchema = z.object({
  app: z.string(), cacheMB: z.number(), bandwidthMbps: z.number(), normalizedPerf: z.number(),
  source: z.enum(['estimated', 'persisted', 'declared', 'equal-share']).describe('where the model behind the bundle came from'),
  confidence: z.number().describe("the estimator's confidence in its model, 0..1"),
  partitions: z.array(z.object({ accessShare: z.number(), cacheMB: z.number() })).min(1).max(2).optional()
    .describe('the hash split of the app\'s pages that realizes the convex hull of its curve (convexified rounds)'),
  referenceOpsPerSec: z.number().optional().describe('the model\'s throughput at the app\'s equal share (accesses/s); absent for pinned apps'),
  measured: measuredSchema.optional().describe('what the daemon measured since the previous round, i.e. under the previous allocation'),
}).meta({ id: 'AllocationBundle' });
export const allocationBundleSchema = bundleOutSchema;

const prices = z.object({ cache: z.number(), bandwidth: z.number() });

export const allocationSchema = z.object({
  node: z.string(), epoch: z.number().int().describe('increases by one every round'), timeMs: z.number(), replica: z.string(),
  policy: z.enum(POLICIES), bundles: z.array(bundleOutSchema), prices: prices.optional(), certificate: certificateSchema,
  elapsedMs: z.number(), engine: z.enum(['wasm', 'ts']).optional(),
}).meta({ id: 'Allocation' });

export const nodeViewSchema = nodeRecordSchema.extend({
  apps: z.array(z.string()),
  allocation: allocationSchema.omit({ certificate: true }).nullable(),
  certificate: certificateSchema.nullable(),
  lastTelemetryMs: z.number().nullable().describe('when the newest telemetry record of the node was ingested'),
  silent: z.boolean().describe('the daemon stopped sending telemetry; the node keeps its last allocation'),
  lastRoundMs: z.number().nullable(), lastError: z.string().nullable(), lastErrorMs: z.number().nullable(),
  leaseHolder: z.string().nullable().describe('the service replica that allocates the node'),
}).meta({ id: 'NodeView' });

const appAllocation = bundleOutSchema.extend({ epoch: z.number().int(), timeMs: z.number() });

export const appViewSchema = appRecordSchema.extend({ allocation: appAllocation.nullable() }).meta({ id: 'AppView' });
export const appAllocationSchema = appAllocation.extend({ node: z.string() }).meta({ id: 'AppAllocation' });

/** A PUT answers with what was stored, plus any warnings (a declared curve smoothed, for example). */
export const withWarnings = <S extends z.ZodObject>(s: S) => s.extend({ warnings: z.array(z.string()).optional() });

export const healthSchema = z.object({ status: z.literal('ok') });
export const readySchema = z.object({
  ready: z.boolean(), bus: z.object({ kind: z.enum(['memory', 'redis']), reachable: z.boolean() }),
  engine: z.enum(['wasm', 'ts']), wasm: z.boolean().describe('the WASM market core is loaded'),
  replica: z.string(), nodesLeased: z.number(),
}).meta({ id: 'Readiness' });

export { bundleSchema };
