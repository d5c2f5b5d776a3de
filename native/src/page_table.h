// Per-page state of a region and the CLOCKs over local frames. A frame is a slot in a clock holding one
// local page (mapped in place or parked out of place); the hand sweeps frames, not the whole region, so
// a region ten times its cache costs nothing extra to sweep. There is one clock (ring of frames, with its
// own hand) per partition of the region's pages (partition.h); an unsplit region uses ring 0 only. Only
// the fault thread touches it.
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
  static constexpr int kRings = 2;  // one CLOCK per partition (partition.h)

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

  // frames: each local page holds a frame in the ring of its partition
  uint64_t used() const { return rings_[0].used + rings_[1].used; }
  uint64_t used(int k) const { return rings_[k].used; }
  uint64_t frameCount(int k) const { return rings_[k].frames.size(); }
  void addFrame(uint64_t p, int k) {
    Ring& r = rings_[k];
    uint32_t f;
    if (!r.free.empty()) {
      f = r.free.back();
      r.free.pop_back();
    } else {
      f = uint32_t(r.frames.size());
      r.frames.push_back(0);
    }
    r.frames[f] = uint32_t(p);
    frameOf_[p] = (uint32_t(k) << kRingShift) | f;
    r.used++;
  }
  void removeFrame(uint64_t p) {
    uint32_t v = frameOf_[p];
    if (v == kNoFrame) return;
    Ring& r = rings_[v >> kRingShift];
    uint32_t f = v & kFrameMask;
    r.frames[f] = kNoFrame;
    frameOf_[p] = kNoFrame;
    r.free.push_back(f);
    r.used--;
  }
  bool hasFrame(uint64_t p) const { return frameOf_[p] != kNoFrame; }
  // The ring holding p's frame (p must have one).
  int ringOf(uint64_t p) const { return int(frameOf_[p] >> kRingShift); }
  // Moves p's frame to ring k (a split change put the page into the other partition).
  void moveFrame(uint64_t p, int k) {
    if (!hasFrame(p) || ringOf(p) == k) return;
    removeFrame(p);
    addFrame(p, k);
    layoutEpoch_++;
  }
  // Advances ring k's hand to its next occupied frame; returns its page, or -1 if the ring is empty.
  int64_t clockNext(int k) {
    Ring& r = rings_[k];
    for (uint64_t steps = 0; steps < r.frames.size(); steps++) {
      if (r.hand >= r.frames.size()) r.hand = 0;
      uint32_t p = r.frames[r.hand++];
      if (p != kNoFrame) return p;
    }
    return -1;
  }
  // Drops empty slots when most of a ring is empty (after a large cache shrink), keeping hand order.
  void compactIfSparse() {
    for (Ring& r : rings_) {
      if (r.frames.size() < 1024 || r.used * 4 > r.frames.size()) continue;
      std::vector<uint32_t> nf;
      nf.reserve(r.used);
      uint32_t ring = uint32_t(&r - rings_) << kRingShift;
      for (uint32_t p : r.frames)
        if (p != kNoFrame) {
          frameOf_[p] = ring | uint32_t(nf.size());
          nf.push_back(p);
        }
      r.frames.swap(nf);
      r.free.clear();
      r.hand = 0;
      layoutEpoch_++;
    }
  }
  // Every frame slot of both rings, in order (slots may be empty: kNoFrame). A scan over them (flush) must
  // restart when layoutEpoch() changed: frames moved between slots.
  uint64_t slotCount() const { return rings_[0].frames.size() + rings_[1].frames.size(); }
  uint32_t slot(uint64_t i) const {
    return i < rings_[0].frames.size() ? rings_[0].frames[i] : rings_[1].frames[i - rings_[0].frames.size()];
  }
  uint64_t layoutEpoch() const { return layoutEpoch_; }
  const std::vector<uint32_t>& frames(int k) const { return rings_[k].frames; }

 private:
  static constexpr uint32_t kRingShift = 31;  // frame indices stay below 2^31 (at most 4M pages per region)
  static constexpr uint32_t kFrameMask = (1u << kRingShift) - 1;
  struct Ring {
    std::vector<uint32_t> frames;
    std::vector<uint32_t> free;
    uint64_t used = 0;
    uint64_t hand = 0;
  };
  std::vector<uint8_t> flags_;
  std::vector<uint32_t> frameOf_;  // (ring << 31) | frame index, or kNoFrame
  Ring rings_[kRings];
  uint64_t layoutEpoch_ = 0;
};

}  // namespace spirit
