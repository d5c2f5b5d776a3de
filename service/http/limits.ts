// Limits of the HTTP API, each with the reason it exists.
import { MAX_SCENARIO_BYTES } from '../limits.ts';

/** Body of POST /v1/solve: a whole scenario (service/limits.ts explains the size). */
export const MAX_SOLVE_BODY_BYTES = MAX_SCENARIO_BYTES;
/** Body of registry writes: one app with a 10k-point curve or a 256x256 surface fits in ~2 MiB of JSON. */
export const MAX_REGISTRY_BODY_BYTES = 4 * 1024 * 1024;
/** Body of POST /v1/telemetry: a batch of records (each bounded by MAX_TELEMETRY_RECORD_BYTES). */
export const MAX_TELEMETRY_BODY_BYTES = 16 * 1024 * 1024;
/** Records in one POST /v1/telemetry. */
export const MAX_TELEMETRY_BATCH = 10_000;
/** Concurrent GET /v1/events clients per replica: each holds a socket and a queue. */
export const MAX_SSE_CLIENTS = 256;
/** Of those, streams opened without the API token (dashboards, or everyone when no token is set): the
 *  rest stays for clients with the token (node daemons). */
export const MAX_SSE_ANON_CLIENTS = 192;
/** Streams without the API token from one source address: a dashboard or two per person, not a flood. */
export const MAX_SSE_PER_ADDRESS = 16;
/** Seconds a client refused for load (503) or too many streams (429) is told to wait (Retry-After). */
export const RETRY_AFTER_S = 2;
/** Events queued for one slow SSE client before it is disconnected (it can reconnect and re-read state). */
export const MAX_SSE_QUEUE = 256;
/** SSE comment sent when idle, so proxies keep the connection and dead clients are noticed. */
export const SSE_HEARTBEAT_MS = 15_000;
/** Solve results kept for identical requests (a solve is a pure function of policy, options and body). */
export const SOLVE_CACHE_ENTRIES = 256;
/** Characters of body and result text the solve cache holds in all (the entry count alone would allow 128 MiB). */
export const SOLVE_CACHE_BYTES = 32 * 1024 * 1024;
/** Bytes of body text a cached entry may cover: bigger scenarios are solved every time (memory bound). */
export const SOLVE_CACHE_MAX_BODY_BYTES = 256 * 1024;
/**
 * POST /v1/solve bodies solved on the event loop: at most this many apps and bytes (paper-mix: 6 apps,
 * 3.5 KB, under a millisecond). Anything larger is parsed, validated and solved in a worker thread, so no
 * request holds the event loop for more than a few milliseconds (a 64-app solve alone takes ~8 ms).
 */
export const INLINE_SOLVE_MAX_APPS = 16;
export const INLINE_SOLVE_MAX_BYTES = 64 * 1024;
/** Large solve bodies (over INLINE_SOLVE_MAX_BYTES, or of unknown length) read at once (read-gate.ts): one,
 *  so a turn of the event loop scans at most one 64 KiB chunk of them (two gave /healthz p99 up to 68 ms
 *  against 16 ms for a bare server on a 2-core machine under a CPU hog). */
export const SOLVE_READERS = 1;
/** Large solve bodies waiting for a reader; more are refused at once (503, Retry-After). */
export const SOLVE_READ_WAITERS = 64;
/** Solve worker threads: one, so the event loop keeps the other core of a 2-core machine. */
export const SOLVE_WORKERS = 1;
/** Large solves waiting for a worker; more are refused at once (503, Retry-After). */
export const SOLVE_QUEUE_MAX = 8;
/** Body bytes all POST /v1/solve requests together may hold (reading, waiting, solving): three bodies of the
 *  largest size. Without it, 24 large bodies arriving at once took the process to 1.26 GB. */
export const SOLVE_BUFFERED_BYTES_MAX = 96 * 1024 * 1024;
/** Answers of inline solves written as one group at most (write-batch.ts): 16 gave the same CPU per request as
 *  32 or 64 under 64 clients, with the shortest wait. */
export const SOLVE_WRITE_BATCH = 16;
