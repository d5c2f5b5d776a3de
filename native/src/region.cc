// Region lifecycle: local setup, connecting to the memory nodes, starting and stopping the fault thread.
#include "region.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "clock.h"

namespace spirit {

namespace {
std::atomic<int> gLive{0};
std::atomic<uint64_t> gSerial{0};

uint8_t* mapAnon(size_t bytes) {
  void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  // a forked child must not inherit registered memory or copies (and COW would break our bookkeeping)
  madvise(m, bytes, MADV_DONTFORK);
  madvise(m, bytes, MADV_NOHUGEPAGE);
  return static_cast<uint8_t*>(m);
}

constexpr size_t kStagingBytes = size_t(limits::kReadsInflightMax) * limits::kBatchPagesMax * limits::kPageBytes;
constexpr size_t kSlotBytes = size_t(limits::kWritebackInflightPagesMax) * limits::kPageBytes;

// The defence behind the TypeScript validation: the same limits, terse messages.
bool configOk(const RegionConfig& c, std::string& err) {
  const uint64_t pg = limits::kPageBytes;
  if (c.memnodes.empty() || c.memnodes.size() > size_t(limits::kReplicasMax)) err = "memnodes: 1..3 addresses";
  else if (c.sizeBytes % pg || c.sizeBytes < limits::kRegionBytesMin || c.sizeBytes > limits::kRegionBytesMax)
    err = "sizeBytes: a multiple of 4096 within the region limits";
  else if (c.cacheBytes / pg < limits::kCachePagesMin) err = "cacheBytes: at least 16 pages";
  else if (!(c.bandwidthMbps >= limits::kBandwidthMbpsMin && c.bandwidthMbps <= limits::kBandwidthMbpsMax))
    err = "bandwidthMbps: out of range";
  else if (c.token.size() < limits::kTokenBytesMin || c.token.size() > limits::kTokenBytesMax) err = "token: 8..256 bytes";
  else if (c.sampleRatePpm > limits::kSampleRatePpmMax) err = "sampleRate: 0..1";
  else if (c.samplePeriodMs < limits::kSamplePeriodMsMin || c.samplePeriodMs > limits::kSamplePeriodMsMax)
    err = "samplePeriodMs: out of range";
  else if (c.requestTimeoutMs < limits::kRequestTimeoutMsMin || c.requestTimeoutMs > limits::kRequestTimeoutMsMax)
    err = "timeoutMs: out of range";
  else if (c.retries > limits::kRetriesMax) err = "retries: at most 10";
  else if (c.pollUs > limits::kPollUsMax) err = "pollUs: at most 1000";
  return err.empty();
}
}  // namespace

int liveRegions() { return gLive.load(); }

Region::Region(const RegionConfig& cfg) : cfg_(cfg) {}

std::unique_ptr<Region> Region::create(const RegionConfig& cfg, Reason& reason, std::string& err) {
  reason = Reason::kBadArgument;
  if (!configOk(cfg, err)) return nullptr;
  if (sysconf(_SC_PAGESIZE) != long(limits::kPageBytes)) {
    err = "this addon pages in 4096-byte pages; the kernel's page size differs";
    reason = Reason::kSystem;
    return nullptr;
  }
  if (gLive.fetch_add(1) >= limits::kRegionsPerProcessMax) {
    gLive--;
    err = "at most 64 far-memory regions per process";
    reason = Reason::kLimit;
    return nullptr;
  }
  std::unique_ptr<Region> r(new Region(cfg));
  reason = Reason::kSystem;
  r->sizeBytes_ = cfg.sizeBytes;
  r->pages_ = cfg.sizeBytes / limits::kPageBytes;
  r->base_ = mapAnon(cfg.sizeBytes);
  r->shadow_ = mapAnon(cfg.sizeBytes);
  r->staging_ = mapAnon(kStagingBytes);
  r->wbSlots_ = mapAnon(kSlotBytes);
  if (!r->base_ || !r->shadow_ || !r->staging_ || !r->wbSlots_) {
    err = std::string("cannot map region memory: ") + strerror(errno);
    return nullptr;
  }
  if (!r->uffd_.open(r->userModeOnly_, err) || !r->uffd_.registerRange(r->base_, cfg.sizeBytes, err)) {
    reason = Reason::kUffd;
    return nullptr;
  }
  r->kickFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!r->control_.create(cfg.controlDir, gSerial.fetch_add(1), cfg.sizeBytes, cfg.label, err)) return nullptr;
  ControlBlock* cb = r->cb_ = r->control_.cb();
  cb->cacheBytes.store(cfg.cacheBytes);
  cb->bandwidthMbpsBits.store(doubleToBits(cfg.bandwidthMbps));
  cb->sampleRatePpm.store(cfg.sampleRatePpm);
  cb->samplePeriodMs.store(cfg.samplePeriodMs);
  cb->limitsSeq.store(1);
  r->pt_.init(r->pages_);
  r->split_.pagesA = r->partPages_[0] = r->pages_;  // unsplit: every page in partition A
  for (const auto& m : cfg.memnodes) r->replicas_.push_back(std::make_unique<Replica>(m));
  for (int i = int(limits::kReadsInflightMax) - 1; i >= 0; i--) r->freeStaging_.push_back(i);
  for (int i = int(limits::kWritebackInflightPagesMax) - 1; i >= 0; i--) r->freeSlots_.push_back(i);
  reason = Reason::kNone;
  return r;
}

Region::~Region() {
  stop();
  gLive--;
}

Reason Region::connect(std::string& err) {
  for (size_t i = 0; i < replicas_.size(); i++) {
    Reason why = replicas_[i]->open(sizeBytes_, cfg_.token, false, cfg_.connectTimeoutMs, err);
    if (why != Reason::kNone) {
      for (size_t j = 0; j < i; j++) replicas_[j]->closeRegion(limits::kCloseTimeoutMs);
      return why;
    }
  }
  counterSet(cb_, c_replicasAlive, replicas_.size());
  return Reason::kNone;
}

bool Region::start(std::string& err) {
  applyLimits(nowNs(), true);
  cb_->state.store(uint32_t(RegionState::kRunning));
  try {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "spirit-fault");  // visible to perf, top -H, /proc/<pid>/task
      loop();
    });
  } catch (const std::exception& e) {
    err = std::string("cannot start the fault thread: ") + e.what();
    return false;
  }
  return true;
}

void Region::kick() {
  uint64_t one = 1;
  (void)!write(kickFd_, &one, sizeof one);
}

void Region::requestFlush(uint64_t id) {
  {
    std::lock_guard<std::mutex> g(cmdMu_);
    flushRequests_.push_back(id);
  }
  kick();
}

void Region::stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  if (thread_.joinable()) {
    kick();
    thread_.join();
  }
  // wakes any thread still blocked on a fault: it retries as an ordinary fault on memory we unmap next
  // (the JS side detaches the ArrayBuffer before calling stop, so JS cannot touch it again)
  if (base_) uffd_.unregisterRange(base_, sizeBytes_);
  if (cb_) {
    cb_->state.store(uint32_t(RegionState::kClosed));
    control_.unlinkFile();
  }
  if (base_) munmap(base_, sizeBytes_);
  if (shadow_) munmap(shadow_, sizeBytes_);
  if (staging_) munmap(staging_, kStagingBytes);
  if (wbSlots_) munmap(wbSlots_, kSlotBytes);
  base_ = shadow_ = staging_ = wbSlots_ = nullptr;
  if (kickFd_ >= 0) close(kickFd_);
  kickFd_ = -1;
  if (loadavgFd_ >= 0) close(loadavgFd_);
  loadavgFd_ = -1;
}

std::vector<RegionEvent> Region::takeEvents() {
  std::lock_guard<std::mutex> g(evMu_);
  std::vector<RegionEvent> out(events_.begin(), events_.end());
  events_.clear();
  return out;
}

void Region::emit(RegionEvent ev) {
  std::lock_guard<std::mutex> g(evMu_);  // held while notifying: setNotify(nullptr) cannot race a call
  if (events_.size() >= limits::kEventQueueMax) {
    counterAdd(cb_, c_eventsDropped, 1);
    return;
  }
  events_.push_back(std::move(ev));
  if (notify_) notify_();
}

}  // namespace spirit
