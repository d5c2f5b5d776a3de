// Limits and defaults of the control loop, each with the reason it exists.

/** Round interval: the default. */
export const DEFAULT_INTERVAL_MS = 10_000;
/** Shortest round interval: below this a round for many nodes would not finish before the next begins. */
export const MIN_INTERVAL_MS = 50;
/** Longest round interval: an hour without reacting to apps arriving is a misconfiguration. */
export const MAX_INTERVAL_MS = 3_600_000;
/** Lease time-to-live: a dead replica's nodes are taken over within two of these. */
export const DEFAULT_LEASE_TTL_MS = 6_000;
/** A lease is renewed (and the replica set re-read) this many times per time-to-live... */
export const LEASE_TICKS_PER_TTL = 3;
/** ...and at least this often, so a node given back (graceful stop, rebalancing, a new node) is picked up
 *  within a second whatever the time-to-live. */
export const LEASE_TICK_MAX_MS = 1000;
/** Lease renewals or acquisitions in flight at once: a replica's thousand renewals go out in one turn of its
 *  event loop (on a busy replica each turn waits behind rounds and ingest); bounds what it puts on Redis at once. */
export const LEASE_PARALLEL = 1024;
/** Rounds of one pass in flight at once (their bus round trips overlap; the solves run one at a time). */
export const ROUNDS_PARALLEL = 8;
/** First rounds of newly leased, never allocated nodes run in a lease tick, at most this many per tick. */
export const FIRST_ROUNDS_PER_LEASE_TICK = 16;
/** The whole registry is re-read at least this often even when its version did not move (a safety net). */
export const REGISTRY_REREAD_MS = 30_000;
/** A node whose daemon sent nothing for this many rounds is silent: it keeps its last allocation. */
export const DEFAULT_SILENT_AFTER_ROUNDS = 3;
/** Trust region per round, as a share of the node's capacity, for both resources (DESIGN.md section 4). */
export const DEFAULT_TRUST_REGION_SHARE = 0.15;
/**
 * Exploration offset of apps pinned for lack of a model, as a share of capacity (also capped at 25% of the app's
 * equal share, explore.ts): big enough that throughput differences beat 5% measurement noise, small beside the
 * trust region, so a round's loss to an app being learned stays small.
 */
export const DEFAULT_EXPLORE_SHARE = 0.05;
/** Hysteresis: keep the allocation when no bundle moves by more than this share of capacity. */
export const DEFAULT_HYSTERESIS_SHARE = 0.01;
/** Records ingested per node per poll; a node with more waits for the next poll (others are not starved). Each
 *  node's batch is processed in one go on the event loop, so this also bounds how long rounds and lease renewals
 *  wait behind ingest: at 1000, a replica draining a backlog of 16 nodes held them ~300 ms per turn. */
export const INGEST_BATCH = 200;
/** Nodes read at once by the ingest loop: overlaps round trips; bounds records in memory to 16 x INGEST_BATCH. */
export const INGEST_PARALLEL_NODES = 16;
/** ...and while a pass of rounds runs (rounds come first; see service.ts ingestLoop). */
export const INGEST_PARALLEL_NODES_DURING_ROUNDS = 2;
/** Pause of the ingest loop when no node had new records (bounds idle load on Redis). */
export const INGEST_IDLE_MIN_MS = 5;
export const INGEST_IDLE_MAX_MS = 200;
/** A node's stream is read again this long after a read that drained it (daemons append once a second)... */
export const INGEST_NODE_WAIT_MS = 250;
/** ...and, while it stays empty, after twice as long each time up to this. */
export const INGEST_NODE_IDLE_MAX_MS = 1000;
/** A node's lastTelemetryMs is written at most this often (and at most every quarter of the silence time). */
export const LAST_HEARD_WRITE_MS = 1000;
/** A record delivered but not acknowledged this long is reclaimed from its (dead) consumer. */
export const RECLAIM_IDLE_MS = 5_000;
/** Length of an error message kept in a node's state (shown by the API). */
export const MAX_ERROR_TEXT = 500;
/** Rounds of history kept per node for the dashboard (GET /v1/nodes/{id}/history): an hour at the default
 *  10 s interval, enough to see allocations settle and drift; a page opened late still has them. */
export const HISTORY_ROUNDS = 360;
/** App bundles kept in all nodes' histories together: 4096 nodes x 360 rounds x many apps would not fit in memory;
 *  past this the node with the longest history loses its oldest rounds first (measured: ~400 bytes of heap a
 *  bundle with its measurement, so ~100 MB at most). */
export const HISTORY_MAX_BUNDLES = 250_000;
/** Telemetry windows kept per app between two rounds, one per bundle the records say was in force (a record
 *  measured under an older bundle can arrive after a change): more than a few means records years late. */
export const MAX_MEASURED_WINDOWS_PER_APP = 4;
/** Acknowledged registry writes remembered until a registry listing holds them (one lease tick, normally). */
export const MAX_PENDING_WRITES = 10_000;
