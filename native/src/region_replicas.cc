// Replica connections from the fault thread: dispatch replies, detect broken connections, reconnect with
// bounded retries and backoff (re-attaching the same remote region with the token), fail over to the next
// replica, and fail the region when no replica is left.
#include <poll.h>
#include <unistd.h>

#include <algorithm>

#include "clock.h"
#include "region.h"
#include "wire.h"

namespace spirit {

void Region::serviceReplicas(const pollfd* pfds, size_t n, uint64_t now) {
  std::vector<Reply> replies;
  for (size_t i = 0; i < n && i < replicas_.size() && !failed_.load(); i++) {
    Replica& r = *replicas_[i];
    if (!r.alive || !r.connected() || pfds[i].fd < 0) continue;
    std::string err;
    bool ok = true;
    if (pfds[i].revents & (POLLIN | POLLERR | POLLHUP)) {
      replies.clear();
      ok = r.receive(replies, err);
      for (const Reply& rep : replies) {
        if (failed_.load()) return;
        if (rep.op == wire::kRead) onReadReply(rep, now);
        else if (rep.op == wire::kWrite) onWriteReply(rep, int(i));
      }
    }
    if (ok && r.alive && r.connected() && (pfds[i].revents & POLLOUT)) ok = r.flush(err);
    if (!ok && r.alive) replicaBroken(int(i), err, now);
  }
}

// A connection broke (error, EOF, timeout). With other replicas alive, one quick reconnect attempt is made
// before failing over; the last replica gets the full retry budget. The replica's queued requests are sent
// again on the new connection, or re-routed / acknowledged when it is given up.
void Region::replicaBroken(int idx, const std::string& why, uint64_t now) {
  Replica& r = *replicas_[size_t(idx)];
  r.disconnect();
  int others = 0;
  for (size_t i = 0; i < replicas_.size(); i++) others += (int(i) != idx && replicas_[i]->alive) ? 1 : 0;
  uint32_t attempts = others > 0 ? 1 : std::max<uint32_t>(cfg_.retries, 1);
  std::string err;
  Reason rc = reconnect(idx, attempts, err);
  if (rc == Reason::kNone) {
    counterAdd(cb_, c_reconnects, 1);
    r.rewindForResend(nowNs());
    emit({"reconnected", Reason::kNone, "reconnected after: " + why, r.address(), 0});
    if (r.flush(err)) return;
    r.disconnect();
    rc = Reason::kUnreachable;
  }
  (void)now;
  dropReplica(idx, rc == Reason::kUnreachable ? why : err, rc);
}

// Re-attaches the replica's remote region with the token, with exponential backoff between attempts.
// Stops early when the memory node answers but refuses or no longer has the region: no retry helps then.
Reason Region::reconnect(int idx, uint32_t attempts, std::string& err) {
  Replica& r = *replicas_[size_t(idx)];
  uint32_t timeoutMs = std::min(cfg_.connectTimeoutMs, cfg_.requestTimeoutMs);
  Reason why = Reason::kUnreachable;
  for (uint32_t a = 0; a < attempts && !stopping_.load(); a++) {
    if (a > 0) usleep(std::min<uint32_t>(limits::kBackoffMsBase << std::min<uint32_t>(a - 1, 10), limits::kBackoffMsMax) * 1000);
    why = r.open(sizeBytes_, cfg_.token, true, timeoutMs, err);
    if (why != Reason::kUnreachable) return why;
  }
  return why;
}

void Region::dropReplica(int idx, const std::string& why, Reason reason) {
  Replica& r = *replicas_[size_t(idx)];
  if (!r.alive) return;
  r.alive = false;
  r.disconnect();
  counterAdd(cb_, c_replicasLost, 1);
  int alive = 0;
  for (auto& x : replicas_) alive += x->alive ? 1 : 0;
  counterSet(cb_, c_replicasAlive, uint64_t(alive));
  for (Outstanding& o : r.takeOutstanding()) {
    if (o.op == wire::kRead) {
      auto it = readsInflight_.find(o.job);
      if (it == readsInflight_.end()) continue;
      ReadJob job = it->second;
      readsInflight_.erase(it);
      freeStaging_.push_back(job.stagingIdx);
      job.stagingIdx = -1;
      readQueueDemand_.push_front(job);  // re-read from the next replica; its pages are still reserved
    } else if (o.op == wire::kWrite) {
      auto it = writes_.find(o.job);
      if (it != writes_.end() && --it->second.pendingAcks <= 0) finishWrite(o.job);
    }
  }
  if (alive == 0) {
    fail(reason, reason == Reason::kUnreachable ? "no memory node holding the region is reachable: " + why
                                                : "no memory node still holds the region: " + why);
    return;
  }
  emit({"replica_lost", reason, why, r.address(), 0});
}

}  // namespace spirit
