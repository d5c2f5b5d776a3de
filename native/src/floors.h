// Benchmark floors: the cheapest possible versions of what a far-memory fault does, measured the same way
// as the real thing so `spirit bench farmem` can report ratios against them.
//  - BareFaultRegion: a userfaultfd region whose handler answers every fault from a local page at once.
//  - tcpRoundTrips: one raw TCP loopback round trip carrying a page (request 16 bytes, reply one page).
//  - tcpStream: raw TCP loopback throughput in page-sized sends and receives.
//  - memcpyThroughput: copying page-sized blocks between buffers larger than the caches.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "uffd.h"

namespace spirit::floors {

class BareFaultRegion {
 public:
  ~BareFaultRegion();
  bool start(uint64_t sizeBytes, std::string& err);
  void stop();
  uint8_t* base() const { return base_; }
  uint64_t sizeBytes() const { return size_; }

 private:
  void run();
  Uffd uffd_;
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  int stopFd_ = -1;
  std::thread thread_;
};

// A persistent loopback connection with a server thread answering each 16-byte request with one page, so
// single round trips can be interleaved with other measurements.
class TcpRttPair {
 public:
  ~TcpRttPair();
  bool start(uint32_t pageBytes, std::string& err);
  // One round trip; ns, or -1 on failure.
  int64_t once();
  void stop();

 private:
  int server_ = -1, client_ = -1;
  uint32_t pageBytes_ = 0;
  std::vector<uint8_t> in_;
  std::thread thread_;
};

// Latencies in ns of `iterations` round trips; false with err on a socket failure.
bool tcpRoundTrips(uint32_t iterations, uint32_t pageBytes, std::vector<double>& latNs, std::string& err);
bool tcpStream(uint64_t totalBytes, uint32_t pageBytes, uint64_t& elapsedNs, std::string& err);
uint64_t memcpyThroughput(uint64_t totalBytes, uint32_t pageBytes);  // elapsed ns

}  // namespace spirit::floors
