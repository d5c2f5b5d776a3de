// Page-access sampling for miss-ratio curves (SHARDS-style spatial sampling): page p is in the sample iff
// (hash(p) >> 8) < round(rate * 2^24), with the service's page hash (service/estimator/hash.ts,
// assembly/estimator/hash.ts). It must be the same hash: the service's curve builder re-applies the filter to
// the pages a daemon sends, so pages sampled by any other hash would be kept only at rate^2 while their reuse
// distances were scaled by 1/rate (a curve squeezed toward small caches, filled rate times slower). Every sampling period the sampled pages that are mapped are parked, so
// their next touch faults cheaply and is recorded in the control block's ring. An access is therefore seen
// at most once per page per period; the daemon scales counts by 1/rate.
#include <algorithm>
#include <cmath>

#include "clock.h"
#include "region.h"

namespace spirit {

namespace {
constexpr uint32_t kHiSeed = 0x9e3779b9u;  // HI_SEED of service/estimator/hash.ts
constexpr uint32_t kSampleShift = 8;       // SAMPLE_SHIFT: the top 24 bits decide
constexpr double kSampleSpace = 16777216.0;  // 2^24 sampling values

uint32_t mix32(uint32_t x) {  // murmur3's 32-bit finalizer
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

uint32_t pageHash(uint64_t p) {
  return mix32(uint32_t(p) ^ mix32(uint32_t(p >> 32) ^ kHiSeed));
}
}  // namespace

uint32_t sampleThreshold(uint32_t ratePpm) {
  if (ratePpm == 0) return 0;
  // the same doubles as thresholdOf(fractionFromPpm(ppm)) in TypeScript: ppm / 1e6, times 2^24 (exact), rounded
  double t = std::floor(double(ratePpm) / 1e6 * kSampleSpace + 0.5);
  return uint32_t(std::clamp(t, 1.0, kSampleSpace));
}

bool Region::sampled(uint64_t p) const {
  return sampleThreshold_ > 0 && (pageHash(p) >> kSampleShift) < sampleThreshold_;
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
