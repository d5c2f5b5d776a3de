// userfaultfd for one anonymous range: registration for missing-page and write-protect faults, and the
// ioctls the fault thread resolves faults with. Every call returns 0 or -errno; none blocks on a fault.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace spirit {

class Uffd {
 public:
  ~Uffd();
  // Creates the fd with write-protect fault reporting. Tries full mode first, then user-mode-only (what an
  // unprivileged process may use when vm.unprivileged_userfaultfd=0). userModeOnly reports which.
  bool open(bool& userModeOnly, std::string& err);
  bool registerRange(void* base, size_t len, std::string& err);
  void unregisterRange(void* base, size_t len);
  int fd() const { return fd_; }

  // Installs len bytes from src at dst. wp: map write-protected (a later write faults: dirty tracking).
  // Pages that are already present are skipped and their waiters woken. Returns 0 or -errno.
  int copy(uint64_t dst, const void* src, size_t len, bool wp);
  int writeProtect(uint64_t addr, size_t len, bool protect);
  int wake(uint64_t addr, size_t len);

 private:
  int fd_ = -1;
};

}  // namespace spirit
