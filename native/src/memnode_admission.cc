#include "memnode_admission.h"

namespace spirit::memnode {

Admit Admission::admitUnauth(const std::string& address) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = perAddress_.find(address);
  if (it != perAddress_.end() && it->second >= l_.unauthPerAddressMax) return Admit::kAddressFull;
  if (unauth_ >= l_.unauthMax) return Admit::kPoolFull;
  unauth_++;
  perAddress_[address]++;
  return Admit::kOk;
}

void Admission::dropUnauth(const std::string& address) {
  unauth_--;
  auto it = perAddress_.find(address);
  if (it != perAddress_.end() && --it->second <= 0) perAddress_.erase(it);  // the map holds live addresses only
}

bool Admission::promote(const std::string& address) {
  std::lock_guard<std::mutex> g(mu_);
  dropUnauth(address);
  if (auth_ >= l_.authMax) return false;
  auth_++;
  return true;
}

void Admission::release(const std::string& address, bool authenticated) {
  std::lock_guard<std::mutex> g(mu_);
  if (authenticated) auth_--;
  else dropUnauth(address);
}

}  // namespace spirit::memnode
