// The per-region control block: a small file in shared memory (default /dev/shm) that the region's owner
// and a node daemon in another process both map. It holds a versioned header, the limits (written by
// either side, applied by the region's fault thread within kLoopPollMsMax), the counters and the fault
// latency histogram (written only by the fault thread), and the ring of sampled page accesses (one
// producer: the fault thread; one consumer at a time: the daemon or the owner). Layout: docs/dataplane.md.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "limits.h"

namespace spirit {

// Counters in block order. Gauges (current values) and monotonic counters share the array.
#define SPIRIT_COUNTERS(X)                                                                  \
  X(faults)            /* uffd fault messages handled */                                  \
  X(missingFaults)     /* faults on pages not mapped */                                   \
  X(wpFaults)          /* first writes to clean pages (dirty tracking) */                 \
  X(softFaults)        /* faults served from a local out-of-place copy (no network) */    \
  X(fetchedPages)      /* pages fetched from a memory node */                             \
  X(fetchRequests)     /* read requests sent */                                           \
  X(prefetchedPages)   /* fetched pages no fault was waiting for (readahead) */           \
  X(zeroFills)         /* first touches of pages the memory node never stored */          \
  X(writebackPages)    /* dirty pages written back */                                     \
  X(writebackRequests) /* write requests sent (one per replica) */                        \
  X(evictions)         /* pages dropped from the cache */                                 \
  X(parks)             /* pages taken out of place (CLOCK probe, sampling, readahead) */   \
  X(bytesIn)           /* page bytes received */                                          \
  X(bytesOut)          /* page bytes sent (all replicas) */                               \
  X(admittedBytes)     /* bytes the token bucket admitted */                              \
  X(throttledNs)       /* time requests waited for tokens */                              \
  X(residentPages)     /* gauge: pages in local memory (mapped + out-of-place copies) */   \
  X(residentPeakPages) /* gauge: highest residentPages since the limit in force was met */  \
  X(dirtyPages)        /* gauge: resident pages modified since fetched */                 \
  X(writebackInflightPages) /* gauge: copies awaiting a write acknowledgement (slack) */  \
  X(readsInflight)     /* gauge: read requests awaiting replies */                        \
  X(sampledAccesses)   /* accesses recorded in the sample ring */                         \
  X(reconnects)        /* successful reconnections to a memory node */                    \
  X(replicasLost)      /* replicas given up after failures */                             \
  X(replicasAlive)     /* gauge: replicas in service */                                   \
  X(requestTimeouts)   /* requests that exceeded the timeout */                           \
  X(eventsDropped)     /* events not delivered because the queue was full */              \
  X(failedFaults)      /* faults resolved with a zero page after the region failed */      \
  X(limitChanges)      /* limit updates applied */                                        \
  X(cachePagesLimit)   /* gauge: the cache limit in force, pages */                       \
  X(loopIterations)    /* fault-thread loop passes (liveness) */                          \
  X(sampleParks)       /* pages the sampler parked (a subset of parks) */                 \
  X(reserveEvictions)  /* pages evicted ahead of demand to keep free frames (of evictions) */ \
  X(refaults)          /* misses on pages among the last kRefaultWindowPages evicted */   \
  X(reserveArmed)      /* gauge: 1 while the free-frame reserve is kept (pressure) */     \
  X(writebackRestores) /* misses served from a write-back copy in flight (of softFaults) */ \
  X(partitions)        /* gauge: partitions in force (1 unsplit, 2 split by page hash) */ \
  X(partitionAPages)   /* gauge: region pages in partition A (all of them when unsplit) */ \
  X(partitionALimitPages) /* gauge: cache limit of partition A in force, pages */         \
  X(partitionBLimitPages) /* gauge: cache limit of partition B in force, pages (0 unsplit) */ \
  X(partitionAResidentPages) /* gauge: local pages of partition A */                      \
  X(partitionBResidentPages) /* gauge: local pages of partition B */                      \
  X(partitionAPagesIn) /* misses in A: pages brought in (fetched, zero-filled, restored) */ \
  X(partitionBPagesIn) /* misses in B */                                                  \
  X(partitionASampledAccesses) /* sampled accesses to pages of A (of sampledAccesses) */  \
  X(partitionMovedPages) /* local pages re-counted into the other partition by a split change */ \
  X(fetchStageSamples) /* demand fetches timed stage by stage (fetchStageNs) */         \
  X(loopGuardEvictions) /* evictions of the last demand-faulted page by a split partition's loop guard */

enum CounterId : uint32_t {
#define SPIRIT_COUNTER_ENUM(name) c_##name,
  SPIRIT_COUNTERS(SPIRIT_COUNTER_ENUM)
#undef SPIRIT_COUNTER_ENUM
  kCounterCount
};

extern const char* const kCounterNames[kCounterCount];

constexpr uint32_t kControlMagic = 0x42435053;  // "SPCB"
constexpr uint32_t kControlVersion = 1;
constexpr uint32_t kCounterSlots = 48;     // room to add counters without a version bump
constexpr uint32_t kHistBuckets = 40;      // bucket i holds latencies in [2^i, 2^(i+1)) ns
constexpr size_t kLabelBytes = 64;

enum class RegionState : uint32_t { kOpening = 0, kRunning = 1, kFailed = 2, kClosed = 3 };

struct ControlBlock {
  uint32_t magic;
  uint32_t version;
  uint32_t headerBytes;             // offset of the ring
  uint32_t pageBytes;
  uint64_t ownerPid;
  uint64_t ownerStartTicks;         // /proc/<pid>/stat field 22: tells a reused pid from the owner
  uint64_t regionSerial;            // per-process serial in the file name
  uint64_t sizeBytes;
  uint64_t createdWallMs;
  std::atomic<uint32_t> state;      // RegionState
  std::atomic<uint32_t> failReason; // Reason
  std::atomic<uint64_t> heartbeatWallMs;
  // limits: writers store the values, then bump limitsSeq; the fault thread applies on a new seq
  std::atomic<uint64_t> limitsSeq;
  std::atomic<uint64_t> cacheBytes;
  std::atomic<uint64_t> bandwidthMbpsBits;  // IEEE-754 double, Mbps
  std::atomic<uint32_t> sampleRatePpm;
  std::atomic<uint32_t> samplePeriodMs;
  std::atomic<uint64_t> counters[kCounterSlots];
  std::atomic<uint64_t> latencyHist[kHistBuckets];  // fault-to-data latency of faults that needed a fetch
  std::atomic<uint64_t> softLatencyHist[kHistBuckets];  // faults served locally
  uint64_t ringEntries;
  std::atomic<uint64_t> ringWriteSeq;
  std::atomic<uint64_t> ringReadSeq;
  std::atomic<uint64_t> ringDropped;
  char label[kLabelBytes];
  // The hash split of the region's pages, a limit like cacheBytes (written with it, applied on a new
  // limitsSeq). 0 or 1 partition: unsplit (blocks of builds before the split hold 0 here). 2: partition A
  // holds partitionShare of the pages (double bits) and partitionCacheBytes[0] of the cache, B the rest.
  std::atomic<uint32_t> partitionCount;
  uint32_t reserved0;
  std::atomic<uint64_t> partitionShareBits;
  std::atomic<uint64_t> partitionCacheBytes[2];
  // Where a demand fetch's time goes, summed over fetchStageSamples fetches (the fault path's breakdown):
  // [0] fault read -> read request ready to send (planning, room, admission), [1] -> reply fully received
  // (the send, the memory node, the network, the fault thread's wake-up), [2] -> page installed (UFFDIO_COPY,
  // which wakes the faulting thread).
  std::atomic<uint64_t> fetchStageNs[3];
  // followed at headerBytes (8-aligned) by ringEntries x u64 page indices
};

static_assert(std::atomic<uint64_t>::is_always_lock_free, "control block needs lock-free 64-bit atomics");
static_assert(kCounterCount <= kCounterSlots, "too many counters for the block");
// the split's fields live in what was padding before the ring, so the ring's offset (1280) is unchanged
static_assert(sizeof(ControlBlock) <= 1280, "the control block header outgrew its 1280 bytes");

inline double bitsToDouble(uint64_t b) { double d; memcpy(&d, &b, sizeof d); return d; }
inline uint64_t doubleToBits(double d) { uint64_t b; memcpy(&b, &d, sizeof b); return b; }

// A mapping of one control block, owner or daemon side.
class ControlMap {
 public:
  ControlMap() = default;
  ~ControlMap();
  ControlMap(const ControlMap&) = delete;
  ControlMap& operator=(const ControlMap&) = delete;

  // Owner: creates dir/spirit-<pid>-<serial>.ctl (mode 0600) and initialises it.
  bool create(const std::string& dir, uint64_t serial, uint64_t sizeBytes, const std::string& label,
              std::string& err);
  // Daemon: maps an existing block after checking magic, version and size.
  bool attach(const std::string& path, std::string& err);
  void unlinkFile();

  ControlBlock* cb() const { return cb_; }
  const std::string& path() const { return path_; }
  uint64_t* ring() const;

  // Producer side (fault thread only).
  void ringPush(uint64_t page);
  // Consumer side: moves up to max entries into out; returns how many were lost to overwriting.
  uint64_t ringDrain(std::vector<uint64_t>& out, size_t max);

 private:
  ControlBlock* cb_ = nullptr;
  size_t mapBytes_ = 0;
  std::string path_;
};

size_t controlFileBytes();
uint64_t processStartTicks(uint64_t pid);  // 0 if the process does not exist
// True if the owner process of the block is gone (or its pid now belongs to another process).
bool ownerGone(const ControlBlock& cb);

inline void counterAdd(ControlBlock* cb, CounterId id, uint64_t v) {
  cb->counters[id].fetch_add(v, std::memory_order_relaxed);
}
inline void counterSet(ControlBlock* cb, CounterId id, uint64_t v) {
  cb->counters[id].store(v, std::memory_order_relaxed);
}
inline void histRecord(std::atomic<uint64_t>* hist, uint64_t ns) {
  uint32_t b = ns == 0 ? 0 : uint32_t(63 - __builtin_clzll(ns));
  if (b >= kHistBuckets) b = kHistBuckets - 1;
  hist[b].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace spirit
