// The memory node's regions: page memory reserved against a capacity, each owned by the token that created
// it. Connections hold shared_ptrs to the regions they opened, so the hot path (READ/WRITE) never touches
// the store's lock and a CLOSE cannot free memory another thread is still copying.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "wire.h"

namespace spirit::memnode {

struct StoredRegion {
  uint64_t id = 0;
  uint64_t sizeBytes = 0;
  std::string token;
  uint8_t* data = nullptr;         // anonymous MAP_NORESERVE mapping: untouched pages cost nothing
  std::atomic<int> attached{0};    // connections currently holding it
  std::atomic<uint64_t> idleSinceMs{0};
  std::atomic<bool> written{false};  // a WRITE succeeded on it (then its token's orphans keep the long TTL)
  ~StoredRegion();
};

using RegionPtr = std::shared_ptr<StoredRegion>;

struct StoreStats {
  uint64_t capacityBytes, reservedBytes, regions;
};

class Store {
 public:
  // allowedTokens empty and anyToken false: no token is accepted (the server refuses to start that way).
  Store(uint64_t capacityBytes, std::vector<std::string> allowedTokens, bool anyToken);

  // Creates a region of sizeBytes owned by token. Status kOk sets out; otherwise a reason code.
  uint8_t create(uint64_t sizeBytes, const std::string& token, RegionPtr& out);
  // Grants access to an existing region when the token matches its owner's (constant-time compare).
  uint8_t attach(uint64_t id, const std::string& token, RegionPtr& out);
  // Removes the region from the store (memory is freed when the last connection drops it).
  void remove(uint64_t id);
  // Frees regions no connection has held for ttlMs, or for unusedTtlMs when their token never wrote to
  // any of its regions (a reservation nobody used). Returns how many were freed.
  size_t reapOrphans(uint64_t nowMs, uint64_t ttlMs, uint64_t unusedTtlMs);
  StoreStats stats();
  // A well-formed token this node accepts (constant-time against each allowed one).
  bool tokenAllowed(const std::string& token) const;

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, RegionPtr> regions_;
  uint64_t capacityBytes_;
  uint64_t reservedBytes_ = 0;
  std::vector<std::string> allowed_;
  bool anyToken_;
};

bool tokensEqual(const std::string& a, const std::string& b);

}  // namespace spirit::memnode
