// sgemm driver (see gemm.h): picks the kernel set (the widest this CPU supports, chosen once),
// splits C into (row range × column range) items dealt over threads, and walks K in blocks:
// op(B) panels are packed right before first use (shared by all threads, or one L2-resident
// block repacked in place when there is a single row range); op(A) is packed per item for
// transposed A, read in place otherwise (gemm_impl.h). Up to 3 rows (decode) skip packing.
// This unit is built with baseline flags; the AVX2 / AVX-512 kernel sets live in their own
// units (gemm_avx2.cc, gemm_avx512.cc) and are only called after __builtin_cpu_supports.
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "gemm_impl.h"
#include "threads.h"

namespace dsa {
namespace gemm {
namespace {

// Portable kernel set: a 4x8 tile in plain C++ (the compiler keeps it in 8 SSE2 registers;
// wider tiles spill and run ~8x slower).
struct Scalar {
  static constexpr int MR = 4, NR = 8;
  static constexpr int64_t KC = 256, NCMAX = 512;
  static constexpr bool DIRECT = false;
  static constexpr bool PACK_BT = false;

  static void micro(int64_t kc, const float* __restrict pa, const float* __restrict pb, float* C, int64_t ldc,
                    int mr, int nr, float alpha, float beta) {
    float acc[MR * NR] = {0.f};
    for (int64_t k = 0; k < kc; k++, pa += MR, pb += NR)
      for (int r = 0; r < MR; r++) {
        const float a = pa[r];
        for (int j = 0; j < NR; j++) acc[r * NR + j] += a * pb[j];
      }
    storeTile<NR>(acc, C, ldc, mr, nr, alpha, beta);
  }
};

struct AlignedFree {
  void operator()(float* p) const { ::operator delete(p, std::align_val_t(64)); }
};
using Scratch = std::unique_ptr<float, AlignedFree>;

// Uninitialised 64-byte aligned floats (every packed element is written before it is read).
Scratch scratch(size_t n) {
  return Scratch(static_cast<float*>(::operator new((n + 16) * sizeof(float), std::align_val_t(64))));
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// C = beta·C (K == 0 or alpha == 0: op(A)·op(B) contributes nothing and is not read).
void scaleC(const Problem& P) {
  for (int64_t i = 0; i < P.M; i++) {
    float* c = P.C + i * P.ldc;
    if (P.beta == 0.f) std::memset(c, 0, sizeof(float) * (size_t)P.N);
    else if (P.beta != 1.f) for (int64_t j = 0; j < P.N; j++) c[j] *= P.beta;
  }
}

void run(const Isa& isa, const Problem& P, int threads) {
  if (P.M <= 0 || P.N <= 0) return;
  if (P.K <= 0 || P.alpha == 0.f) return scaleC(P);
  // Below ~16 MFLOP (~0.15 ms on one core) starting threads costs more than it saves.
  if ((double)P.M * (double)P.N * (double)P.K < 8e6) threads = 1;
  if (threads < 1) threads = 1;

  if (P.M <= kSmallRows) {
    const int64_t cols = threads == 1 ? P.N : std::max<int64_t>(64, ceilDiv(ceilDiv(P.N, 2 * threads), 64) * 64);
    const int64_t items = ceilDiv(P.N, cols);
    Scratch rows = scratch((size_t)threads * kSmallRows * (size_t)P.K);
    parallelFor(threads, items, [&](int64_t it, int tid) {
      isa.small(P, it * cols, std::min(P.N, (it + 1) * cols), rows.get() + (size_t)tid * kSmallRows * P.K);
    });
    return;
  }

  const int64_t nr = isa.nr, mr = isa.mr, kc = isa.kc;
  const int64_t panels = ceilDiv(P.N, nr), kBlocks = ceilDiv(P.K, kc);
  const int64_t mTiles = ceilDiv(P.M, mr);

  // Work grid: row items of whole MR tiles (~24 tiles, so a packed B block is reused by
  // many A micro-panels; 48 for a deep K with few rows, the weight-gradient shape, so it is
  // one item), column items of whole NR panels at most ncMax wide (the B block of one K block
  // stays in L2). With threads the item count is a multiple of the thread count (tiles and
  // panels are dealt out evenly, so items are near equal). One row item and threads: split
  // the columns (each thread then packs all of A's rows) or, when op(A)'s block is the larger
  // one (M > N), the rows (each thread packs all of B's block) — whichever duplicates less.
  const bool deep = kBlocks > 4 && mTiles <= 48;
  int64_t mItems = ceilDiv(mTiles, deep ? 48 : 24);
  int64_t nItems = ceilDiv(panels, isa.ncMax / nr);
  bool privateB = mItems == 1;
  if (threads > 1) {
    if (mItems >= threads) {
      mItems = std::min(mTiles, ceilDiv(mItems * nItems, threads) * threads / nItems);
      while (mItems < mTiles && (mItems * nItems) % threads != 0) mItems++;
    } else if (mItems == 1 && nItems == 1 && P.M > P.N && mTiles >= 2 * threads) {
      mItems = threads;
    } else {
      int64_t n = std::max(nItems, ceilDiv(threads, mItems));
      while (n < panels && (mItems * n) % threads != 0) n++;
      nItems = std::min(panels, n);
    }
  }

  // privateB (one row item per thread at most): each item packs its own panel run of the
  // current K block into its thread's buffer right before using it, so B never leaves L2.
  // Otherwise all of op(B) is kept, packed lazily one (K block, panel) at a time by whichever
  // thread needs it first (state 0 → 1 packing → 2 ready), right before first use.
  const int64_t Npad = panels * nr;
  const int64_t runMax = ceilDiv(panels, nItems);  // panels in one item's column range
  std::vector<Scratch> privB;
  Scratch packedB;
  std::unique_ptr<std::atomic<uint8_t>[]> ready;
  if (privateB) {
    for (int t = 0; t < threads; t++) privB.push_back(scratch((size_t)(std::min(kc, P.K) * runMax * nr)));
  } else {
    packedB = scratch((size_t)P.K * (size_t)Npad);
    ready.reset(new std::atomic<uint8_t>[(size_t)(kBlocks * panels)]);
    for (int64_t i = 0; i < kBlocks * panels; i++) ready[i].store(0, std::memory_order_relaxed);
  }
  // Panels [q0, q1) of K block kb, packed and ready; returns where panel q0 lives.
  auto panelsOf = [&](int64_t kb, int64_t q0, int64_t q1, int tid) -> const float* {
    const int64_t kcCur = std::min(kc, P.K - kb * kc);
    if (privateB) {
      float* dst = privB[tid].get();
      isa.packB(P, kb * kc, q0, q1, dst);
      return dst;
    }
    float* base = packedB.get() + kb * kc * Npad;
    std::atomic<uint8_t>* st = &ready[(size_t)(kb * panels)];
    for (int64_t q = q0; q < q1; q++) {
      uint8_t expect = 0;
      if (st[q].load(std::memory_order_acquire) == 0 && st[q].compare_exchange_strong(expect, 1)) {
        isa.packB(P, kb * kc, q, q + 1, base + q * kcCur * nr);
        st[q].store(2, std::memory_order_release);
      }
    }
    for (int64_t q = q0; q < q1; q++)
      while (st[q].load(std::memory_order_acquire) != 2) std::this_thread::yield();
    return base + q0 * kcCur * nr;
  };

  const int64_t tilesPerItem = ceilDiv(mTiles, mItems);
  std::vector<Scratch> aBlocks;
  for (int t = 0; t < threads; t++) aBlocks.push_back(scratch((size_t)(tilesPerItem * aTileStride(kc, (int)mr))));
  parallelFor(threads, mItems * nItems, [&](int64_t it, int tid) {
    const int64_t a = it / nItems, b = it % nItems;
    const int64_t m0 = a * mTiles / mItems * mr, m1 = std::min(P.M, (a + 1) * mTiles / mItems * mr);
    const int64_t q0 = b * panels / nItems, q1 = (b + 1) * panels / nItems;
    const int64_t n0 = q0 * nr, n1 = std::min(P.N, q1 * nr);
    if (m0 >= m1 || n0 >= n1) return;
    for (int64_t kb = 0; kb < kBlocks; kb++)
      isa.block(P, panelsOf(kb, q0, q1, tid), kb * kc, m0, m1, n0, n1, aBlocks[tid].get());
  });
}

}  // namespace

const Isa* isaScalar() { return makeIsa<Scalar>("scalar"); }

}  // namespace gemm

namespace {

const gemm::Isa* isaByName(const char* name) {
  const std::string n = name;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const bool fma = __builtin_cpu_supports("fma");
  if (n == "avx512") return fma && __builtin_cpu_supports("avx512f") ? gemm::isaAvx512() : nullptr;
  if (n == "avx2") return fma && __builtin_cpu_supports("avx2") ? gemm::isaAvx2() : nullptr;
#endif
  if (n == "scalar") return gemm::isaScalar();
  return nullptr;
}

const gemm::Isa* bestIsa() {
  static const gemm::Isa* best = [] {
    for (const char* n : {"avx512", "avx2"})
      if (const gemm::Isa* i = isaByName(n)) return i;
    return gemm::isaScalar();
  }();
  return best;
}

gemm::Problem problem(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                      int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm::Problem p;
  p.transA = transA; p.transB = transB;
  p.M = M; p.N = N; p.K = K;
  p.alpha = alpha; p.beta = beta;
  p.A = A; p.lda = lda; p.B = B; p.ldb = ldb; p.C = C; p.ldc = ldc;
  return p;
}

}  // namespace

const char* sgemmPath() { return bestIsa()->name; }

bool sgemmPathSupported(const char* path) { return isaByName(path) != nullptr; }

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads) {
  gemm::run(*bestIsa(), problem(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), threads);
}

bool sgemmOn(const char* path, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
             const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
             int threads) {
  const gemm::Isa* isa = isaByName(path);
  if (!isa) return false;
  gemm::run(*isa, problem(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), threads);
  return true;
}

}  // namespace dsa
