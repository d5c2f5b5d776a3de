// The memory node server: a listening socket shared by N epoll threads (EPOLLEXCLUSIVE); each thread owns
// the connections it accepted, so a connection is only ever touched by one thread. JavaScript only starts
// and stops it; every request is handled here.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "memnode_admission.h"
#include "memnode_conn.h"
#include "memnode_store.h"

namespace spirit::memnode {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  uint64_t capacityBytes = 0;
  int threads = 2;
  std::vector<std::string> allowedTokens;  // who may use this node
  bool anyToken = false;                   // with no allowed tokens: any well-formed token (explicitly insecure)
  uint64_t orphanTtlMs = limits::kOrphanTtlMsDefault;
  uint64_t unusedOrphanTtlMs = limits::kUnusedOrphanTtlMsDefault;
  uint64_t idleMs = limits::kConnIdleMsDefault;
  uint64_t authDeadlineMs = limits::kAuthDeadlineMsDefault;
};

struct ServerStats {
  uint64_t capacityBytes, reservedBytes, regions, connections, requests, bytesRead, bytesWritten, errors,
      closedBadFrames, authenticatedConnections, unauthenticatedConnections, refusedConnections, evictedUnauth,
      authTimeouts, authRequired;
};

class Server {
 public:
  ~Server();
  // Binds and starts the threads. False with err set if the address cannot be bound.
  bool start(const ServerConfig& cfg, std::string& err);
  void stop();
  uint16_t port() const { return port_; }
  ServerStats stats();

 private:
  void run(int index);
  ServerConfig cfg_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Admission> admission_;
  ServerCounters counters_;
  int listenFd_ = -1;
  int stopFd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace spirit::memnode
