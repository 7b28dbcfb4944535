// Node-API glue: reads typed arrays and numbers from an options object, re-checks every
// shape and dtype (the TS façade checks first; these checks make a raw call safe too),
// runs the op and maps EngineError onto a JS Error with a stable `code` (never abort()).
// Per-environment state (the chosen kernel set) lives in the env's instance data, so each
// worker_thread has its own and it is freed with the environment.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "bindings.h"
#include "engine.h"
#include "napi_errors.h"

namespace dsa {
namespace {

struct EnvState {
  const Kernels* kernels = nullptr;
};

EnvState& state(Napi::Env env) { return *env.GetInstanceData<EnvState>(); }

[[noreturn]] void fail(const char* code, const std::string& msg) { throw EngineError(code, msg); }

Napi::Object asObject(const Napi::Value& v, const char* what) {
  if (!v.IsObject()) fail("E_OPTION", std::string(what) + " must be an object");
  return v.As<Napi::Object>();
}

// Integer option: required unless a default is given.
int64_t getInt(const Napi::Object& o, const char* key, bool required, int64_t def, int64_t lo, int64_t hi,
               const char* code = "E_SHAPE") {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) fail(code, std::string(key) + " is required");
    return def;
  }
  if (!v.IsNumber()) fail(code, std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < (double)lo || d > (double)hi)
    fail(code, std::string(key) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return (int64_t)d;
}

bool getBool(const Napi::Object& o, const char* key, bool def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsBoolean()) fail("E_OPTION", std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

struct TensorView {
  const void* data = nullptr;
  DType dtype = DType::F32;
  size_t length = 0;
};

int64_t product(std::initializer_list<int64_t> dims, const char* name) {
  int64_t p = 1;
  for (int64_t d : dims)
    if (__builtin_mul_overflow(p, d, &p) || p > (int64_t(1) << 40)) fail("E_SHAPE", std::string(name) + " is too large");
  return p;
}

// A tensor argument: Float32Array (f32) or Uint16Array (bf16, tagged by `<key>Dtype`).
TensorView getTensor(const Napi::Object& o, const char* key, bool allowBf16, int64_t expected) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray()) fail("E_DTYPE", std::string(key) + " must be a Float32Array" + (allowBf16 ? " or a bf16 Uint16Array" : ""));
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  const std::string dkey = std::string(key) + "Dtype";
  Napi::Value dv = o.Get(dkey);
  std::string dtype = "f32";
  if (dv.IsString()) dtype = dv.As<Napi::String>().Utf8Value();
  else if (!dv.IsUndefined() && !dv.IsNull()) fail("E_DTYPE", dkey + " must be 'f32' or 'bf16'");
  TensorView t;
  if (dtype == "f32") {
    if (ta.TypedArrayType() != napi_float32_array) fail("E_DTYPE", std::string(key) + " (f32) must be a Float32Array");
    t.dtype = DType::F32;
  } else if (dtype == "bf16" && allowBf16) {
    if (ta.TypedArrayType() != napi_uint16_array) fail("E_DTYPE", std::string(key) + " (bf16) must be a Uint16Array");
    t.dtype = DType::BF16;
  } else {
    fail("E_DTYPE", std::string(key) + " has unsupported dtype '" + dtype + "'");
  }
  t.length = ta.ElementLength();
  if ((int64_t)t.length != expected)
    fail("E_SHAPE", std::string(key) + " has " + std::to_string(t.length) + " elements, expected " + std::to_string(expected));
  // Data pointer from the typed array itself, so SharedArrayBuffer-backed arrays (a cache
  // shared between workers) work too.
  void* data = nullptr;
  napi_typedarray_type type;
  size_t len = 0, off = 0;
  napi_value ab;
  if (napi_get_typedarray_info(o.Env(), ta, &type, &len, &data, &ab, &off) != napi_ok || (data == nullptr && expected > 0))
    fail("E_SHAPE", std::string(key) + " has no readable data (detached buffer?)");
  t.data = data;
  return t;
}

const float* getF32(const Napi::Object& o, const char* key, int64_t expected) {
  return static_cast<const float*>(getTensor(o, key, false, expected).data);
}

constexpr int64_t DIM_MAX = int64_t(1) << 31;

// An output: the caller's Float32Array `key` of `n` elements when given (written in place and
// returned), else a new one. (The TS façade also checks that it overlaps no input.)
Napi::Float32Array outputF32(Napi::Env env, const Napi::Object& o, const char* key, int64_t n) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return Napi::Float32Array::New(env, (size_t)n);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    fail("E_DTYPE", std::string(key) + " must be a Float32Array");
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  if ((int64_t)a.ElementLength() != n)
    fail("E_SHAPE", std::string(key) + " has " + std::to_string(a.ElementLength()) + " elements, expected " + std::to_string(n));
  return a;
}

// Reads the attention part of an options object (see engine.h for shapes).
AttnArgs readAttn(const Napi::Object& o) {
  AttnArgs a;
  a.T = getInt(o, "T", true, 0, 1, DIM_MAX);
  a.H = getInt(o, "H", true, 0, 1, 1 << 20);
  a.L = getInt(o, "L", true, 0, 1, DIM_MAX);
  a.Dqk = getInt(o, "Dqk", true, 0, 1, 1 << 20);
  a.Dv = getInt(o, "Dv", true, 0, 1, 1 << 20);
  a.mqa = getBool(o, "mqa", false);
  a.Hkv = a.mqa ? 1 : getInt(o, "Hkv", true, 0, 1, 1 << 20);
  if (a.mqa && a.Dv > a.Dqk) fail("E_SHAPE", "MQA mode needs Dv ≤ Dqk");
  if (!a.mqa && a.H % a.Hkv != 0) fail("E_SHAPE", "Hkv must divide H");
  a.q = getF32(o, "q", product({a.T, a.H, a.Dqk}, "q"));
  if (a.mqa) {
    TensorView kv = getTensor(o, "kv", true, product({a.L, a.Dqk}, "kv"));
    a.k = kv.data; a.kd = kv.dtype;
  } else {
    TensorView k = getTensor(o, "k", true, product({a.L, a.Hkv, a.Dqk}, "k"));
    TensorView v = getTensor(o, "v", true, product({a.L, a.Hkv, a.Dv}, "v"));
    a.k = k.data; a.kd = k.dtype; a.v = v.data; a.vd = v.dtype;
  }
  a.qStart = getInt(o, "qStart", false, a.L - a.T, 0, DIM_MAX);
  Napi::Value sv = o.Get("scale");
  a.scale = (float)(1.0 / std::sqrt((double)a.Dqk));
  if (!sv.IsUndefined() && !sv.IsNull()) {
    if (!sv.IsNumber()) fail("E_OPTION", "scale must be a number");
    a.scale = (float)sv.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(a.scale)) fail("E_OPTION", "scale must be finite");
  }
  a.causal = getBool(o, "causal", true);
  a.threads = (int)getInt(o, "threads", false, 1, 1, 1024, "E_OPTION");
  return a;
}

IndexerArgs readIndexer(const Napi::Object& o) {
  IndexerArgs a;
  a.T = getInt(o, "T", true, 0, 1, DIM_MAX);
  a.HI = getInt(o, "heads", true, 0, 1, 1 << 20);
  a.DI = getInt(o, "dim", true, 0, 1, 1 << 20);
  a.L = getInt(o, "L", true, 0, 1, DIM_MAX);
  a.q = getF32(o, "q", product({a.T, a.HI, a.DI}, "index_q"));
  TensorView k = getTensor(o, "k", true, product({a.L, a.DI}, "index_k"));
  a.k = k.data; a.kd = k.dtype;
  a.w = getF32(o, "w", product({a.T, a.HI}, "index_w"));
  a.qStart = getInt(o, "qStart", false, a.L - a.T, 0, DIM_MAX);
  a.fp8 = getBool(o, "fp8", false);
  a.hadamard = getBool(o, "hadamard", false);
  a.threads = (int)getInt(o, "threads", false, 1, 1, 1024, "E_OPTION");
  return a;
}


Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    Napi::Object o = Napi::Object::New(env);
    o.Set("version", "0.1.0");
    o.Set("simd", state(env).kernels->name);
    o.Set("best", bestKernels()->name);
    // Every kernel set of the table (dispatch.cc), widest first: the supported ones, and
    // each one's compile target (#pragma GCC target in its isa_*.cc file).
    Napi::Array avail = Napi::Array::New(env);
    Napi::Array known = Napi::Array::New(env);
    Napi::Array dot = Napi::Array::New(env);
    Napi::Object flags = Napi::Object::New(env);
    flags.Set("base", "-std=c++17 -O3 -fexceptions (no -march=native)");
    uint32_t i = 0, j = 0, b = 0;
    for (const KernelSetInfo& ks : kernelSets()) {
      known.Set(j++, ks.name);
      if (ks.bf16Dot) dot.Set(b++, ks.name);
      if (ks.supported) avail.Set(i++, ks.name);
      flags.Set(ks.name, ks.target);
    }
    o.Set("available", avail);
    o.Set("kernelSets", known);
    o.Set("bf16Dot", dot);
#ifdef __VERSION__
    o.Set("compiler", __VERSION__);
#endif
    o.Set("flags", flags);
    o.Set("blockKeys", state(env).kernels->blockKeys);
    return o;
  });
}

Napi::Value SetSimd(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsString()) fail("E_OPTION", "setSimd(name) needs a string");
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    const Kernels* k = name == "auto" ? bestKernels() : kernelsByName(name);
    if (!k) fail("E_OPTION", "SIMD path '" + name + "' is unknown or not supported by this CPU");
    state(env).kernels = k;
    return Napi::String::New(env, k->name);
  });
}

Napi::Value Attention(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    Napi::Object o = asObject(info[0], "attention options");
    AttnArgs a = readAttn(o);
    Napi::Value iv = o.Get("indices");
    if (!iv.IsUndefined() && !iv.IsNull()) {
      if (!iv.IsTypedArray() || iv.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        fail("E_DTYPE", "indices must be an Int32Array");
      a.topk = getInt(o, "topk", true, 0, 1, DIM_MAX);
      Napi::Int32Array ia = iv.As<Napi::Int32Array>();
      if ((int64_t)ia.ElementLength() != product({a.T, a.topk}, "indices"))
        fail("E_SHAPE", "indices must have T*topk elements");
      a.indices = ia.Data();
    }
    Napi::Float32Array out = outputF32(env, o, "out", product({a.T, a.H, a.Dv}, "out"));
    Napi::Float32Array lse = outputF32(env, o, "lse", a.T * a.H);
    a.out = out.Data();
    a.lse = lse.Data();
    attention(*state(env).kernels, a);
    Napi::Object r = Napi::Object::New(env);
    r.Set("out", out);
    r.Set("lse", lse);
    return r;
  });
}

Napi::Value Indexer(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    Napi::Object o = asObject(info[0], "indexer options");
    IndexerArgs a = readIndexer(o);
    Napi::Float32Array scores = outputF32(env, o, "scores", product({a.T, a.L}, "scores"));
    indexer(*state(env).kernels, a, scores.Data());
    return scores;
  });
}

Napi::Value TopK(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    Napi::Object o = asObject(info[0], "topk options");
    const int64_t T = getInt(o, "T", true, 0, 1, DIM_MAX), L = getInt(o, "L", true, 0, 1, DIM_MAX);
    const int64_t k = getInt(o, "k", true, 0, 1, DIM_MAX, "E_OPTION");
    const int threads = (int)getInt(o, "threads", false, 1, 1, 1024, "E_OPTION");
    if (L > std::numeric_limits<int32_t>::max()) fail("E_SHAPE", "L too large for int32 indices");
    const float* s = getF32(o, "scores", product({T, L}, "scores"));
    Napi::Int32Array out = Napi::Int32Array::New(env, (size_t)product({T, k}, "indices"));
    topk(s, T, L, k, threads, out.Data());
    return out;
  });
}

Napi::Value Dsa(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    Napi::Object o = asObject(info[0], "dsa options");
    Napi::Object ao = asObject(o.Get("attention"), "dsa.attention");
    AttnArgs a = readAttn(ao);
    IndexerArgs ix = readIndexer(asObject(o.Get("indexer"), "dsa.indexer"));
    const int64_t k = getInt(o, "topk", true, 0, 1, DIM_MAX, "E_OPTION");
    const bool skipShort = getBool(o, "skipIndexerWhenShort", true);
    const bool wantIdx = getBool(o, "returnIndices", false);
    const bool wantPhases = getBool(o, "timePhases", false);
    ix.threads = a.threads;
    Napi::Float32Array out = outputF32(env, ao, "out", product({a.T, a.H, a.Dv}, "out"));
    Napi::Float32Array lse = outputF32(env, ao, "lse", a.T * a.H);
    a.out = out.Data();
    a.lse = lse.Data();
    Napi::Int32Array idx;
    if (wantIdx) idx = Napi::Int32Array::New(env, (size_t)product({a.T, k}, "indices"));
    bool skipped = false;
    double phaseMs[2] = {0.0, 0.0};
    dsa(*state(env).kernels, a, ix, k, skipShort, wantIdx ? idx.Data() : nullptr, &skipped, phaseMs);
    Napi::Object r = Napi::Object::New(env);
    r.Set("out", out);
    r.Set("lse", lse);
    if (wantIdx) r.Set("indices", idx);
    r.Set("skippedIndexer", skipped);
    if (wantPhases) {
      Napi::Object ph = Napi::Object::New(env);
      ph.Set("selectMs", phaseMs[0]);
      ph.Set("attentionMs", phaseMs[1]);
      r.Set("phases", ph);
    }
    return r;
  });
}

Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    Napi::Object o = asObject(info[0], "fmaPeak options");
    const int threads = (int)getInt(o, "threads", false, 1, 1, 1024, "E_OPTION");
    const int64_t ms = getInt(o, "ms", false, 300, 10, 60000, "E_OPTION");
    const bool dot = getBool(o, "bf16Dot", false);
    return Napi::Number::New(env, fmaPeak(*state(env).kernels, threads, (double)ms / 1000.0, dot));
  });
}

// transform({ x: Float32Array [rows, dim], rows, dim, fp8, hadamard }) → new Float32Array.
Napi::Value Transform(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    Napi::Object o = asObject(info[0], "transform options");
    const int64_t rows = getInt(o, "rows", true, 0, 1, DIM_MAX), dim = getInt(o, "dim", true, 0, 1, 1 << 20);
    const float* x = getF32(o, "x", product({rows, dim}, "x"));
    const bool fp8 = getBool(o, "fp8", false), had = getBool(o, "hadamard", false);
    if (had && (dim & (dim - 1)) != 0) fail("E_OPTION", "hadamard needs a power-of-two dim");
    Napi::Float32Array y = Napi::Float32Array::New(env, (size_t)(rows * dim));
    std::memcpy(y.Data(), x, sizeof(float) * (size_t)(rows * dim));
    if (had) hadamardRows(y.Data(), rows, (int)dim);
    if (fp8) fp8Rows(y.Data(), rows, (int)dim);
    return y;
  });
}

}  // namespace

void registerBindings(Napi::Env env, Napi::Object exports) {
  EnvState* st = new EnvState();
  st->kernels = bestKernels();
  if (const char* forced = std::getenv("DSABENCH_SIMD")) {
    if (const Kernels* k = kernelsByName(forced)) st->kernels = k;
  }
  env.SetInstanceData<EnvState>(st);  // deleted by Node when this environment is torn down
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  exports.Set("setSimd", Napi::Function::New(env, SetSimd));
  exports.Set("attention", Napi::Function::New(env, Attention));
  exports.Set("indexer", Napi::Function::New(env, Indexer));
  exports.Set("topk", Napi::Function::New(env, TopK));
  exports.Set("dsa", Napi::Function::New(env, Dsa));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
  exports.Set("transform", Napi::Function::New(env, Transform));
}

}  // namespace dsa
