#include "memnode_server.h"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>

#include "clock.h"
#include "net.h"

namespace spirit::memnode {

namespace {
constexpr int kEventsPerWait = 64;
// idle-connection, authentication-deadline and orphan checks run this often (so a deadline is kept to
// within a quarter of a second)
constexpr int kHousekeepingMs = 250;

// The peer's address without its port: the unit of the per-address limit.
std::string peerAddress(const sockaddr_storage& sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(sa).sin_addr, buf, sizeof buf);
  } else if (sa.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(sa).sin6_addr, buf, sizeof buf);
  }
  return buf;
}
}  // namespace

Server::~Server() { stop(); }

bool Server::start(const ServerConfig& cfg, std::string& err) {
  cfg_ = cfg;
  if (cfg_.threads < 1) cfg_.threads = 1;
  if (cfg_.threads > limits::kServerThreadsMax) cfg_.threads = limits::kServerThreadsMax;
  if (cfg_.allowedTokens.empty() && !cfg_.anyToken) {
    err = "no tokens: give the tokens that may use this memory node (or allow any token explicitly)";
    return false;
  }
  store_ = std::make_unique<Store>(cfg_.capacityBytes, cfg_.allowedTokens, cfg_.anyToken);
  admission_ = std::make_unique<Admission>(AdmissionLimits{limits::kConnectionsMax, limits::kUnauthConnectionsMax,
                                                           limits::kUnauthPerAddressMax});
  listenFd_ = net::listenTcp(cfg_.host, cfg_.port, port_, err);
  if (listenFd_ < 0) return false;
  stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  for (int i = 0; i < cfg_.threads; i++)
    threads_.emplace_back([this, i] {
      pthread_setname_np(pthread_self(), "spirit-memnode");
      run(i);
    });
  return true;
}

void Server::stop() {
  if (stopping_.exchange(true)) return;
  if (stopFd_ >= 0) {
    uint64_t one = 1;
    (void)!write(stopFd_, &one, sizeof one);
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (listenFd_ >= 0) close(listenFd_);
  if (stopFd_ >= 0) close(stopFd_);
  listenFd_ = stopFd_ = -1;
}

ServerStats Server::stats() {
  StoreStats s = store_ ? store_->stats() : StoreStats{0, 0, 0};
  int authed = admission_ ? admission_->authenticated() : 0;
  int unauthed = admission_ ? admission_->unauthenticated() : 0;
  return {s.capacityBytes, s.reservedBytes, s.regions, uint64_t(counters_.connections.load()),
          counters_.requests.load(), counters_.bytesRead.load(), counters_.bytesWritten.load(),
          counters_.errors.load(), counters_.closedBadFrames.load(), uint64_t(authed), uint64_t(unauthed),
          counters_.refusedConnections.load(), counters_.evictedUnauth.load(), counters_.authTimeouts.load(),
          counters_.authRequired.load()};
}

// Epoll interest follows the connection: stop reading while its replies back up, ask for writability
// only while replies are queued.
// (only when the interest changes: a syscall per request would be pure overhead on the hot path)
static void rearm(int ep, Conn& c) {
  uint32_t want = (c.readPaused() ? 0u : uint32_t(EPOLLIN)) | (c.wantsWrite() ? uint32_t(EPOLLOUT) : 0u) | EPOLLRDHUP;
  if (want == c.epollMask) return;
  c.epollMask = want;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = c.fd();
  epoll_ctl(ep, EPOLL_CTL_MOD, c.fd(), &ev);
}

void Server::run(int index) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.fd = listenFd_;
  epoll_ctl(ep, EPOLL_CTL_ADD, listenFd_, &ev);
  ev.events = EPOLLIN;
  ev.data.fd = stopFd_;
  epoll_ctl(ep, EPOLL_CTL_ADD, stopFd_, &ev);
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  epoll_event events[kEventsPerWait];
  uint64_t nextHousekeepMs = wallMs() + kHousekeepingMs;
  while (!stopping_.load()) {
    int n = epoll_wait(ep, events, kEventsPerWait, kHousekeepingMs);
    uint64_t nowMs = wallMs();
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == stopFd_) continue;
      if (fd == listenFd_) {
        sockaddr_storage sa{};
        socklen_t saLen = sizeof sa;
        int cfd = accept4(listenFd_, reinterpret_cast<sockaddr*>(&sa), &saLen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) continue;
        std::string peer = peerAddress(sa);
        bool evicted = false;
        Admit a = admission_->admitUnauth(cfd, peer, nowMs, evicted);
        if (evicted) counters_.evictedUnauth++;
        if (a != Admit::kOk) {
          counters_.refusedConnections++;
          close(cfd);
          continue;
        }
        net::setNoDelay(cfd);
        auto c = std::make_unique<Conn>(cfd, *store_, counters_, *admission_, nowMs);
        epoll_event cev{};
        cev.events = EPOLLIN | EPOLLRDHUP;
        cev.data.fd = cfd;
        epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
        c->epollMask = cev.events;
        conns[cfd] = std::move(c);
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = *it->second;
      bool ok = true;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) ok = false;
      if (ok && (events[i].events & EPOLLOUT)) ok = c.onWritable(nowMs);
      if (ok && (events[i].events & (EPOLLIN | EPOLLRDHUP))) ok = c.onReadable(nowMs);
      if (!ok) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        conns.erase(it);
      } else {
        rearm(ep, c);
      }
    }
    if (nowMs >= nextHousekeepMs) {
      nextHousekeepMs = nowMs + kHousekeepingMs;
      for (auto it = conns.begin(); it != conns.end();) {
        Conn& c = *it->second;
        bool late = !c.authenticated() && nowMs - c.acceptedMs() >= cfg_.authDeadlineMs;
        if (late) counters_.authTimeouts++;
        if (late || nowMs - c.lastActiveMs() > cfg_.idleMs) {
          epoll_ctl(ep, EPOLL_CTL_DEL, it->first, nullptr);
          it = conns.erase(it);
        } else {
          ++it;
        }
      }
      if (index == 0) store_->reapOrphans(nowMs, cfg_.orphanTtlMs, cfg_.unusedOrphanTtlMs);
    }
  }
  conns.clear();
  close(ep);
}

}  // namespace spirit::memnode
