#include "control_block.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"

namespace spirit {

const char* const kCounterNames[kCounterCount] = {
#define SPIRIT_COUNTER_NAME(name) #name,
    SPIRIT_COUNTERS(SPIRIT_COUNTER_NAME)
#undef SPIRIT_COUNTER_NAME
};

static size_t headerBytes() { return (sizeof(ControlBlock) + 63) & ~size_t(63); }

size_t controlFileBytes() { return headerBytes() + limits::kSampleRingEntries * sizeof(uint64_t); }

uint64_t processStartTicks(uint64_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%llu/stat", static_cast<unsigned long long>(pid));
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  // field 2 (comm) may contain spaces and parentheses: count fields after the last ')'
  char* p = strrchr(buf, ')');
  if (!p) return 0;
  int field = 2;
  unsigned long long v = 0;
  for (char* tok = strtok(p + 1, " "); tok; tok = strtok(nullptr, " ")) {
    if (++field == 22) {
      v = strtoull(tok, nullptr, 10);
      break;
    }
  }
  return v;
}

bool ownerGone(const ControlBlock& cb) {
  if (kill(pid_t(cb.ownerPid), 0) != 0 && errno == ESRCH) return true;
  uint64_t ticks = processStartTicks(cb.ownerPid);
  return ticks == 0 || ticks != cb.ownerStartTicks;
}

ControlMap::~ControlMap() {
  if (cb_) munmap(cb_, mapBytes_);
}

uint64_t* ControlMap::ring() const {
  return reinterpret_cast<uint64_t*>(reinterpret_cast<char*>(cb_) + cb_->headerBytes);
}

bool ControlMap::create(const std::string& dir, uint64_t serial, uint64_t sizeBytes, const std::string& label,
                        std::string& err) {
  path_ = dir + "/spirit-" + std::to_string(getpid()) + "-" + std::to_string(serial) + ".ctl";
  if (path_.size() > limits::kControlPathBytesMax) {
    err = "control block path longer than " + std::to_string(limits::kControlPathBytesMax) + " bytes";
    return false;
  }
  int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    err = "cannot create control block " + path_ + ": " + strerror(errno);
    return false;
  }
  mapBytes_ = controlFileBytes();
  if (ftruncate(fd, off_t(mapBytes_)) != 0) {
    err = "cannot size control block " + path_ + ": " + strerror(errno);
    close(fd);
    return false;
  }
  void* m = mmap(nullptr, mapBytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) {
    err = "cannot map control block " + path_ + ": " + strerror(errno);
    return false;
  }
  cb_ = static_cast<ControlBlock*>(m);  // the file is zero-filled: every atomic starts at 0
  cb_->version = kControlVersion;
  cb_->headerBytes = uint32_t(headerBytes());
  cb_->pageBytes = uint32_t(limits::kPageBytes);
  cb_->ownerPid = uint64_t(getpid());
  cb_->ownerStartTicks = processStartTicks(cb_->ownerPid);
  cb_->regionSerial = serial;
  cb_->sizeBytes = sizeBytes;
  cb_->createdWallMs = wallMs();
  cb_->ringEntries = limits::kSampleRingEntries;
  snprintf(cb_->label, kLabelBytes, "%s", label.c_str());
  std::atomic_thread_fence(std::memory_order_release);
  cb_->magic = kControlMagic;  // last: a reader seeing the magic sees an initialised header
  return true;
}

bool ControlMap::attach(const std::string& path, std::string& err) {
  path_ = path;
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    err = "cannot open control block " + path + ": " + strerror(errno);
    return false;
  }
  struct stat st {};
  fstat(fd, &st);
  if (size_t(st.st_size) < sizeof(ControlBlock)) {
    close(fd);
    err = path + " is too small to be a control block";
    return false;
  }
  mapBytes_ = size_t(st.st_size);
  void* m = mmap(nullptr, mapBytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) {
    err = "cannot map control block " + path + ": " + strerror(errno);
    return false;
  }
  cb_ = static_cast<ControlBlock*>(m);
  bool ok = cb_->magic == kControlMagic && cb_->version == kControlVersion &&
            cb_->headerBytes >= sizeof(ControlBlock) && cb_->ringEntries > 0 &&
            cb_->ringEntries <= limits::kSampleRingEntries &&
            uint64_t(cb_->headerBytes) + cb_->ringEntries * 8 <= mapBytes_;
  if (!ok) {
    err = path + " is not a spirit control block of version " + std::to_string(kControlVersion);
    munmap(cb_, mapBytes_);
    cb_ = nullptr;
    return false;
  }
  return true;
}

void ControlMap::unlinkFile() {
  if (!path_.empty()) unlink(path_.c_str());
}

void ControlMap::ringPush(uint64_t page) {
  uint64_t seq = cb_->ringWriteSeq.load(std::memory_order_relaxed);
  ring()[seq % cb_->ringEntries] = page;
  cb_->ringWriteSeq.store(seq + 1, std::memory_order_release);
}

// Claims [read, end) with a CAS so two consumers never return the same entry, and re-checks the write
// sequence after copying: entries the producer overwrote meanwhile are reported as lost, never returned.
uint64_t ControlMap::ringDrain(std::vector<uint64_t>& out, size_t max) {
  const uint64_t n = cb_->ringEntries;
  for (int attempt = 0; attempt < 8; attempt++) {
    uint64_t r0 = cb_->ringReadSeq.load(std::memory_order_acquire);
    uint64_t w = cb_->ringWriteSeq.load(std::memory_order_acquire);
    uint64_t r = r0, lost = 0;
    if (w - r > n) {
      lost = w - r - n;
      r = w - n;
    }
    uint64_t end = w - r > max ? r + max : w;
    size_t base = out.size();
    for (uint64_t s = r; s < end; s++) out.push_back(ring()[s % n]);
    uint64_t w2 = cb_->ringWriteSeq.load(std::memory_order_acquire);
    if (w2 > n && w2 - n > r) {
      uint64_t k = std::min(w2 - n - r, end - r);
      out.erase(out.begin() + long(base), out.begin() + long(base + k));
      lost += k;
    }
    if (cb_->ringReadSeq.compare_exchange_strong(r0, end)) {
      if (lost) cb_->ringDropped.fetch_add(lost);
      return lost;
    }
    out.resize(base);  // another consumer drained concurrently: try again from its end
  }
  return 0;
}

}  // namespace spirit
