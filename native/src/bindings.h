#pragma once
#include <napi.h>
namespace dsa {
// Adds the engine functions to `exports` and creates this environment's state.
void registerBindings(Napi::Env env, Napi::Object exports);
}
