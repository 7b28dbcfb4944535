// Top-k (DSA) attention of the training forward and backward in O(N·k) memory, so sparse
// training runs at 8K–16K tokens per row (the dense path keeps [L, L] score matrices).
//
// Shapes (N = B·L tokens, rows of one sequence are contiguous):
//   Q [H][N][Dqk] (already scaled by the log-n factor), K [N][Dqk] (value = K[:, :Dv]),
//   indexer iq [N][nI][dI], ik [N][dI], iw [N][nI] (weights already scaled);
//   idx [N][k]: positions inside the token's own sequence, best first, −1 past the valid ones;
//   P [N][H][k]: softmax over the selected keys (0 in unused columns);
//   Olat [H][N][Dv].
#pragma once
#include <cstdint>
#include <vector>

namespace dsa {
namespace model {

struct SparseShape {
  int64_t B = 0, L = 0, H = 0, Dqk = 0, Dv = 0, k = 0;
  int64_t N() const { return B * L; }
};

// The indexer's top-k per token: I[t,s] = Σ_j w[t,j]·ReLU(iq[t,j]·ik[s]) over s ≤ t, computed
// in blocks of query rows as GEMMs and never held as [L, L]. Ties → lower position.
void sparseSelect(const SparseShape& s, int64_t nI, int64_t dI, const float* iq, const float* ik, const float* iw,
                  int threads, int32_t* idx);

// P and Olat from Q, K and idx; `scale` is the softmax scale.
void sparseAttnForward(const SparseShape& s, float scale, const float* Q, const float* K, const int32_t* idx, float* P,
                       float* Olat, int threads);

// dQ [H][N][Dqk] (overwritten) and dK [N][Dqk] (overwritten, both score and value parts) from
// dOlat [H][N][Dv]. Threads own fixed token ranges, so the result is identical run to run.
void sparseAttnBackward(const SparseShape& s, float scale, const float* Q, const float* K, const int32_t* idx,
                        const float* P, const float* dOlat, float* dQ, float* dK, int threads);

// The indexer's KL over the selection: p = head-mean of P, q = softmax of I over the same keys.
// Returns Σ_t KL(p_t ‖ q_t) over tokens with tokens[n] ≥ 0; writes the gradients of
// klScale·Σ KL into dIq [N][nI][dI], dIk [N][dI] and dIw [N][nI] (all overwritten).
double sparseIndexerKL(const SparseShape& s, int64_t nI, int64_t dI, const float* iq, const float* ik,
                       const float* iw, const int32_t* idx, const float* P, const int32_t* tokens, double klScale,
                       float* dIq, float* dIk, float* dIw, int threads);

}  // namespace model
}  // namespace dsa
