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
  static constexpr bool PACK_BT = true;

  // 16x16 transpose in registers: r[i] = row i in, r[i] = column i out.
  static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
      t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 4; g++) {  // r[4g + c]: rows 4g..4g+3 at columns c, c+4, c+8, c+12
      const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
      const __m512d c = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
      r[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
      r[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
      r[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
      r[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int c = 0; c < 4; c++) {
      const __m512 tA = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88), tB = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xdd);
      const __m512 tC = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
      const __m512 tD = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xdd);
      t[c] = _mm512_shuffle_f32x4(tA, tC, 0x88);
      t[c + 8] = _mm512_shuffle_f32x4(tA, tC, 0xdd);
      t[c + 4] = _mm512_shuffle_f32x4(tB, tD, 0x88);
      t[c + 12] = _mm512_shuffle_f32x4(tB, tD, 0xdd);
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
  }

  // A full panel of transposed B: d[k*NR + j] = src[j*ldb + k] for j < NR, k < kc.
  static void packBT(const float* src, int64_t ldb, int64_t kc, float* d) {
    int64_t k0 = 0;
    for (; k0 + 16 <= kc; k0 += 16)
      for (int h = 0; h < NR / 16; h++) {
        __m512 r[16];
        for (int jj = 0; jj < 16; jj++) r[jj] = _mm512_loadu_ps(src + (16 * h + jj) * ldb + k0);
        transpose16(r);
        for (int kk = 0; kk < 16; kk++) _mm512_storeu_ps(d + (k0 + kk) * NR + 16 * h, r[kk]);
      }
    for (; k0 < kc; k0++)
      for (int j = 0; j < NR; j++) d[k0 * NR + j] = src[j * ldb + k0];
  }

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
