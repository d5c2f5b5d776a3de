// Limits and defaults of the node daemon (`spirit node`), each with the reason it exists. Every loop, queue,
// retry and wait of the daemon is bounded by one of these.

/** Telemetry interval bounds: below 100 ms a window holds too few faults to mean anything and the daemon's
 *  own reads of the control blocks start to cost; above 10 min the service sees the node as silent. */
export const INTERVAL_MS_MIN = 100;
export const INTERVAL_MS_MAX = 600_000;
export const INTERVAL_MS_DEFAULT = 1000;
/** Workloads one daemon runs: each is a process with a region, and a process holds at most 64 regions; 64
 *  workload processes already saturate any node this runs on. */
export const WORKLOADS_MAX = 64;
/** Apps enforced through cgroups (kernel-swap mode): the registry allows 1024 apps per node. */
export const CGROUP_APPS_MAX = 256;
/** Memory nodes a region may be mirrored on (the data plane's replicasMax). */
export const MEMNODES_MAX = 3;
/** A workload region: 1 MiB .. 16 GiB (the data plane's region bounds, in whole MiB). */
export const REGION_MB_MIN = 1;
export const REGION_MB_MAX = 16 * 1024;
/** Node capacity bounds: a cache below 1 MiB cannot hold one app's minimum of 16 pages per app; 16 TiB and
 *  400 Gbps are beyond any node this runs on. */
export const CACHE_MB_MIN = 1;
export const CACHE_MB_MAX = 16 * 1024 * 1024;
export const BANDWIDTH_MBPS_MIN = 1;
export const BANDWIDTH_MBPS_MAX = 400_000;

/** How long a workload has to answer a snapshot request before its window is skipped: far-memory faults
 *  under a tight bandwidth limit can hold its JavaScript thread for tens of ms, never for seconds. */
export const SNAPSHOT_TIMEOUT_MS = 1000;
/** How long a workload may take to open its region and report ready (includes its TypeScript start-up on a
 *  loaded machine and the region's connection retries). */
export const WORKLOAD_START_TIMEOUT_MS = 60_000;
/** How long a stopping workload has to close its region before it is killed. */
export const WORKLOAD_STOP_TIMEOUT_MS = 10_000;
/** Restart back-off of a workload that died: doubles from 500 ms, capped at 30 s. */
export const RESTART_BACKOFF_MIN_MS = 500;
export const RESTART_BACKOFF_MAX_MS = 30_000;
/** A run at least this long resets the restart back-off (it was not a crash loop). */
export const RESTART_STABLE_MS = 60_000;
/** Consecutive failed starts after which a workload is given up (reported as failed): a crash loop that
 *  long is a configuration problem, not a transient one. */
export const RESTARTS_IN_A_ROW_MAX = 20;
/** Lines of a workload's stderr kept for the report when it dies. */
export const STDERR_TAIL_LINES = 20;

/** Back-off of calls to the service (registration, telemetry) while it is unreachable: doubles from 250 ms,
 *  capped at 10 s; retried forever. */
export const LINK_BACKOFF_MIN_MS = 250;
export const LINK_BACKOFF_MAX_MS = 10_000;
/** One HTTP request to the service: a service that does not answer in this long is treated as down. */
export const LINK_REQUEST_TIMEOUT_MS = 5000;
/** How often the daemon checks that its node is still registered (a service on the in-process bus that
 *  restarted has forgotten it) when nothing else told it so. */
export const REGISTRATION_CHECK_MS = 5000;
/** Telemetry records kept while the service is unreachable (oldest dropped first): minutes of history at
 *  one record per app per second for a few apps; sampled pages are bounded separately. */
export const PENDING_RECORDS_MAX = 2000;
/** Sampled page ids kept in pending records: ~8 MiB of numbers. */
export const PENDING_PAGES_MAX = 1 << 20;
/** Sampled pages taken into one record (the bus accepts 2^20; the ring holds 65536 between drains). */
export const RECORD_PAGES_MAX = 65_536;

/** Region sample rate: aim for this many sampled pages per region (enough for a curve, few enough that the
 *  periodic re-sampling faults cost little), within the bounds below. */
export const SAMPLE_PAGES_TARGET = 256;
export const SAMPLE_RATE_MIN = 0.001;
export const SAMPLE_RATE_MAX = 0.1;

/** How long one batch of workload work runs before the workload yields to its event loop (answers the
 *  daemon): short enough to answer snapshots promptly, long enough that yielding costs nothing. */
export const WORK_SLICE_MS = 5;
/** Page accesses between clock reads inside a slice (each may be a far-memory fault of ~100 us, or ms when
 *  throttled, so few). */
export const WORK_CHECK_EVERY = 16;
/** How long a stopping daemon retries removing a CPU group whose process has just exited (the kernel may still
 *  be tearing the process down, and the group is busy until then). */
export const CPU_GROUP_REMOVE_WAIT_MS = 5000;
