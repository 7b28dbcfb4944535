// Internal interface between the sgemm driver (gemm.cc, baseline flags, owns threads and
// scratch memory) and the per-ISA kernel sets (gemm_avx512.cc, gemm_avx2.cc, each built
// with its own -m flags). Only plain structs and function pointers cross this boundary, so
// no inline function compiled with wide instructions can be picked by the linker for code
// that runs on a CPU without them.
#pragma once
#include <cstdint>

namespace dsa {
namespace gemm {

// One sgemm call, as given to dsa::sgemm (see gemm.h).
struct Problem {
  bool transA = false, transB = false;
  int64_t M = 0, N = 0, K = 0;
  float alpha = 1.f, beta = 0.f;
  const float* A = nullptr;
  int64_t lda = 0;
  const float* B = nullptr;
  int64_t ldb = 0;
  float* C = nullptr;
  int64_t ldc = 0;
};

// A kernel set. Packed B: K is cut into blocks of kc rows; a block's columns are cut into
// panels of nr, each stored as [kcCur, nr] floats (zero padded past N); the driver decides
// where panels live and passes pointers to consecutive runs of them.
struct Isa {
  const char* name;
  int mr, nr;     // register tile: mr rows of C by nr columns
  int64_t kc;     // K block (a packed A micro-panel [kc, mr] stays in L1)
  int64_t ncMax;  // widest column range one work item covers (its B block stays in L2)
  // Packs panels [q0, q1) of the K block starting at p0; panel q at dst + (q - q0)·kcCur·nr.
  void (*packB)(const Problem& p, int64_t p0, int64_t q0, int64_t q1, float* dst);
  // One K block [p0, p0 + kc) of C[m0:m1, n0:n1] (n0 a multiple of nr; bPanels: its packed
  // panels, the one of column j at bPanels + (j - n0) / nr · kcCur·nr): C = alpha·op(A)·op(B)
  // + beta·C for the first block, C += alpha·op(A)·op(B) after. aBlock: scratch for the packed
  // rows, ceil((m1 - m0) / mr) · aTileStride(kc, mr) floats, 64-byte aligned.
  void (*block)(const Problem& p, const float* bPanels, int64_t p0, int64_t m0, int64_t m1, int64_t n0,
                int64_t n1, float* aBlock);
  // Unpacked path for a few rows (decode): C[:, n0:n1] for all M rows (M ≤ kSmallRows).
  // aRows: scratch of kSmallRows * K floats.
  void (*small)(const Problem& p, int64_t n0, int64_t n1, float* aRows);
};

// Floats between consecutive packed A micro-panels: kc·mr plus one cache line, so the
// panels' write streams while packing transposed A do not all fall into the same L1 sets
// (kc·mr·4 bytes is a multiple of 2 KiB; measured a few % faster on [640, K]ᵀ operands).
constexpr int64_t aTileStride(int64_t kc, int mr) { return kc * mr + 16; }

constexpr int64_t kSmallRows = 3;  // measured: the packed path wins from 4 rows on

const Isa* isaScalar();
#if defined(__x86_64__) || defined(__i386__)
const Isa* isaAvx2();
const Isa* isaAvx512();
#endif

}  // namespace gemm
}  // namespace dsa
