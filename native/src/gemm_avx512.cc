// AVX-512 sgemm kernel set: a 14x32 register tile (28 zmm accumulators, two B vectors and
// one broadcast of A per k step; a last panel of ≤ 16 columns runs a 14x16 tile). Built
// with -mavx512f -mfma only; chosen at runtime by gemm.cc.
#include <immintrin.h>

#include "gemm_impl.h"

namespace dsa {
namespace gemm {
namespace {

struct Avx512 {
  static constexpr int MR = 14, NR = 32;
  static constexpr int64_t KC = 256, NCMAX = 1024;

  static constexpr bool DIRECT = true;

  // W = 2: both 16-wide halves of the panel; W = 1: only the first (a last panel of ≤ 16 columns).
  // A = PACKED: pa is a packed micro-panel [kc, MR]; ROWS: op(A)(r, k) = pa[r·lda + k]
  // (untransposed A read in place, MR row streams).
  enum Layout { PACKED, ROWS };
  // R: rows computed (R < MR for a last tile of R rows, so its FMAs are not wasted).
  template <int W, Layout A, int R = MR>
  static void tile(int64_t kc, const float* __restrict pa, int64_t lda, const float* __restrict pb, float* C,
                   int64_t ldc, int mr, int nr, float alpha, float beta) {
    __m512 c0[MR], c1[MR];
    const float* rows[MR];
#pragma GCC unroll 14
    for (int r = 0; r < R; r++) {
      c0[r] = c1[r] = _mm512_setzero_ps();
      rows[r] = pa + r * lda;
    }
#pragma GCC unroll 2
    for (int64_t k = 0; k < kc; k++) {
      const __m512 b0 = _mm512_load_ps(pb);
      const __m512 b1 = W == 2 ? _mm512_load_ps(pb + 16) : b0;
#pragma GCC unroll 14
      for (int r = 0; r < R; r++) {
        const __m512 a = _mm512_set1_ps(A == ROWS ? rows[r][k] : pa[r]);
        c0[r] = _mm512_fmadd_ps(a, b0, c0[r]);
        if (W == 2) c1[r] = _mm512_fmadd_ps(a, b1, c1[r]);
      }
      if (A == PACKED) pa += MR;
      pb += NR;
    }
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : (__mmask16)0;
    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.f) {
#pragma GCC unroll 14
      for (int r = 0; r < R; r++) {
        if (r >= mr) break;
        float* c = C + r * ldc;
        _mm512_mask_storeu_ps(c, m0, _mm512_mul_ps(va, c0[r]));
        if (W == 2) _mm512_mask_storeu_ps(c + 16, m1, _mm512_mul_ps(va, c1[r]));
      }
    } else {
      const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
      for (int r = 0; r < R; r++) {
        if (r >= mr) break;
        float* c = C + r * ldc;
        const __m512 x0 = _mm512_maskz_loadu_ps(m0, c);
        _mm512_mask_storeu_ps(c, m0, _mm512_fmadd_ps(va, c0[r], _mm512_mul_ps(vb, x0)));
        if (W == 2) {
          const __m512 x1 = _mm512_maskz_loadu_ps(m1, c + 16);
          _mm512_mask_storeu_ps(c + 16, m1, _mm512_fmadd_ps(va, c1[r], _mm512_mul_ps(vb, x1)));
        }
      }
    }
  }

  // Packed tile of exactly mr rows (R counts down from MR to the matching instantiation).
  template <int W, int R = MR>
  static void packedRows(int64_t kc, const float* pa, const float* pb, float* C, int64_t ldc, int mr, int nr,
                         float alpha, float beta) {
    if constexpr (R > 1) {
      if (mr < R) return packedRows<W, R - 1>(kc, pa, pb, C, ldc, mr, nr, alpha, beta);
    }
    tile<W, PACKED, R>(kc, pa, 0, pb, C, ldc, mr, nr, alpha, beta);
  }

  static void micro(int64_t kc, const float* pa, const float* pb, float* C, int64_t ldc, int mr, int nr,
                    float alpha, float beta) {
    if (nr > 16) packedRows<2>(kc, pa, pb, C, ldc, mr, nr, alpha, beta);
    else packedRows<1>(kc, pa, pb, C, ldc, mr, nr, alpha, beta);
  }

  // A full MR-row tile of untransposed A read in place: a = &A(i, p0), rows lda apart.
  static void microDirect(int64_t kc, const float* a, int64_t lda, const float* pb, float* C, int64_t ldc, int nr,
                          float alpha, float beta) {
    if (nr > 16) tile<2, ROWS>(kc, a, lda, pb, C, ldc, MR, nr, alpha, beta);
    else tile<1, ROWS>(kc, a, lda, pb, C, ldc, MR, nr, alpha, beta);
  }
};

}  // namespace

const Isa* isaAvx512() { return makeIsa<Avx512>("avx512"); }

}  // namespace gemm
}  // namespace dsa
