// The node daemon's side of a region's control block: attach by path, read counters, set limits, drain
// sampled pages. Works from any process that can open the file; nothing here talks to the region's owner.
#include <napi.h>

#include <memory>

#include "control_block.h"
#include "napi_common.h"
#include "napi_exports.h"

namespace spirit::napi {

namespace {

class ControlWrap : public Napi::ObjectWrap<ControlWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeControl",
                       {InstanceMethod("read", &ControlWrap::read), InstanceMethod("setLimits", &ControlWrap::setLimits),
                        InstanceMethod("drainSamples", &ControlWrap::drainSamples),
                        InstanceMethod("close", &ControlWrap::close)});
  }

  explicit ControlWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ControlWrap>(info) {
    if (info.Length() < 1 || !info[0].IsString()) throwFar(info.Env(), Reason::kBadArgument, "new NativeControl(path)");
    map_ = std::make_unique<ControlMap>();
    std::string err;
    if (!map_->attach(info[0].As<Napi::String>().Utf8Value(), err)) throwFar(info.Env(), Reason::kBadArgument, err);
  }

 private:
  ControlBlock* cb(Napi::Env env) {
    if (!map_) throwFar(env, Reason::kClosed, "the control block handle is closed");
    return map_->cb();
  }

  Napi::Value read(const Napi::CallbackInfo& info) {
    ControlBlock* c = cb(info.Env());
    Napi::Object o = statsObject(info.Env(), c);
    o.Set("stale", Napi::Boolean::New(info.Env(), c->state.load() == uint32_t(RegionState::kClosed) || ownerGone(*c)));
    o.Set("controlPath", Napi::String::New(info.Env(), map_->path()));
    return o;
  }

  Napi::Value setLimits(const Napi::CallbackInfo& info) {
    ControlBlock* c = cb(info.Env());
    writeLimits(c, limitArgs(info));
    return info.Env().Undefined();
  }

  Napi::Value drainSamples(const Napi::CallbackInfo& info) {
    cb(info.Env());
    size_t max = info.Length() > 0 && info[0].IsNumber() ? size_t(info[0].As<Napi::Number>().Int64Value()) : limits::kSampleRingEntries;
    if (max > limits::kSampleRingEntries) max = limits::kSampleRingEntries;
    std::vector<uint64_t> out;
    uint64_t lost = map_->ringDrain(out, max);
    Napi::Float64Array a = Napi::Float64Array::New(info.Env(), out.size());
    for (size_t i = 0; i < out.size(); i++) a[i] = double(out[i]);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("pages", a);
    o.Set("lost", Napi::Number::New(info.Env(), double(lost)));
    return o;
  }

  Napi::Value close(const Napi::CallbackInfo& info) {
    map_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<ControlMap> map_;
};

}  // namespace

Napi::Function defineControl(Napi::Env env) { return ControlWrap::define(env); }

}  // namespace spirit::napi
