// The classes and functions each napi_*.cc file contributes to the addon's exports.
#pragma once
#include <napi.h>

namespace spirit::napi {

Napi::Function defineRegion(Napi::Env env);
Napi::Function defineMemNode(Napi::Env env);
Napi::Function defineControl(Napi::Env env);
Napi::Object defineFloors(Napi::Env env);
void stopAllRegions();
void stopAllMemNodes();

}  // namespace spirit::napi
