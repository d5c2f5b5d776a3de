// Fetching: demand reads for faults, readahead for sequential access (window doubling up to
// kReadaheadPagesMax, with a parked "marker" page in the middle of each window whose touch starts the next
// window asynchronously), token-bucket admission, and installing the replies.
#include <sys/uio.h>

#include <algorithm>
#include <cstring>

#include "clock.h"
#include "region.h"
#include "wire.h"

namespace spirit {

namespace {
constexpr uint32_t kMarkerMinWindow = 8;     // smaller windows are not worth an extra soft fault
constexpr uint32_t kFirstSeqWindow = 4;
}

int Region::primary() const {
  for (size_t i = 0; i < replicas_.size(); i++)
    if (replicas_[i]->alive) return int(i);
  return -1;
}

static uint32_t readaheadMax(uint64_t cachePages) {
  return uint32_t(std::clamp<uint64_t>(cachePages / 8, 1, limits::kReadaheadPagesMax));
}

// Marks up to maxPages pages from first as fetching, after making room for them in the cache. Stops at
// the first page that is local, in write-back, or zero (never stored remotely). Returns how many.
uint32_t Region::reserveRun(uint64_t first, uint32_t maxPages) {
  uint32_t n = 0;
  while (n < maxPages && first + n < pages_) {
    uint64_t q = first + n;
    if (pt_.state(q) != kAbsent || !pt_.has(q, kRemote) || wbSlotOf_.count(q)) break;
    n++;
  }
  if (n == 0) return 0;
  ensureRoom(n);
  uint64_t used = pt_.used() + incoming_;
  uint64_t room = used >= cachePages_ ? 0 : cachePages_ - used;
  n = uint32_t(std::min<uint64_t>(n, room));
  for (uint32_t i = 0; i < n; i++) pt_.setState(first + i, kFetching);
  incoming_ += n;
  return n;
}

// A sequential stream whose pages mostly took a first-write fault is a writer: its next windows are
// installed writable (and so dirty), saving a write-protect fault per page. Sticky until the stream breaks;
// if the writer turns reader, those windows cost one unneeded write-back per page.
void Region::updateStreamKind(bool sequential, bool write) {
  if (!sequential) {
    raWritable_ = false;
  } else if (!raWritable_) {
    uint64_t window = raNext_ > raStart_ && raNext_ != ~0ull ? raNext_ - raStart_ : 0;
    raWritable_ = (write && raWpHits_ > 0) || (window >= kMarkerMinWindow && raWpHits_ * 4 >= window);
  }
  raWpHits_ = 0;
}

void Region::planDemandFetch(uint64_t p, bool write, uint64_t now) {
  bool sequential = (p == raNext_) || (lastFaultPage_ != ~0ull && p == lastFaultPage_ + 1);
  lastFaultPage_ = p;
  updateStreamKind(sequential, write);
  raWindow_ = sequential ? std::min(std::max(raWindow_ * 2, kFirstSeqWindow), readaheadMax(cachePages_)) : 0;
  uint32_t n = reserveRun(p, sequential ? raWindow_ : 1);
  if (n == 0) {
    deferred_.emplace_back(p, write);
    return;
  }
  pt_.set(p, kWaiting);
  if (write) pt_.set(p, kWaitWrite);
  waitStartNs_.emplace(p, now);
  if (n >= kMarkerMinWindow) pt_.set(p + n / 2, kMarker);
  raStart_ = p;
  raNext_ = p + n;
  uint32_t chunk = uint32_t(bucket_.maxRequestPages());
  for (uint32_t off = 0; off < n; off += chunk) {
    ReadJob j;
    j.first = p + off;
    j.n = std::min(chunk, n - off);
    j.demand = true;
    j.writable = raWritable_ && sequential;
    readQueueDemand_.push_back(j);
  }
}

void Region::planReadahead(uint64_t from, uint32_t window, uint64_t now) {
  (void)now;
  if (from >= pages_ || window == 0) return;
  updateStreamKind(true, false);
  raWindow_ = std::min(std::max(window * 2, kFirstSeqWindow), readaheadMax(cachePages_));
  uint32_t n = reserveRun(from, raWindow_);
  if (n == 0) return;
  if (n >= kMarkerMinWindow) pt_.set(from + n / 2, kMarker);
  raStart_ = from;
  raNext_ = from + n;
  uint32_t chunk = uint32_t(bucket_.maxRequestPages());
  for (uint32_t off = 0; off < n; off += chunk) {
    ReadJob j;
    j.first = from + off;
    j.n = std::min(chunk, n - off);
    j.writable = raWritable_;
    readQueueAhead_.push_back(j);
  }
}

// Sends queued reads (demand first) while staging buffers, the in-flight bound and the token bucket allow.
void Region::issueReads(uint64_t now) {
  const uint64_t pg = limits::kPageBytes;
  int r = primary();
  if (r < 0) return;
  while (!readQueueDemand_.empty() || !readQueueAhead_.empty()) {
    if (readsInflight_.size() >= limits::kReadsInflightMax || freeStaging_.empty()) break;
    auto& q = !readQueueDemand_.empty() ? readQueueDemand_ : readQueueAhead_;
    ReadJob job = q.front();
    uint64_t wait = bucket_.tryAdmit(job.n * pg, now);
    if (wait != 0) {
      if (throttleStartNs_ == 0) throttleStartNs_ = now;
      throttleUntilNs_ = now + wait;
      break;
    }
    if (throttleStartNs_ != 0) {
      counterAdd(cb_, c_throttledNs, now - throttleStartNs_);
      throttleStartNs_ = 0;
    }
    counterAdd(cb_, c_admittedBytes, job.n * pg);
    q.pop_front();
    job.stagingIdx = freeStaging_.back();
    freeStaging_.pop_back();
    job.replica = r;
    uint64_t id = nextJob_++;
    uint8_t* dest = staging_ + size_t(job.stagingIdx) * limits::kBatchPagesMax * pg;
    replicas_[size_t(r)]->queueRead(nextReq_++, job.first * pg, uint32_t(job.n * pg), dest, id, now);
    readsInflight_[id] = job;
    counterAdd(cb_, c_fetchRequests, 1);
  }
  std::string err;
  if (replicas_[size_t(r)]->wantsWrite() && !replicas_[size_t(r)]->flush(err)) replicaBroken(r, err, now);
}

void Region::onReadReply(const Reply& rep, uint64_t now) {
  auto it = readsInflight_.find(rep.job);
  if (it == readsInflight_.end()) return;
  ReadJob job = it->second;
  readsInflight_.erase(it);
  if (rep.status != wire::kOk) {
    // the memory node no longer serves this region: retry the pages elsewhere, drop this replica
    freeStaging_.push_back(job.stagingIdx);
    job.stagingIdx = -1;
    readQueueDemand_.push_front(job);
    dropReplica(job.replica, "memory node " + replicas_[size_t(job.replica)]->address() + " refused a read: " +
                                 wire::statusName(rep.status) + (rep.errorText.empty() ? "" : " (" + rep.errorText + ")"),
                Reason::kRegionLost);
    return;
  }
  lastTrafficNs_ = now;
  installFetched(job, now);
  freeStaging_.push_back(job.stagingIdx);
}

// Installs a fetched run. A page a fault waits for is mapped at once on its own (writable if it was a
// write fault); a readahead marker or a sampled page is parked so its first touch is seen; other prefetched
// pages are mapped clean, consecutive ones in one UFFDIO_COPY.
void Region::installFetched(ReadJob& job, uint64_t now) {
  const uint64_t pg = limits::kPageBytes;
  const uint8_t* src = staging_ + size_t(job.stagingIdx) * limits::kBatchPagesMax * pg;
  const uint64_t base = reinterpret_cast<uint64_t>(base_);
  incoming_ -= job.n;
  counterAdd(cb_, c_bytesIn, job.n * pg);
  counterAdd(cb_, c_fetchedPages, job.n);
  uint64_t runStart = 0;
  uint32_t runLen = 0;
  auto flushRun = [&]() {
    if (runLen == 0) return;
    int rc = uffd_.copy(base + runStart * pg, src + (runStart - job.first) * pg, runLen * pg, !job.writable);
    if (rc != 0) fail(Reason::kUffd, std::string("UFFDIO_COPY failed: ") + strerror(-rc));
    runLen = 0;
  };
  uint64_t prefetched = 0;
  for (uint32_t i = 0; i < job.n && !failed_.load(); i++) {
    uint64_t q = job.first + i;
    if (pt_.state(q) != kFetching) {
      flushRun();
      continue;
    }
    bool waiting = pt_.has(q, kWaiting);
    bool write = pt_.has(q, kWaitWrite) || job.writable;
    pt_.clear(q, kWaiting | kWaitWrite);
    pt_.addFrame(q);
    if (!waiting) prefetched++;
    if (!waiting && (pt_.has(q, kMarker) || sampled(q))) {
      flushRun();
      memcpy(shadow_ + q * pg, src + size_t(i) * pg, pg);
      pt_.setState(q, kParked);
      continue;
    }
    pt_.setState(q, kMapped);
    if (waiting) {  // alone and first: its thread is woken without waiting for the rest of the run
      flushRun();
      int rc = uffd_.copy(base + q * pg, src + size_t(i) * pg, pg, !write);
      if (rc != 0) fail(Reason::kUffd, std::string("UFFDIO_COPY failed: ") + strerror(-rc));
      if (write) markDirty(q);
    } else if (job.writable) {
      if (runLen == 0) runStart = q;
      runLen++;
      markDirty(q);
    } else {
      if (runLen == 0) runStart = q;
      runLen++;
    }
  }
  flushRun();
  counterAdd(cb_, c_prefetchedPages, prefetched);
  uint64_t done = nowNs();
  for (uint32_t i = 0; i < job.n; i++) {
    auto w = waitStartNs_.find(job.first + i);
    if (w == waitStartNs_.end()) continue;
    histRecord(cb_->latencyHist, done - w->second);
    waitStartNs_.erase(w);
  }
  (void)now;
}

}  // namespace spirit
