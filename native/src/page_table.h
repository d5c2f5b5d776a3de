// Per-page state of a region and the CLOCK over local frames. A frame is a slot in the clock holding one
// local page (mapped in place or parked out of place); the hand sweeps frames, not the whole region, so
// a region ten times its cache costs nothing extra to sweep. Only the fault thread touches it.
#pragma once
#include <cstdint>
#include <vector>

namespace spirit {

enum PageState : uint8_t {
  kAbsent = 0,    // not local: at the memory node (or never written: zero)
  kFetching = 1,  // a read request is in flight for it
  kMapped = 2,    // in the application's view (treated as referenced since the hand last passed)
  kParked = 3,    // a local copy out of place: the next touch faults cheaply and marks it referenced
};

enum PageFlag : uint8_t {
  kStateMask = 0x03,
  kDirty = 0x04,      // modified since it was fetched (write-protect fault seen)
  kWaiting = 0x08,    // a fault is waiting for this page's fetch
  kWaitWrite = 0x10,  // ... and it was a write fault (install writable and dirty)
  kMarker = 0x20,     // readahead marker: touching it starts the next readahead window
  kRemote = 0x40,     // the memory node holds data for it (else its content is zero)
  kParking = 0x80,    // chosen to be parked by the current eviction step (batched), still mapped
};

class PageTable {
 public:
  static constexpr uint32_t kNoFrame = 0xFFFFFFFFu;

  void init(uint64_t pages) {
    flags_.assign(pages, 0);
    frameOf_.assign(pages, kNoFrame);
  }
  uint64_t pages() const { return flags_.size(); }
  PageState state(uint64_t p) const { return PageState(flags_[p] & kStateMask); }
  void setState(uint64_t p, PageState s) { flags_[p] = uint8_t((flags_[p] & ~kStateMask) | s); }
  bool has(uint64_t p, PageFlag f) const { return flags_[p] & f; }
  void set(uint64_t p, PageFlag f) { flags_[p] |= f; }
  void clear(uint64_t p, uint8_t f) { flags_[p] &= uint8_t(~f); }

  // frames
  uint64_t used() const { return used_; }
  uint64_t frameCount() const { return frames_.size(); }
  void addFrame(uint64_t p) {
    uint32_t f;
    if (!free_.empty()) {
      f = free_.back();
      free_.pop_back();
    } else {
      f = uint32_t(frames_.size());
      frames_.push_back(0);
    }
    frames_[f] = uint32_t(p);
    frameOf_[p] = f;
    used_++;
  }
  void removeFrame(uint64_t p) {
    uint32_t f = frameOf_[p];
    if (f == kNoFrame) return;
    frames_[f] = kNoFrame;
    frameOf_[p] = kNoFrame;
    free_.push_back(f);
    used_--;
  }
  bool hasFrame(uint64_t p) const { return frameOf_[p] != kNoFrame; }
  // Advances the hand to the next occupied frame; returns its page, or -1 if the clock is empty.
  int64_t clockNext() {
    for (uint64_t steps = 0; steps < frames_.size(); steps++) {
      if (hand_ >= frames_.size()) hand_ = 0;
      uint32_t p = frames_[hand_++];
      if (p != kNoFrame) return p;
    }
    return -1;
  }
  // Drops empty slots when most of the table is empty (after a large cache shrink), keeping hand order.
  void compactIfSparse() {
    if (frames_.size() < 1024 || used_ * 4 > frames_.size()) return;
    std::vector<uint32_t> nf;
    nf.reserve(used_);
    for (uint32_t p : frames_)
      if (p != kNoFrame) {
        frameOf_[p] = uint32_t(nf.size());
        nf.push_back(p);
      }
    frames_.swap(nf);
    free_.clear();
    hand_ = 0;
  }
  const std::vector<uint32_t>& frames() const { return frames_; }

 private:
  std::vector<uint8_t> flags_;
  std::vector<uint32_t> frameOf_;
  std::vector<uint32_t> frames_;
  std::vector<uint32_t> free_;
  uint64_t used_ = 0;
  uint64_t hand_ = 0;
};

}  // namespace spirit
