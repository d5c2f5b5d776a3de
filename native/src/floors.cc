#include "floors.h"

#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "clock.h"
#include "limits.h"
#include "net.h"

namespace spirit::floors {

namespace {
alignas(4096) uint8_t gPage[limits::kPageBytes];
constexpr uint32_t kReqBytes = 16;
constexpr uint32_t kIoTimeoutMs = 5000;  // a floor measurement that stalls this long has failed
}

BareFaultRegion::~BareFaultRegion() { stop(); }

bool BareFaultRegion::start(uint64_t sizeBytes, std::string& err) {
  size_ = sizeBytes;
  void* m = mmap(nullptr, sizeBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    err = std::string("mmap: ") + strerror(errno);
    return false;
  }
  base_ = static_cast<uint8_t*>(m);
  madvise(base_, size_, MADV_DONTFORK);
  madvise(base_, size_, MADV_NOHUGEPAGE);
  bool userOnly = false;
  if (!uffd_.open(userOnly, err) || !uffd_.registerRange(base_, size_, err)) return false;
  memset(gPage, 0x5A, sizeof gPage);
  stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "floor-fault");
    run();
  });
  return true;
}

// The minimum a handler does: wait, read the message, copy one page in (which wakes the faulting thread).
void BareFaultRegion::run() {
  pollfd p[2] = {{uffd_.fd(), POLLIN, 0}, {stopFd_, POLLIN, 0}};
  uffd_msg msg;
  for (;;) {
    poll(p, 2, 100);
    if (p[1].revents & POLLIN) return;
    while (read(uffd_.fd(), &msg, sizeof msg) == sizeof msg) {
      if (msg.event != UFFD_EVENT_PAGEFAULT) continue;
      uint64_t addr = msg.arg.pagefault.address & ~(limits::kPageBytes - 1);
      uffd_.copy(addr, gPage, limits::kPageBytes, false);
    }
  }
}

void BareFaultRegion::stop() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(stopFd_, &one, sizeof one);
    thread_.join();
  }
  if (base_) {
    uffd_.unregisterRange(base_, size_);
    munmap(base_, size_);
    base_ = nullptr;
  }
  if (stopFd_ >= 0) close(stopFd_);
  stopFd_ = -1;
}

namespace {
// A loopback pair: listening socket on a free port, one accepted server fd and one client fd.
bool loopbackPair(int& server, int& client, std::string& err) {
  uint16_t port = 0;
  int lfd = net::listenTcp("127.0.0.1", 0, port, err);
  if (lfd < 0) return false;
  client = net::connectTcp("127.0.0.1", port, kIoTimeoutMs, err);
  if (client < 0) {
    close(lfd);
    return false;
  }
  pollfd p{lfd, POLLIN, 0};
  poll(&p, 1, int(kIoTimeoutMs));
  server = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  close(lfd);
  if (server < 0) {
    err = std::string("accept: ") + strerror(errno);
    close(client);
    return false;
  }
  net::setNoDelay(server);
  net::setNonBlocking(server);
  return true;
}
}  // namespace

TcpRttPair::~TcpRttPair() { stop(); }

bool TcpRttPair::start(uint32_t pageBytes, std::string& err) {
  if (!loopbackPair(server_, client_, err)) return false;
  pageBytes_ = pageBytes;
  in_.resize(pageBytes);
  int s = server_;
  thread_ = std::thread([s, pageBytes] {
    pthread_setname_np(pthread_self(), "floor-rtt");
    std::vector<uint8_t> page(pageBytes, 0x5A);
    uint8_t req[kReqBytes];
    std::string e;
    // serves until the client closes (recv fails); each wait is bounded by a long deadline
    for (;;) {
      uint64_t d = nowNs() + 3600 * kNsPerS;
      if (!net::recvAll(s, req, kReqBytes, d, e) || !net::sendAll(s, page.data(), pageBytes, d, e)) return;
    }
  });
  return true;
}

int64_t TcpRttPair::once() {
  if (client_ < 0) return -1;
  uint8_t req[kReqBytes] = {1};
  std::string err;
  uint64_t t0 = nowNs();
  uint64_t d = t0 + kIoTimeoutMs * kNsPerMs;
  if (!net::sendAll(client_, req, kReqBytes, d, err) || !net::recvAll(client_, in_.data(), pageBytes_, d, err)) return -1;
  return int64_t(nowNs() - t0);
}

void TcpRttPair::stop() {
  if (client_ >= 0) {
    shutdown(client_, SHUT_RDWR);
    close(client_);
    client_ = -1;
  }
  if (server_ >= 0) shutdown(server_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  if (server_ >= 0) close(server_);
  server_ = -1;
}

bool tcpRoundTrips(uint32_t iterations, uint32_t pageBytes, std::vector<double>& latNs, std::string& err) {
  int s = -1, c = -1;
  if (!loopbackPair(s, c, err)) return false;
  std::vector<uint8_t> page(pageBytes, 0x5A);
  std::atomic<bool> ok{true};
  std::thread server([&] {
    uint8_t req[kReqBytes];
    std::string e;
    for (uint32_t i = 0; i < iterations; i++) {
      uint64_t d = nowNs() + kIoTimeoutMs * kNsPerMs;
      if (!net::recvAll(s, req, kReqBytes, d, e) || !net::sendAll(s, page.data(), pageBytes, d, e)) {
        ok = false;
        return;
      }
    }
  });
  std::vector<uint8_t> in(pageBytes);
  uint8_t req[kReqBytes] = {1};
  latNs.clear();
  for (uint32_t i = 0; i < iterations && ok; i++) {
    uint64_t t0 = nowNs();
    uint64_t d = t0 + kIoTimeoutMs * kNsPerMs;
    if (!net::sendAll(c, req, kReqBytes, d, err) || !net::recvAll(c, in.data(), pageBytes, d, err)) {
      ok = false;
      break;
    }
    latNs.push_back(double(nowNs() - t0));
  }
  close(c);  // unblocks the server if we stopped early
  server.join();
  close(s);
  return ok;
}

bool tcpStream(uint64_t totalBytes, uint32_t pageBytes, uint64_t& elapsedNs, std::string& err) {
  int s = -1, c = -1;
  if (!loopbackPair(s, c, err)) return false;
  std::vector<uint8_t> page(pageBytes, 0x5A);
  std::atomic<bool> ok{true};
  uint64_t t0 = nowNs();
  std::thread server([&] {
    std::string e;
    uint64_t d = nowNs() + 60 * kNsPerS;
    for (uint64_t sent = 0; sent < totalBytes; sent += pageBytes)
      if (!net::sendAll(s, page.data(), pageBytes, d, e)) {
        ok = false;
        return;
      }
  });
  std::vector<uint8_t> in(pageBytes);
  uint64_t d = nowNs() + 60 * kNsPerS;
  for (uint64_t got = 0; got < totalBytes && ok; got += pageBytes)
    if (!net::recvAll(c, in.data(), pageBytes, d, err)) ok = false;
  elapsedNs = nowNs() - t0;
  close(c);
  server.join();
  close(s);
  return ok;
}

uint64_t memcpyThroughput(uint64_t totalBytes, uint32_t pageBytes) {
  std::vector<uint8_t> src(totalBytes, 1), dst(totalBytes, 0);
  uint64_t t0 = nowNs();
  for (uint64_t off = 0; off + pageBytes <= totalBytes; off += pageBytes) memcpy(dst.data() + off, src.data() + off, pageBytes);
  uint64_t el = nowNs() - t0;
  volatile uint8_t sink = dst[totalBytes / 2];
  (void)sink;
  return el;
}

}  // namespace spirit::floors
