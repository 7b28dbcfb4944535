// AVX2 sgemm kernel set: a 6x16 register tile (12 ymm accumulators, two B vectors and one
// broadcast of A per k step). Built with -mavx2 -mfma only; chosen at runtime by gemm.cc.
#include <immintrin.h>

#include "gemm_impl.h"

namespace dsa {
namespace gemm {
namespace {

struct Avx2 {
  static constexpr int MR = 6, NR = 16;
  static constexpr int64_t KC = 256, NCMAX = 512;
  static constexpr bool DIRECT = true;
  static constexpr bool PACK_BT = false;

  // A = PACKED: pa is a packed micro-panel [kc, MR]; ROWS: op(A)(r, k) = pa[r·lda + k]
  // (untransposed A read in place, MR row streams).
  enum Layout { PACKED, ROWS };
  template <Layout A>
  static void tile(int64_t kc, const float* __restrict pa, int64_t lda, const float* __restrict pb, float* C,
                   int64_t ldc, int mr, int nr, float alpha, float beta) {
    __m256 c0[MR], c1[MR];
    const float* rows[MR];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      c0[r] = c1[r] = _mm256_setzero_ps();
      rows[r] = pa + r * lda;
    }
#pragma GCC unroll 2
    for (int64_t k = 0; k < kc; k++) {
      const __m256 b0 = _mm256_load_ps(pb), b1 = _mm256_load_ps(pb + 8);
#pragma GCC unroll 6
      for (int r = 0; r < MR; r++) {
        const __m256 a = _mm256_broadcast_ss(A == ROWS ? rows[r] + k : pa + r);
        c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);
        c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);
      }
      if (A == PACKED) pa += MR;
      pb += NR;
    }
    const __m256 va = _mm256_set1_ps(alpha);
    if (mr == MR && nr == NR) {
      if (beta == 0.f) {
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
          _mm256_storeu_ps(C + r * ldc, _mm256_mul_ps(va, c0[r]));
          _mm256_storeu_ps(C + r * ldc + 8, _mm256_mul_ps(va, c1[r]));
        }
      } else {
        const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
          float* c = C + r * ldc;
          _mm256_storeu_ps(c, _mm256_fmadd_ps(va, c0[r], _mm256_mul_ps(vb, _mm256_loadu_ps(c))));
          _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(va, c1[r], _mm256_mul_ps(vb, _mm256_loadu_ps(c + 8))));
        }
      }
      return;
    }
    alignas(32) float t[MR * NR];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      _mm256_store_ps(t + r * NR, c0[r]);
      _mm256_store_ps(t + r * NR + 8, c1[r]);
    }
    storeTile<NR>(t, C, ldc, mr, nr, alpha, beta);
  }

  static void micro(int64_t kc, const float* pa, const float* pb, float* C, int64_t ldc, int mr, int nr,
                    float alpha, float beta) {
    tile<PACKED>(kc, pa, 0, pb, C, ldc, mr, nr, alpha, beta);
  }

  // A full MR-row tile of untransposed A read in place: a = &A(i, p0), rows lda apart.
  static void microDirect(int64_t kc, const float* a, int64_t lda, const float* pb, float* C, int64_t ldc, int nr,
                          float alpha, float beta) {
    tile<ROWS>(kc, a, lda, pb, C, ldc, MR, nr, alpha, beta);
  }
};

}  // namespace

const Isa* isaAvx2() { return makeIsa<Avx2>("avx2"); }

}  // namespace gemm
}  // namespace dsa
