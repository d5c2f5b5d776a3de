// Connection admission of the memory node: two pools. New connections enter the small unauthenticated
// pool (bounded in all and per source address); a successful OPEN, ATTACH or AUTH moves them to the
// authenticated pool. So anonymous sockets, however many, can never take an authenticated client's slot.
// Shared by the server's epoll threads; touched only on accept, authentication and close (never per
// request), so one mutex is enough.
#pragma once
#include <cstdint>
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
  // A new connection from `address`: a slot in the unauthenticated pool, or why not.
  Admit admitUnauth(const std::string& address);
  // Authenticated: leaves the unauthenticated pool and takes an authenticated slot. False: none is free
  // (the unauthenticated slot is released all the same; the caller closes the connection).
  bool promote(const std::string& address);
  // A connection closed: gives back the slot it held.
  void release(const std::string& address, bool authenticated);
  int authenticated() const { return auth_; }
  int unauthenticated() const { return unauth_; }

 private:
  void dropUnauth(const std::string& address);
  AdmissionLimits l_;
  std::mutex mu_;
  int auth_ = 0;
  int unauth_ = 0;
  std::unordered_map<std::string, int> perAddress_;
};

}  // namespace spirit::memnode
