#include "replica.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "net.h"

namespace spirit {

namespace {
constexpr int kIovMax = 256;           // iovecs per writev (a full write batch is 65)
constexpr size_t kReqsPerWritev = 16;  // requests coalesced into one writev
constexpr uint32_t kCloseReqId = 0xFFFFFFFF;
constexpr uint32_t kErrorBodyMax = 4096;  // a longer error body means the stream is not our protocol

Reason reasonFromStatus(uint8_t s) {
  switch (s) {
    case wire::kTokenRejected: return Reason::kTokenRejected;
    case wire::kCapacity: return Reason::kCapacity;
    case wire::kNoAccess: return Reason::kNoAccess;
    case wire::kLimit: return Reason::kLimit;
    default: return Reason::kProtocol;
  }
}
}  // namespace

Replica::~Replica() { disconnect(); }

void Replica::disconnect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  rhdrGot_ = 0;
  inBody_ = false;
}

Reason Replica::open(uint64_t sizeBytes, const std::string& token, bool attach, uint32_t timeoutMs,
                     std::string& err) {
  disconnect();
  std::string host;
  uint16_t port = 0;
  if (!net::splitHostPort(address_, host, port, err)) return Reason::kBadArgument;
  uint64_t deadline = nowNs() + uint64_t(timeoutMs) * kNsPerMs;
  int fd = net::connectTcp(host, port, timeoutMs, err);
  if (fd < 0) {
    err = "memory node " + address_ + ": " + err;
    return Reason::kUnreachable;
  }
  std::vector<uint8_t> body;
  body.resize((attach ? 2 : 10) + token.size());
  if (!attach) wire::put64(body.data(), sizeBytes);
  wire::put16(body.data() + (attach ? 0 : 8), uint16_t(token.size()));
  memcpy(body.data() + (attach ? 2 : 10), token.data(), token.size());
  wire::ReqHeader h;
  h.op = attach ? wire::kAttach : wire::kOpen;
  h.reqId = 0;
  h.bodyBytes = uint32_t(body.size());
  h.regionId = attach ? regionId_ : 0;
  uint8_t hdr[wire::kReqHeaderBytes];
  wire::encode(h, hdr);
  uint8_t rh[wire::kReplyHeaderBytes];
  if (!net::sendAll(fd, hdr, sizeof hdr, deadline, err) || !net::sendAll(fd, body.data(), body.size(), deadline, err) ||
      !net::recvAll(fd, rh, sizeof rh, deadline, err)) {
    close(fd);
    err = "memory node " + address_ + ": " + err;
    return Reason::kUnreachable;
  }
  wire::ReplyHeader r = wire::decodeReply(rh);
  std::string text;
  if (r.magic != wire::kReplyMagic || r.bodyBytes > kErrorBodyMax) {
    close(fd);
    err = "memory node " + address_ + " answered with something that is not the spirit protocol";
    return Reason::kProtocol;
  }
  text.resize(r.bodyBytes);
  if (r.bodyBytes && !net::recvAll(fd, text.data(), r.bodyBytes, deadline, err)) {
    close(fd);
    return Reason::kUnreachable;
  }
  if (r.status != wire::kOk) {
    close(fd);
    err = "memory node " + address_ + " refused " + (attach ? "ATTACH" : "OPEN") + ": " + wire::statusName(r.status) +
          (text.empty() ? "" : " (" + text + ")");
    Reason why = reasonFromStatus(r.status);
    // a memory node that no longer knows the region (restarted) cannot give our data back
    return attach && why == Reason::kTokenRejected ? Reason::kRegionLost : why;
  }
  regionId_ = r.value;
  fd_ = fd;
  return Reason::kNone;
}

void Replica::closeRegion(uint32_t timeoutMs) {
  if (fd_ < 0) return;
  uint64_t deadline = nowNs() + uint64_t(timeoutMs) * kNsPerMs;
  std::string err;
  std::vector<iovec> none;
  queueWrite(kCloseReqId, 0, none, 0, nowNs());
  q_.back().op = wire::kClose;
  // replies to requests still in flight come first; read until our CLOSE reply or the deadline
  for (int i = 0; i < 100000 && nowNs() < deadline; i++) {
    if (wantsWrite() && !flush(err)) break;
    pollfd p{fd_, short(POLLIN | (wantsWrite() ? POLLOUT : 0)), 0};
    uint64_t now = nowNs();
    if (now >= deadline || poll(&p, 1, int((deadline - now) / kNsPerMs) + 1) <= 0) break;
    std::vector<Reply> replies;
    if (!receive(replies, err)) break;
    bool done = false;
    for (auto& r : replies) done |= r.reqId == kCloseReqId;
    if (done) break;
  }
  disconnect();
}

void Replica::encodeHeader(const Outstanding& o, uint8_t* hdr, size_t& hdrBytes) const {
  wire::ReqHeader h;
  h.op = o.op;
  h.reqId = o.reqId;
  h.regionId = regionId_;
  h.offsetBytes = o.offsetBytes;
  h.bodyBytes = o.op == wire::kRead ? 4 : o.lengthBytes;
  wire::encode(h, hdr);
  hdrBytes = wire::kReqHeaderBytes;
  if (o.op == wire::kRead) {
    wire::put32(hdr + hdrBytes, o.lengthBytes);
    hdrBytes += 4;
  }
}

void Replica::queueRead(uint32_t reqId, uint64_t offsetBytes, uint32_t lengthBytes, uint8_t* dest, uint64_t job,
                        uint64_t now) {
  Outstanding o;
  o.reqId = reqId;
  o.op = wire::kRead;
  o.offsetBytes = offsetBytes;
  o.lengthBytes = lengthBytes;
  o.dest = dest;
  o.job = job;
  o.sentNs = now;
  q_.push_back(std::move(o));
}

void Replica::queueWrite(uint32_t reqId, uint64_t offsetBytes, std::vector<iovec> data, uint64_t job, uint64_t now) {
  Outstanding o;
  o.reqId = reqId;
  o.op = wire::kWrite;
  o.offsetBytes = offsetBytes;
  for (auto& v : data) o.lengthBytes += uint32_t(v.iov_len);
  o.data = std::move(data);
  o.job = job;
  o.sentNs = now;
  q_.push_back(std::move(o));
}

void Replica::queuePing(uint32_t reqId, uint64_t now) {
  Outstanding o;
  o.reqId = reqId;
  o.op = wire::kPing;
  o.sentNs = now;
  q_.push_back(std::move(o));
}

// Builds one writev from the unsent tail of the queue: for each request its header, then its pages.
bool Replica::flush(std::string& err) {
  while (fd_ >= 0 && sendIdx_ < q_.size()) {
    iovec iov[kIovMax];
    uint8_t hdrs[kReqsPerWritev][wire::kReqHeaderBytes + 4];
    int n = 0;
    size_t skip = sentBytes_;
    auto add = [&](void* p, size_t len) {
      if (skip >= len) {
        skip -= len;
        return;
      }
      iov[n++] = {static_cast<uint8_t*>(p) + skip, len - skip};
      skip = 0;
    };
    for (size_t i = sendIdx_, k = 0; i < q_.size() && k < kReqsPerWritev; i++, k++) {
      const Outstanding& o = q_[i];
      if (n > 0 && size_t(n) + 1 + o.data.size() > size_t(kIovMax)) break;
      size_t hb = 0;
      encodeHeader(o, hdrs[k], hb);
      add(hdrs[k], hb);
      for (const iovec& v : o.data) add(v.iov_base, v.iov_len);
    }
    ssize_t w = writev(fd_, iov, n);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) return true;
      err = std::string("send to ") + address_ + ": " + strerror(errno);
      return false;
    }
    size_t left = size_t(w) + sentBytes_;
    while (sendIdx_ < q_.size()) {
      const Outstanding& o = q_[sendIdx_];
      size_t total = wire::kReqHeaderBytes + (o.op == wire::kRead ? 4 : o.lengthBytes);
      if (left < total) break;
      left -= total;
      sendIdx_++;
    }
    sentBytes_ = left;
  }
  return true;
}

bool Replica::receive(std::vector<Reply>& out, std::string& err) {
  for (int guard = 0; guard < 1024 && fd_ >= 0; guard++) {
    if (!inBody_) {
      ssize_t r = recv(fd_, rhdr_ + rhdrGot_, sizeof rhdr_ - rhdrGot_, 0);
      if (r == 0) {
        err = "memory node " + address_ + " closed the connection";
        return false;
      }
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) return true;
        err = std::string("recv from ") + address_ + ": " + strerror(errno);
        return false;
      }
      rhdrGot_ += size_t(r);
      if (rhdrGot_ < sizeof rhdr_) continue;
      rhdrGot_ = 0;
      cur_ = wire::decodeReply(rhdr_);
      bool expected = !q_.empty() && sendIdx_ > 0 && q_.front().reqId == cur_.reqId;
      if (cur_.magic != wire::kReplyMagic || !expected) {
        err = "memory node " + address_ + " sent a reply out of order or not in the spirit protocol";
        return false;
      }
      const Outstanding& o = q_.front();
      bool data = cur_.status == wire::kOk && o.op == wire::kRead;
      if ((data && cur_.bodyBytes != o.lengthBytes) || (!data && cur_.bodyBytes > kErrorBodyMax)) {
        err = "memory node " + address_ + " sent a reply of unexpected length";
        return false;
      }
      inBody_ = true;
      bodyGot_ = 0;
      errBody_.clear();
    }
    const Outstanding& o = q_.front();
    bool data = cur_.status == wire::kOk && o.op == wire::kRead;
    if (bodyGot_ < cur_.bodyBytes) {
      ssize_t r;
      if (data) {
        r = recv(fd_, o.dest + bodyGot_, cur_.bodyBytes - bodyGot_, 0);
      } else {
        char tmp[512];
        size_t want = cur_.bodyBytes - bodyGot_;
        r = recv(fd_, tmp, want < sizeof tmp ? want : sizeof tmp, 0);
        if (r > 0) errBody_.append(tmp, size_t(r));
      }
      if (r == 0) {
        err = "memory node " + address_ + " closed the connection";
        return false;
      }
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) return true;
        err = std::string("recv from ") + address_ + ": " + strerror(errno);
        return false;
      }
      bodyGot_ += uint32_t(r);
      if (bodyGot_ < cur_.bodyBytes) continue;
    }
    out.push_back({o.op, cur_.status, cur_.reqId, cur_.value, o.job, errBody_});
    q_.pop_front();
    sendIdx_--;
    inBody_ = false;
  }
  return true;
}

std::deque<Outstanding> Replica::takeOutstanding() {
  std::deque<Outstanding> q;
  q.swap(q_);
  sendIdx_ = sentBytes_ = 0;
  return q;
}

void Replica::rewindForResend(uint64_t now) {
  sendIdx_ = sentBytes_ = 0;
  for (auto& o : q_) o.sentNs = now;
}

}  // namespace spirit
