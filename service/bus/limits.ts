// Limits of the telemetry/allocation bus, each with the reason it exists. Every stream, batch, queue and
// retry of the bus is bounded by one of these.

/** Length of a node or app id: matches the scenario format's id limit (service/limits.ts MAX_ID_LENGTH). */
export const MAX_BUS_ID_LENGTH = 128;
/**
 * Node and app ids that go into keys, channels and URLs: no braces (they would break the `{node:<id>}` hash
 * tag), no spaces or slashes (URL paths), no `*` or `?` (channel patterns).
 */
export const BUS_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
/** Entries kept per node telemetry stream (XADD MAXLEN ~): 10 s rounds x 64 apps x 1 rec/s is ~640; 100k is
 *  minutes of backlog at bench rates and ~50 MiB of small records at most. */
export const TELEMETRY_STREAM_MAXLEN = 100_000;
/** Entries kept per node dead-letter stream: enough to debug a bad daemon, small enough never to matter. */
export const DEAD_LETTER_MAXLEN = 10_000;
/** Bytes of one telemetry record as JSON: a record with 2^16 sampled page ids is ~1 MiB. */
export const MAX_TELEMETRY_RECORD_BYTES = 4 * 1024 * 1024;
/** Records one read (XREADGROUP COUNT) returns: big enough to amortize the round trip, small enough that one
 *  batch of small records is parsed in a few milliseconds. */
export const TELEMETRY_READ_BATCH = 1000;
/** Records appended in one pipeline by the node client. */
export const TELEMETRY_APPEND_BATCH = 1000;
/** Deliveries before a record that keeps failing goes to the dead-letter stream. */
export const MAX_DELIVERIES = 3;
/** Records one XAUTOCLAIM call may take over (Redis scans at most 10x this many entries per call). */
export const RECLAIM_BATCH = 100;
/** Nodes in the registry: one replica can run a round for every node well inside a 10 s interval. */
export const MAX_NODES = 4096;
/** Apps per node: the market handles 1024 apps in ~100 ms; the scenario format allows 4096. */
export const MAX_APPS_PER_NODE = 1024;
/** Apps in the registry overall. */
export const MAX_APPS_TOTAL = 65_536;
/** Service replicas sharing one Redis: the replica set is read whole on every lease tick. */
export const MAX_REPLICAS = 256;
/** Listeners of allocation announcements inside one process (SSE clients, watchers). */
export const MAX_ANNOUNCE_LISTENERS = 1024;
/** Lease time-to-live bounds: shorter than 100 ms cannot be renewed reliably; longer than 10 min means a dead
 *  replica's nodes sit unallocated for too long. */
export const MIN_LEASE_TTL_MS = 100;
export const MAX_LEASE_TTL_MS = 600_000;
/** Redis command timeout: a command that takes longer is failed and retried next tick (the watchdog). */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;
/** Reconnect back-off of the Redis client: doubles from 50 ms, capped at 2 s, forever (Redis restarts). */
export const REDIS_RECONNECT_BASE_MS = 50;
export const REDIS_RECONNECT_MAX_MS = 2_000;
/** Retries of one command across a reconnect before it fails (the next tick tries again). */
export const REDIS_MAX_RETRIES_PER_REQUEST = 2;
/** How often an allocation watcher re-reads the allocation in case an announcement was missed. */
export const WATCH_POLL_MS = 2_000;
/** Seeds in a redis+cluster:// URL: a handful find the cluster; hundreds are a mistake. */
export const MAX_CLUSTER_SEEDS = 64;
/** How often a cluster client re-reads the slot map besides on MOVED and on a lost node (a promoted replica). */
export const REDIS_CLUSTER_SLOTS_REFRESH_MS = 1_000;
/** In a cluster, registrations and allocations are confirmed by a replica of their shard (WAIT) before they are
 *  acknowledged or announced, so a failover does not lose them; a replica that does not confirm within this is
 *  reported and the write goes on unconfirmed (availability over durability while a shard has no live replica). */
export const REDIS_REPLICA_WAIT_MS = 1_000;
/** How often the subscriber of every node's announcements in a cluster re-reads the node list (sharded pub/sub
 *  has no patterns: each node's channel is subscribed on its own shard). */
export const ANNOUNCE_SYNC_MS = 1_000;
