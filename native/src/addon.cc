// Addon entry: exports the classes, the named limits (so the TypeScript validation uses the same numbers)
// and the counter names; stops every region and memory node when the environment shuts down.
#include <napi.h>

#include "control_block.h"
#include "limits.h"
#include "napi_common.h"
#include "napi_exports.h"
#include "partition.h"
#include "region.h"

namespace spirit::napi {

namespace {

Napi::Object limitsObject(Napi::Env env) {
  namespace L = spirit::limits;
  Napi::Object o = Napi::Object::New(env);
  auto set = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  set("pageBytes", double(L::kPageBytes));
  set("regionBytesMax", double(L::kRegionBytesMax));
  set("regionBytesMin", double(L::kRegionBytesMin));
  set("cachePagesMin", double(L::kCachePagesMin));
  set("regionsPerProcessMax", L::kRegionsPerProcessMax);
  set("replicasMax", L::kReplicasMax);
  set("bandwidthMbpsMin", L::kBandwidthMbpsMin);
  set("bandwidthMbpsMax", L::kBandwidthMbpsMax);
  set("batchPagesMax", L::kBatchPagesMax);
  set("readaheadPagesMax", L::kReadaheadPagesMax);
  set("writebackInflightPagesMax", L::kWritebackInflightPagesMax);
  set("shadowFreeBatchPages", double(L::kShadowFreeBatchPages));
  set("readsInflightMax", L::kReadsInflightMax);
  set("requestTimeoutMsDefault", L::kRequestTimeoutMsDefault);
  set("requestTimeoutMsMin", L::kRequestTimeoutMsMin);
  set("requestTimeoutMsMax", L::kRequestTimeoutMsMax);
  set("connectTimeoutMsDefault", L::kConnectTimeoutMsDefault);
  set("retriesDefault", L::kRetriesDefault);
  set("retriesMax", L::kRetriesMax);
  set("sampleRingEntries", double(L::kSampleRingEntries));
  set("samplePeriodMsDefault", L::kSamplePeriodMsDefault);
  set("samplePeriodMsMin", L::kSamplePeriodMsMin);
  set("samplePeriodMsMax", L::kSamplePeriodMsMax);
  set("sampleRatePpmMax", L::kSampleRatePpmMax);
  set("tokenBytesMin", L::kTokenBytesMin);
  set("tokenBytesMax", L::kTokenBytesMax);
  set("ioBytesMax", L::kIoBytesMax);
  set("connectionsMax", L::kConnectionsMax);
  set("unauthConnectionsMax", L::kUnauthConnectionsMax);
  set("unauthPerAddressMax", L::kUnauthPerAddressMax);
  set("authDeadlineMsDefault", L::kAuthDeadlineMsDefault);
  set("unusedOrphanTtlMsDefault", L::kUnusedOrphanTtlMsDefault);
  set("regionsPerConnMax", double(L::kRegionsPerConnMax));
  set("regionsMax", double(L::kRegionsMax));
  set("serverThreadsMax", L::kServerThreadsMax);
  set("orphanTtlMsDefault", L::kOrphanTtlMsDefault);
  set("connIdleMsDefault", L::kConnIdleMsDefault);
  set("loopPollMsMax", L::kLoopPollMsMax);
  set("controlScanMax", double(L::kControlScanMax));
  set("histBuckets", kHistBuckets);
  set("partitionPagesMin", double(L::kPartitionPagesMin));
  set("pollUsDefault", L::kPollUsDefault);
  set("pollUsMax", L::kPollUsMax);
  return o;
}

Napi::Value setErrorClass(const Napi::CallbackInfo& info) {
  registerErrorClass(info);
  return info.Env().Undefined();
}

Napi::Value liveRegionCount(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), liveRegions()); }

// partitionOfPages(pages, share): which partition (0 = A, 1 = B) each page of a region of `pages` pages is
// in under a split at `share`, exactly as the fault thread computes it (for tests and benchmarks).
Napi::Value partitionOfPages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    throwFar(env, Reason::kBadArgument, "partitionOfPages(pages, share): two numbers");
  double pages = info[0].As<Napi::Number>().DoubleValue();
  double share = info[1].As<Napi::Number>().DoubleValue();
  if (!(pages >= 1 && pages <= double(spirit::limits::kRegionBytesMax / spirit::limits::kPageBytes)) || !(share >= 0 && share <= 1))
    throwFar(env, Reason::kBadArgument, "partitionOfPages: pages 1..4194304, share 0..1");
  PartitionSplit s = calibrateSplit(share, uint64_t(pages));
  Napi::Uint8Array out = Napi::Uint8Array::New(env, size_t(pages));
  for (uint64_t p = 0; p < uint64_t(pages); p++) out[p] = uint8_t(s.of(p));
  return out;
}

void cleanup(void*) {
  stopAllRegions();
  stopAllMemNodes();
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("limits", limitsObject(env));
  Napi::Array names = Napi::Array::New(env, kCounterCount);
  for (uint32_t i = 0; i < kCounterCount; i++) names.Set(i, kCounterNames[i]);
  exports.Set("counterNames", names);
  exports.Set("setErrorClass", Napi::Function::New(env, setErrorClass));
  exports.Set("liveRegions", Napi::Function::New(env, liveRegionCount));
  exports.Set("partitionOfPages", Napi::Function::New(env, partitionOfPages));
  exports.Set("NativeRegion", defineRegion(env));
  exports.Set("NativeMemNode", defineMemNode(env));
  exports.Set("NativeControl", defineControl(env));
  exports.Set("floors", defineFloors(env));
  napi_add_env_cleanup_hook(env, cleanup, nullptr);
  return exports;
}

}  // namespace spirit::napi

static Napi::Object InitSpiritNative(Napi::Env env, Napi::Object exports) { return spirit::napi::init(env, exports); }
NODE_API_MODULE(spirit_native, InitSpiritNative)
