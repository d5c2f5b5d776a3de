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

// Largest readahead window of a cache of limitPages: an eighth of it; a partition of a split region may use
// up to a quarter of a small cache (see kPartitionReadaheadPagesMin): a window in flight, the one being
// read, and room for the next, so a window is not evicted before it is read.
static uint32_t readaheadMax(uint64_t limitPages, bool split) {
  uint64_t w = limitPages / 8;
  if (split) w = std::max<uint64_t>(w, std::min<uint64_t>(limitPages / 4, limits::kPartitionReadaheadPagesMin));
  return uint32_t(std::clamp<uint64_t>(w, 1, limits::kReadaheadPagesMax));
}

// A page a read can bring in: not local nor in flight, held by the memory node, not in write-back (a fault
// on those is served locally).
bool Region::fetchable(uint64_t q) const {
  return pt_.state(q) == kAbsent && pt_.has(q, kRemote) && !wbSlotOf_.count(q);
}

// Reserves up to maxPages pages of partition k for one read window from `first`, after making room for them
// in k. Unsplit: the consecutive fetchable pages from `first`, stopping at the first other page. Split: the
// next pages of k that need a fetch, skipping the other partition's pages and pages already local or in
// flight, within kReadaheadSpanFactor x maxPages pages (a scan split in two still reads ahead). Leaves the
// reserved pages in runs_ (consecutive runs, one read each); returns how many.
uint32_t Region::reserveWindow(int k, uint64_t first, uint32_t maxPages) {
  runs_.clear();
  const bool split = split_.split;
  uint64_t end = std::min<uint64_t>(pages_, first + (split ? uint64_t(maxPages) * limits::kReadaheadSpanFactor : maxPages));
  uint32_t n = 0;
  for (uint64_t q = first; q < end && n < maxPages; q++) {
    if (partOf(q) == k && fetchable(q)) n++;
    else if (!split) break;
  }
  if (n == 0) return 0;
  ensureRoom(k, n);
  uint64_t used = pt_.used(k) + incoming_[k];
  uint64_t room = used >= limit_[k] ? 0 : limit_[k] - used;
  n = uint32_t(std::min<uint64_t>(n, room));
  uint32_t got = 0;
  for (uint64_t q = first; q < end && got < n; q++) {
    if (partOf(q) != k || !fetchable(q)) continue;  // (unsplit: the first n pages are consecutive)
    pt_.setState(q, kFetching);
    if (!runs_.empty() && runs_.back().first + runs_.back().n == q) runs_.back().n++;
    else runs_.push_back({q, 1});
    got++;
  }
  incoming_[k] += got;
  return got;
}

// The runs_ of a window as read jobs, each at most what one token-bucket admission carries.
void Region::queueRuns(std::deque<ReadJob>& q, bool demand, bool writable) {
  uint32_t chunk = uint32_t(bucket_.maxRequestPages());
  for (const Run& r : runs_) {
    for (uint32_t off = 0; off < r.n; off += chunk) {
      ReadJob j;
      j.first = r.first + off;
      j.n = std::min(chunk, r.n - off);
      j.demand = demand;
      j.writable = writable;
      q.push_back(j);
    }
  }
}

namespace {
// Where a window starts and ends, and its marker: the middle one of the pages it reserved.
uint64_t windowMarker(const std::vector<Region::Run>& runs, uint32_t n) {
  uint32_t i = n / 2;
  for (const Region::Run& r : runs) {
    if (i < r.n) return r.first + i;
    i -= r.n;
  }
  return runs.back().first + runs.back().n - 1;
}
}  // namespace

// A sequential stream whose pages mostly took a first-write fault is a writer: its next windows are
// installed writable (and so dirty), saving a write-protect fault per page. Sticky until the stream breaks;
// if the writer turns reader, those windows cost one unneeded write-back per page.
void Region::updateStreamKind(Stream& s, bool sequential, bool write) {
  if (!sequential) {
    s.raWritable = false;
  } else if (!s.raWritable) {
    s.raWritable = (write && s.raWpHits > 0) || (s.raCount >= kMarkerMinWindow && s.raWpHits * 4 >= s.raCount);
  }
  s.raWpHits = 0;
}

// Split regions: a fault continues partition k's stream when everything between the stream's last window
// (or its last fault) and the fault needs no fetch by k: pages of the other partition, or local ones.
bool Region::continuesStream(int k, const Stream& s, uint64_t p) const {
  auto gapFree = [&](uint64_t from) {
    if (from == ~0ull || p < from || p - from > limits::kStreamGapPagesMax) return false;
    for (uint64_t q = from; q < p; q++)
      if (partOf(q) == k && pt_.state(q) == kAbsent) return false;
    return true;
  };
  return gapFree(s.raNext) || (s.lastFaultPage != ~0ull && gapFree(s.lastFaultPage + 1));
}

void Region::planDemandFetch(uint64_t p, bool write, uint64_t now) {
  int k = partOf(p);
  Stream& s = streams_[k];
  bool sequential = !loopGuard(k) &&  // the guard evicts one for one, so nothing is read ahead
                    ((p == s.raNext) || (s.lastFaultPage != ~0ull && p == s.lastFaultPage + 1) ||
                     (split_.split && continuesStream(k, s, p)));
  s.lastFaultPage = p;
  updateStreamKind(s, sequential, write);
  s.raWindow = sequential ? std::min(std::max(s.raWindow * 2, kFirstSeqWindow), readaheadMax(limit_[k], split_.split)) : 0;
  uint32_t n = reserveWindow(k, p, sequential ? s.raWindow : 1);
  if (n == 0) {
    deferred_.emplace_back(p, write);
    return;
  }
  pt_.set(p, kWaiting);
  if (write) pt_.set(p, kWaitWrite);
  waitStartNs_.emplace(p, now);
  if (n >= kMarkerMinWindow) pt_.set(windowMarker(runs_, n), kMarker);
  s.raStart = p;
  s.raNext = runs_.back().first + runs_.back().n;
  s.raCount = n;
  queueRuns(readQueueDemand_, true, s.raWritable && sequential);
}

void Region::planReadahead(int k, uint64_t from, uint32_t window, uint64_t now) {
  (void)now;
  if (from >= pages_ || window == 0) return;
  Stream& s = streams_[k];
  updateStreamKind(s, true, false);
  s.raWindow = std::min(std::max(window * 2, kFirstSeqWindow), readaheadMax(limit_[k], split_.split));
  uint32_t n = reserveWindow(k, from, s.raWindow);
  if (n == 0) return;
  if (n >= kMarkerMinWindow) pt_.set(windowMarker(runs_, n), kMarker);
  s.raStart = runs_.front().first;
  s.raNext = runs_.back().first + runs_.back().n;
  s.raCount = n;
  queueRuns(readQueueAhead_, false, s.raWritable);
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
    issued_.push_back(id);
    if (job.demand && cfg_.pollUs > 0) pollUntilNs_ = std::max(pollUntilNs_, now + uint64_t(cfg_.pollUs) * 1000);
    counterAdd(cb_, c_fetchRequests, 1);
  }
  std::string err;
  // the requests are ready: what follows is the round trip (on loopback the memory node often answers
  // inside the send itself, its thread woken and run by the kernel before writev returns)
  uint64_t sent = nowNs();
  if (replicas_[size_t(r)]->wantsWrite() && !replicas_[size_t(r)]->flush(err)) replicaBroken(r, err, now);
  if (!issued_.empty()) {
    for (uint64_t id : issued_) {
      auto it = readsInflight_.find(id);
      if (it != readsInflight_.end()) it->second.sentNs = sent;
    }
    issued_.clear();
  }
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
  job.replyNs = nowNs();
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
  uint64_t pagesIn[2] = {0, 0};
  for (uint32_t i = 0; i < job.n && !failed_.load(); i++) {
    uint64_t q = job.first + i;
    if (pt_.state(q) != kFetching) {
      flushRun();
      continue;
    }
    bool waiting = pt_.has(q, kWaiting);
    bool write = pt_.has(q, kWaitWrite) || job.writable;
    pt_.clear(q, kWaiting | kWaitWrite);
    int k = partOf(q);
    incoming_[k]--;
    pagesIn[k]++;
    pt_.addFrame(q, k);
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
      lastDemand_[k] = q;
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
  counterAdd(cb_, c_partitionAPagesIn, pagesIn[0]);
  counterAdd(cb_, c_partitionBPagesIn, pagesIn[1]);
  uint64_t done = nowNs();
  bool staged = false;
  for (uint32_t i = 0; i < job.n; i++) {
    auto w = waitStartNs_.find(job.first + i);
    if (w == waitStartNs_.end()) continue;
    histRecord(cb_->latencyHist, done - w->second);
    // the fault path's breakdown, once per fetch a fault waited on from before the request went out
    if (!staged && job.demand && job.sentNs >= w->second && job.replyNs >= job.sentNs) {
      staged = true;
      cb_->fetchStageNs[0].fetch_add(job.sentNs - w->second, std::memory_order_relaxed);
      cb_->fetchStageNs[1].fetch_add(job.replyNs - job.sentNs, std::memory_order_relaxed);
      cb_->fetchStageNs[2].fetch_add(done - job.replyNs, std::memory_order_relaxed);
      counterAdd(cb_, c_fetchStageSamples, 1);
    }
    waitStartNs_.erase(w);
  }
  (void)now;
}

}  // namespace spirit
