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
  return o;
}

void writeLimits(ControlBlock* cb, double cacheBytes, double bandwidthMbps, double sampleRatePpm, double samplePeriodMs) {
  if (cacheBytes >= 0) cb->cacheBytes.store(uint64_t(cacheBytes));
  if (bandwidthMbps >= 0) cb->bandwidthMbpsBits.store(doubleToBits(bandwidthMbps));
  if (sampleRatePpm >= 0) cb->sampleRatePpm.store(uint32_t(sampleRatePpm));
  if (samplePeriodMs >= 0) cb->samplePeriodMs.store(uint32_t(samplePeriodMs));
  cb->limitsSeq.fetch_add(1, std::memory_order_release);
}

}  // namespace spirit::napi
