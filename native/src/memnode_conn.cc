#include "memnode_conn.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"

namespace spirit::memnode {

namespace {
constexpr size_t kReadChunk = 64 * 1024;   // bytes read per recv into the input buffer
constexpr int kReadsPerEvent = 16;         // recv calls per readiness event, so one peer cannot starve others
}  // namespace

// nowMs is the server loop's clock reading (not a fresh one), so its housekeeping never sees a connection
// from its future
Conn::Conn(int fd, Store& store, ServerCounters& counters, Admission& admission, uint64_t nowMs)
    : fd_(fd), store_(store), c_(counters), adm_(admission) {
  c_.connections++;
  lastActiveMs_ = acceptedMs_ = nowMs;
}

Conn::~Conn() {
  uint64_t now = wallMs();
  for (auto& [id, r] : held_) {
    (void)id;
    if (--r->attached == 0) r->idleSinceMs = now;
  }
  // the slot first: admission may shut this fd down from another thread until it is released
  adm_.release(fd_, authed_);
  close(fd_);
  c_.connections--;
}

void Conn::authenticate() {
  if (authed_ || closeAfterReply_) return;
  if (adm_.promote(fd_)) {
    authed_ = true;
    return;
  }
  closeAfterReply_ = true;  // no authenticated slot (or it is being shut down to make room)
}

RegionPtr* Conn::held(uint64_t id) {
  for (auto& p : held_)
    if (p.first == id) return &p.second;
  return nullptr;
}

void Conn::reply(uint8_t status, uint64_t value, const void* body, size_t bodyBytes) {
  wire::ReplyHeader rh;
  rh.op = h_.op;
  rh.status = status;
  rh.reqId = h_.reqId;
  rh.bodyBytes = uint32_t(bodyBytes);
  rh.value = value;
  uint8_t hdr[wire::kReplyHeaderBytes];
  wire::encode(rh, hdr);
  size_t sent = 0;
  if (outHead_ == out_.size()) {  // nothing queued: try to send straight from the region (no extra copy)
    out_.clear();
    outHead_ = 0;
    iovec iov[2] = {{hdr, sizeof hdr}, {const_cast<void*>(body), bodyBytes}};
    ssize_t w = writev(fd_, iov, bodyBytes ? 2 : 1);
    if (w > 0) sent = size_t(w);
  }
  const uint8_t* b = static_cast<const uint8_t*>(body);
  if (sent < sizeof hdr) {
    out_.insert(out_.end(), hdr + sent, hdr + sizeof hdr);
    sent = sizeof hdr;
  }
  if (sent - sizeof hdr < bodyBytes) out_.insert(out_.end(), b + (sent - sizeof hdr), b + bodyBytes);
  if (status != wire::kOk) c_.errors++;
}

void Conn::replyError(uint8_t status, const std::string& text) {
  size_t n = text.size() < limits::kErrorTextBytesMax ? text.size() : limits::kErrorTextBytesMax;
  reply(status, 0, text.data(), n);
}

bool Conn::flush() {
  while (outHead_ < out_.size()) {
    ssize_t w = send(fd_, out_.data() + outHead_, out_.size() - outHead_, MSG_NOSIGNAL);
    if (w > 0) {
      outHead_ += size_t(w);
    } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      break;
    } else {
      return false;
    }
  }
  if (outHead_ == out_.size()) {
    out_.clear();
    outHead_ = 0;
  } else if (outHead_ > (1u << 20)) {  // compact occasionally so the buffer does not creep
    out_.erase(out_.begin(), out_.begin() + long(outHead_));
    outHead_ = 0;
  }
  return true;
}

bool Conn::onReadable(uint64_t nowMs) {
  lastActiveMs_ = nowMs;
  for (int i = 0; i < kReadsPerEvent && !readPaused() && !closeAfterReply_; i++) {
    // a WRITE body with nothing buffered streams straight into the region
    if (inBody_ && sink_ && inHead_ == in_.size() && h_.bodyBytes - bodyGot_ > kReadChunk) {
      ssize_t r = recv(fd_, sink_ + bodyGot_, h_.bodyBytes - bodyGot_, 0);
      if (r == 0) return false;
      if (r < 0) return errno == EAGAIN || errno == EINTR ? flush() : false;
      bodyGot_ += uint32_t(r);
      c_.bytesWritten += uint64_t(r);
      if (bodyGot_ == h_.bodyBytes && !finishFrame()) return false;
      continue;
    }
    if (inHead_ == in_.size()) {
      in_.clear();
      inHead_ = 0;
    }
    size_t old = in_.size();
    in_.resize(old + kReadChunk);
    ssize_t r = recv(fd_, in_.data() + old, kReadChunk, 0);
    in_.resize(old + (r > 0 ? size_t(r) : 0));
    if (r == 0) return false;
    if (r < 0) {
      if (errno != EAGAIN && errno != EINTR) return false;
      break;
    }
    if (!process()) return false;
  }
  return flush() && !(closeAfterReply_ && !wantsWrite());
}

bool Conn::onWritable(uint64_t nowMs) {
  lastActiveMs_ = nowMs;
  if (!flush()) return false;
  if (closeAfterReply_ && !wantsWrite()) return false;
  return process() && flush();
}

bool Conn::process() {
  while (!readPaused() && !closeAfterReply_) {
    size_t avail = in_.size() - inHead_;
    if (!inBody_) {
      if (avail < wire::kReqHeaderBytes) break;
      h_ = wire::decodeReq(in_.data() + inHead_);
      inHead_ += wire::kReqHeaderBytes;
      if (!beginFrame()) return false;
      if (closeAfterReply_) break;  // refused at the header: answered, nothing more is read or executed
      if (h_.bodyBytes == 0 && !finishFrame()) return false;
      continue;
    }
    if (avail == 0) break;
    size_t take = h_.bodyBytes - bodyGot_;
    if (take > avail) take = avail;
    if (sink_) {
      memcpy(sink_ + bodyGot_, in_.data() + inHead_, take);
      c_.bytesWritten += take;
    } else if (h_.op != wire::kWrite) {
      small_.insert(small_.end(), in_.data() + inHead_, in_.data() + inHead_ + take);
    }
    inHead_ += take;
    bodyGot_ += uint32_t(take);
    if (bodyGot_ == h_.bodyBytes && !finishFrame()) return false;
  }
  if (inHead_ == in_.size()) {
    in_.clear();
    inHead_ = 0;
  }
  return true;
}

// Header checks that decide whether the stream can continue at all. A bad magic means we lost framing:
// close. An oversized body is refused and the connection closed (never read gigabytes from a peer).
bool Conn::beginFrame() {
  c_.requests++;
  if (h_.magic != wire::kReqMagic) {
    c_.closedBadFrames++;
    return false;
  }
  if (h_.version != wire::kVersion) {
    replyError(wire::kBadVersion, "unsupported protocol version");
    closeAfterReply_ = true;
    return true;
  }
  // before authenticating, a connection may only authenticate: anything else (PING too, which would keep an
  // idle anonymous socket alive, and STATS, which would tell it the node's capacity) is answered and the
  // connection closed, its body never read
  if (!authed_ && h_.op != wire::kOpen && h_.op != wire::kAttach && h_.op != wire::kAuth) {
    c_.authRequired++;
    replyError(wire::kAuthRequired, "authenticate first (OPEN, ATTACH or AUTH with a token)");
    closeAfterReply_ = true;
    return true;
  }
  if (h_.bodyBytes > wire::bodyMaxFor(h_.op)) {
    replyError(h_.op >= wire::kOpen && h_.op <= wire::kAuth ? wire::kTooLarge : wire::kUnknownOp,
               "declared body too large for this op");
    c_.closedBadFrames++;
    closeAfterReply_ = true;
    return true;
  }
  inBody_ = h_.bodyBytes > 0;
  bodyGot_ = 0;
  small_.clear();
  sink_ = nullptr;
  sinkRegion_.reset();
  pendingStatus_ = wire::kOk;
  if (h_.op == wire::kWrite) {
    RegionPtr* r = held(h_.regionId);
    if (!r) {
      pendingStatus_ = wire::kNoAccess;
    } else if (!wire::rangeOk(h_.offsetBytes, h_.bodyBytes, (*r)->sizeBytes)) {
      pendingStatus_ = wire::kOutOfBounds;
    } else {
      sinkRegion_ = *r;
      sink_ = sinkRegion_->data + h_.offsetBytes;
    }
  }
  return true;
}

bool Conn::finishFrame() {
  inBody_ = false;
  switch (h_.op) {
    case wire::kOpen: return doOpen(false);
    case wire::kAttach: return doOpen(true);
    case wire::kRead: doRead(); break;
    case wire::kAuth: doAuth(); break;
    case wire::kWrite:
      if (pendingStatus_ == wire::kOk) {
        // the token has now written data: its regions keep the long orphan time-to-live
        if (!sinkRegion_->written.load(std::memory_order_relaxed)) sinkRegion_->written.store(true, std::memory_order_relaxed);
        reply(wire::kOk, 0, nullptr, 0);
      }
      else replyError(pendingStatus_, pendingStatus_ == wire::kNoAccess ? "region not opened on this connection"
                                                                       : "write outside the region or unaligned");
      break;
    case wire::kClose: doClose(); break;
    case wire::kPing: reply(wire::kOk, 0, nullptr, 0); break;
    case wire::kStats: doStats(); break;
    default: replyError(wire::kUnknownOp, "unknown op"); break;
  }
  sink_ = nullptr;
  sinkRegion_.reset();
  return true;
}

bool Conn::doOpen(bool attach) {
  const uint8_t* b = small_.data();
  size_t n = small_.size();
  size_t fixed = attach ? 2 : 10;
  if (n < fixed) {
    replyError(wire::kBadRequest, "open/attach body too short");
    return true;
  }
  uint64_t sizeBytes = attach ? 0 : wire::get64(b);
  uint16_t tokenLen = wire::get16(b + fixed - 2);
  if (n != fixed + tokenLen) {
    replyError(wire::kBadRequest, "token length does not match the body");
    return true;
  }
  if (held_.size() >= limits::kRegionsPerConnMax) {
    replyError(wire::kLimit, "too many regions on this connection");
    return true;
  }
  std::string token(reinterpret_cast<const char*>(b + fixed), tokenLen);
  RegionPtr r;
  // OPEN: an accepted token authenticates the connection before anything is reserved; ATTACH: only the
  // region's owner token does (an unknown id and a wrong token look the same)
  uint8_t st = attach ? store_.attach(h_.regionId, token, r) : uint8_t(store_.tokenAllowed(token) ? wire::kOk : wire::kTokenRejected);
  if (st == wire::kOk) {
    authenticate();
    if (!authed_) {
      replyError(wire::kLimit, "too many authenticated connections on this memory node");
      return true;
    }
    if (!attach) st = store_.create(sizeBytes, token, r);
  }
  if (st == wire::kTokenRejected && ++authFailures_ >= limits::kAuthFailuresMax) closeAfterReply_ = true;
  if (st != wire::kOk) {
    replyError(st, st == wire::kCapacity ? "memory node capacity exceeded"
                   : st == wire::kTokenRejected ? "token rejected"
                   : st == wire::kLimit ? "too many regions on this memory node"
                   : st == wire::kInternal ? "memory node could not map the region"
                   : "bad region size");
    return true;
  }
  if (!held(r->id)) {
    r->attached++;
    held_.emplace_back(r->id, r);
  }
  reply(wire::kOk, r->id, nullptr, 0);
  return true;
}

void Conn::doAuth() {
  const uint8_t* b = small_.data();
  size_t n = small_.size();
  if (n < 2 || n != 2u + wire::get16(b)) return replyError(wire::kBadRequest, "auth body must be u16 tokenLen, token");
  std::string token(reinterpret_cast<const char*>(b + 2), n - 2);
  if (!store_.tokenAllowed(token)) {
    if (++authFailures_ >= limits::kAuthFailuresMax) closeAfterReply_ = true;
    return replyError(wire::kTokenRejected, "token rejected");
  }
  authenticate();
  if (!authed_) return replyError(wire::kLimit, "too many authenticated connections on this memory node");
  reply(wire::kOk, 0, nullptr, 0);
}

void Conn::doRead() {
  RegionPtr* r = held(h_.regionId);
  if (small_.size() != 4) return replyError(wire::kBadRequest, "read body must be a u32 length");
  if (!r) return replyError(wire::kNoAccess, "region not opened on this connection");
  uint32_t len = wire::get32(small_.data());
  if (!wire::rangeOk(h_.offsetBytes, len, (*r)->sizeBytes))
    return replyError(wire::kOutOfBounds, "read outside the region or unaligned");
  reply(wire::kOk, 0, (*r)->data + h_.offsetBytes, len);
  c_.bytesRead += len;
}

void Conn::doClose() {
  for (auto it = held_.begin(); it != held_.end(); ++it) {
    if (it->first != h_.regionId) continue;
    if (--it->second->attached == 0) it->second->idleSinceMs = wallMs();
    store_.remove(it->first);
    held_.erase(it);
    return reply(wire::kOk, 0, nullptr, 0);
  }
  replyError(wire::kNoAccess, "region not opened on this connection");
}

void Conn::doStats() {
  StoreStats s = store_.stats();
  uint8_t b[32];
  wire::put64(b, s.capacityBytes);
  wire::put64(b + 8, s.reservedBytes);
  wire::put64(b + 16, s.regions);
  wire::put64(b + 24, uint64_t(c_.connections.load()));
  reply(wire::kOk, 0, b, sizeof b);
}

}  // namespace spirit::memnode
