// One client connection of the memory node: parses pipelined request frames, checks every field, executes
// them against the regions this connection holds, and queues replies in order. Hostile input gets an error
// reply or a closed connection; it can never reach memory outside a region the peer owns.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "memnode_admission.h"
#include "memnode_store.h"
#include "wire.h"

namespace spirit::memnode {

struct ServerCounters {
  std::atomic<uint64_t> requests{0}, bytesRead{0}, bytesWritten{0}, errors{0}, closedBadFrames{0};
  // connections refused on accept (pool or address full), unauthenticated ones closed for a newer one,
  // closed at the authentication deadline, and closed for a request before authenticating
  std::atomic<uint64_t> refusedConnections{0}, evictedUnauth{0}, authTimeouts{0}, authRequired{0};
  std::atomic<int> connections{0};
};

class Conn {
 public:
  // `fd` already holds a slot of the unauthenticated pool of `admission`.
  Conn(int fd, Store& store, ServerCounters& counters, Admission& admission, uint64_t nowMs);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Reads what the socket has (bounded), processes complete frames. False: close the connection.
  bool onReadable(uint64_t nowMs);
  // Sends queued reply bytes, then resumes processing buffered requests. False: close the connection.
  bool onWritable(uint64_t nowMs);
  bool wantsWrite() const { return outHead_ < out_.size(); }
  // Reading stops while too many reply bytes are queued (the peer is not reading its replies).
  bool readPaused() const { return out_.size() - outHead_ > limits::kOutbufBytesMax; }
  int fd() const { return fd_; }
  uint64_t lastActiveMs() const { return lastActiveMs_; }
  bool authenticated() const { return authed_; }
  uint64_t acceptedMs() const { return acceptedMs_; }
  uint32_t epollMask = 0;  // interest registered with epoll (owned by the server thread)

 private:
  bool process();                    // consume buffered input frame by frame
  bool beginFrame();                 // header complete: validate, choose where the body goes
  bool finishFrame();                // body complete: execute
  bool doOpen(bool attach);
  void doAuth();
  void authenticate();               // moves the connection to the authenticated pool (or closes it)
  void doRead();
  void doClose();
  void doStats();
  void reply(uint8_t status, uint64_t value, const void* body, size_t bodyBytes);
  void replyError(uint8_t status, const std::string& text);
  bool flush();
  RegionPtr* held(uint64_t id);

  int fd_;
  Store& store_;
  ServerCounters& c_;
  Admission& adm_;
  bool authed_ = false;
  uint64_t acceptedMs_ = 0;
  std::vector<uint8_t> in_;          // raw input not yet consumed: [inHead_, in_.size())
  size_t inHead_ = 0;
  std::vector<uint8_t> out_;         // queued reply bytes: [outHead_, out_.size())
  size_t outHead_ = 0;
  bool inBody_ = false;
  wire::ReqHeader h_{};
  uint32_t bodyGot_ = 0;
  std::vector<uint8_t> small_;       // bodies of control ops (<= 266 bytes)
  uint8_t* sink_ = nullptr;          // WRITE body destination inside a held region (null: discard)
  RegionPtr sinkRegion_;             // keeps the sink's memory alive while the body streams in
  uint8_t pendingStatus_ = wire::kOk;
  bool closeAfterReply_ = false;
  int authFailures_ = 0;
  uint64_t lastActiveMs_ = 0;
  std::vector<std::pair<uint64_t, RegionPtr>> held_;
};

}  // namespace spirit::memnode
