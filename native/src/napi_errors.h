// Node-API error mapping shared by the engine's bindings: C++ failures become JS Errors
// with a stable `code` (EngineError's code, or E_NATIVE), never an abort.
#pragma once
#include <napi.h>

#include <new>
#include <string>

#include "engine.h"

namespace dsa {

inline Napi::Error toJs(Napi::Env env, const char* code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Value().Set("code", code);
  return e;
}

// Runs `body`, translating C++ failures into JS errors with a code.
template <class F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& body) {
  Napi::Env env = info.Env();
  try {
    return body(env);
  } catch (const EngineError& e) {
    throw toJs(env, e.code.c_str(), e.what());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw toJs(env, "E_NATIVE", "out of memory");
  } catch (const std::exception& e) {
    throw toJs(env, "E_NATIVE", e.what());
  }
}

}  // namespace dsa
