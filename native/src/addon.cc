// Entry point of the dsabench native engine: registers exports only (bindings.cc).
#include <napi.h>
#include "bindings.h"

namespace dsa { void registerGemmBinding(Napi::Env env, Napi::Object exports); }

namespace dsa { namespace model { void registerModelBindings(Napi::Env env, Napi::Object exports); } }

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dsa::registerBindings(env, exports);
  dsa::registerGemmBinding(env, exports);
  dsa::model::registerModelBindings(env, exports);
  return exports;
}

NODE_API_MODULE(dsa_engine, Init)
