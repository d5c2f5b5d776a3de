#include "net.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

namespace spirit::net {

bool splitHostPort(const std::string& addr, std::string& host, uint16_t& port, std::string& err) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= addr.size()) {
    err = "expected host:port, got '" + addr + "'";
    return false;
  }
  host = addr.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long p = 0;
  for (size_t i = colon + 1; i < addr.size(); i++) {
    if (addr[i] < '0' || addr[i] > '9' || p > 65535) {
      err = "port of '" + addr + "' is not a number in 1..65535";
      return false;
    }
    p = p * 10 + unsigned(addr[i] - '0');
  }
  if (p == 0 || p > 65535) {
    err = "port of '" + addr + "' is not in 1..65535";
    return false;
  }
  port = uint16_t(p);
  return true;
}

void setNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void setNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static addrinfo* resolve(const std::string& host, uint16_t port, bool passive, std::string& err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (passive) hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string ps = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), ps.c_str(), &hints, &res);
  if (rc != 0) {
    err = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return nullptr;
  }
  return res;
}

// One attempt against one address: non-blocking connect, then poll until the deadline.
static int connectOne(const addrinfo* a, uint64_t deadlineNs, std::string& err) {
  int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    err = std::string("socket: ") + strerror(errno);
    return -1;
  }
  if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
    err = std::string("connect: ") + strerror(errno);
    close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  uint64_t now = nowNs();
  int waitMs = now >= deadlineNs ? 0 : int((deadlineNs - now + kNsPerMs - 1) / kNsPerMs);
  int rc = poll(&p, 1, waitMs);
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (rc <= 0) {
    err = rc == 0 ? "connect timed out" : std::string("poll: ") + strerror(errno);
    close(fd);
    return -1;
  }
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
  if (soerr != 0) {
    err = std::string("connect: ") + strerror(soerr);
    close(fd);
    return -1;
  }
  setNoDelay(fd);
  return fd;
}

int connectTcp(const std::string& host, uint16_t port, uint32_t timeoutMs, std::string& err) {
  addrinfo* res = resolve(host, port, false, err);
  if (!res) return -1;
  uint64_t deadline = nowNs() + uint64_t(timeoutMs) * kNsPerMs;
  int fd = -1;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) fd = connectOne(a, deadline, err);
  freeaddrinfo(res);
  return fd;
}

int listenTcp(const std::string& host, uint16_t port, uint16_t& boundPort, std::string& err) {
  addrinfo* res = resolve(host, port, true, err);
  if (!res) return -1;
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 512) == 0) break;
    err = std::string("bind/listen on ") + (host.empty() ? "*" : host) + ":" + std::to_string(port) + ": " +
          strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return -1;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  boundPort = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

// Waits for readiness until the deadline; false on timeout or poll error.
static bool waitFd(int fd, short events, uint64_t deadlineNs, std::string& err) {
  uint64_t now = nowNs();
  if (now >= deadlineNs) {
    err = "timed out";
    return false;
  }
  pollfd p{fd, events, 0};
  int rc = poll(&p, 1, int((deadlineNs - now + kNsPerMs - 1) / kNsPerMs));
  if (rc < 0 && errno == EINTR) return true;
  if (rc <= 0) {
    err = rc == 0 ? "timed out" : std::string("poll: ") + strerror(errno);
    return false;
  }
  return true;
}

bool sendAll(int fd, const void* buf, size_t n, uint64_t deadlineNs, std::string& err) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= size_t(w);
    } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!waitFd(fd, POLLOUT, deadlineNs, err)) return false;
    } else {
      err = std::string("send: ") + strerror(errno);
      return false;
    }
  }
  return true;
}

bool recvAll(int fd, void* buf, size_t n, uint64_t deadlineNs, std::string& err) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = recv(fd, p, n, 0);
    if (r > 0) {
      p += r;
      n -= size_t(r);
    } else if (r == 0) {
      err = "connection closed by peer";
      return false;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!waitFd(fd, POLLIN, deadlineNs, err)) return false;
    } else {
      err = std::string("recv: ") + strerror(errno);
      return false;
    }
  }
  return true;
}

}  // namespace spirit::net
