// The hash split of a region's pages into two partitions (Talus, HPCA 2015): partition A holds the pages
// whose partition hash is below a threshold, B the rest. Each partition has its own cache limit and its own
// CLOCK hand, so a partition that sees a share r of the pages and holds r*s of cache behaves like the whole
// region in s, and a curve's cliff can be turned into its convex hull.
//
// The partition hash is murmur3's 64-bit finalizer over the page number xor a seed. It must be independent
// of the sampler's hash (region_sampler.cc: murmur3's 32-bit finalizer over the page number's two words),
// so that the sampled pages, and with them the estimator's view of the app, are spread over both
// partitions in proportion.
//
// The threshold is calibrated, not r * 2^64: it is the round(r * N)-th smallest hash of the region's N
// pages, so partition A holds exactly round(r * N) pages. A plain threshold would split the pages
// binomially (about 1% off for 8192 pages at r = 0.5), and a partition sized at a cliff top (a loop that
// exactly fits) would then miss on everything. Only the fault thread uses it.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace spirit {

inline uint64_t partitionHash(uint64_t p) {
  uint64_t x = p ^ 0x6a09e667f3bcc909ull;  // seed: not the sampler's HI_SEED
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

struct PartitionSplit {
  bool split = false;          // two partitions; else every page is in A
  uint64_t threshold = 0;      // A: partitionHash(p) < threshold
  uint64_t pagesA = 0;         // pages of the region in A (exact)

  int of(uint64_t p) const { return split && partitionHash(p) >= threshold ? 1 : 0; }
};

// The split that puts exactly round(share * pages) of pages [0, pages) into A. Two passes over the hashes:
// a histogram of their top 16 bits finds the bucket holding the k-th smallest, the second pass sorts only
// that bucket (about pages / 65536 hashes), so memory stays small for a 16 GiB region (4M pages).
inline PartitionSplit calibrateSplit(double share, uint64_t pages) {
  PartitionSplit s;
  double want = share * double(pages);
  uint64_t k = want <= 0 ? 0 : want >= double(pages) ? pages : uint64_t(want + 0.5);
  if (k == 0 || k >= pages) {  // an empty partition is no split: everything in A
    s.pagesA = pages;
    return s;
  }
  std::vector<uint64_t> hist(65536, 0);
  for (uint64_t p = 0; p < pages; p++) hist[partitionHash(p) >> 48]++;
  uint64_t below = 0;
  uint32_t bucket = 0;
  while (below + hist[bucket] <= k) below += hist[bucket++];  // the k-th (from 0) smallest is in `bucket`
  std::vector<uint64_t> in;
  in.reserve(hist[bucket]);
  for (uint64_t p = 0; p < pages; p++) {
    uint64_t h = partitionHash(p);
    if ((h >> 48) == bucket) in.push_back(h);
  }
  std::sort(in.begin(), in.end());
  // the (k - below)-th smallest of the bucket is the first hash in B: A is everything strictly below it
  s.split = true;
  s.threshold = in[k - below];
  s.pagesA = below + uint64_t(std::lower_bound(in.begin(), in.end(), s.threshold) - in.begin());  // k, unless two hashes collide
  return s;
}

}  // namespace spirit
