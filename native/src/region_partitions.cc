// The hash split of a region's pages (partition.h), as the fault thread applies it: which partition each
// page is in, each partition's cache limit, and the re-count of local pages when the split changes. A
// partition is a cache of its own (frames, CLOCK hand, free-frame reserve, readahead stream); the network,
// the token bucket and the write-back slots are shared.
#include <algorithm>
#include <cmath>

#include "region.h"

namespace spirit {

// Reads the split from the control block (shared memory: nothing in it is trusted), re-counts the local
// pages when the membership changed, and sets each partition's limit out of the whole `cachePages`.
bool Region::applySplit(uint64_t cachePages, uint64_t now) {
  (void)now;
  const uint64_t pg = limits::kPageBytes;
  uint32_t count = cb_->partitionCount.load();
  double share = bitsToDouble(cb_->partitionShareBits.load());
  bool want = count == 2 && std::isfinite(share) && share > 0 && share < 1;
  PartitionSplit next;
  next.pagesA = pages_;
  if (want) next = split_.split && share == splitShare_ ? split_ : calibrateSplit(share, pages_);
  bool changed = next.split != split_.split || next.threshold != split_.threshold;
  if (changed) repartition(next);
  splitShare_ = split_.split ? share : 1.0;

  uint64_t lim[2] = {cachePages, 0};
  if (split_.split) {
    uint64_t a = std::min<uint64_t>(cb_->partitionCacheBytes[0].load() / pg, pages_);
    uint64_t b = std::min<uint64_t>(cb_->partitionCacheBytes[1].load() / pg, pages_);
    if (a + b > cachePages) {  // more than the whole limit (writers never do that): scaled down to fit
      a = uint64_t(double(a) * double(cachePages) / double(a + b));
      b = cachePages - a;
    }
    // what the partitions leave of the whole (page rounding) goes to the larger one
    (a >= b ? a : b) += cachePages - a - b;
    lim[0] = a;
    lim[1] = b;
    for (int k = 0; k < 2; k++) {
      if (lim[k] >= limits::kPartitionPagesMin) continue;
      int o = 1 - k;
      uint64_t need = limits::kPartitionPagesMin - lim[k];
      uint64_t spare = lim[o] > partPages_[o] ? lim[o] - partPages_[o] : 0;  // frames o can never use
      lim[o] -= std::min(need, spare);
      lim[k] = limits::kPartitionPagesMin;  // the rest of `need` is slack above the whole limit
    }
  }
  uint64_t total = lim[0] + lim[1];
  for (int k = 0; k < 2; k++) {
    if (lim[k] != limit_[k]) {
      // the evidence was about the old size; a split partition keeps it across a small step (the control
      // loop's trust region moves sizes a little every round, and the loop guard must not drop each time)
      uint64_t step = lim[k] > limit_[k] ? lim[k] - limit_[k] : limit_[k] - lim[k];
      if (!split_.split || step * limits::kSmallStepFraction > std::max(lim[k], limit_[k])) pressure_[k].reset();
      changed = true;
    }
    limit_[k] = lim[k];
    // a partition reads refaults over its share of the region's window, as the whole region would
    uint64_t window = split_.split && total > 0 ? limits::kRefaultWindowPages * lim[k] / total : limits::kRefaultWindowPages;
    pressure_[k].setWindow(uint32_t(std::clamp<uint64_t>(window, limits::kRefaultWindowPagesMin, limits::kRefaultWindowPages)));
  }
  return changed;
}

// Puts every local page into the ring of its partition under `next`, and recounts the pages reserved by
// reads in flight. Bounded by the frames in use plus the reads queued; nothing is evicted here: a partition
// now over its limit evicts down in the loop's eviction steps, as after a cache shrink.
void Region::repartition(const PartitionSplit& next) {
  const bool wasSplit = split_.split;
  split_ = next;
  partPages_[0] = next.pagesA;
  partPages_[1] = pages_ - next.pagesA;
  uint64_t moved = 0;
  for (int k = 0; k < PageTable::kRings; k++) {
    const std::vector<uint32_t>& frames = pt_.frames(k);  // moving out only empties slots of ring k
    for (size_t i = 0; i < frames.size(); i++) {
      uint32_t p = frames[i];
      if (p == PageTable::kNoFrame) continue;
      int to = split_.of(p);
      if (to != k) {
        pt_.moveFrame(p, to);
        moved++;
      }
    }
  }
  incoming_[0] = incoming_[1] = 0;
  auto count = [&](const ReadJob& j) {
    for (uint32_t i = 0; i < j.n; i++)
      if (pt_.state(j.first + i) == kFetching) incoming_[split_.of(j.first + i)]++;
  };
  for (const ReadJob& j : readQueueDemand_) count(j);
  for (const ReadJob& j : readQueueAhead_) count(j);
  for (const auto& [id, j] : readsInflight_) count(j);
  // a small move (a share nudged by a round) keeps each partition's evidence of pressure and refaults
  bool small = next.split && wasSplit && moved * limits::kSmallStepFraction <= std::max<uint64_t>(pt_.used(), 64 * limits::kSmallStepFraction);
  for (int k = 0; k < 2; k++) {
    streams_[k] = Stream{};
    if (!small) pressure_[k].reset();
    lastDemand_[k] = ~0ull;
  }
  counterAdd(cb_, c_partitionMovedPages, moved);
}

// The loop guard. A partition sized at the top of a cliff of the app's curve holds exactly the pages of a
// loop; if the cliff was estimated a little low (or the loop covers part of the region, split by the hash
// binomially), the loop overflows the partition by a few pages, and CLOCK, like LRU, then evicts each page
// just before its next use: the partition hits on nothing, the whole cliff comes back. Its misses are then
// mostly refaults (pages evicted moments ago), which is how the guard sees it. While they are, a fault in the
// partition evicts the page the partition last brought in for a fault (the one the loop needs last) instead
// of the hand's choice, and reads no further ahead: the partition keeps a fixed set of its limit - 1 pages
// and misses only on the overflow, (limit - 1) / pages hits instead of none. Unsplit regions keep CLOCK.
bool Region::evictLastDemand(int k) {
  uint64_t p = lastDemand_[k];
  lastDemand_[k] = ~0ull;
  if (p == ~0ull || !pt_.hasFrame(p) || pt_.ringOf(p) != k || pt_.has(p, kParking)) return false;
  PageState st = pt_.state(p);
  if ((st != kMapped && st != kParked) || !evict(p)) return false;
  counterAdd(cb_, c_loopGuardEvictions, 1);
  return true;
}

}  // namespace spirit
