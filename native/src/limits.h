// Named limits of the data plane, each with the reason it exists. Every queue, loop, retry and buffer in
// native/ is bounded by one of these; nothing defaults to "unlimited". The TypeScript facade reads the same
// numbers from the addon (binding.limits), so validation and the C++ defence agree.
#pragma once
#include <cstddef>
#include <cstdint>

namespace spirit::limits {

// ---- pages and regions (compute-node side) ----
// The unit of paging; the addon refuses to load on a kernel whose base page differs (uffd works per page).
constexpr uint64_t kPageBytes = 4096;
// Per-page metadata is 6 bytes (state, frame index, remote bit); 16 GiB keeps it at <= 24 MiB per region.
constexpr uint64_t kRegionBytesMax = 16ull << 30;
// A region smaller than one readahead window cannot page usefully.
constexpr uint64_t kRegionBytesMin = 64 * kPageBytes;
// The cache must hold a demand batch plus a readahead window, or sequential access thrashes.
constexpr uint64_t kCachePagesMin = 16;
// One fault-handling thread per region; 64 regions keeps a process within a sane thread count.
constexpr int kRegionsPerProcessMax = 64;
// A region mirrored to more memory nodes than this buys nothing but write traffic.
constexpr int kReplicasMax = 3;

// ---- bandwidth (token bucket) ----
// 1 Mbps is the slowest link worth modelling; 400 Gbps is above any NIC this project targets and keeps the
// bucket's nanosecond arithmetic far from overflow.
constexpr double kBandwidthMbpsMin = 1.0;
constexpr double kBandwidthMbpsMax = 400000.0;
// Burst allowance of the bucket: this much time's worth of tokens. Large enough that a scheduling hiccup of
// the workload (tens of ms on a busy 2-core machine) does not forfeit tokens, small enough that a 2 s window
// admits at most 2% (burst) + 0.5% (one request) above the rate; the bandwidth test's bound is 5%.
constexpr uint64_t kBucketBurstNs = 40ull * 1000 * 1000;
// A single request never exceeds this many ns worth of tokens (it cannot overshoot a window by more).
constexpr uint64_t kRequestTokensNsMax = 10ull * 1000 * 1000;

// ---- batching, readahead, in-flight work ----
// Pages per read or write request: amortises the round trip while keeping per-request buffers small.
constexpr uint32_t kBatchPagesMax = 64;
// Largest readahead window (pages). 1 MiB in flight hides a loopback round trip at several GB/s.
constexpr uint32_t kReadaheadPagesMax = 256;
// Read requests outstanding per region (all replicas); bounds staging memory to 16 x 256 KiB.
constexpr uint32_t kReadsInflightMax = 16;
// Dirty pages copied out for write-back and not yet acknowledged: the fixed slack above the cache limit.
constexpr uint32_t kWritebackInflightPagesMax = 1024;
// Pages evicted per eviction step, so one step never stalls a waiting fault for long.
constexpr uint32_t kEvictBatchPages = 64;
// Out-of-place copies released lazily in one madvise per run; at most this many wait (memory slack).
constexpr size_t kShadowFreeBatchPages = 64;
// Free frames the background evictor keeps ready so demand faults rarely evict on the critical path. Kept
// only under pressure (a frame request found the cache full), never below the limit without demand.
constexpr uint32_t kEvictReservePages = 32;
// Recently evicted pages remembered to spot refaults. A miss on one of them means the working set exceeds
// the cache by less than this; then a reserve would only evict what is about to come back (4x the
// reserve's largest refill, so one refill's refaults are always seen).
constexpr uint32_t kRefaultWindowPages = 256;
// A partition of a split region watches its share of that window, but at least this many evictions.
constexpr uint32_t kRefaultWindowPagesMin = 16;
// Misses per pressure decision: the reserve is dropped when at least half of them were refaults.
constexpr uint32_t kRefaultCheckMisses = 64;
// ---- partitions (hash split of a region's pages, partition.h) ----
// Frames a partition always has, even when the market gives it no cache (a hull vertex at zero, where the
// partition is meant to miss on everything): a fault needs a frame, and a scan's readahead needs a window
// of them, or a partition of a split scan would pay a round trip per page where the unsplit scan streams.
// Taken from the other partition's limit where that exceeds its pages (frames it can never use), else a
// fixed slack above the cache limit (256 KiB), like the write-back copies.
constexpr uint64_t kPartitionPagesMin = 64;
// Readahead window of a small partition: up to a quarter of its frames, at most this many pages. (A large cache
// keeps the window at an eighth of it, so readahead does not evict what is about to be used; a partition of
// a few frames has no hits to protect.)
constexpr uint32_t kPartitionReadaheadPagesMin = 32;
// A split region's readahead window collects the next pages of the faulting partition, skipping the other
// partition's pages and pages already local; it looks at most this many times the window's pages ahead, so
// a partition with a tiny share cannot make one fault walk the whole region.
constexpr uint32_t kReadaheadSpanFactor = 4;
// A split changed by at most 1/16 (of a partition's limit, or of the local pages moved between partitions)
// keeps each partition's evidence of pressure and refaults: the control loop's trust region moves a split a
// little every round, and a partition's loop guard should not drop (and take 64 misses to come back) each time.
constexpr uint64_t kSmallStepFraction = 16;
// A fault continues a split region's stream when only pages that need no fetch (the other partition's, or
// local ones) lie between the stream's last window and it; looked for at most this far.
constexpr uint32_t kStreamGapPagesMax = 64;

// uffd messages read per syscall (the kernel queues the rest).
constexpr int kFaultMsgsPerRead = 64;
// Max CLOCK hand steps per page needed: two sweeps of the frame table always find a victim.
constexpr uint32_t kClockSweepsMax = 2;

// ---- failure handling ----
// Request timeout bounds: below 50 ms a busy 2-core VM would trip it spuriously; a minute is the longest a
// fault may wait before the region fails.
constexpr uint32_t kRequestTimeoutMsDefault = 2000;
constexpr uint32_t kRequestTimeoutMsMin = 50;
constexpr uint32_t kRequestTimeoutMsMax = 60000;
constexpr uint32_t kConnectTimeoutMsDefault = 1000;
// Reconnect attempts after a connection breaks, before the replica (or the region) is given up.
constexpr uint32_t kRetriesDefault = 3;
constexpr uint32_t kRetriesMax = 10;
// Exponential backoff between reconnect attempts: base and cap.
constexpr uint32_t kBackoffMsBase = 50;
constexpr uint32_t kBackoffMsMax = 1000;
// Events queued for JavaScript; beyond this they are counted as dropped (the region state still says why).
constexpr size_t kEventQueueMax = 256;
// How long the fault thread polls (does not sleep) after sending a demand read or serving a fault, waiting
// for the reply or the next fault. On this VM a halted vCPU takes tens of microseconds to wake (the guest
// does no halt polling), which a fault would otherwise pay at every hand-off; polling keeps the fault
// thread's vCPU awake for about one round trip. 0 turns it off; at most a millisecond of CPU per event.
constexpr uint32_t kPollUsDefault = 50;
constexpr uint32_t kPollUsMax = 1000;
// Polling burns a CPU another process may need: it is done only while the machine has an idle CPU (no more
// runnable threads than CPUs, /proc/loadavg), checked this often.
constexpr uint32_t kPollCheckMs = 50;
// Longest the fault thread sleeps: how stale a limit written by a daemon can be before it takes effect.
constexpr int kLoopPollMsMax = 10;
// Closing sends CLOSE to each memory node and waits at most this long for the reply.
constexpr uint32_t kCloseTimeoutMs = 500;

// ---- sampling for miss-ratio curves ----
// Sample-ring entries in the control block (page ids); 64 Ki x 8 bytes = 512 KiB.
constexpr uint64_t kSampleRingEntries = 65536;
// Sampled pages tracked per region (the hashed sample set); bounds the per-tick probe work.
constexpr uint64_t kSampleListMax = 1u << 20;
constexpr uint32_t kSamplePeriodMsDefault = 100;
constexpr uint32_t kSamplePeriodMsMin = 1;
constexpr uint32_t kSamplePeriodMsMax = 60000;
// The sample hash's resolution: rates are stored in parts per million.
constexpr uint32_t kSampleRatePpmMax = 1000000;

// ---- tokens ----
// Tokens shorter than 8 bytes are guessable; longer than 256 is not a token.
constexpr uint32_t kTokenBytesMin = 8;
constexpr uint32_t kTokenBytesMax = 256;

// ---- memory node (server side) ----
// Largest READ or WRITE payload: 4 MiB bounds per-connection buffers.
constexpr uint32_t kIoBytesMax = 4u << 20;
// Authenticated connections at once (a successful OPEN, ATTACH or AUTH moves a connection here); a
// connection that authenticates while all are taken gets a `limit` error and is closed.
constexpr int kConnectionsMax = 1024;
// Connections that have not authenticated yet: their own small pool, so idle anonymous sockets can never
// take the slots of authenticated clients. When it is full, the oldest unauthenticated connection is shut
// down to make room (a real client authenticates within one round trip, so the oldest is almost always an
// idle one).
constexpr int kUnauthConnectionsMax = 128;
// Unauthenticated connections from one source address (beyond it, that address's oldest one is closed to
// make room). Room for a compute node opening many regions at once (64 per process, up to 3 replicas).
constexpr int kUnauthPerAddressMax = 32;
// A new connection must authenticate within this long or it is closed. A client sends its OPEN/ATTACH
// right after connecting; 2 s is hundreds of round trips even on a busy machine.
constexpr uint32_t kAuthDeadlineMsDefault = 2000;
// Regions one connection may hold open or attached.
constexpr size_t kRegionsPerConnMax = 64;
// Regions per memory node, whatever the capacity.
constexpr size_t kRegionsMax = 4096;
// Failed OPEN/ATTACH attempts before a connection is closed (slows token guessing).
constexpr int kAuthFailuresMax = 4;
// Reply bytes queued on one connection before the server stops reading its requests (backpressure).
constexpr size_t kOutbufBytesMax = 8u << 20;
constexpr int kServerThreadsMax = 16;
// A connection silent this long is closed (frees its slot).
constexpr uint32_t kConnIdleMsDefault = 600000;
// A region no connection has attached for this long is freed (its client died without CLOSE).
constexpr uint32_t kOrphanTtlMsDefault = 600000;
// The same for a region whose token never wrote a byte to any of its regions: nothing can be lost, so its
// reservation is released soon. Longer than a client's whole reconnect window with the default options
// (2 s timeout + 3 x (1 s connect + back-off)), so a client that merely lost its connection re-attaches.
constexpr uint32_t kUnusedOrphanTtlMsDefault = 15000;
// Error replies carry at most this many bytes of text.
constexpr uint32_t kErrorTextBytesMax = 120;

// ---- control block ----
// Path of a control block file, including the directory.
constexpr size_t kControlPathBytesMax = 256;
// Files scanned by listRegions in one call.
constexpr size_t kControlScanMax = 4096;

}  // namespace spirit::limits
