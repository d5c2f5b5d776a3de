// Write-back: dirty pages copied into slots (the fixed slack above the cache limit) are grouped into
// contiguous write jobs, admitted by the token bucket (once per replica: each copy is traffic), sent to
// every live replica, and released when all of them acknowledged. Until then a fault on the page is served
// from its slot. flush() writes back every dirty page without evicting it.
#include <algorithm>
#include <cstring>

#include "clock.h"
#include "region.h"
#include "wire.h"

namespace spirit {

int Region::takeSlot() {
  if (freeSlots_.empty()) return -1;
  int s = freeSlots_.back();
  freeSlots_.pop_back();
  return s;
}

// Dirty pages copied out during one eviction or flush step are collected, then sorted into runs of
// consecutive pages: one write request per run (the clock's order is not page order).
void Region::addToWriteJob(uint64_t p, int slot) { pendingWrites_.emplace_back(p, slot); }

void Region::closeWriteJob() {
  if (pendingWrites_.empty()) return;
  std::sort(pendingWrites_.begin(), pendingWrites_.end());
  uint32_t maxPages = uint32_t(bucket_.maxRequestPages());
  WriteJob job;
  auto close = [&]() {
    if (job.n == 0) return;
    uint64_t id = nextJob_++;
    writes_[id] = std::move(job);
    job = WriteJob{};
    writeQueue_.push_back(id);
  };
  for (auto [p, slot] : pendingWrites_) {
    if (job.n > 0 && (p != job.first + job.n || job.n >= maxPages)) close();
    if (job.n == 0) job.first = p;
    job.n++;
    job.slots.push_back(slot);
  }
  close();
  pendingWrites_.clear();
}

void Region::issueWrites(uint64_t now) {
  const uint64_t pg = limits::kPageBytes;
  int alive = 0;
  for (auto& r : replicas_) alive += r->alive ? 1 : 0;
  if (alive == 0) return;
  // demand reads go first while write-back slots are plentiful; once half are in use, write-backs go
  // first, or eviction (and with it every fault needing room) would stall behind the reads
  if (!readQueueDemand_.empty() && !slotsScarce()) return;
  while (!writeQueue_.empty()) {
    uint64_t id = writeQueue_.front();
    WriteJob& j = writes_[id];
    uint64_t bytes = uint64_t(j.n) * pg * uint64_t(alive);
    uint64_t wait = bucket_.tryAdmit(bytes, now);
    if (wait != 0) {
      if (throttleStartNs_ == 0) throttleStartNs_ = now;
      throttleUntilNs_ = now + wait;
      break;
    }
    if (throttleStartNs_ != 0) {
      counterAdd(cb_, c_throttledNs, now - throttleStartNs_);
      throttleStartNs_ = 0;
    }
    counterAdd(cb_, c_admittedBytes, bytes);
    writeQueue_.pop_front();
    j.pendingAcks = alive;
    std::vector<iovec> iov;
    for (int s : j.slots) iov.push_back({wbSlots_ + size_t(s) * pg, pg});
    for (size_t i = 0; i < replicas_.size(); i++) {
      if (!replicas_[i]->alive) continue;
      replicas_[i]->queueWrite(nextReq_++, j.first * pg, iov, id, now);
      counterAdd(cb_, c_writebackRequests, 1);
      counterAdd(cb_, c_bytesOut, uint64_t(j.n) * pg);
    }
  }
  std::string err;
  for (size_t i = 0; i < replicas_.size(); i++)
    if (replicas_[i]->alive && replicas_[i]->wantsWrite() && !replicas_[i]->flush(err)) replicaBroken(int(i), err, now);
}

void Region::onWriteReply(const Reply& rep, int replicaIdx) {
  auto it = writes_.find(rep.job);
  if (it == writes_.end()) return;
  lastTrafficNs_ = nowNs();
  if (rep.status != wire::kOk) {
    // this replica cannot store the region any more; the others still count
    if (--it->second.pendingAcks <= 0) finishWrite(rep.job);
    dropReplica(replicaIdx, "memory node " + replicas_[size_t(replicaIdx)]->address() + " refused a write: " +
                                wire::statusName(rep.status) + (rep.errorText.empty() ? "" : " (" + rep.errorText + ")"),
                Reason::kRegionLost);
    return;
  }
  if (--it->second.pendingAcks <= 0) finishWrite(rep.job);
}

void Region::finishWrite(uint64_t jobKey) {
  auto it = writes_.find(jobKey);
  if (it == writes_.end()) return;
  WriteJob& j = it->second;
  for (uint32_t i = 0; i < j.n; i++) {
    uint64_t p = j.first + i;
    auto s = wbSlotOf_.find(p);
    if (s != wbSlotOf_.end() && s->second == j.slots[i]) wbSlotOf_.erase(s);
    freeSlots_.push_back(j.slots[i]);
  }
  counterAdd(cb_, c_writebackPages, j.n);
  writes_.erase(it);
}

// One step of a flush: copy dirty resident pages into free slots (they stay resident, now clean and
// write-protected again); completes when a full scan found nothing dirty and every write was acknowledged.
void Region::stepFlush() {
  {
    std::lock_guard<std::mutex> g(cmdMu_);
    if (!flushRequests_.empty()) {
      flushing_.insert(flushing_.end(), flushRequests_.begin(), flushRequests_.end());
      flushRequests_.clear();
      flushCursor_ = 0;  // restart: the new request covers writes made since the last scan began
      flushScanDone_ = false;
      flushLayout_ = pt_.layoutEpoch();
    }
  }
  if (flushing_.empty()) return;
  if (!flushScanDone_ && flushLayout_ != pt_.layoutEpoch()) {
    flushCursor_ = 0;  // frames moved between slots (compaction, a split change): scan them all again
    flushLayout_ = pt_.layoutEpoch();
  }
  const uint64_t pg = limits::kPageBytes;
  while (!flushScanDone_ && !freeSlots_.empty()) {
    if (flushCursor_ >= pt_.slotCount()) {
      flushScanDone_ = true;
      break;
    }
    uint32_t p = pt_.slot(flushCursor_++);
    if (p == PageTable::kNoFrame || !pt_.has(p, kDirty)) continue;
    int slot = takeSlot();
    uint8_t* addr = base_ + uint64_t(p) * pg;
    bool mapped = pt_.state(p) == kMapped;
    if (mapped) uffd_.writeProtect(reinterpret_cast<uint64_t>(addr), pg, true);
    memcpy(wbSlots_ + size_t(slot) * pg, mapped ? addr : shadow_ + uint64_t(p) * pg, pg);
    wbSlotOf_[p] = slot;
    pt_.set(p, kRemote);
    markClean(p);
    addToWriteJob(p, slot);
  }
  closeWriteJob();
  if (flushScanDone_ && writes_.empty() && pendingWrites_.empty()) {
    for (uint64_t id : flushing_) emit({"flushed", Reason::kNone, "", "", id});
    flushing_.clear();
  }
}

}  // namespace spirit
