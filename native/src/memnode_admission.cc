#include "memnode_admission.h"

#include <sys/socket.h>

namespace spirit::memnode {

void Admission::uncount(const std::string& address) {
  unauth_--;
  auto it = perAddress_.find(address);
  if (it != perAddress_.end() && --it->second <= 0) perAddress_.erase(it);  // the map holds live addresses only
}

// Shuts down the oldest unauthenticated connection (of `address` if given). Its owner thread sees the
// hang-up and closes it, releasing its entry; shutdown() on an fd is safe from any thread, and the fd
// cannot be closed meanwhile because closing takes this mutex first (release()).
bool Admission::evictOldest(const std::string* address) {
  if (evicting_ >= l_.unauthMax) return false;  // the evicted ones must go before more are shut down
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const Entry& e = it->second;
    if (e.evicting || (address && e.address != *address)) continue;
    if (oldest == entries_.end() || e.acceptedMs < oldest->second.acceptedMs) oldest = it;
  }
  if (oldest == entries_.end()) return false;
  oldest->second.evicting = true;
  evicting_++;
  uncount(oldest->second.address);
  shutdown(oldest->first, SHUT_RDWR);
  return true;
}

Admit Admission::admitUnauth(int fd, const std::string& address, uint64_t nowMs, bool& evicted) {
  std::lock_guard<std::mutex> g(mu_);
  evicted = false;
  auto it = perAddress_.find(address);
  if (it != perAddress_.end() && it->second >= l_.unauthPerAddressMax) {
    if (!evictOldest(&address)) return Admit::kAddressFull;
    evicted = true;
  }
  if (unauth_ >= l_.unauthMax) {
    if (!evictOldest(nullptr)) return Admit::kPoolFull;
    evicted = true;
  }
  unauth_++;
  perAddress_[address]++;
  entries_[fd] = Entry{address, nowMs, false};
  return Admit::kOk;
}

bool Admission::promote(int fd) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = entries_.find(fd);
  if (it == entries_.end()) return false;
  if (it->second.evicting) return false;  // shut down already: it goes (release() takes its entry)
  uncount(it->second.address);
  entries_.erase(it);
  if (auth_ >= l_.authMax) return false;
  auth_++;
  return true;
}

void Admission::release(int fd, bool authenticated) {
  std::lock_guard<std::mutex> g(mu_);
  if (authenticated) {
    auth_--;
    return;
  }
  auto it = entries_.find(fd);
  if (it == entries_.end()) return;  // promote() found no slot: nothing is held
  if (it->second.evicting) evicting_--;
  else uncount(it->second.address);
  entries_.erase(it);
}

}  // namespace spirit::memnode
