// Token bucket on page traffic (both directions). Tokens accrue at the rate, capped at a small burst; a
// request is admitted while the balance is non-negative and may drive it negative (debt), which the next
// requests wait out. Over any window T the bucket admits at most rate*T + burst + one request, and under
// saturation exactly rate*T on average. Only the fault thread touches it.
#pragma once
#include <algorithm>
#include <cstdint>

#include "limits.h"

namespace spirit {

class TokenBucket {
 public:
  // bandwidthMbps is validated by the caller (kBandwidthMbpsMin..Max).
  void setRate(double bandwidthMbps, uint64_t nowNs) {
    refill(nowNs);
    bytesPerNs_ = bandwidthMbps * 1e6 / 8.0 / 1e9;
    burstBytes_ = std::max(double(2 * limits::kPageBytes), bytesPerNs_ * double(limits::kBucketBurstNs));
    if (!started_) {
      tokens_ = burstBytes_;
      started_ = true;
    }
    tokens_ = std::min(tokens_, burstBytes_);
  }

  // Largest request (whole pages) that keeps one admission within kRequestTokensNsMax of tokens.
  uint64_t maxRequestPages() const {
    double pages = bytesPerNs_ * double(limits::kRequestTokensNsMax) / double(limits::kPageBytes);
    return std::max<uint64_t>(1, std::min<uint64_t>(limits::kBatchPagesMax, uint64_t(pages)));
  }

  // 0: admitted now (tokens taken). Otherwise: ns until a request can be admitted.
  uint64_t tryAdmit(uint64_t bytes, uint64_t nowNs) {
    refill(nowNs);
    if (tokens_ >= 0) {
      tokens_ -= double(bytes);
      return 0;
    }
    return uint64_t(-tokens_ / bytesPerNs_) + 1;
  }

 private:
  void refill(uint64_t nowNs) {
    if (lastNs_ != 0 && nowNs > lastNs_) tokens_ = std::min(burstBytes_, tokens_ + double(nowNs - lastNs_) * bytesPerNs_);
    lastNs_ = nowNs;
  }
  double bytesPerNs_ = 1.0;
  double burstBytes_ = 0;
  double tokens_ = 0;
  uint64_t lastNs_ = 0;
  bool started_ = false;
};

}  // namespace spirit
