// FP8-E4M3 and Hadamard simulation of the indexer's inputs (see engine.h).
// Both are computed with exactly rounded fp32 steps (no contraction: this file is built
// without FMA flags) so the TypeScript reference reproduces them bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine.h"

namespace dsa {

static float e4m3Round(float y) {
  if (!(y == y)) return y;
  const float a = std::fabs(y);
  if (a >= 448.f) return std::copysign(448.f, y);
  if (a == 0.f) return y;
  int e;
  std::frexp(a, &e);       // a = f·2^e, f ∈ [0.5, 1) → floor(log2 a) = e-1
  int E = e - 1;
  if (E < -6) E = -6;      // subnormals share the quantum 2^-9
  const float q = std::ldexp(1.f, E - 3);
  float r = std::nearbyint(a / q) * q;  // ties to even (default rounding mode)
  if (r > 448.f) r = 448.f;
  return std::copysign(r, y);
}

void fp8Rows(float* x, int64_t rows, int dim) {
  for (int64_t i = 0; i < rows; i++) {
    float* row = x + i * dim;
    for (int b = 0; b < dim; b += 128) {
      const int e = std::min(dim, b + 128);
      float amax = 0.f;
      for (int j = b; j < e; j++) amax = std::max(amax, std::fabs(row[j]));
      amax = std::max(amax, 1e-4f);
      const float s = amax / 448.f;
      int ex;
      const float f = std::frexp(s, &ex);
      const float scale = f == 0.5f ? s : std::ldexp(1.f, ex);  // next power of two ≥ s
      for (int j = b; j < e; j++) row[j] = e4m3Round(row[j] / scale) * scale;
    }
  }
}

void hadamardRows(float* x, int64_t rows, int dim) {
  const float s = (float)(1.0 / std::sqrt((double)dim));
  for (int64_t i = 0; i < rows; i++) {
    float* v = x + i * dim;
    for (int len = 1; len < dim; len <<= 1)
      for (int b = 0; b < dim; b += 2 * len)
        for (int j = b; j < b + len; j++) {
          const float p = v[j], q = v[j + len];
          v[j] = p + q;
          v[j + len] = p - q;
        }
    for (int j = 0; j < dim; j++) v[j] = v[j] * s;
  }
}

}  // namespace dsa
