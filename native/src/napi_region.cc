// JavaScript face of a Region. The ArrayBuffer over the region's memory holds a reference to the region,
// so the memory (and the fault thread serving it) lives while either the wrapper or the buffer does;
// close() detaches the buffer first, so JavaScript can never touch unmapped memory.
#include <napi.h>

#include <memory>
#include <mutex>
#include <set>

#include "napi_common.h"
#include "napi_exports.h"
#include "region.h"

namespace spirit::napi {

namespace {

struct Holder {
  std::unique_ptr<Region> region;
  std::mutex mu;
  ~Holder() {
    if (region) region->stop();
  }
};

// Regions still alive at environment teardown are stopped there, so control files are unlinked and
// remote regions closed even when the app never called close().
std::mutex gLiveMu;
std::set<std::shared_ptr<Holder>*> gLive;

class ConnectWorker : public Napi::AsyncWorker {
 public:
  ConnectWorker(Napi::Env env, std::shared_ptr<Holder> h)
      : Napi::AsyncWorker(env), h_(std::move(h)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    why_ = h_->region->connect(err_);
    if (why_ == Reason::kNone && !h_->region->start(err_)) why_ = Reason::kSystem;
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (why_ == Reason::kNone) deferred_.Resolve(env.Undefined());
    else deferred_.Reject(farError(env, why_, err_).Value());
  }

 private:
  std::shared_ptr<Holder> h_;
  Napi::Promise::Deferred deferred_;
  Reason why_ = Reason::kNone;
  std::string err_;
};

class RegionWrap : public Napi::ObjectWrap<RegionWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeRegion",
                       {InstanceMethod("connect", &RegionWrap::connect), InstanceMethod("buffer", &RegionWrap::buffer),
                        InstanceMethod("controlPath", &RegionWrap::controlPath), InstanceMethod("stats", &RegionWrap::stats),
                        InstanceMethod("setLimits", &RegionWrap::setLimits),
                        InstanceMethod("drainSamples", &RegionWrap::drainSamples), InstanceMethod("flush", &RegionWrap::flush),
                        InstanceMethod("takeEvents", &RegionWrap::takeEvents), InstanceMethod("ref", &RegionWrap::ref),
                        InstanceMethod("unref", &RegionWrap::unref), InstanceMethod("close", &RegionWrap::close)});
  }

  // new NativeRegion(options, onEvent)
  explicit RegionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RegionWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
      throwFar(env, Reason::kBadArgument, "new NativeRegion(options, onEvent): options object and callback required");
    Napi::Object o = info[0].As<Napi::Object>();
    RegionConfig cfg;
    Napi::Value m = o.Get("memnodes");
    if (!m.IsArray()) throwFar(env, Reason::kBadArgument, "memnodes must be an array of host:port strings");
    Napi::Array arr = m.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length() && i <= uint32_t(limits::kReplicasMax); i++) {
      Napi::Value v = arr.Get(i);
      if (!v.IsString()) throwFar(env, Reason::kBadArgument, "memnodes must be strings");
      cfg.memnodes.push_back(v.As<Napi::String>().Utf8Value());
    }
    cfg.sizeBytes = uint64_t(numberOpt(o, "sizeBytes", 0));
    cfg.cacheBytes = uint64_t(numberOpt(o, "cacheBytes", 0));
    cfg.bandwidthMbps = numberOpt(o, "bandwidthMbps", 0);
    cfg.token = stringOpt(o, "token", "");
    cfg.sampleRatePpm = uint32_t(numberOpt(o, "sampleRatePpm", 0));
    cfg.samplePeriodMs = uint32_t(numberOpt(o, "samplePeriodMs", limits::kSamplePeriodMsDefault));
    cfg.requestTimeoutMs = uint32_t(numberOpt(o, "timeoutMs", limits::kRequestTimeoutMsDefault));
    cfg.connectTimeoutMs = uint32_t(numberOpt(o, "connectTimeoutMs", limits::kConnectTimeoutMsDefault));
    cfg.retries = uint32_t(numberOpt(o, "retries", limits::kRetriesDefault));
    cfg.pollUs = uint32_t(numberOpt(o, "pollUs", limits::kPollUsDefault));
    cfg.controlDir = stringOpt(o, "controlDir", "/dev/shm");
    cfg.label = stringOpt(o, "label", "");
    Reason why;
    std::string err;
    auto region = Region::create(cfg, why, err);
    if (!region) throwFar(env, why, err);
    h_ = std::make_shared<Holder>();
    h_->region = std::move(region);
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "spirit-region-events", 0, 1);
    tsfn_.Unref(env);
    Napi::ThreadSafeFunction tsfn = tsfn_;
    h_->region->setNotify([tsfn]() mutable { tsfn.NonBlockingCall(); });
    std::lock_guard<std::mutex> g(gLiveMu);
    liveKey_ = new std::shared_ptr<Holder>(h_);
    gLive.insert(liveKey_);
  }

  ~RegionWrap() override { release(); }

  static void stopAll() {
    std::lock_guard<std::mutex> g(gLiveMu);
    for (auto* h : gLive) (*h)->region->stop();
  }

 private:
  Region* live(Napi::Env env) {
    if (!h_ || closed_) throwFar(env, Reason::kClosed, "the region is closed");
    return h_->region.get();
  }

  Napi::Value connect(const Napi::CallbackInfo& info) {
    live(info.Env());
    auto* w = new ConnectWorker(info.Env(), h_);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }

  Napi::Value buffer(const Napi::CallbackInfo& info) {
    Region* r = live(info.Env());
    if (!buf_.IsEmpty() && !buf_.Value().IsEmpty()) return buf_.Value();
    auto* keep = new std::shared_ptr<Holder>(h_);
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(info.Env(), r->base(), r->sizeBytes(),
                                                   [](Napi::Env, void*, std::shared_ptr<Holder>* k) { delete k; }, keep);
    buf_ = Napi::Weak(ab);
    return ab;
  }

  Napi::Value controlPath(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), live(info.Env())->control().path());
  }

  Napi::Value stats(const Napi::CallbackInfo& info) {
    Napi::Object o = statsObject(info.Env(), live(info.Env())->control().cb());
    o.Set("controlPath", Napi::String::New(info.Env(), h_->region->control().path()));
    return o;
  }

  // setLimits(cacheBytes, bandwidthMbps, sampleRatePpm, samplePeriodMs, partitionCount, share, bytesA, bytesB);
  // negative = unchanged
  Napi::Value setLimits(const Napi::CallbackInfo& info) {
    Region* r = live(info.Env());
    writeLimits(r->control().cb(), limitArgs(info));
    r->kick();
    return info.Env().Undefined();
  }

  Napi::Value drainSamples(const Napi::CallbackInfo& info) {
    Region* r = live(info.Env());
    size_t max = info.Length() > 0 && info[0].IsNumber() ? size_t(info[0].As<Napi::Number>().Int64Value()) : limits::kSampleRingEntries;
    if (max > limits::kSampleRingEntries) max = limits::kSampleRingEntries;
    std::vector<uint64_t> out;
    uint64_t lost = r->control().ringDrain(out, max);
    Napi::Float64Array a = Napi::Float64Array::New(info.Env(), out.size());
    for (size_t i = 0; i < out.size(); i++) a[i] = double(out[i]);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("pages", a);
    o.Set("lost", Napi::Number::New(info.Env(), double(lost)));
    return o;
  }

  Napi::Value flush(const Napi::CallbackInfo& info) {
    Region* r = live(info.Env());
    if (info.Length() < 1 || !info[0].IsNumber()) throwFar(info.Env(), Reason::kBadArgument, "flush(id): id required");
    r->requestFlush(uint64_t(info[0].As<Napi::Number>().Int64Value()));
    return info.Env().Undefined();
  }

  Napi::Value takeEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array a = Napi::Array::New(env);
    if (!h_ || closed_) return a;
    uint32_t i = 0;
    for (auto& e : h_->region->takeEvents()) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", e.type);
      o.Set("reason", reasonName(e.reason));
      o.Set("message", e.message);
      o.Set("memnode", e.memnode);
      o.Set("id", Napi::Number::New(env, double(e.id)));
      a.Set(i++, o);
    }
    return a;
  }

  Napi::Value ref(const Napi::CallbackInfo& info) {
    if (!closed_) tsfn_.Ref(info.Env());
    return info.Env().Undefined();
  }
  Napi::Value unref(const Napi::CallbackInfo& info) {
    if (!closed_) tsfn_.Unref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value close(const Napi::CallbackInfo& info) {
    if (closed_) return info.Env().Undefined();
    if (!buf_.IsEmpty()) {
      Napi::Value v = buf_.Value();
      if (!v.IsEmpty() && v.IsArrayBuffer()) v.As<Napi::ArrayBuffer>().Detach();
    }
    h_->region->stop();
    release();
    return info.Env().Undefined();
  }

  void release() {
    if (closed_) return;
    closed_ = true;
    if (h_) h_->region->setNotify(nullptr);
    tsfn_.Release();
    std::lock_guard<std::mutex> g(gLiveMu);
    if (liveKey_) {
      gLive.erase(liveKey_);
      delete liveKey_;
      liveKey_ = nullptr;
    }
  }

  std::shared_ptr<Holder> h_;
  Napi::ThreadSafeFunction tsfn_;
  Napi::Reference<Napi::ArrayBuffer> buf_;
  std::shared_ptr<Holder>* liveKey_ = nullptr;
  bool closed_ = false;
};

}  // namespace

Napi::Function defineRegion(Napi::Env env) { return RegionWrap::define(env); }
void stopAllRegions() { RegionWrap::stopAll(); }

}  // namespace spirit::napi
