#include "napi_common.h"

namespace spirit::napi {

namespace {
struct AddonData {
  Napi::FunctionReference errorClass;
};

AddonData* data(Napi::Env env) {
  AddonData* d = env.GetInstanceData<AddonData>();
  if (!d) {
    d = new AddonData();
    env.SetInstanceData(d);
  }
  return d;
}
}  // namespace

void registerErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass(cls): a class is required");
  data(info.Env())->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
}

Napi::Error farError(Napi::Env env, Reason reason, const std::string& message) {
  AddonData* d = data(env);
  if (d->errorClass.IsEmpty()) {
    Napi::Error e = Napi::Error::New(env, message);
    e.Set("reason", Napi::String::New(env, reasonName(reason)));
    return e;
  }
  Napi::Object obj = d->errorClass.New({Napi::String::New(env, message), Napi::String::New(env, reasonName(reason))});
  return Napi::Error(env, obj);
}

void throwFar(Napi::Env env, Reason reason, const std::string& message) { throw farError(env, reason, message); }

double numberOpt(const Napi::Object& o, const char* key, double fallback) {
  if (!o.Has(key)) return fallback;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throwFar(o.Env(), Reason::kBadArgument, std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::string stringOpt(const Napi::Object& o, const char* key, const std::string& fallback) {
  if (!o.Has(key)) return fallback;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throwFar(o.Env(), Reason::kBadArgument, std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

static Napi::Array histArray(Napi::Env env, const std::atomic<uint64_t>* h) {
  Napi::Array a = Napi::Array::New(env, kHistBuckets);
  for (uint32_t i = 0; i < kHistBuckets; i++) a.Set(i, Napi::Number::New(env, double(h[i].load())));
  return a;
}

Napi::Object statsObject(Napi::Env env, const ControlBlock* cb) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Object c = Napi::Object::New(env);
  for (uint32_t i = 0; i < kCounterCount; i++) c.Set(kCounterNames[i], Napi::Number::New(env, double(cb->counters[i].load())));
  o.Set("counters", c);
  o.Set("latencyHist", histArray(env, cb->latencyHist));
  o.Set("softLatencyHist", histArray(env, cb->softLatencyHist));
  o.Set("ownerPid", Napi::Number::New(env, double(cb->ownerPid)));
  o.Set("regionSerial", Napi::Number::New(env, double(cb->regionSerial)));
  o.Set("sizeBytes", Napi::Number::New(env, double(cb->sizeBytes)));
  o.Set("pageBytes", Napi::Number::New(env, double(cb->pageBytes)));
  o.Set("createdWallMs", Napi::Number::New(env, double(cb->createdWallMs)));
  o.Set("heartbeatWallMs", Napi::Number::New(env, double(cb->heartbeatWallMs.load())));
  o.Set("state", Napi::Number::New(env, double(cb->state.load())));
  o.Set("failReason", Napi::String::New(env, reasonName(Reason(cb->failReason.load()))));
  o.Set("limitsSeq", Napi::Number::New(env, double(cb->limitsSeq.load())));
  o.Set("cacheBytes", Napi::Number::New(env, double(cb->cacheBytes.load())));
  o.Set("bandwidthMbps", Napi::Number::New(env, bitsToDouble(cb->bandwidthMbpsBits.load())));
  o.Set("sampleRatePpm", Napi::Number::New(env, double(cb->sampleRatePpm.load())));
  o.Set("samplePeriodMs", Napi::Number::New(env, double(cb->samplePeriodMs.load())));
  o.Set("ringWriteSeq", Napi::Number::New(env, double(cb->ringWriteSeq.load())));
  o.Set("ringReadSeq", Napi::Number::New(env, double(cb->ringReadSeq.load())));
  o.Set("ringDropped", Napi::Number::New(env, double(cb->ringDropped.load())));
  o.Set("label", Napi::String::New(env, std::string(cb->label, strnlen(cb->label, kLabelBytes))));
  o.Set("partitionCount", Napi::Number::New(env, double(cb->partitionCount.load())));
  o.Set("partitionShare", Napi::Number::New(env, bitsToDouble(cb->partitionShareBits.load())));
  Napi::Array pb = Napi::Array::New(env, 2);
  for (uint32_t i = 0; i < 2; i++) pb.Set(i, Napi::Number::New(env, double(cb->partitionCacheBytes[i].load())));
  o.Set("partitionCacheBytes", pb);
  Napi::Array st = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; i++) st.Set(i, Napi::Number::New(env, double(cb->fetchStageNs[i].load())));
  o.Set("fetchStageNs", st);
  return o;
}

LimitArgs limitArgs(const Napi::CallbackInfo& info) {
  double v[8];
  for (size_t i = 0; i < 8; i++) v[i] = info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : -1;
  LimitArgs l{v[0], v[1], v[2], v[3], int(v[4]), v[5], v[6], v[7]};
  // the facade validated these; refuse only what would be unsafe to store
  if (l.partitionCount == 2 && !(l.partitionShare > 0 && l.partitionShare < 1 && l.partitionBytesA >= 0 && l.partitionBytesB >= 0))
    throwFar(info.Env(), Reason::kBadArgument, "setLimits: a split needs 0 < share < 1 and non-negative partition sizes");
  return l;
}

void writeLimits(ControlBlock* cb, const LimitArgs& l) {
  if (l.cacheBytes >= 0) cb->cacheBytes.store(uint64_t(l.cacheBytes));
  if (l.partitionCount >= 0) {
    cb->partitionShareBits.store(doubleToBits(l.partitionCount == 2 ? l.partitionShare : 1.0));
    cb->partitionCacheBytes[0].store(l.partitionCount == 2 ? uint64_t(l.partitionBytesA) : 0);
    cb->partitionCacheBytes[1].store(l.partitionCount == 2 ? uint64_t(l.partitionBytesB) : 0);
    cb->partitionCount.store(l.partitionCount == 2 ? 2 : 1);
  } else if (l.cacheBytes >= 0) {
    cb->partitionCount.store(1);  // a new cache limit without a split is an unsplit one
  }
  double bandwidthMbps = l.bandwidthMbps, sampleRatePpm = l.sampleRatePpm, samplePeriodMs = l.samplePeriodMs;
  if (bandwidthMbps >= 0) cb->bandwidthMbpsBits.store(doubleToBits(bandwidthMbps));
  if (sampleRatePpm >= 0) cb->sampleRatePpm.store(uint32_t(sampleRatePpm));
  if (samplePeriodMs >= 0) cb->samplePeriodMs.store(uint32_t(samplePeriodMs));
  cb->limitsSeq.fetch_add(1, std::memory_order_release);
}

}  // namespace spirit::napi
