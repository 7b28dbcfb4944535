// AVX-512 + AVX512_BF16 kernel set (target: the AVX-512 set's plus avx512bf16).
// fp32 caches run the AVX-512 loops. bf16 caches run on bf16 dot products (vdpbf16ps: two
// bf16 multiply-adds per fp32 lane, fp32 accumulation): queries and the softmax
// probabilities are rounded to bf16 (round to nearest even), the cache is bf16 already. The
// AVX-512 set ("avx512") keeps the exact widening of a bf16 cache to fp32 for comparison.
#if defined(__x86_64__) || defined(__i386__)
#include <cstdint>
#include "kernels.h"
#define DSA_TARGET "avx512f,avx512bw,avx512vl,avx512dq,fma,avx512bf16"
DSA_TARGET_PRAGMA(DSA_TARGET)
#include <immintrin.h>

namespace dsa {
namespace isa_avx512bf16 {
#include "isa_avx512_common.h"

#define DSA_BF16_DOT 1
static inline vf vbcast32(uint32_t x) { return _mm512_castsi512_ps(_mm512_set1_epi32((int)x)); }
static inline vf vloadp(const uint32_t* p) { return _mm512_castsi512_ps(_mm512_loadu_si512(p)); }
static inline void vstorep(uint32_t* p, vf x) { _mm512_storeu_si512(p, _mm512_castps_si512(x)); }
static inline vf vdot2(vf acc, vf a, vf b) { return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b); }
// Lane r ← (bf16(a[r]) low, bf16(b[r]) high): convert both (words 0-15 from a, 16-31 from b),
// then interleave the words.
static inline vf vpack2(vf a, vf b) {
  const __m512i x = (__m512i)_mm512_cvtne2ps_pbh(b, a);
  const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                       23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  return _mm512_castsi512_ps(_mm512_permutexvar_epi16(idx, x));
}
// One row's 32 values v = (a, b) as 16 bf16 pairs: lane i ← (bf16(v[2i]) low, bf16(v[2i+1])
// high) (words 0-15 from a, 16-31 from b, in order).
static inline vf vpairs_row(vf a, vf b) { return (vf)_mm512_cvtne2ps_pbh(b, a); }
// out[c] = (a[c], b[c]) for c < n, 32 at a time (loads masked at the tail, stores whole).
static inline void interleave_pairs(const uint16_t* a, const uint16_t* b, int n, uint32_t* out) {
  const __m512i lo = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8,
                                      39, 7, 38, 6, 37, 5, 36, 4, 35, 3, 34, 2, 33, 1, 32, 0);
  const __m512i hi = _mm512_add_epi16(lo, _mm512_set1_epi16(16));
  int c = 0;
  for (; c + 32 <= n; c += 32) {
    const __m512i x = _mm512_loadu_si512(a + c), y = _mm512_loadu_si512(b + c);
    _mm512_storeu_si512(out + c, _mm512_permutex2var_epi16(x, lo, y));
    _mm512_storeu_si512(out + c + 16, _mm512_permutex2var_epi16(x, hi, y));
  }
  if (c < n) {
    const __mmask32 m = ((__mmask32)1 << (n - c)) - 1;
    const __m512i x = _mm512_maskz_loadu_epi16(m, a + c), y = _mm512_maskz_loadu_epi16(m, b + c);
    _mm512_storeu_si512(out + c, _mm512_permutex2var_epi16(x, lo, y));
    _mm512_storeu_si512(out + c + 16, _mm512_permutex2var_epi16(x, hi, y));
  }
}

#include "kernels_impl.h"
}  // namespace isa_avx512bf16

const Kernels* kernelsAvx512Bf16() {
  static constexpr Kernels k = isa_avx512bf16::make_kernels("avx512-bf16");
  return &k;
}
}  // namespace dsa
#endif
