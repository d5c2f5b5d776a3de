// Addon entry: exports the classes, the named limits (so the TypeScript validation uses the same numbers)
// and the counter names; stops every region and memory node when the environment shuts down.
#include <napi.h>

#include "control_block.h"
#include "limits.h"
#include "napi_common.h"
#include "napi_exports.h"
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
  return o;
}

Napi::Value setErrorClass(const Napi::CallbackInfo& info) {
  registerErrorClass(info);
  return info.Env().Undefined();
}

Napi::Value liveRegionCount(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), liveRegions()); }

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
