// JavaScript face of the memory node server: start (in the constructor), port, stats, stop. Requests are
// served entirely by the server's native threads.
#include <napi.h>

#include <mutex>
#include <set>

#include "memnode_server.h"
#include "napi_common.h"
#include "napi_exports.h"

namespace spirit::napi {

namespace {

std::mutex gMu;
std::set<memnode::Server*> gServers;

class MemNodeWrap : public Napi::ObjectWrap<MemNodeWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeMemNode",
                       {InstanceMethod("port", &MemNodeWrap::port), InstanceMethod("stats", &MemNodeWrap::stats),
                        InstanceMethod("stop", &MemNodeWrap::stop)});
  }

  explicit MemNodeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MemNodeWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throwFar(env, Reason::kBadArgument, "new NativeMemNode(options)");
    Napi::Object o = info[0].As<Napi::Object>();
    memnode::ServerConfig cfg;
    cfg.host = stringOpt(o, "host", "127.0.0.1");
    double port = numberOpt(o, "port", 0);
    if (!(port >= 0 && port <= 65535)) throwFar(env, Reason::kBadArgument, "port must be in 0..65535");
    cfg.port = uint16_t(port);
    double cap = numberOpt(o, "capacityBytes", 0);
    if (!(cap > 0)) throwFar(env, Reason::kBadArgument, "capacityBytes must be positive");
    cfg.capacityBytes = uint64_t(cap);
    cfg.threads = int(numberOpt(o, "threads", 2));
    cfg.orphanTtlMs = uint64_t(numberOpt(o, "orphanTtlMs", double(limits::kOrphanTtlMsDefault)));
    cfg.idleMs = uint64_t(numberOpt(o, "idleMs", double(limits::kConnIdleMsDefault)));
    cfg.unusedOrphanTtlMs = uint64_t(numberOpt(o, "unusedOrphanTtlMs", double(limits::kUnusedOrphanTtlMsDefault)));
    cfg.authDeadlineMs = uint64_t(numberOpt(o, "authDeadlineMs", double(limits::kAuthDeadlineMsDefault)));
    cfg.anyToken = o.Has("insecure") && o.Get("insecure").ToBoolean().Value();
    if (o.Has("tokens") && o.Get("tokens").IsArray()) {
      Napi::Array a = o.Get("tokens").As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length() && i < 4096; i++) cfg.allowedTokens.push_back(a.Get(i).ToString().Utf8Value());
    }
    server_ = std::make_unique<memnode::Server>();
    std::string err;
    if (!server_->start(cfg, err)) throwFar(env, Reason::kSystem, err);
    std::lock_guard<std::mutex> g(gMu);
    gServers.insert(server_.get());
  }

  ~MemNodeWrap() override { shutdown(); }

  static void stopAll() {
    std::lock_guard<std::mutex> g(gMu);
    for (auto* s : gServers) s->stop();
  }

 private:
  void shutdown() {
    if (!server_) return;
    {
      std::lock_guard<std::mutex> g(gMu);
      gServers.erase(server_.get());
    }
    server_->stop();
    server_.reset();
  }

  Napi::Value port(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), server_ ? server_->port() : 0);
  }

  Napi::Value stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (!server_) return o;
    memnode::ServerStats s = server_->stats();
    o.Set("capacityBytes", double(s.capacityBytes));
    o.Set("reservedBytes", double(s.reservedBytes));
    o.Set("regions", double(s.regions));
    o.Set("connections", double(s.connections));
    o.Set("requests", double(s.requests));
    o.Set("bytesRead", double(s.bytesRead));
    o.Set("bytesWritten", double(s.bytesWritten));
    o.Set("errors", double(s.errors));
    o.Set("closedBadFrames", double(s.closedBadFrames));
    o.Set("authenticatedConnections", double(s.authenticatedConnections));
    o.Set("unauthenticatedConnections", double(s.unauthenticatedConnections));
    o.Set("refusedConnections", double(s.refusedConnections));
    o.Set("evictedUnauth", double(s.evictedUnauth));
    o.Set("authTimeouts", double(s.authTimeouts));
    o.Set("authRequired", double(s.authRequired));
    return o;
  }

  Napi::Value stop(const Napi::CallbackInfo& info) {
    shutdown();
    return info.Env().Undefined();
  }

  std::unique_ptr<memnode::Server> server_;
};

}  // namespace

Napi::Function defineMemNode(Napi::Env env) { return MemNodeWrap::define(env); }
void stopAllMemNodes() { MemNodeWrap::stopAll(); }

}  // namespace spirit::napi
