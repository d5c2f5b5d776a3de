#include "uffd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "limits.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

namespace spirit {

Uffd::~Uffd() {
  if (fd_ >= 0) close(fd_);
}

bool Uffd::open(bool& userModeOnly, std::string& err) {
  userModeOnly = false;
  fd_ = int(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
  if (fd_ < 0 && (errno == EPERM || errno == EACCES)) {
    fd_ = int(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY));
    userModeOnly = fd_ >= 0;
  }
  if (fd_ < 0) {
    err = std::string("userfaultfd unavailable: ") + strerror(errno) +
          " (needs CONFIG_USERFAULTFD; as non-root set vm.unprivileged_userfaultfd=1 or run as root)";
    return false;
  }
  uffdio_api api{};
  api.api = UFFD_API;
  api.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP;
  if (ioctl(fd_, UFFDIO_API, &api) != 0) {
    err = std::string("UFFDIO_API with write-protect faults failed: ") + strerror(errno) +
          " (needs Linux >= 5.7 with CONFIG_HAVE_ARCH_USERFAULTFD_WP)";
    close(fd_);
    fd_ = -1;
    return false;
  }
  return true;
}

bool Uffd::registerRange(void* base, size_t len, std::string& err) {
  uffdio_register r{};
  r.range.start = reinterpret_cast<uint64_t>(base);
  r.range.len = len;
  r.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP;
  if (ioctl(fd_, UFFDIO_REGISTER, &r) != 0) {
    err = std::string("UFFDIO_REGISTER failed: ") + strerror(errno);
    return false;
  }
  return true;
}

// Unregistering wakes every thread still waiting on a fault in the range; it retries as an ordinary fault.
void Uffd::unregisterRange(void* base, size_t len) {
  uffdio_range r{reinterpret_cast<uint64_t>(base), len};
  ioctl(fd_, UFFDIO_UNREGISTER, &r);
}

int Uffd::copy(uint64_t dst, const void* src, size_t len, bool wp) {
  const uint64_t page = limits::kPageBytes;
  size_t done = 0;
  // bounded: each pass either finishes, advances by >= 1 page, or skips one present page
  for (size_t pass = 0; done < len && pass < len / page + 8; pass++) {
    uffdio_copy c{};
    c.dst = dst + done;
    c.src = reinterpret_cast<uint64_t>(src) + done;
    c.len = len - done;
    c.mode = wp ? UFFDIO_COPY_MODE_WP : 0;
    if (ioctl(fd_, UFFDIO_COPY, &c) == 0) return 0;
    int e = errno;
    if (c.copy > 0) done += size_t(c.copy);
    if (e == EEXIST) {  // someone mapped it first (never us twice); wake its waiters and move on
      wake(dst + done, page);
      done += page;
    } else if (e != EAGAIN) {
      return -e;
    }
  }
  return done >= len ? 0 : -EAGAIN;
}

int Uffd::writeProtect(uint64_t addr, size_t len, bool protect) {
  uffdio_writeprotect w{};
  w.range.start = addr;
  w.range.len = len;
  w.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
  return ioctl(fd_, UFFDIO_WRITEPROTECT, &w) == 0 ? 0 : -errno;
}

int Uffd::wake(uint64_t addr, size_t len) {
  uffdio_range r{addr, len};
  return ioctl(fd_, UFFDIO_WAKE, &r) == 0 ? 0 : -errno;
}

}  // namespace spirit
