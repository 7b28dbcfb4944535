// Portable scalar kernel set: the fallback on CPUs without AVX2 (W = 1, same loops; baseline
// target, no pragma).
#include <cmath>
#include <cstdint>
#include "kernels.h"
#define DSA_TARGET "baseline"

namespace dsa {
namespace isa_scalar {
typedef float vf;
constexpr int W = 1;
constexpr int QK_C = 4, QK_VH = 4;
constexpr int PV_CC = 4, PV_VH = 4;
constexpr int IX_C = 4, IX_VH = 4;
constexpr int BK = 32;
constexpr int PEAK_ACC = 8;

static inline vf vload(const float* p) { return *p; }
static inline void vstore(float* p, vf x) { *p = x; }
static inline vf vset1(float x) { return x; }
static inline vf vzero() { return 0.f; }
static inline vf vfma(vf a, vf b, vf c) { return a * b + c; }
static inline vf vadd(vf a, vf b) { return a + b; }
static inline vf vsub(vf a, vf b) { return a - b; }
static inline vf vmul(vf a, vf b) { return a * b; }
static inline vf vmax(vf a, vf b) { return a > b ? a : b; }
static inline vf vgather(const float* base, const int32_t* idx) { return base[idx[0]]; }
static inline unsigned vgt_mask(vf a, vf b) { return a > b ? 1u : 0u; }
static inline float vhsum(vf a) { return a; }
static inline vf vexp(vf x) { return x < -87.0f ? 0.0f : expf(x); }
static inline void cvt_bf16(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const uint32_t b = (uint32_t)src[i] << 16;
    float f;
    __builtin_memcpy(&f, &b, 4);
    dst[i] = f;
  }
}
#include "kernels_impl.h"
}  // namespace isa_scalar

const Kernels* kernelsScalar() {
  static constexpr Kernels k = isa_scalar::make_kernels("scalar");
  return &k;
}
}  // namespace dsa
