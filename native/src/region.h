// A far-memory region: anonymous memory registered with userfaultfd whose pages live on memory nodes.
// One fault thread per region does everything on the paging path (fetch, install, evict, write back,
// throttle, sample) and never calls into JavaScript, so an application thread blocked in a fault is always
// served or, after bounded retries, released (the region fails: see fail()).
#pragma once
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "control_block.h"
#include "eviction_pressure.h"
#include "page_table.h"
#include "partition.h"
#include "reasons.h"
#include "replica.h"
#include "token_bucket.h"
#include "uffd.h"

namespace spirit {

/** The sampling threshold of a rate in ppm, in 2^24 hash values (thresholdOf in service/estimator/hash.ts). */
uint32_t sampleThreshold(uint32_t ratePpm);


struct RegionConfig {
  std::vector<std::string> memnodes;  // replicas, first is primary for reads
  uint64_t sizeBytes = 0;
  uint64_t cacheBytes = 0;
  double bandwidthMbps = 0;
  std::string token;
  uint32_t sampleRatePpm = 0;
  uint32_t samplePeriodMs = limits::kSamplePeriodMsDefault;
  uint32_t requestTimeoutMs = limits::kRequestTimeoutMsDefault;
  uint32_t connectTimeoutMs = limits::kConnectTimeoutMsDefault;
  uint32_t retries = limits::kRetriesDefault;
  uint32_t pollUs = limits::kPollUsDefault;
  std::string controlDir = "/dev/shm";
  std::string label;
};

struct RegionEvent {
  std::string type;     // "error" | "replica_lost" | "reconnected" | "flushed"
  Reason reason = Reason::kNone;
  std::string message;
  std::string memnode;
  uint64_t id = 0;      // flush id for "flushed"
};

class Region {
 public:
  // Local setup only (memory, userfaultfd, control block). Null with reason/err on failure.
  static std::unique_ptr<Region> create(const RegionConfig& cfg, Reason& reason, std::string& err);
  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  // Opens the region on every memory node. Blocking, bounded by the connect timeout; call it off the JS
  // thread. Any replica failing fails the open (a region starts fully replicated or not at all).
  Reason connect(std::string& err);
  bool start(std::string& err);   // launches the fault thread
  void stop();                    // idempotent: stops the thread, closes remote regions, releases memory

  uint8_t* base() const { return base_; }
  uint64_t sizeBytes() const { return sizeBytes_; }
  ControlMap& control() { return control_; }
  bool failed() const { return failed_.load(); }
  Reason failReason() const { return Reason(control_.cb()->failReason.load()); }

  // JS thread -> fault thread
  void requestFlush(uint64_t id);
  void kick();
  // fault thread -> JS thread: events are queued; notify (non-blocking, may be called on the fault thread)
  void setNotify(std::function<void()> notify) {
    std::lock_guard<std::mutex> g(evMu_);
    notify_ = std::move(notify);
  }
  std::vector<RegionEvent> takeEvents();

  struct Run {  // consecutive pages one read brings in
    uint64_t first;
    uint32_t n;
  };

 private:
  explicit Region(const RegionConfig& cfg);
  struct ReadJob;
  struct WriteJob;

  // region_loop.cc
  void loop();
  int pollTimeoutMs(uint64_t now);
  void applyLimits(uint64_t now, bool force);
  void publishGauges();
  void checkPollAllowed(uint64_t now);
  void checkTimeouts(uint64_t now);
  void emit(RegionEvent ev);
  void fail(Reason why, const std::string& message);

  // region_faults.cc
  void readFaults(uint64_t now);
  void handleFault(uint64_t addr, uint64_t flags, uint64_t now);
  void handleMissing(uint64_t p, bool write, uint64_t now, bool retry);
  bool installLocal(uint64_t p, const uint8_t* src, bool dirty, bool write);
  void recordAccess(uint64_t p);
  void markDirty(uint64_t p);
  void markClean(uint64_t p);
  void retryDeferred(uint64_t now);

  // region_fetch.cc
  struct Stream;
  void planDemandFetch(uint64_t p, bool write, uint64_t now);
  void planReadahead(int k, uint64_t from, uint32_t window, uint64_t now);
  void updateStreamKind(Stream& s, bool sequential, bool write);
  bool continuesStream(int k, const Stream& s, uint64_t p) const;
  bool fetchable(uint64_t q) const;
  uint32_t reserveWindow(int k, uint64_t first, uint32_t maxPages);
  void queueRuns(std::deque<ReadJob>& q, bool demand, bool writable);
  void issueReads(uint64_t now);
  void onReadReply(const Reply& r, uint64_t now);
  void installFetched(ReadJob& job, uint64_t now);
  int primary() const;

  // region_evict.cc: each partition k evicts from its own frames only
  bool ensureRoom(int k, uint64_t pages);
  bool evictOne(int k, bool reserve = false);
  void park(uint64_t p);
  void queuePark(uint64_t p);
  void flushParks();
  bool evict(uint64_t p, bool reserve = false);
  void backgroundEvict();
  uint64_t reservePages(int k) const;
  uint64_t notLocalPages(int k) const {  // pages of partition k that could still need a frame
    uint64_t local = pt_.used(k) + incoming_[k];
    return partPages_[k] > local ? partPages_[k] - local : 0;
  }
  void freeShadow(uint64_t p);
  void flushShadowFrees();

  // region_partitions.cc: the hash split (partition.h) and each partition's limit
  int partitions() const { return split_.split ? 2 : 1; }
  int partOf(uint64_t p) const { return split_.of(p); }
  bool overLimit(int k) const { return pt_.used(k) + incoming_[k] > limit_[k]; }
  bool anyOverLimit() const { return overLimit(0) || overLimit(1); }
  uint64_t incomingPages() const { return incoming_[0] + incoming_[1]; }
  bool applySplit(uint64_t cachePages, uint64_t now);
  void repartition(const PartitionSplit& next);
  // A split partition whose misses are mostly refaults holds a loop a little larger than its cache (a
  // partition sized at a cliff top, with the cliff a little off): see region_partitions.cc.
  bool loopGuard(int k) const { return split_.split && pressure_[k].refaultsDominate(); }
  bool evictLastDemand(int k);

  // region_writeback.cc
  int takeSlot();
  bool slotsScarce() const { return freeSlots_.size() < limits::kWritebackInflightPagesMax / 2; }
  void issueTraffic(uint64_t now);
  void addToWriteJob(uint64_t p, int slot);
  void closeWriteJob();
  void issueWrites(uint64_t now);
  void onWriteReply(const Reply& r, int replicaIdx);
  void finishWrite(uint64_t jobKey);
  void stepFlush();

  // region_replicas.cc
  void serviceReplicas(const struct pollfd* pfds, size_t n, uint64_t now);
  void replicaBroken(int idx, const std::string& why, uint64_t now);
  Reason reconnect(int idx, uint32_t attempts, std::string& err);
  void dropReplica(int idx, const std::string& why, Reason reason = Reason::kUnreachable);

  // region_sampler.cc
  void rebuildSampleList();
  bool sampled(uint64_t p) const;
  void sampleTick(uint64_t now);

  RegionConfig cfg_;
  uint64_t sizeBytes_ = 0, pages_ = 0;
  uint8_t* base_ = nullptr;       // the application's view (registered)
  uint8_t* shadow_ = nullptr;     // out-of-place copies, same page offsets, not registered
  uint8_t* staging_ = nullptr;    // read buffers: kReadsInflightMax x kBatchPagesMax pages
  uint8_t* wbSlots_ = nullptr;    // write-back copies: kWritebackInflightPagesMax pages
  bool userModeOnly_ = false;
  Uffd uffd_;
  int kickFd_ = -1;
  ControlMap control_;
  ControlBlock* cb_ = nullptr;
  PageTable pt_;
  TokenBucket bucket_;
  std::vector<std::unique_ptr<Replica>> replicas_;

  // limits in force
  uint64_t cachePages_ = 0;                     // the whole cache limit
  // partitions (partition.h): an unsplit region keeps everything in partition 0 (A)
  PartitionSplit split_;
  double splitShare_ = 1.0;                     // the share the split in force was calibrated for
  uint64_t partPages_[2] = {0, 0};              // region pages in each partition
  uint64_t limit_[2] = {0, 0};                  // cache limit of each partition, pages
  EvictionPressure pressure_[2];                // whether evicting ahead of demand is worth it, per partition
  uint64_t lastDemand_[2] = {~0ull, ~0ull};     // the page each partition last brought in for a fault
  uint64_t limitsSeqSeen_ = ~0ull;
  uint32_t sampleRatePpm_ = 0, samplePeriodMs_ = 0;
  uint32_t sampleThreshold_ = 0;  // sampleThreshold(sampleRatePpm_): pages whose hash is below it are sampled
  std::vector<uint32_t> sampleList_;
  uint64_t nextSampleNs_ = 0;

  // in-flight work
  struct ReadJob {
    uint64_t first = 0;
    uint32_t n = 0;
    int stagingIdx = -1;
    bool demand = false;
    bool writable = false;   // install without write-protect, as dirty (a sequential writer's window)
    int replica = -1;
    uint64_t sentNs = 0;     // when the request was handed to the socket
    uint64_t replyNs = 0;    // when its reply was fully received
  };
  struct WriteJob {
    uint64_t first = 0;
    uint32_t n = 0;
    std::vector<int> slots;
    int pendingAcks = 0;
    bool queued = false;
  };
  uint64_t incoming_[2] = {0, 0};               // pages reserved by reads in flight or queued, per partition
  uint64_t dirtyPages_ = 0;
  uint64_t residentPeak_ = 0;
  bool peakArmed_ = false;
  uint64_t throttleStartNs_ = 0;                // when the head request started waiting for tokens
  uint64_t lastTrafficNs_ = 0;                  // for keepalive pings on idle connections
  std::deque<ReadJob> readQueueDemand_, readQueueAhead_;
  std::unordered_map<uint64_t, ReadJob> readsInflight_;    // key: job id
  std::vector<int> freeStaging_;
  std::unordered_map<uint64_t, uint64_t> waitStartNs_;    // page -> when its first fault arrived
  std::deque<std::pair<uint64_t, bool>> deferred_;         // faults waiting for room (page, write)
  std::vector<int> freeSlots_;
  std::unordered_map<uint64_t, int> wbSlotOf_;             // page -> newest write-back copy
  std::unordered_map<uint64_t, WriteJob> writes_;          // key: job id
  std::deque<uint64_t> writeQueue_;                        // job ids waiting for tokens
  std::vector<std::pair<uint64_t, int>> pendingWrites_;    // (page, slot) copied out, not yet in a job
  uint64_t nextJob_ = 1;
  uint32_t nextReq_ = 1;
  uint64_t throttleUntilNs_ = 0;
  uint64_t pollUntilNs_ = 0;    // the loop polls instead of sleeping until then (kPollUsDefault)
  bool pollAllowed_ = false;    // a CPU is idle (checked every kPollCheckMs): polling costs nobody
  uint64_t nextPollCheckNs_ = 0;
  int loadavgFd_ = -1;
  std::vector<uint64_t> shadowFrees_;
  std::vector<uint64_t> toPark_;

  // readahead: one stream per partition (a scan split in two is two interleaved scans)
  struct Stream {
    uint64_t lastFaultPage = ~0ull;
    uint64_t raNext = ~0ull;    // first page after the newest readahead window
    uint32_t raWindow = 0;
    uint64_t raStart = ~0ull;   // first page of the newest window
    uint32_t raCount = 0;       // pages the newest window reserved
    uint32_t raWpHits = 0;      // first writes (WP faults) seen on pages of the stream since the last window
    bool raWritable = false;    // install the stream's windows writable (a sequential writer)
  };
  Stream streams_[2];
  std::vector<Run> runs_;       // scratch: the runs of the window being reserved
  std::vector<uint64_t> issued_;  // scratch: read jobs issued by one issueReads call

  // flush
  std::mutex cmdMu_;
  std::vector<uint64_t> flushRequests_;
  std::vector<uint64_t> flushing_;
  size_t flushCursor_ = 0;
  uint64_t flushLayout_ = 0;    // pt_.layoutEpoch() the flush scan started at (frames moved: restart)
  bool flushScanDone_ = true;

  // events
  std::mutex evMu_;
  std::deque<RegionEvent> events_;
  std::function<void()> notify_;

  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  bool stopped_ = false;
};

// The process-wide count of live regions (kRegionsPerProcessMax) and the serial for control file names.
int liveRegions();

}  // namespace spirit
