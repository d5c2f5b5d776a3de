// When the fault thread may evict ahead of demand. Eviction is work (a CLOCK probe parks pages, which the
// application then soft-faults back; an evicted page it still uses costs a fetch), so below the cache limit
// nothing is parked or evicted unless there is pressure: the free-frame reserve is armed only when a frame
// request found the cache full, and it is disarmed when most misses are refaults of pages evicted moments
// ago, i.e. the working set fits within kRefaultWindowPages of the cache and a reserve would evict what is
// about to come back (the oscillation at the boundary). Only the fault thread touches it.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "limits.h"

namespace spirit {

class EvictionPressure {
 public:
  EvictionPressure() : ring_(limits::kRefaultWindowPages, kEmpty) {}

  // A frame request could not fit under the limit without evicting: the cache is full and in demand.
  void onDemandEviction() {
    if (!refaultsDominate_) armed_ = true;
  }
  // How many recent evictions a miss is checked against (kRefaultWindowPages for a whole region; a partition
  // of a split region watches its share of it, so it reads refaults like the whole region would). Forgets
  // the evictions seen so far.
  void setWindow(uint32_t pages) {
    if (pages == ring_.size()) return;
    ring_.assign(pages, kEmpty);
    recent_.clear();
    seq_ = 0;
  }
  // A cache shrink or a new limit: start over (the old evidence was about another cache size).
  void reset() {
    armed_ = false;
    refaultsDominate_ = false;
    misses_ = refaults_ = 0;
  }
  void onEvicted(uint64_t page) {
    uint64_t seq = seq_++;
    uint64_t& slot = ring_[seq % ring_.size()];
    if (slot != kEmpty) {
      auto it = recent_.find(slot);
      if (it != recent_.end() && it->second == seq - ring_.size()) recent_.erase(it);
    }
    slot = page;
    recent_[page] = seq;
  }
  // A miss that needs a frame (fetch, zero fill or a write-back copy mapped back). Returns whether the page
  // was among the last kRefaultWindowPages evicted.
  bool onMiss(uint64_t page) {
    auto it = recent_.find(page);
    bool refault = it != recent_.end();
    if (refault) recent_.erase(it);
    misses_++;
    if (refault) refaults_++;
    if (misses_ >= limits::kRefaultCheckMisses) {
      refaultsDominate_ = refaults_ * 2 >= misses_;
      if (refaultsDominate_) armed_ = false;
      misses_ = refaults_ = 0;
    }
    return refault;
  }
  bool armed() const { return armed_; }
  // Most misses were refaults: the working set exceeds the cache by less than kRefaultWindowPages.
  bool refaultsDominate() const { return refaultsDominate_; }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  std::vector<uint64_t> ring_;                     // last evicted pages, by eviction sequence
  std::unordered_map<uint64_t, uint64_t> recent_;  // page -> sequence of its latest eviction in the ring
  uint64_t seq_ = 0;
  uint32_t misses_ = 0, refaults_ = 0;
  bool armed_ = false;
  bool refaultsDominate_ = false;
};

}  // namespace spirit
