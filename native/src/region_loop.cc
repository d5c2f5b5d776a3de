// The fault thread's loop: wait for faults, replies, kicks or a deadline; then do every kind of work in a
// fixed order, each step bounded. Also limits, gauges, timeouts, failure.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "clock.h"
#include "region.h"

namespace spirit {

namespace {
constexpr uint64_t kKeepaliveNs = 60ull * kNsPerS;  // under the memory node's idle-connection timeout
}

void Region::loop() {
  std::vector<pollfd> pfds;
  while (!stopping_.load()) {
    pfds.clear();
    pfds.push_back({uffd_.fd(), POLLIN, 0});
    pfds.push_back({kickFd_, POLLIN, 0});
    for (auto& r : replicas_)
      pfds.push_back({r->alive && r->connected() ? r->fd() : -1, short(POLLIN | (r->wantsWrite() ? POLLOUT : 0)), 0});
    uint64_t now = nowNs();
    int64_t waitNs = int64_t(limits::kLoopPollMsMax) * int64_t(kNsPerMs);
    if (!failed_.load()) {
      int ms = pollTimeoutMs(now);
      waitNs = ms * int64_t(kNsPerMs);
      if (throttleUntilNs_ > now) waitNs = std::min<int64_t>(waitNs, int64_t(throttleUntilNs_ - now));
      checkPollAllowed(now);
      if (now < pollUntilNs_ && pollAllowed_) waitNs = 0;  // a reply or the next fault is due within a round trip: do not halt
    }
    // polling: give the CPU to whatever else is runnable here first (the memory node answering us, say)
    if (waitNs == 0 && now < pollUntilNs_) sched_yield();
    timespec ts{time_t(waitNs / int64_t(kNsPerS)), long(waitNs % int64_t(kNsPerS))};
    ppoll(pfds.data(), pfds.size(), &ts, nullptr);
    now = nowNs();
    counterAdd(cb_, c_loopIterations, 1);
    if (pfds[1].revents & POLLIN) {
      uint64_t v;
      (void)!read(kickFd_, &v, sizeof v);
    }
    applyLimits(now, false);
    if (!failed_.load()) {
      serviceReplicas(pfds.data() + 2, replicas_.size(), now);
      if (!failed_.load() && (pfds[0].revents & POLLIN)) {
        readFaults(now);
        if (cfg_.pollUs > 0) pollUntilNs_ = now + uint64_t(cfg_.pollUs) * 1000;  // the next fault may follow
      }
      if (!failed_.load()) {
        retryDeferred(now);
        issueTraffic(now);
        // housekeeping waits while a fault waits on a fetch: its reply must not queue behind a batch of
        // evictions (unless the cache is over its limit, after a shrink)
        if (waitStartNs_.empty() || anyOverLimit()) {
          backgroundEvict();
          stepFlush();
          sampleTick(now);
          flushShadowFrees();
          issueTraffic(now);
        }
        checkTimeouts(now);
      }
    }
    publishGauges();
  }
  for (auto& r : replicas_)
    if (r->alive && r->connected()) r->closeRegion(limits::kCloseTimeoutMs);
}

// Whether polling costs nobody: no more runnable threads on the machine than CPUs (the fourth field of
// /proc/loadavg, "running/total", counts this thread too). Read every kPollCheckMs, so a busy machine stops
// the polling within that long; without /proc it never polls.
void Region::checkPollAllowed(uint64_t now) {
  if (cfg_.pollUs == 0 || now < nextPollCheckNs_) return;
  nextPollCheckNs_ = now + uint64_t(limits::kPollCheckMs) * kNsPerMs;
  if (loadavgFd_ < 0) loadavgFd_ = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  char buf[128];
  ssize_t n = loadavgFd_ >= 0 ? pread(loadavgFd_, buf, sizeof buf - 1, 0) : -1;
  if (n <= 0) {
    pollAllowed_ = false;
    return;
  }
  buf[n] = 0;
  double l1, l5, l15;
  long running = 0, total = 0;
  static const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  pollAllowed_ = sscanf(buf, "%lf %lf %lf %ld/%ld", &l1, &l5, &l15, &running, &total) == 5 && running <= cpus;
}

// Sends what the token bucket admits: write-backs first when their slots run short, reads first otherwise.
void Region::issueTraffic(uint64_t now) {
  closeWriteJob();
  if (slotsScarce()) {
    issueWrites(now);
    issueReads(now);
  } else {
    issueReads(now);
    issueWrites(now);
  }
}

// Sleep until the next thing that needs the thread without a file descriptor saying so: the sampler,
// a pending eviction after a cache shrink, request timeouts, and the limit poll.
int Region::pollTimeoutMs(uint64_t now) {
  for (int k = 0; k < 2; k++)
    if (overLimit(k) && pt_.used(k) > 0) return 0;
  if (!deferred_.empty() && !freeSlots_.empty()) return 0;
  if (!flushing_.empty() && !flushScanDone_ && !freeSlots_.empty()) return 0;
  int64_t ms = limits::kLoopPollMsMax;
  if (sampleRatePpm_ > 0 && nextSampleNs_ > now) ms = std::min<int64_t>(ms, int64_t((nextSampleNs_ - now) / kNsPerMs));
  return int(std::max<int64_t>(ms, 0));
}

// Applies limits when their sequence number moved (written by the owner or a daemon through the block).
// Out-of-range values are clamped: the block is shared memory, so the fault thread cannot trust it.
void Region::applyLimits(uint64_t now, bool force) {
  uint64_t seq = cb_->limitsSeq.load(std::memory_order_acquire);
  if (!force && seq == limitsSeqSeen_) return;
  limitsSeqSeen_ = seq;
  const uint64_t pg = limits::kPageBytes;
  uint64_t cache = cb_->cacheBytes.load();
  cachePages_ = std::clamp<uint64_t>(cache / pg, limits::kCachePagesMin, pages_);
  applySplit(cachePages_, now);  // each partition's limit (the whole of it when unsplit)
  double bw = bitsToDouble(cb_->bandwidthMbpsBits.load());
  if (!(bw >= limits::kBandwidthMbpsMin)) bw = limits::kBandwidthMbpsMin;
  if (bw > limits::kBandwidthMbpsMax) bw = limits::kBandwidthMbpsMax;
  bucket_.setRate(bw, now);
  uint32_t rate = std::min(cb_->sampleRatePpm.load(), limits::kSampleRatePpmMax);
  samplePeriodMs_ = std::clamp(cb_->samplePeriodMs.load(), limits::kSamplePeriodMsMin, limits::kSamplePeriodMsMax);
  // the first tick comes one period after start; a shorter new period takes effect within that period
  uint64_t nextTick = now + uint64_t(samplePeriodMs_) * kNsPerMs;
  if (force || nextTick < nextSampleNs_) nextSampleNs_ = nextTick;
  if (rate != sampleRatePpm_ || force) {
    sampleRatePpm_ = rate;
    sampleThreshold_ = sampleThreshold(rate);
    rebuildSampleList();
  }
  residentPeak_ = 0;  // re-armed once the new limit is met (a shrink takes a moment to evict down)
  peakArmed_ = false;
  counterSet(cb_, c_cachePagesLimit, cachePages_);
  publishGauges();  // the limits in force are visible by the time limitChanges says they were applied
  counterAdd(cb_, c_limitChanges, 1);
}

void Region::publishGauges() {
  // armed once nothing reserved under an older, larger limit is still on its way in
  if (!peakArmed_ && !anyOverLimit()) {
    peakArmed_ = true;
    residentPeak_ = 0;
  }
  residentPeak_ = peakArmed_ ? std::max(residentPeak_, pt_.used()) : pt_.used();
  counterSet(cb_, c_residentPages, pt_.used());
  counterSet(cb_, c_residentPeakPages, residentPeak_);
  counterSet(cb_, c_dirtyPages, dirtyPages_);
  counterSet(cb_, c_writebackInflightPages, limits::kWritebackInflightPagesMax - freeSlots_.size());
  counterSet(cb_, c_readsInflight, readsInflight_.size());
  counterSet(cb_, c_reserveArmed, pressure_[0].armed() || pressure_[1].armed() ? 1 : 0);
  counterSet(cb_, c_partitions, uint64_t(partitions()));
  counterSet(cb_, c_partitionAPages, partPages_[0]);
  counterSet(cb_, c_partitionALimitPages, limit_[0]);
  counterSet(cb_, c_partitionBLimitPages, limit_[1]);
  counterSet(cb_, c_partitionAResidentPages, pt_.used(0));
  counterSet(cb_, c_partitionBResidentPages, pt_.used(1));
  cb_->heartbeatWallMs.store(wallMs(), std::memory_order_relaxed);
}

// A replica whose oldest request waited longer than the timeout is treated as broken; idle connections get
// a ping now and then so the memory node does not close them as idle (and orphan our region).
void Region::checkTimeouts(uint64_t now) {
  const uint64_t limitNs = uint64_t(cfg_.requestTimeoutMs) * kNsPerMs;
  for (size_t i = 0; i < replicas_.size() && !failed_.load(); i++) {
    Replica& r = *replicas_[i];
    if (!r.alive || !r.connected()) continue;
    uint64_t oldest = r.oldestSentNs();
    if (oldest != 0 && now > oldest && now - oldest > limitNs) {
      counterAdd(cb_, c_requestTimeouts, 1);
      replicaBroken(int(i), "no reply from memory node " + r.address() + " within " +
                                std::to_string(cfg_.requestTimeoutMs) + " ms", now);
    } else if (r.outstanding() == 0 && now - lastTrafficNs_ > kKeepaliveNs) {
      r.queuePing(nextReq_++, now);
    }
  }
  if (now - lastTrafficNs_ > kKeepaliveNs) lastTrafficNs_ = now;
}

// The region cannot continue (no memory node holds its data any more, or the kernel refused an ioctl).
// Unregistering the range releases every thread waiting on a fault and turns future faults into ordinary
// anonymous-memory faults (zero pages), so the application is never left hanging; the error event and
// FarMemoryError on every later call tell it the contents are no longer trustworthy.
void Region::fail(Reason why, const std::string& message) {
  if (failed_.exchange(true)) return;
  cb_->failReason.store(uint32_t(why));
  cb_->state.store(uint32_t(RegionState::kFailed));
  uffd_.unregisterRange(base_, sizeBytes_);
  for (auto& r : replicas_) r->disconnect();
  counterAdd(cb_, c_failedFaults, waitStartNs_.size() + deferred_.size());
  waitStartNs_.clear();
  deferred_.clear();
  std::vector<uint64_t> pending;
  {
    std::lock_guard<std::mutex> g(cmdMu_);
    pending.swap(flushRequests_);
  }
  pending.insert(pending.end(), flushing_.begin(), flushing_.end());
  flushing_.clear();
  emit({"error", why, message, "", 0});
  for (uint64_t id : pending) emit({"flushed", why, message, "", id});
}

}  // namespace spirit
