// Shared N-API helpers: the one way native failures become JavaScript errors (the FarMemoryError class the
// TypeScript layer hands over once at load), and defensive option readers (the TS layer validated already;
// these only refuse what would be unsafe for C++).
#pragma once
#include <napi.h>

#include <string>

#include "control_block.h"
#include "reasons.h"

namespace spirit::napi {

// new FarMemoryError(message, reason): the class registered by setErrorClass, or a plain Error before that.
Napi::Error farError(Napi::Env env, Reason reason, const std::string& message);
[[noreturn]] void throwFar(Napi::Env env, Reason reason, const std::string& message);

void registerErrorClass(const Napi::CallbackInfo& info);

// Option readers: a missing optional field gives the fallback; a present field of the wrong type throws.
double numberOpt(const Napi::Object& o, const char* key, double fallback);
std::string stringOpt(const Napi::Object& o, const char* key, const std::string& fallback);

// The counters, histograms and header of a control block as a plain object (owner and daemon side).
Napi::Object statsObject(Napi::Env env, const ControlBlock* cb);
// Limits as the facade passes them positionally (negative: leave unchanged). partitionCount 1 sets an
// unsplit region, 2 a split (share of pages in A, bytes of cache of A and B).
struct LimitArgs {
  double cacheBytes, bandwidthMbps, sampleRatePpm, samplePeriodMs;
  int partitionCount;
  double partitionShare, partitionBytesA, partitionBytesB;
};
LimitArgs limitArgs(const Napi::CallbackInfo& info);
// Stores the given limits and bumps the sequence number. A cache limit given without a split makes the
// region unsplit.
void writeLimits(ControlBlock* cb, const LimitArgs& limits);

}  // namespace spirit::napi
