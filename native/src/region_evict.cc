// Eviction by CLOCK with software reference bits. The kernel keeps no accessed bit we can read for
// userfaultfd memory, so "clear the reference bit" is done by parking the page: copy it out of place and
// drop the mapping. A touch then faults cheaply (no network), maps it back and so marks it referenced.
// The hand parks mapped pages and evicts pages still parked a sweep later, i.e. not touched for a whole
// revolution. Dirty pages are copied to a write-back slot before they are dropped.
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "region.h"

namespace spirit {

// Evicts from partition k until `pages` more of its pages fit under its limit (counting reads in flight).
// False if it cannot (every frame of k holds a dirty page and no write-back slot is free).
bool Region::ensureRoom(int k, uint64_t pages) {
  uint64_t guard = 2 * pt_.frameCount(k) + limits::kEvictBatchPages;
  if (pt_.used(k) + incoming_[k] + pages > limit_[k]) {
    pressure_[k].onDemandEviction();
    if (loopGuard(k)) evictLastDemand(k);  // a loop a little too large: keep the rest of it (region_partitions.cc)
  }
  while (pt_.used(k) + incoming_[k] + pages > limit_[k] && guard-- > 0) {
    if (!evictOne(k)) break;
  }
  flushParks();
  return pt_.used(k) + incoming_[k] + pages <= limit_[k];
}

// One step of partition k's CLOCK: parks mapped pages (clearing their reference) until it finds a page
// still parked from the last sweep, and evicts that.
bool Region::evictOne(int k, bool reserve) {
  uint64_t steps = uint64_t(limits::kClockSweepsMax) * pt_.frameCount(k) + 1;
  for (uint64_t s = 0; s < steps; s++) {
    int64_t p = pt_.clockNext(k);
    if (p < 0) return false;
    PageState st = pt_.state(uint64_t(p));
    if (st == kMapped && pt_.has(uint64_t(p), kParking)) {
      flushParks();  // the hand came round to a page still waiting in the batch
      st = pt_.state(uint64_t(p));
    }
    if (st == kMapped) {
      queuePark(uint64_t(p));
    } else if (st == kParked && evict(uint64_t(p), reserve)) {
      return true;
    }
  }
  return false;
}

// Writes to a dirty page are frozen (write-protect) before it is copied, so no write can slip between the
// copy and the unmap; a write that tries waits in a fault and is replayed on the copy. Clean pages are
// write-protected already (installed so).
void Region::park(uint64_t p) {
  queuePark(p);
  flushParks();
}

void Region::queuePark(uint64_t p) {
  if (pt_.has(p, kParking)) return;
  pt_.set(p, kParking);
  toPark_.push_back(p);
  if (toPark_.size() >= limits::kEvictBatchPages) flushParks();
}

// Parks the queued pages in runs of consecutive pages: one write-protect ioctl per dirty run, one copy per
// page, one madvise per run (each madvise is a TLB shootdown on the application's CPUs).
void Region::flushParks() {
  if (toPark_.empty()) return;
  const uint64_t pg = limits::kPageBytes;
  const uint64_t base = reinterpret_cast<uint64_t>(base_);
  std::sort(toPark_.begin(), toPark_.end());
  size_t i = 0;
  while (i < toPark_.size()) {
    size_t j = i + 1;
    while (j < toPark_.size() && toPark_[j] == toPark_[j - 1] + 1) j++;
    for (size_t k = i; k < j;) {  // write-protect runs of dirty pages
      if (!pt_.has(toPark_[k], kDirty)) {
        k++;
        continue;
      }
      size_t e = k + 1;
      while (e < j && pt_.has(toPark_[e], kDirty)) e++;
      uffd_.writeProtect(base + toPark_[k] * pg, (e - k) * pg, true);
      k = e;
    }
    for (size_t k = i; k < j; k++) memcpy(shadow_ + toPark_[k] * pg, base_ + toPark_[k] * pg, pg);
    madvise(base_ + toPark_[i] * pg, (j - i) * pg, MADV_DONTNEED);
    for (size_t k = i; k < j; k++) {
      pt_.clear(toPark_[k], kParking);
      pt_.setState(toPark_[k], kParked);
    }
    i = j;
  }
  counterAdd(cb_, c_parks, toPark_.size());
  toPark_.clear();
}

bool Region::evict(uint64_t p, bool reserve) {
  const uint64_t pg = limits::kPageBytes;
  PageState st = pt_.state(p);
  uint8_t* addr = base_ + p * pg;
  if (pt_.has(p, kDirty)) {
    int slot = takeSlot();
    if (slot < 0) return false;
    if (st == kMapped) uffd_.writeProtect(reinterpret_cast<uint64_t>(addr), pg, true);
    memcpy(wbSlots_ + size_t(slot) * pg, st == kParked ? shadow_ + p * pg : addr, pg);
    wbSlotOf_[p] = slot;
    pt_.set(p, kRemote);
    markClean(p);
    addToWriteJob(p, slot);
  }
  if (st == kMapped) madvise(addr, pg, MADV_DONTNEED);
  else freeShadow(p);
  EvictionPressure& pressure = pressure_[pt_.ringOf(p)];
  pt_.removeFrame(p);
  pt_.setState(p, kAbsent);
  pt_.clear(p, kMarker);
  counterAdd(cb_, c_evictions, 1);
  if (reserve) counterAdd(cb_, c_reserveEvictions, 1);
  pressure.onEvicted(p);
  return true;
}

// Free frames partition k keeps ahead of demand: none without pressure (below the limit nothing is parked
// or evicted), and never more than the pages that could still need a frame (a partition whose cache holds
// all of its pages never evicts). A split region's partitions share the region's reserve in proportion to
// their limits, so splitting does not keep more of the cache free.
uint64_t Region::reservePages(int k) const {
  if (!pressure_[k].armed()) return 0;
  uint64_t reserve = limits::kEvictReservePages;
  uint64_t total = limit_[0] + limit_[1];
  if (split_.split && total > 0) reserve = (reserve * limit_[k] + total - 1) / total;
  return std::min({reserve, limit_[k] / 8, notLocalPages(k)});
}

// Under pressure, keeps a small reserve of free frames in each partition between faults, so a demand fault
// rarely evicts on its critical path. Once below the reserve it evicts up to twice the reserve (hysteresis:
// evictions, and so write-backs, come in batches), but never to more free frames than pages that could come
// in. After a cache shrink (or a split change) it evicts a bounded batch per partition and loop pass until
// each partition is under its limit.
void Region::backgroundEvict() {
  for (int k = 0; k < partitions(); k++) {
    bool over = overLimit(k);
    uint64_t reserve = over ? 0 : reservePages(k);
    uint64_t inUse = pt_.used(k) + incoming_[k];
    if (!over && (reserve == 0 || inUse + reserve <= limit_[k])) continue;
    uint64_t target = over ? 0 : std::min(2 * reserve, notLocalPages(k));
    for (uint32_t i = 0; i < limits::kEvictBatchPages; i++) {
      if (pt_.used(k) + incoming_[k] + target <= limit_[k]) break;
      if (!evictOne(k, !over)) break;
    }
    flushParks();
  }
  pt_.compactIfSparse();
}

void Region::freeShadow(uint64_t p) {
  shadowFrees_.push_back(p);
  if (shadowFrees_.size() >= limits::kShadowFreeBatchPages) flushShadowFrees();
}

// Returns out-of-place copies' memory in runs. A page parked again since it was queued holds a new copy
// and is skipped.
void Region::flushShadowFrees() {
  if (shadowFrees_.empty()) return;
  const uint64_t pg = limits::kPageBytes;
  std::sort(shadowFrees_.begin(), shadowFrees_.end());
  size_t i = 0;
  while (i < shadowFrees_.size()) {
    uint64_t start = shadowFrees_[i];
    if (pt_.state(start) == kParked) {
      i++;
      continue;
    }
    uint64_t end = start + 1;
    i++;
    while (i < shadowFrees_.size() && shadowFrees_[i] <= end) {
      if (shadowFrees_[i] == end) {
        if (pt_.state(end) == kParked) break;
        end++;
      }
      i++;
    }
    madvise(shadow_ + start * pg, (end - start) * pg, MADV_DONTNEED);
  }
  shadowFrees_.clear();
}

}  // namespace spirit
