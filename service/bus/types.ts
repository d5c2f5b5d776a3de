// The bus between node daemons and the service (DESIGN.md section 7): registry, telemetry streams, per-node
// allocations with epochs, announcements, leases. Two implementations share this interface: an in-process
// bus (memory.ts, one machine, nothing to install) and Redis (redis.ts). One integration suite runs on both.
import type { Capacity, Certificate, Limits, Model, MrcModel, Partition, Policy } from '../scenario/types.ts';

export interface NodeRecord {
  id: string;
  capacity: Capacity;
  createdMs: number;
  updatedMs: number;
}

export interface AppRecord {
  id: string;
  node: string;
  weight: number;
  limits?: Limits;
  /** a declared model, used until the estimator has enough data */
  model?: Model;
  /** false for apps the data plane cannot split into hash partitions (kernel-swap apps under cgroups) */
  partitionable?: boolean;
  createdMs: number;
  updatedMs: number;
}

/** Where the model behind an app's bundle came from (the first that applies, in this order). */
export type ModelSource = 'estimated' | 'persisted' | 'declared' | 'equal-share';

export interface AllocationBundle {
  app: string;
  cacheMB: number;
  bandwidthMbps: number;
  normalizedPerf: number;
  source: ModelSource;
  /** the estimator's confidence in its model, 0..1 (0 when it has none) */
  confidence: number;
  /** the hash split of the app's pages that realizes the convex hull of its curve (convexified rounds) */
  partitions?: Partition[];
  /** the model's throughput (accesses/s) at the app's weighted equal share: measured / this is the measured
   *  normalized throughput (absent for apps pinned at their equal share without a model) */
  referenceOpsPerSec?: number;
  /** what the daemon measured of the app since the node's previous round, i.e. under the PREVIOUS allocation */
  measured?: MeasuredSummary;
}

/** Means of the telemetry records of one app between two rounds of its node. */
export interface MeasuredSummary {
  records: number;
  /** daemon-side times of the first and the last record */
  fromMs: number;
  toMs: number;
  throughputOpsPerSec: number;
  missRatio: number;
  pageTrafficBytesPerSec: number;
  /** the allocation in force as the newest record saw it */
  cacheMB: number;
  bandwidthMbps: number;
}

/** One node's allocation of one round: what daemons apply and what /v1/events streams. */
export interface AllocationDoc {
  node: string;
  /** increases by one every round; a daemon never applies an epoch at or below one it already applied */
  epoch: number;
  timeMs: number;
  /** the service replica that computed it */
  replica: string;
  policy: Policy;
  bundles: AllocationBundle[];
  prices?: { cache: number; bandwidth: number };
  certificate: Certificate;
  elapsedMs: number;
  engine?: 'wasm' | 'ts';
}

/** Operational state of a node, kept beside its allocation. */
export interface NodeState {
  /** wall-clock time (service side) the newest telemetry record of the node was ingested */
  lastTelemetryMs: number | null;
  /** the daemon stopped sending telemetry: the node keeps its last allocation */
  silent: boolean;
  lastRoundMs: number | null;
  lastError: string | null;
  lastErrorMs: number | null;
}

export const EMPTY_NODE_STATE: NodeState = { lastTelemetryMs: null, silent: false, lastRoundMs: null, lastError: null, lastErrorMs: null };

/** One telemetry stream entry as read by the service: the raw JSON (validated by the reader) and how many
 *  times it has been delivered (a record that keeps failing goes to the dead-letter stream). */
export interface TelemetryEntry {
  id: string;
  data: string;
  deliveries: number;
}

export type PublishOutcome = 'published' | 'stale' | 'not-holder';

export type AllocationListener = (doc: AllocationDoc) => void;

export interface Bus {
  readonly kind: 'memory' | 'redis';

  // registry ------------------------------------------------------------------------------------------------
  putNode(node: NodeRecord): Promise<void>;
  getNode(id: string): Promise<NodeRecord | null>;
  listNodes(): Promise<NodeRecord[]>;
  /** Removes the node and everything kept for it (apps must have been removed first by the caller). */
  deleteNode(id: string): Promise<boolean>;
  /** Creates or replaces an app; moves it when its node changed. */
  putApp(app: AppRecord): Promise<void>;
  getApp(id: string): Promise<AppRecord | null>;
  listApps(node?: string): Promise<AppRecord[]>;
  deleteApp(id: string): Promise<boolean>;
  /** Changes whenever a node or an app is put or deleted (replicas re-read the whole registry only then). */
  registryVersion(): Promise<string>;
  /** The estimator's last fitted model of each app of a node (a restarted or new replica resumes from it). */
  putFittedModels(node: string, models: Record<string, MrcModel>): Promise<void>;
  getFittedModels(node: string): Promise<Record<string, MrcModel>>;

  // node state ----------------------------------------------------------------------------------------------
  getNodeState(node: string): Promise<NodeState>;
  patchNodeState(node: string, patch: Partial<NodeState>): Promise<void>;

  // telemetry -----------------------------------------------------------------------------------------------
  /** Appends records (JSON text, already validated by the caller or deliberately not) to a node's stream. */
  appendTelemetry(node: string, records: string[]): Promise<void>;
  /** Creates the node's consumer group if missing (idempotent). */
  ensureTelemetryGroup(node: string): Promise<void>;
  /** Up to `max` records for `consumer`: first records a dead consumer left unacknowledged for longer than
   *  `reclaimIdleMs`, then new ones. */
  readTelemetry(node: string, consumer: string, max: number, reclaimIdleMs: number): Promise<TelemetryEntry[]>;
  ackTelemetry(node: string, ids: string[]): Promise<void>;
  /** Moves a record to the node's dead-letter stream with the reason (and acknowledges it). */
  deadLetter(node: string, entry: TelemetryEntry, reason: string): Promise<void>;
  /** Dead-lettered records of a node, newest last (for inspection and tests). */
  readDeadLetters(node: string, max: number): Promise<{ id: string; data: string; reason: string }[]>;
  /** Records appended and not yet acknowledged or not yet delivered (backlog), for metrics and tests. */
  telemetryBacklog(node: string): Promise<number>;

  // allocations ---------------------------------------------------------------------------------------------
  /** Stores and announces an allocation if its epoch is above the stored one and (when `holder` is given)
   *  `holder` holds the node's lease; atomic. */
  publishAllocation(doc: AllocationDoc, holder: string | null): Promise<PublishOutcome>;
  getAllocation(node: string): Promise<AllocationDoc | null>;
  /** Calls `listener` with every announced allocation (of one node, or of all). Returns an unsubscribe. */
  subscribeAllocations(listener: AllocationListener, node?: string): Promise<() => Promise<void>>;

  // leases and replicas -------------------------------------------------------------------------------------
  acquireLease(node: string, holder: string, ttlMs: number): Promise<boolean>;
  renewLease(node: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(node: string, holder: string): Promise<boolean>;
  leaseHolder(node: string): Promise<string | null>;
  /** Records that `replica` is alive for `ttlMs` and returns the ids of all live replicas, sorted. */
  heartbeat(replica: string, ttlMs: number): Promise<string[]>;
  removeReplica(replica: string): Promise<void>;

  // health --------------------------------------------------------------------------------------------------
  ping(): Promise<boolean>;
  /** Why the bus cannot take requests right now (Redis not connected), or null: checked without a round
   *  trip, so callers can refuse at once instead of waiting for commands to time out. */
  unavailable(): string | null;
  /** Resolves once the bus can take requests (a Redis bus opened in the background: once connected). */
  whenReady(): Promise<void>;
  /** The data marker in force: null when the store lost its data (a Redis restarted without persistence);
   *  a different value than before when it lost it and someone wrote the marker again since. */
  dataMarker(): Promise<string | null>;
  /** Sets a new marker unless one is in force; returns the one in force. */
  markIntact(): Promise<string>;
  close(): Promise<void>;
}
