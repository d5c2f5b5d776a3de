// Page-access sampling for miss-ratio curves (SHARDS-style spatial sampling): page p is in the sample iff
// hash(p) mod 10^6 < rate in ppm. Every sampling period the sampled pages that are mapped are parked, so
// their next touch faults cheaply and is recorded in the control block's ring. An access is therefore seen
// at most once per page per period; the daemon scales counts by 1/rate.
#include "clock.h"
#include "region.h"

namespace spirit {

namespace {
uint64_t mix(uint64_t x) {  // splitmix64 finaliser: a cheap hash with good avalanche
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
}  // namespace

bool Region::sampled(uint64_t p) const {
  return sampleRatePpm_ > 0 && mix(p ^ sampleSeed_) % limits::kSampleRatePpmMax < sampleRatePpm_;
}

void Region::rebuildSampleList() {
  sampleList_.clear();
  if (sampleRatePpm_ == 0) return;
  for (uint64_t p = 0; p < pages_ && sampleList_.size() < limits::kSampleListMax; p++)
    if (sampled(p)) sampleList_.push_back(uint32_t(p));
}

void Region::sampleTick(uint64_t now) {
  if (sampleRatePpm_ == 0 || now < nextSampleNs_) return;
  nextSampleNs_ = now + uint64_t(samplePeriodMs_) * kNsPerMs;
  flushParks();  // (nothing else is queued between loop steps; keeps the count below the sampler's own)
  uint64_t parked = 0;
  for (uint32_t p : sampleList_)
    if (pt_.state(p) == kMapped && !pt_.has(p, kParking)) {
      queuePark(p);
      parked++;
    }
  flushParks();
  counterAdd(cb_, c_sampleParks, parked);
}

}  // namespace spirit
