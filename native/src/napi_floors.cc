// JavaScript face of the benchmark floors (floors.h). Synchronous: they run in a benchmark child process.
#include <napi.h>

#include "floors.h"
#include "napi_common.h"
#include "napi_exports.h"

namespace spirit::napi {

namespace {

class BareRegionWrap : public Napi::ObjectWrap<BareRegionWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "BareFaultRegion",
                       {InstanceMethod("buffer", &BareRegionWrap::buffer), InstanceMethod("close", &BareRegionWrap::close)});
  }
  explicit BareRegionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BareRegionWrap>(info) {
    double size = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    if (!(size >= 4096 && size <= double(1ull << 34)) || uint64_t(size) % 4096)
      throwFar(info.Env(), Reason::kBadArgument, "BareFaultRegion(sizeBytes): a multiple of 4096 up to 16 GiB");
    std::string err;
    if (!r_.start(uint64_t(size), err)) throwFar(info.Env(), Reason::kUffd, err);
  }

 private:
  Napi::Value buffer(const Napi::CallbackInfo& info) {
    if (!buf_.IsEmpty()) return buf_.Value();
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(info.Env(), r_.base(), r_.sizeBytes());
    buf_ = Napi::Persistent(ab);
    return ab;
  }
  Napi::Value close(const Napi::CallbackInfo& info) {
    if (!buf_.IsEmpty()) {
      buf_.Value().Detach();
      buf_.Reset();
    }
    r_.stop();
    return info.Env().Undefined();
  }
  floors::BareFaultRegion r_;
  Napi::Reference<Napi::ArrayBuffer> buf_;
};

class RttPairWrap : public Napi::ObjectWrap<RttPairWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "TcpRttPair", {InstanceMethod("once", &RttPairWrap::once), InstanceMethod("close", &RttPairWrap::close)});
  }
  explicit RttPairWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value once(const Napi::CallbackInfo& info) {
    int64_t ns = p_.once();
    if (ns < 0) throwFar(info.Env(), Reason::kSystem, "loopback round trip failed");
    return Napi::Number::New(info.Env(), double(ns));
  }
  Napi::Value close(const Napi::CallbackInfo& info) {
    p_.stop();
    return info.Env().Undefined();
  }
  floors::TcpRttPair p_;
};

uint32_t pageArg(const Napi::CallbackInfo& info, size_t i) {
  double v = info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : 4096;
  if (!(v >= 64 && v <= 1 << 20)) throwFar(info.Env(), Reason::kBadArgument, "pageBytes: 64..1048576");
  return uint32_t(v);
}

RttPairWrap::RttPairWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RttPairWrap>(info) {
  std::string err;
  if (!p_.start(pageArg(info, 0), err)) throwFar(info.Env(), Reason::kSystem, err);
}

Napi::Value tcpRoundTrips(const Napi::CallbackInfo& info) {
  double it = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(it >= 1 && it <= 1e6)) throwFar(info.Env(), Reason::kBadArgument, "iterations: 1..1e6");
  std::vector<double> lat;
  std::string err;
  if (!floors::tcpRoundTrips(uint32_t(it), pageArg(info, 1), lat, err)) throwFar(info.Env(), Reason::kSystem, err);
  Napi::Float64Array a = Napi::Float64Array::New(info.Env(), lat.size());
  for (size_t i = 0; i < lat.size(); i++) a[i] = lat[i];
  return a;
}

Napi::Value tcpStream(const Napi::CallbackInfo& info) {
  double total = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(total >= 4096 && total <= double(1ull << 36))) throwFar(info.Env(), Reason::kBadArgument, "totalBytes: 4096..64 GiB");
  uint64_t el = 0;
  std::string err;
  if (!floors::tcpStream(uint64_t(total), pageArg(info, 1), el, err)) throwFar(info.Env(), Reason::kSystem, err);
  return Napi::Number::New(info.Env(), double(el));
}

Napi::Value memcpyThroughput(const Napi::CallbackInfo& info) {
  double total = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(total >= 4096 && total <= double(1ull << 32))) throwFar(info.Env(), Reason::kBadArgument, "totalBytes: 4096..4 GiB");
  return Napi::Number::New(info.Env(), double(floors::memcpyThroughput(uint64_t(total), pageArg(info, 1))));
}

}  // namespace

Napi::Object defineFloors(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("BareFaultRegion", BareRegionWrap::define(env));
  o.Set("TcpRttPair", RttPairWrap::define(env));
  o.Set("tcpRoundTrips", Napi::Function::New(env, tcpRoundTrips));
  o.Set("tcpStream", Napi::Function::New(env, tcpStream));
  o.Set("memcpyThroughput", Napi::Function::New(env, memcpyThroughput));
  return o;
}

}  // namespace spirit::napi
