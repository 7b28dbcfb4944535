// Node-API glue for sgemm (tests and benchmarks): gemm(options) writes into options.c and
// returns undefined; gemmInfo() names the default and the available kernel paths.
//
//   gemm({ transA?, transB?, M, N, K, alpha?=1, a, lda?, b, ldb?, beta?=0, c, ldc?, threads?=1, path? })
//   a: Float32Array holding op(A) as [M, lda] (or [K, lda] when transA), lda ≥ K (or M); default the
//   minimum; likewise b ([K, ldb] or [N, ldb] when transB) and c ([M, ldc], ldc ≥ N).
// Every length, stride and overlap is checked here (Error with code E_SHAPE / E_DTYPE / E_OPTION),
// so a bad call throws instead of reading or writing out of bounds.
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "gemm.h"

namespace dsa {
namespace {

struct GemmError : std::runtime_error {
  std::string code;
  GemmError(const char* c, const std::string& m) : std::runtime_error(m), code(c) {}
};

[[noreturn]] void fail(const char* code, const std::string& msg) { throw GemmError(code, msg); }

constexpr int64_t DIM_MAX = int64_t(1) << 31;

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

float getFloat(const Napi::Object& o, const char* key, float def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsNumber()) fail("E_OPTION", std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) fail("E_OPTION", std::string(key) + " must be finite");
  return (float)d;
}

bool getBool(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsBoolean()) fail("E_OPTION", std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

struct Span {
  float* data = nullptr;
  size_t length = 0;
};

// A Float32Array holding at least (rows-1)·ld + cols elements (nothing when rows or cols is 0).
Span getMatrix(const Napi::Object& o, const char* key, int64_t rows, int64_t cols, int64_t ld) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    fail("E_DTYPE", std::string(key) + " must be a Float32Array");
  Span s;
  napi_typedarray_type type;
  void* data = nullptr;
  napi_value ab;
  size_t off = 0;
  if (napi_get_typedarray_info(o.Env(), v, &type, &s.length, &data, &ab, &off) != napi_ok)
    fail("E_SHAPE", std::string(key) + " is not readable");
  s.data = static_cast<float*>(data);
  const int64_t need = rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
  if ((int64_t)s.length < need)
    fail("E_SHAPE", std::string(key) + " has " + std::to_string(s.length) + " elements, needs at least " +
                        std::to_string(need) + " ([" + std::to_string(rows) + ", " + std::to_string(cols) +
                        "] with row stride " + std::to_string(ld) + ")");
  if (need > 0 && s.data == nullptr) fail("E_SHAPE", std::string(key) + " has no data (detached buffer?)");
  return s;
}

bool overlaps(const Span& x, const Span& y) {
  if (!x.data || !y.data || x.length == 0 || y.length == 0) return false;
  const uintptr_t x0 = (uintptr_t)x.data, x1 = x0 + x.length * 4, y0 = (uintptr_t)y.data, y1 = y0 + y.length * 4;
  return x0 < y1 && y0 < x1;
}

Napi::Value call(const Napi::CallbackInfo& info, Napi::Value (*body)(const Napi::CallbackInfo&)) {
  Napi::Env env = info.Env();
  auto toJs = [&](const char* code, const std::string& msg) {
    Napi::Error e = Napi::Error::New(env, msg);
    e.Value().Set("code", code);
    return e;
  };
  try {
    return body(info);
  } catch (const GemmError& e) {
    throw toJs(e.code.c_str(), e.what());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw toJs("E_NATIVE", "out of memory");
  } catch (const std::exception& e) {
    throw toJs("E_NATIVE", e.what());
  }
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  return call(info, [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsObject()) fail("E_OPTION", "gemm options must be an object");
    const Napi::Object o = info[0].As<Napi::Object>();
    const bool tA = getBool(o, "transA"), tB = getBool(o, "transB");
    const int64_t M = getInt(o, "M", true, 0, 0, DIM_MAX), N = getInt(o, "N", true, 0, 0, DIM_MAX),
                  K = getInt(o, "K", true, 0, 0, DIM_MAX);
    const int64_t aCols = tA ? M : K, bCols = tB ? K : N;
    const int64_t lda = getInt(o, "lda", false, aCols > 0 ? aCols : 1, aCols > 0 ? aCols : 1, DIM_MAX);
    const int64_t ldb = getInt(o, "ldb", false, bCols > 0 ? bCols : 1, bCols > 0 ? bCols : 1, DIM_MAX);
    const int64_t ldc = getInt(o, "ldc", false, N > 0 ? N : 1, N > 0 ? N : 1, DIM_MAX);
    const float alpha = getFloat(o, "alpha", 1.f), beta = getFloat(o, "beta", 0.f);
    const int threads = (int)getInt(o, "threads", false, 1, 1, 1024, "E_OPTION");
    std::string path = sgemmPath();
    Napi::Value pv = o.Get("path");
    if (!pv.IsUndefined() && !pv.IsNull()) {
      if (!pv.IsString()) fail("E_OPTION", "path must be a string");
      path = pv.As<Napi::String>().Utf8Value();
      if (path != "avx512" && path != "avx2" && path != "scalar")
        fail("E_OPTION", "path must be 'avx512', 'avx2' or 'scalar'");
      if (!sgemmPathSupported(path.c_str())) fail("E_OPTION", "this CPU cannot run the " + path + " path");
    }
    // With M·N = 0 nothing is read; with K = 0 only C is.
    const bool reads = M > 0 && N > 0 && K > 0;
    const Span a = getMatrix(o, "a", reads ? (tA ? K : M) : 0, aCols, lda);
    const Span b = getMatrix(o, "b", reads ? (tB ? N : K) : 0, bCols, ldb);
    const Span c = getMatrix(o, "c", M, N, ldc);
    if (overlaps(c, a) || overlaps(c, b)) fail("E_OPTION", "c must not share memory with a or b");
    sgemmOn(path.c_str(), tA, tB, M, N, K, alpha, a.data, lda, b.data, ldb, beta, c.data, ldc, threads);
    return info.Env().Undefined();
  });
}

Napi::Value GemmInfo(const Napi::CallbackInfo& info) {
  return call(info, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("path", sgemmPath());
    Napi::Array avail = Napi::Array::New(env);
    uint32_t i = 0;
    for (const char* n : {"avx512", "avx2", "scalar"})
      if (sgemmPathSupported(n)) avail.Set(i++, n);
    out.Set("available", avail);
    return out;
  });
}

}  // namespace

void registerGemmBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("gemmInfo", Napi::Function::New(env, GemmInfo));
}

}  // namespace dsa
