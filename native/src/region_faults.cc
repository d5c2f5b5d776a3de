// Fault handling: read uffd messages and resolve each one from the cheapest place that has the page:
// already mapped (wake), an out-of-place copy (parked), a write-back copy in flight, a zero page (the
// memory node never stored it), and only then a fetch from the memory node.
#include <linux/userfaultfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "clock.h"
#include "region.h"

namespace spirit {

namespace {
alignas(4096) const uint8_t kZeroPage[limits::kPageBytes] = {};
}

void Region::readFaults(uint64_t now) {
  uffd_msg msgs[limits::kFaultMsgsPerRead];
  for (int round = 0; round < 4 && !failed_.load(); round++) {
    ssize_t n = read(uffd_.fd(), msgs, sizeof msgs);
    if (n <= 0) break;
    size_t count = size_t(n) / sizeof(uffd_msg);
    for (size_t i = 0; i < count && !failed_.load(); i++) {
      if (msgs[i].event != UFFD_EVENT_PAGEFAULT) continue;
      handleFault(msgs[i].arg.pagefault.address, msgs[i].arg.pagefault.flags, now);
    }
    if (count < size_t(limits::kFaultMsgsPerRead)) break;
  }
}

void Region::handleFault(uint64_t addr, uint64_t flags, uint64_t now) {
  const uint64_t pg = limits::kPageBytes;
  uint64_t off = addr - reinterpret_cast<uint64_t>(base_);
  if (off >= sizeBytes_) return;  // not ours (cannot happen with one registered range)
  uint64_t p = off / pg;
  counterAdd(cb_, c_faults, 1);
  if (flags & UFFD_PAGEFAULT_FLAG_WP) {
    // first write to a clean page: remember it is dirty and let the write through
    if (pt_.state(p) == kMapped) {
      counterAdd(cb_, c_wpFaults, 1);
      Stream& s = streams_[partOf(p)];
      if (p >= s.raStart && p < s.raNext) s.raWpHits++;  // the readahead stream is being written
      markDirty(p);
      int rc = uffd_.writeProtect(reinterpret_cast<uint64_t>(base_) + p * pg, pg, false);
      if (rc != 0) fail(Reason::kUffd, std::string("UFFDIO_WRITEPROTECT failed: ") + strerror(-rc));
    } else {
      uffd_.wake(reinterpret_cast<uint64_t>(base_) + p * pg, pg);  // moved meanwhile: retry as a missing fault
    }
    return;
  }
  counterAdd(cb_, c_missingFaults, 1);
  handleMissing(p, flags & UFFD_PAGEFAULT_FLAG_WRITE, now, false);
}

void Region::markDirty(uint64_t p) {
  if (!pt_.has(p, kDirty)) {
    pt_.set(p, kDirty);
    dirtyPages_++;
  }
}

void Region::markClean(uint64_t p) {
  if (pt_.has(p, kDirty)) {
    pt_.clear(p, kDirty);
    dirtyPages_--;
  }
}

void Region::handleMissing(uint64_t p, bool write, uint64_t now, bool retry) {
  const uint64_t pg = limits::kPageBytes;
  uint64_t addr = reinterpret_cast<uint64_t>(base_) + p * pg;
  switch (pt_.state(p)) {
    case kMapped:
      uffd_.wake(addr, pg);  // installed after the fault was queued
      return;
    case kParked: {
      // bookkeeping first: the copy wakes the application, which may read the counters at once
      bool dirty = pt_.has(p, kDirty) || write;
      counterAdd(cb_, c_softFaults, 1);
      if (!retry) recordAccess(p);
      int rc = uffd_.copy(addr, shadow_ + p * pg, pg, !dirty);
      if (rc != 0) return fail(Reason::kUffd, std::string("UFFDIO_COPY failed: ") + strerror(-rc));
      if (write) markDirty(p);
      pt_.setState(p, kMapped);
      freeShadow(p);
      histRecord(cb_->softLatencyHist, nowNs() - now);
      if (pt_.has(p, kMarker)) {  // the application reached the middle of a readahead window
        pt_.clear(p, kMarker);
        int k = partOf(p);
        planReadahead(k, streams_[k].raNext, streams_[k].raWindow, now);
      }
      return;
    }
    case kFetching:
      pt_.set(p, kWaiting);
      if (write) pt_.set(p, kWaitWrite);
      waitStartNs_.emplace(p, now);
      if (!retry) recordAccess(p);
      if (pt_.has(p, kMarker)) {  // the application caught up with the readahead: start the next window now
        pt_.clear(p, kMarker);
        int k = partOf(p);
        planReadahead(k, streams_[k].raNext, streams_[k].raWindow, now);
      }
      return;
    case kAbsent:
      break;
  }
  int k = partOf(p);
  if (!retry) {
    recordAccess(p);
    if (pressure_[k].onMiss(p)) counterAdd(cb_, c_refaults, 1);
  }
  auto slot = wbSlotOf_.find(p);
  if (slot != wbSlotOf_.end() || !pt_.has(p, kRemote)) {
    if (!ensureRoom(k, 1)) {  // every frame holds a dirty page waiting for a write-back slot: wait for acks
      deferred_.emplace_back(p, write);
      return;
    }
    const uint8_t* src = slot != wbSlotOf_.end() ? wbSlots_ + size_t(slot->second) * pg : kZeroPage;
    if (slot != wbSlotOf_.end()) {
      counterAdd(cb_, c_softFaults, 1);
      counterAdd(cb_, c_writebackRestores, 1);  // evicted, so a miss, but no network
    } else {
      counterAdd(cb_, c_zeroFills, 1);
    }
    counterAdd(cb_, k == 0 ? c_partitionAPagesIn : c_partitionBPagesIn, 1);
    if (!installLocal(p, src, false, write)) return;
    lastDemand_[k] = p;
    histRecord(cb_->softLatencyHist, nowNs() - now);
    return;
  }
  planDemandFetch(p, write, now);
}

// Maps one page from a local source. A clean page is mapped write-protected so its first write is seen.
bool Region::installLocal(uint64_t p, const uint8_t* src, bool dirty, bool write) {
  const uint64_t pg = limits::kPageBytes;
  bool d = dirty || write;
  int rc = uffd_.copy(reinterpret_cast<uint64_t>(base_) + p * pg, src, pg, !d);
  if (rc != 0) {
    fail(Reason::kUffd, std::string("UFFDIO_COPY failed: ") + strerror(-rc));
    return false;
  }
  pt_.addFrame(p, partOf(p));
  pt_.setState(p, kMapped);
  if (d) markDirty(p);
  return true;
}

void Region::recordAccess(uint64_t p) {
  if (sampleRatePpm_ == 0 || !sampled(p)) return;
  control_.ringPush(p);
  counterAdd(cb_, c_sampledAccesses, 1);
  if (partOf(p) == 0) counterAdd(cb_, c_partitionASampledAccesses, 1);
}

// Faults that found no room (all frames dirty, all write-back slots busy) try again once acks free slots.
void Region::retryDeferred(uint64_t now) {
  size_t n = deferred_.size();
  for (size_t i = 0; i < n && !failed_.load(); i++) {
    auto [p, write] = deferred_.front();
    deferred_.pop_front();
    handleMissing(p, write, now, true);
  }
}

}  // namespace spirit
