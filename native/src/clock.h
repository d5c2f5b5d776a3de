// Monotonic time for deadlines and latencies, wall time for records other processes read.
#pragma once
#include <cstdint>
#include <ctime>

namespace spirit {

inline uint64_t nowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return uint64_t(t.tv_sec) * 1000000000ull + uint64_t(t.tv_nsec);
}

inline uint64_t wallMs() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return uint64_t(t.tv_sec) * 1000ull + uint64_t(t.tv_nsec) / 1000000ull;
}

constexpr uint64_t kNsPerMs = 1000000ull;
constexpr uint64_t kNsPerS = 1000000000ull;

}  // namespace spirit
