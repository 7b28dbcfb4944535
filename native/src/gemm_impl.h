// Packing and blocking loops of sgemm, shared by every kernel set. Included by one
// translation unit per ISA (gemm.cc, gemm_avx2.cc, gemm_avx512.cc), each compiled with its
// own flags; everything here has internal linkage (anonymous namespace) so each unit keeps
// its own copy and the linker never mixes them.
//
// A kernel set supplies `struct Kern { static constexpr int MR, NR; static constexpr
// int64_t KC, NCMAX; static void micro(kc, pa, pb, C, ldc, mr, nr, alpha, beta); }` where
// micro computes C[0:mr, 0:nr] = alpha · Σ_k pa[k*MR + r] · pb[k*NR + j] + beta · C
// (beta == 0: C is not read), pa a packed A micro-panel [kc, MR], pb a packed B panel [kc, NR].
// With DIRECT = true it also has microDirect(kc, a, lda, pb, C, ldc, nr, alpha, beta) for a
// full MR-row tile of untransposed A read in place (a = &A(i, p0), rows lda apart). With
// PACK_BT = true it has packBT(src, ldb, kc, d) packing a full panel of transposed B.
#pragma once
#include <cstdint>
#include <cstring>

#include "gemm_kernels.h"

namespace dsa {
namespace gemm {
namespace {

inline int64_t minI(int64_t a, int64_t b) { return a < b ? a : b; }

// op(A) rows [m0, m1), columns [p0, p0+kc) into micro-panels of [kc, MR]: dst + t·ts
// (ts = aTileStride(kc, MR)) holds rows m0 + t·MR ...; rows past m1 are 0. Done for a whole
// row range at once so every cache line of A is used completely while it is loaded.
template <int MR>
void packA(const Problem& P, int64_t m0, int64_t m1, int64_t p0, int64_t kc, float* __restrict dst) {
  const int64_t tiles = (m1 - m0 + MR - 1) / MR, ts = aTileStride(kc, MR);
  if (P.transA) {  // A is [K, M]: row k holds a contiguous run of the row range
    const float* s = P.A + p0 * P.lda + m0;
    const int64_t full = (m1 - m0) / MR, rest = (m1 - m0) % MR;
    for (int64_t k = 0; k < kc; k++, s += P.lda) {
      float* d = dst + k * MR;
      for (int64_t t = 0; t < full; t++)
        for (int r = 0; r < MR; r++) d[t * ts + r] = s[t * MR + r];
      if (rest) {
        float* dt = d + full * ts;
        for (int r = 0; r < rest; r++) dt[r] = s[full * MR + r];
        for (int r = (int)rest; r < MR; r++) dt[r] = 0.f;
      }
    }
    return;
  }
  // A is [M, K]: MR row streams read in step per micro-panel.
  for (int64_t t = 0; t < tiles; t++, dst += ts) {
    const int64_t i0 = m0 + t * MR;
    const int mr = (int)minI(MR, m1 - i0);
    const float* rows[MR];
    for (int r = 0; r < MR; r++) rows[r] = P.A + (i0 + (r < mr ? r : 0)) * P.lda + p0;
    float* d = dst;
    if (mr == MR) {
      for (int64_t k = 0; k < kc; k++, d += MR)
        for (int r = 0; r < MR; r++) d[r] = rows[r][k];
    } else {
      for (int64_t k = 0; k < kc; k++, d += MR) {
        for (int r = 0; r < mr; r++) d[r] = rows[r][k];
        for (int r = mr; r < MR; r++) d[r] = 0.f;
      }
    }
  }
}

// Panels [q0, q1) of the K block starting at p0, panel q at dst + (q - q0)·kc·NR.
template <class Kern>
void packBImpl(const Problem& P, int64_t p0, int64_t q0, int64_t q1, float* dst) {
  constexpr int NR = Kern::NR;
  const int64_t kc = minI(Kern::KC, P.K - p0);
  for (int64_t q = q0; q < q1; q++) {
    const int64_t j0 = q * NR;
    const int nr = (int)minI(NR, P.N - j0);
    float* __restrict d = dst + (q - q0) * kc * NR;
    if (!P.transB) {  // B is [K, N]: a contiguous run per k
      const float* s = P.B + p0 * P.ldb + j0;
      if (nr == NR) {
        for (int64_t k = 0; k < kc; k++, s += P.ldb, d += NR) {
          // Rows are ldb apart: prefetch 8 ahead (measured ~5% on deep K, where B comes from memory).
          __builtin_prefetch(s + 8 * P.ldb);
          __builtin_prefetch(s + 8 * P.ldb + NR - 1);
          for (int j = 0; j < NR; j++) d[j] = s[j];
        }
      } else {
        for (int64_t k = 0; k < kc; k++, s += P.ldb, d += NR) {
          for (int j = 0; j < nr; j++) d[j] = s[j];
          for (int j = nr; j < NR; j++) d[j] = 0.f;
        }
      }
    } else {  // B is [N, K]: NR row streams read in step (a transpose)
      if constexpr (Kern::PACK_BT) {
        if (nr == NR) {
          Kern::packBT(P.B + j0 * P.ldb + p0, P.ldb, kc, d);
          continue;
        }
      }
      const float* rows[NR];
      for (int j = 0; j < NR; j++) rows[j] = P.B + (j0 + (j < nr ? j : 0)) * P.ldb + p0;
      if (nr == NR) {
        for (int64_t k = 0; k < kc; k++, d += NR)
          for (int j = 0; j < NR; j++) d[j] = rows[j][k];
      } else {
        for (int64_t k = 0; k < kc; k++, d += NR) {
          for (int j = 0; j < nr; j++) d[j] = rows[j][k];
          for (int j = nr; j < NR; j++) d[j] = 0.f;
        }
      }
    }
  }
}

// One K block of C[m0:m1, n0:n1]. Loop order (BLIS with the roles of A and B swapped, since
// C is row-major and the vector dimension is N): the row range of A is packed (L2), then
// each A micro-panel (pulled into L1 on first use) meets every NR panel of the B block.
template <class Kern>
void blockImpl(const Problem& P, const float* bPanels, int64_t p0, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
               float* aBlock) {
  constexpr int MR = Kern::MR, NR = Kern::NR;
  const int64_t kc = minI(Kern::KC, P.K - p0);
  const float beta = p0 == 0 ? P.beta : 1.f;
  if constexpr (Kern::DIRECT) {
    // Untransposed A: full tiles broadcast straight from MR rows of A (each tile's rows stay
    // in L1 across the panels), which measured as fast as packing for wide N and up to 1.6x
    // faster for narrow N, where a packed panel would serve only one or two tiles.
    // Transposed A is still packed (in place it is MR floats per cache line fetched, at stride lda).
    if (!P.transA) {
      const int64_t full = m0 + (m1 - m0) / MR * MR;
      for (int64_t i = m0; i < full; i += MR) {
        const float* a = P.A + i * P.lda + p0;
        for (int64_t j = n0; j < n1; j += NR)
          Kern::microDirect(kc, a, P.lda, bPanels + ((j - n0) / NR) * kc * NR, P.C + i * P.ldc + j, P.ldc,
                            (int)minI(NR, n1 - j), P.alpha, beta);
      }
      m0 = full;
      if (m0 >= m1) return;
    }
  }
  packA<MR>(P, m0, m1, p0, kc, aBlock);
  for (int64_t i = m0; i < m1; i += MR, aBlock += aTileStride(kc, MR)) {
    const int mr = (int)minI(MR, m1 - i);
    float* cRow = P.C + i * P.ldc;
    for (int64_t j = n0; j < n1; j += NR) {
      const int nr = (int)minI(NR, n1 - j);
      Kern::micro(kc, aBlock, bPanels + ((j - n0) / NR) * kc * NR, cRow + j, P.ldc, mr, nr, P.alpha, beta);
    }
  }
}

// Few rows (decode): no packing of B. aRows receives alpha·op(A) as [M, K].
template <class Kern>
void smallImpl(const Problem& P, int64_t n0, int64_t n1, float* aRows) {
  const int64_t M = P.M, K = P.K;
  for (int64_t i = 0; i < M; i++)
    for (int64_t k = 0; k < K; k++)
      aRows[i * K + k] = P.alpha * (P.transA ? P.A[k * P.lda + i] : P.A[i * P.lda + k]);
  if (!P.transB) {
    // Row axpys into a 64-wide accumulator strip per row: c[i, j:j+64] += a[i,k] · B[k, j:j+64].
    constexpr int W = 64;
    float acc[kSmallRows][W];
    for (int64_t j = n0; j < n1; j += W) {
      const int jn = (int)minI(W, n1 - j);
      for (int64_t i = 0; i < M; i++)
        for (int jj = 0; jj < W; jj++) acc[i][jj] = 0.f;
      const float* b = P.B + j;
      for (int64_t k = 0; k < K; k++, b += P.ldb) {
        for (int64_t i = 0; i < M; i++) {
          const float a = aRows[i * K + k];
          float* __restrict ac = acc[i];
          if (jn == W) {
            for (int jj = 0; jj < W; jj++) ac[jj] += a * b[jj];
          } else {
            for (int jj = 0; jj < jn; jj++) ac[jj] += a * b[jj];
          }
        }
      }
      for (int64_t i = 0; i < M; i++) {
        float* c = P.C + i * P.ldc + j;
        if (P.beta == 0.f) for (int jj = 0; jj < jn; jj++) c[jj] = acc[i][jj];
        else for (int jj = 0; jj < jn; jj++) c[jj] = acc[i][jj] + P.beta * c[jj];
      }
    }
    return;
  }
  // B is [N, K]: dot products, 16 partial sums so the loop vectorises without reassociation.
  constexpr int L = 16;
  for (int64_t j = n0; j < n1; j++) {
    const float* b = P.B + j * P.ldb;
    for (int64_t i = 0; i < M; i++) {
      const float* a = aRows + i * K;
      float part[L] = {0.f};
      int64_t k = 0;
      for (; k + L <= K; k += L)
        for (int l = 0; l < L; l++) part[l] += a[k + l] * b[k + l];
      float s = 0.f;
      for (; k < K; k++) s += a[k] * b[k];
      for (int l = 0; l < L; l++) s += part[l];
      float* c = P.C + i * P.ldc + j;
      *c = P.beta == 0.f ? s : s + P.beta * *c;
    }
  }
}

template <class Kern>
const Isa* makeIsa(const char* name) {
  static const Isa isa = {name,          Kern::MR,          Kern::NR,        Kern::KC, Kern::NCMAX,
                          packBImpl<Kern>, blockImpl<Kern>, smallImpl<Kern>};
  return &isa;
}

// Generic tail of a micro-kernel: tile t[MR*NR] (row-major, stride NR) into C with alpha/beta.
template <int NR>
inline void storeTile(const float* t, float* C, int64_t ldc, int mr, int nr, float alpha, float beta) {
  for (int r = 0; r < mr; r++) {
    float* c = C + r * ldc;
    const float* s = t + r * NR;
    if (beta == 0.f) for (int j = 0; j < nr; j++) c[j] = alpha * s[j];
    else for (int j = 0; j < nr; j++) c[j] = alpha * s[j] + beta * c[j];
  }
}

}  // namespace
}  // namespace gemm
}  // namespace dsa
