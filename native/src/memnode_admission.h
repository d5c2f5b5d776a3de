// Connection admission of the memory node: two pools. New connections enter the small unauthenticated
// pool (bounded in all and per source address); a successful OPEN, ATTACH or AUTH moves them to the
// authenticated pool. So anonymous sockets, however many, can never take an authenticated client's slot.
// When the unauthenticated pool (or an address's share of it) is full, the oldest unauthenticated connection
// (of that address) is shut down to make room, whichever server thread owns it: a real client authenticates
// within one round trip, so the oldest is an idle one, almost surely, and idle sockets can delay a new client
// but never lock it out. Shared by the server's epoll threads; touched only on accept, authentication and
// close (never per request), so one mutex is enough.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace spirit::memnode {

struct AdmissionLimits {
  int authMax;
  int unauthMax;
  int unauthPerAddressMax;
};

enum class Admit { kOk, kPoolFull, kAddressFull };

class Admission {
 public:
  explicit Admission(AdmissionLimits l) : l_(l) {}
  // A new connection (fd) from `address`: a slot in the unauthenticated pool, making room by shutting down
  // the oldest unauthenticated connection if needed (`evicted` says whether it did), or why not.
  Admit admitUnauth(int fd, const std::string& address, uint64_t nowMs, bool& evicted);
  // Authenticated: leaves the unauthenticated pool and takes an authenticated slot. False: none is free, or
  // the connection is being shut down to make room (the caller closes it).
  bool promote(int fd);
  // A connection is about to be closed (call before close(fd)): gives back the slot it held.
  void release(int fd, bool authenticated);
  int authenticated() const { return auth_; }
  int unauthenticated() const { return unauth_; }

 private:
  struct Entry {
    std::string address;
    uint64_t acceptedMs;
    bool evicting;  // shut down to make room; no longer counted, closed soon by its thread
  };
  bool evictOldest(const std::string* address);
  void uncount(const std::string& address);
  AdmissionLimits l_;
  std::mutex mu_;
  int auth_ = 0;
  int unauth_ = 0;       // unauthenticated entries not being evicted
  int evicting_ = 0;     // being evicted (their fds are still open)
  std::unordered_map<std::string, int> perAddress_;
  std::map<int, Entry> entries_;  // unauthenticated connections by fd (an fd is unique while open)
};

}  // namespace spirit::memnode
