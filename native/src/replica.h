// The compute node's connection to one memory node holding a copy of a region. Setup (OPEN/ATTACH) is
// blocking with a deadline; afterwards requests are pipelined over a non-blocking socket driven by the
// region's fault thread. Every request stays queued until its reply arrives, so after a reconnect the
// whole queue is simply sent again (reads and writes are idempotent).
#pragma once
#include <sys/uio.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "reasons.h"
#include "wire.h"

namespace spirit {

struct Outstanding {
  uint32_t reqId = 0;
  uint8_t op = 0;
  uint64_t offsetBytes = 0;
  uint32_t lengthBytes = 0;
  uint8_t* dest = nullptr;         // READ: where the reply's pages land
  std::vector<iovec> data;         // WRITE: the pages to send (owned by the region's write-back slots)
  uint64_t sentNs = 0;
  uint64_t job = 0;                // the region's job key
};

struct Reply {
  uint8_t op, status;
  uint32_t reqId;
  uint64_t value;
  uint64_t job;
  std::string errorText;
};

class Replica {
 public:
  explicit Replica(std::string address) : address_(std::move(address)) {}
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Connects and opens (attach=false) or re-attaches (attach=true) the region. Blocking, bounded by
  // timeoutMs. On failure returns the reason and err says what happened.
  Reason open(uint64_t sizeBytes, const std::string& token, bool attach, uint32_t timeoutMs, std::string& err);
  // Best effort: sends CLOSE and waits up to timeoutMs for the reply, then closes the socket.
  void closeRegion(uint32_t timeoutMs);
  void disconnect();

  void queueRead(uint32_t reqId, uint64_t offsetBytes, uint32_t lengthBytes, uint8_t* dest, uint64_t job, uint64_t now);
  void queueWrite(uint32_t reqId, uint64_t offsetBytes, std::vector<iovec> data, uint64_t job, uint64_t now);
  void queuePing(uint32_t reqId, uint64_t now);
  // Sends queued bytes. False: the connection is broken (err set).
  bool flush(std::string& err);
  // Reads available replies, appending completed ones to out. False: broken or protocol error (err set).
  bool receive(std::vector<Reply>& out, std::string& err);
  // Takes every request still awaiting a reply (after the replica is given up).
  std::deque<Outstanding> takeOutstanding();
  // Marks every queued request unsent, so they go out again on a fresh connection.
  void rewindForResend(uint64_t now);

  bool wantsWrite() const { return sendIdx_ < q_.size(); }
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  size_t outstanding() const { return q_.size(); }
  // Queue time of the oldest request awaiting a reply (sent or not: a peer that stops reading must time
  // out too), 0 if none.
  uint64_t oldestSentNs() const { return q_.empty() ? 0 : q_.front().sentNs; }
  const std::string& address() const { return address_; }
  uint64_t regionId() const { return regionId_; }

  bool alive = true;

 private:
  void encodeHeader(const Outstanding& o, uint8_t* hdr, size_t& hdrBytes) const;
  std::string address_;
  int fd_ = -1;
  uint64_t regionId_ = 0;
  std::deque<Outstanding> q_;      // [0, sendIdx_) fully sent; sendIdx_ partially sent by sentBytes_
  size_t sendIdx_ = 0;
  size_t sentBytes_ = 0;
  // reply parser
  uint8_t rhdr_[wire::kReplyHeaderBytes];
  size_t rhdrGot_ = 0;
  bool inBody_ = false;
  wire::ReplyHeader cur_{};
  uint32_t bodyGot_ = 0;
  std::string errBody_;
};

}  // namespace spirit
