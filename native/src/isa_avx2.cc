// AVX2 + FMA kernel set. A kernel set's file names its own compile target (DSA_TARGET, see
// kernels.h) and is listed in dispatch.cc, which runs it only on CPUs that pass its check.
#if defined(__x86_64__) || defined(__i386__)
#include <cstdint>
#include "kernels.h"
#define DSA_TARGET "avx2,fma"
DSA_TARGET_PRAGMA(DSA_TARGET)
#include <immintrin.h>

namespace dsa {
namespace isa_avx2 {
typedef __m256 vf;
constexpr int W = 8;
constexpr int QK_C = 4, QK_VH = 3;   // 12 accumulators + 3 row vectors + 1 broadcast = 16 ymm
constexpr int PV_CC = 4, PV_VH = 3;
constexpr int IX_C = 4, IX_VH = 3;
constexpr int BK = 64;
constexpr int PEAK_ACC = 12;

static inline vf vload(const float* p) { return _mm256_loadu_ps(p); }
static inline void vstore(float* p, vf x) { _mm256_storeu_ps(p, x); }
static inline vf vset1(float x) { return _mm256_set1_ps(x); }
static inline vf vzero() { return _mm256_setzero_ps(); }
static inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vgather(const float* base, const int32_t* idx) {
  return _mm256_i32gather_ps(base, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx)), 4);
}
static inline unsigned vgt_mask(vf a, vf b) { return (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
static inline float vhsum(vf a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
// Same method as the AVX-512 exp; 2^n built in the exponent field (n ∈ [-126, 127]).
static inline vf vexp(vf x) {
  const vf lo = _mm256_set1_ps(-87.0f);
  const vf under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3f)), lo);
  const vf n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  vf r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  vf p = _mm256_set1_ps(1.0f / 5040);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}
static inline void cvt_bf16(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)));
  }
  for (; i < n; i++) {
    const uint32_t b = (uint32_t)src[i] << 16;
    float f;
    __builtin_memcpy(&f, &b, 4);
    dst[i] = f;
  }
}
#include "kernels_impl.h"
}  // namespace isa_avx2

const Kernels* kernelsAvx2() {
  static constexpr Kernels k = isa_avx2::make_kernels("avx2");
  return &k;
}
}  // namespace dsa
#endif
