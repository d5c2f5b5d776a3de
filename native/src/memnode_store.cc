#include "memnode_store.h"

#include <sys/mman.h>
#include <unordered_set>
#include <sys/random.h>

#include "clock.h"

namespace spirit::memnode {

StoredRegion::~StoredRegion() {
  if (data) munmap(data, sizeBytes);
}

// Compares every byte whatever the first difference, so response time says nothing about the token.
bool tokensEqual(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); i++) diff |= uint8_t(a[i]) ^ uint8_t(b[i]);
  return diff == 0;
}

Store::Store(uint64_t capacityBytes, std::vector<std::string> allowedTokens, bool anyToken)
    : capacityBytes_(capacityBytes), allowed_(std::move(allowedTokens)), anyToken_(anyToken) {}

bool Store::tokenAllowed(const std::string& token) const {
  if (token.size() < limits::kTokenBytesMin || token.size() > limits::kTokenBytesMax) return false;
  if (allowed_.empty()) return anyToken_;
  bool ok = false;
  for (const auto& t : allowed_) ok |= tokensEqual(t, token);
  return ok;
}

// Region ids are random, so they reveal nothing about other clients' regions; 0 is never used.
static uint64_t randomId() {
  uint64_t id = 0;
  while (id == 0) {
    if (getrandom(&id, sizeof id, 0) != sizeof id) id = nowNs() * 0x9E3779B97F4A7C15ull;
  }
  return id;
}

uint8_t Store::create(uint64_t sizeBytes, const std::string& token, RegionPtr& out) {
  if (!tokenAllowed(token)) return wire::kTokenRejected;
  if (sizeBytes == 0 || sizeBytes % limits::kPageBytes != 0 || sizeBytes > limits::kRegionBytesMax)
    return wire::kBadRequest;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (regions_.size() >= limits::kRegionsMax) return wire::kLimit;
    if (sizeBytes > capacityBytes_ - reservedBytes_) return wire::kCapacity;
    reservedBytes_ += sizeBytes;
  }
  void* mem = mmap(nullptr, sizeBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) {
    std::lock_guard<std::mutex> g(mu_);
    reservedBytes_ -= sizeBytes;
    return wire::kInternal;
  }
  auto r = std::make_shared<StoredRegion>();
  r->sizeBytes = sizeBytes;
  r->token = token;
  r->data = static_cast<uint8_t*>(mem);
  std::lock_guard<std::mutex> g(mu_);
  do r->id = randomId(); while (regions_.count(r->id));
  regions_[r->id] = r;
  out = r;
  return wire::kOk;
}

uint8_t Store::attach(uint64_t id, const std::string& token, RegionPtr& out) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = regions_.find(id);
  // an unknown id and a wrong token look the same to the peer: no oracle for which ids exist
  if (it == regions_.end() || !tokensEqual(it->second->token, token)) return wire::kTokenRejected;
  out = it->second;
  return wire::kOk;
}

void Store::remove(uint64_t id) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = regions_.find(id);
  if (it == regions_.end()) return;
  reservedBytes_ -= it->second->sizeBytes;
  regions_.erase(it);
}

size_t Store::reapOrphans(uint64_t nowMs, uint64_t ttlMs, uint64_t unusedTtlMs) {
  std::lock_guard<std::mutex> g(mu_);
  std::unordered_set<std::string> writers;  // tokens that wrote to any region they hold
  for (auto& [id, r] : regions_) {
    (void)id;
    if (r->written.load(std::memory_order_relaxed)) writers.insert(r->token);
  }
  size_t n = 0;
  for (auto it = regions_.begin(); it != regions_.end();) {
    StoredRegion& r = *it->second;
    uint64_t idle = r.idleSinceMs.load();
    uint64_t ttl = writers.count(r.token) ? ttlMs : unusedTtlMs;
    if (r.attached.load() == 0 && idle != 0 && nowMs - idle >= ttl) {
      reservedBytes_ -= r.sizeBytes;
      it = regions_.erase(it);
      n++;
    } else {
      ++it;
    }
  }
  return n;
}

StoreStats Store::stats() {
  std::lock_guard<std::mutex> g(mu_);
  return {capacityBytes_, reservedBytes_, uint64_t(regions_.size())};
}

}  // namespace spirit::memnode
