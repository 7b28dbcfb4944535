// Engine operations (no Node-API here): argument structs, typed errors, entry points.
// Shapes (row-major, fp32 unless a DType says bf16):
//   q [T,H,Dqk]; MHA: k [L,Hkv,Dqk], v [L,Hkv,Dv]; MQA (MLA): kv [L,Dqk], value = kv[:, :Dv]
//   out [T,H,Dv], lse [T,H]; indexer: iq [T,HI,DI], ik [L,DI], iw [T,HI] → scores [T,L]
//   top-k: scores [T,L] → indices [T,k] (-1 where fewer than k positions are valid)
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>
#include "kernels.h"

namespace dsa {

// Thrown by argument checks; the binding maps `code` onto the JS error's `code`.
struct EngineError : std::runtime_error {
  std::string code;
  EngineError(const char* c, const std::string& msg) : std::runtime_error(msg), code(c) {}
};

struct AttnArgs {
  const float* q = nullptr;
  const void* k = nullptr; DType kd = DType::F32;   // MQA: the shared kv cache
  const void* v = nullptr; DType vd = DType::F32;   // MHA only
  bool mqa = false;
  int64_t T = 0, H = 0, Hkv = 1, L = 0, Dqk = 0, Dv = 0;
  int64_t qStart = 0;
  float scale = 1.f;
  bool causal = true;       // dense only; sparse attention uses exactly the given indices
  const int32_t* indices = nullptr; int64_t topk = 0;  // sparse when set: [T][topk], -1 ignored
  int threads = 1;
  float* out = nullptr; float* lse = nullptr;
};

struct IndexerArgs {
  const float* q = nullptr;                  // [T,HI,DI]
  const void* k = nullptr; DType kd = DType::F32;  // [L,DI]
  const float* w = nullptr;                  // [T,HI]
  int64_t T = 0, HI = 0, DI = 0, L = 0, qStart = 0;
  bool fp8 = false, hadamard = false;
  int threads = 1;
};

void checkAttn(const AttnArgs& a);
void checkIndexer(const IndexerArgs& a);

void attention(const Kernels& kr, const AttnArgs& a);
// scores [T][L]: causal (s > qStart+t → -inf)
void indexer(const Kernels& kr, const IndexerArgs& a, float* scores);
// indices [T][k]: best first (score desc, ties → lower position); -inf/NaN never selected
void topk(const float* scores, int64_t T, int64_t L, int64_t k, int threads, int32_t* out);
// The indexer's top-k per query through blocked GEMMs (select.cc): fp32 keys without the
// FP8/Hadamard simulation. sel [T][k]: the same keys as topk() selects, best first when
// `sorted` (else in no particular order), −1 past the valid ones; `ix.threads` is ignored.
void selectTopK(const IndexerArgs& ix, int64_t k, int threads, int32_t* sel, bool sorted);
// Sparse MQA attention of a block of consecutive queries over the union of their
// selections (sparse_blocked.cc): prefill with few heads, fp32 cache. idx [T][k], -1 ignored.
bool blockedSparseAttention(const AttnArgs& a);
void sparseAttentionBlocked(const Kernels& kr, const AttnArgs& a, const int32_t* idx, int64_t k);
// Fused DSA: indexer + top-k + sparse attention. attn.indices must be null. When
// skipShort and every query has ≤ k valid keys, runs dense attention and reports the
// positions 0..qStart+t in ascending order. indicesOut [T][k] is optional. phaseMs, when
// given, receives the wall milliseconds of the call's two phases: [0] selection (indexer +
// top-k, 0 when skipped), [1] attention (sparse, or dense when skipped).
void dsa(const Kernels& kr, const AttnArgs& attn, const IndexerArgs& ix, int64_t k, bool skipShort,
         int32_t* indicesOut, bool* skipped, double* phaseMs = nullptr);

// FMA-bound peak of `threads` threads over about `seconds`; returns GFLOP/s. dot: the bf16
// dot-product peak instead (Kernels::dotPeak; E_OPTION on a set without one).
double fmaPeak(const Kernels& kr, int threads, double seconds, bool dot = false);

// Runtime dispatch over the table of kernel sets (dispatch.cc).
struct KernelSetInfo {
  const char* name;
  const char* target;  // the compile target of the set's file
  bool supported;     // by this CPU
  bool bf16Dot;       // bf16 caches on bf16 dot products (Kernels::bf16Dot)
};
std::vector<KernelSetInfo> kernelSets();                // widest first
const Kernels* bestKernels();                          // the first supported set
const Kernels* kernelsByName(const std::string& name);  // null when unknown or unsupported
bool cpuSupports(const std::string& name);

// FP8-E4M3 / Hadamard simulation (exposed for tests through the binding).
void hadamardRows(float* x, int64_t rows, int dim);
void fp8Rows(float* x, int64_t rows, int dim);

}  // namespace dsa
