// Sparse (top-k) MQA attention for a block of consecutive queries at once (see engine.h
// sparseAttentionBlocked). Consecutive queries select mostly the same keys (a trained 1K
// model on a 4K prompt: a block of 16 queries selects ~200-400 distinct keys, not 16 × 128), so the block
// gathers the union of its selections once and runs two GEMMs over it:
//   S [QB·H, u] = scale · Q_block · K_Uᵀ,  masked to each query's own selection,
//   P = softmax(S) per row,  O [QB·H, Dv] = P · V_U   (V_U = K_U[:, :Dv], MQA).
// The result is exactly attention over each query's selected keys (a key outside a query's
// selection gets probability 0), with GEMM-sized work instead of one gather per query.
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "engine.h"
#include "gemm.h"
#include "threads.h"

namespace dsa {

namespace {
constexpr int64_t BLOCK_ROWS = 64;  // query rows (queries × heads) per block
}

bool blockedSparseAttention(const AttnArgs& a) {
  return a.mqa && (a.kd == DType::F32 || a.kd == DType::BF16) && a.T >= 16 && a.H <= BLOCK_ROWS / 4;
}

void sparseAttentionBlocked(const Kernels& kr, const AttnArgs& a, const int32_t* idx, int64_t k) {
  const int64_t H = a.H, Dqk = a.Dqk, Dv = a.Dv, T = a.T;
  const int64_t QB = std::max<int64_t>(1, BLOCK_ROWS / H), R = QB * H;
  const int64_t blocks = (T + QB - 1) / QB;
  const float* K = a.kd == DType::F32 ? static_cast<const float*>(a.k) : nullptr;
  const uint16_t* K16 = a.kd == DType::BF16 ? static_cast<const uint16_t*>(a.k) : nullptr;
  const float NEG_INF = -std::numeric_limits<float>::infinity();
  struct Scratch {
    std::vector<int32_t> colOf, cols;
    std::vector<float> KU, S;
    std::vector<uint8_t> sel;
  };
  parallelFor(a.threads, blocks, [&](int64_t bi, int) {
    // Per-thread, kept between calls (grow-only): a 16K prefill calls this once per layer and
    // 2K chunk, and fresh buffers cost page faults. colOf is all −1 between blocks.
    thread_local Scratch sc;
    if ((int64_t)sc.colOf.size() < a.L) sc.colOf.assign((size_t)a.L, -1);
    const int64_t t0 = bi * QB, t1 = std::min(T, t0 + QB), nq = t1 - t0, rows = nq * H;
    // Union of the block's selections, in position order (column c holds key cols[c]).
    sc.cols.clear();
    for (int64_t t = t0; t < t1; t++)
      for (int64_t j = 0; j < k; j++) {
        const int32_t s = idx[t * k + j];
        if (s >= 0 && sc.colOf[(size_t)s] < 0) {
          sc.colOf[(size_t)s] = 0;
          sc.cols.push_back(s);
        }
      }
    std::sort(sc.cols.begin(), sc.cols.end());
    const int64_t u = (int64_t)sc.cols.size();
    for (int64_t c = 0; c < u; c++) sc.colOf[(size_t)sc.cols[(size_t)c]] = (int32_t)c;
    sc.KU.resize((size_t)(std::max<int64_t>(u, 1) * Dqk));
    // (bf16 rows widened as they are gathered: exact)
    for (int64_t c = 0; c < u; c++) {
      const int64_t row = (int64_t)sc.cols[(size_t)c] * Dqk;
      float* dst = &sc.KU[(size_t)(c * Dqk)];
      if (K16) kr.bf16ToF32(K16 + row, dst, Dqk);
      else std::memcpy(dst, K + row, (size_t)Dqk * sizeof(float));
    }
    // Which columns each query selected.
    sc.sel.assign((size_t)(nq * u), 0);
    for (int64_t t = t0; t < t1; t++)
      for (int64_t j = 0; j < k; j++) {
        const int32_t s = idx[t * k + j];
        if (s >= 0) sc.sel[(size_t)((t - t0) * u + sc.colOf[(size_t)s])] = 1;
      }
    for (int64_t c = 0; c < u; c++) sc.colOf[(size_t)sc.cols[(size_t)c]] = -1;  // reset for the next block
    sc.S.resize((size_t)(R * std::max<int64_t>(u, 1)));
    float* S = sc.S.data();
    if (u > 0) sgemm(false, true, rows, u, Dqk, a.scale, a.q + t0 * H * Dqk, Dqk, sc.KU.data(), Dqk, 0.f, S, u, 1);
    // Each row's softmax over its own selection: the others' columns get −inf (probability 0).
    for (int64_t r = 0; r < rows; r++) {
      const int64_t t = t0 + r / H, h = r % H;
      const uint8_t* m = &sc.sel[(size_t)((t - t0) * u)];
      float* row = S + r * u;
      for (int64_t c = 0; c < u; c++) row[c] = m[c] ? row[c] : NEG_INF;
      a.lse[t * H + h] = kr.softmaxRow(row, u);
    }
    if (u > 0) sgemm(false, false, rows, Dv, u, 1.f, S, u, sc.KU.data(), Dqk, 0.f, a.out + t0 * H * Dv, Dv, 1);
    else std::fill(a.out + t0 * H * Dv, a.out + t1 * H * Dv, 0.f);
  });
}

}  // namespace dsa
