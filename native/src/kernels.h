// Kernel interface shared by every SIMD build of the engine.
//
// The hot loops live in kernels_impl.h, compiled once per instruction set in its own
// translation unit (isa_scalar.cc, isa_avx2.cc, isa_avx512.cc, isa_avx512bf16.cc), each of
// which names its target (#pragma GCC target) and exports one `Kernels` table filled by
// make_kernels() (kernels_impl.h); dispatch.cc lists the sets and picks the best one the CPU
// supports at runtime (never -march=native).
//
// Layout conventions ("rows in lanes"): a chunk of R query rows (query t × head h pairs)
// is packed transposed, Qt[d][r] (row stride Rpad = R rounded up to the vector width),
// so one vector holds the same dimension of W rows. Scores S[j][r], probabilities P[j][r]
// and the output accumulator Ot[c][r] use the same layout, which makes the online
// softmax a pure vertical (per-lane) computation.
#pragma once
#include <cstdint>

// A kernel set's file names its compile target once, before any other code:
//   #define DSA_TARGET "avx2,fma"
//   DSA_TARGET_PRAGMA(DSA_TARGET)
// which acts as the matching -m flags for every function defined after it (#pragma GCC
// target); make_kernels() records the same string in the set's table.
#define DSA_PRAGMA_(x) _Pragma(#x)
#define DSA_TARGET_PRAGMA(t) DSA_PRAGMA_(GCC target(t))

namespace dsa {

enum class DType : int { F32 = 0, BF16 = 1 };

// A matrix of rows stored in a caller buffer: row s starts at base + (s*stride + offset)
// elements; dtype says how elements are stored (fp32 or bf16 upper halves).
struct RowSource {
  const void* base = nullptr;
  DType dtype = DType::F32;
  int64_t stride = 0;
  int64_t offset = 0;
};

// One flash-attention work item: R rows × a list of keys, online softmax state in/out.
struct AttnChunk {
  int R = 0, Rpad = 0;          // rows, rows padded to the vector width
  int Dqk = 0, Dv = 0;          // head dims
  const float* Qt = nullptr;    // [Dqk][Rpad], already multiplied by the softmax scale
  const int32_t* lim = nullptr; // [Rpad] last allowed key position per row, or null (no mask)
  int32_t minLim = 0;           // min over rows of lim (blocks with all positions ≤ minLim need no mask)
  RowSource K, V;               // key rows (Dqk used) and value rows (Dv used)
  bool vSharesK = false;        // MQA: value row = first Dv dims of the key row
  const int32_t* idx = nullptr; // key positions (sparse, all valid), or null: positions s0..s0+n-1
  int64_t s0 = 0, n = 0;
  // state [Dv][Rpad], [Rpad], [Rpad]; m = -inf and l = 0 at the start; Ot is written by the
  // chunk's first key block (its old contents are never read; n ≥ 1)
  float* Ot = nullptr; float* m = nullptr; float* l = nullptr;
  // scratch (sizes from Kernels::blockKeys): S [BK][Rpad], alpha [Rpad],
  // kbuf [BK][Dqk], vbuf [BK][Dv], zero [max(Dqk,Dv)], kptr/vptr [BK]
  float* S = nullptr; float* alpha = nullptr; float* kbuf = nullptr; float* vbuf = nullptr;
  const float* zero = nullptr; const float** kptr = nullptr; const float** vptr = nullptr;
  // bf16 dot products (Kernels::bf16Dot, bf16 K and V): when Qp is set the chunk runs on it
  // instead of Qt. Qp [ceil(Dqk/2)][Rpad]: lane r of row i holds the pair (Qt[2i][r],
  // Qt[2i+1][r]) rounded to bf16 (low half first; 0 past Dqk). Scratch: Pp [BK/2 + 1][Rpad],
  // VI [BK/2 + 1][roundUp(Dv, 32)] (32-bit pairs), kb16 [BK][Dqk + 1] (bf16).
  const uint32_t* Qp = nullptr;
  uint32_t* Pp = nullptr; uint32_t* VI = nullptr; uint16_t* kb16 = nullptr;
};

// Optional transform of fp32 key rows in place (Hadamard rotation, FP8 simulation).
typedef void (*RowTransform)(float* rows, int64_t n, int dim, const void* ctx);

// Lightning-indexer work item: one query (all indexer heads) × contiguous keys s0..s0+n-1.
//   out[j] = Σ_h w[h] · ReLU(Σ_d Qt[d][h] · k[s0+j][d])
struct IndexerChunk {
  int H = 0, Hpad = 0, D = 0;
  const float* Qt = nullptr;    // [D][Hpad] (padded heads are 0)
  const float* w = nullptr;     // [Hpad]   (padded heads are 0)
  RowSource K;
  int64_t s0 = 0, n = 0;
  RowTransform transform = nullptr; const void* transformCtx = nullptr;
  float* out = nullptr;         // [n]
  float* kbuf = nullptr;        // scratch [BK][D]
  const float** kptr = nullptr; // scratch [BK]
  const float* zero = nullptr;  // [D] zeros
  // bf16 dot products (Kernels::bf16Dot, bf16 keys, no transform): when Qp is set the chunk
  // runs on it instead of Qt. Qp [ceil(D/2)][Hpad]: pairs (Qt[2i][h], Qt[2i+1][h]) rounded to
  // bf16, 0 past D. Scratch kb16 [BK][D + 1] (bf16, used when D is odd).
  const uint32_t* Qp = nullptr;
  uint16_t* kb16 = nullptr;
};

struct Kernels {
  const char* name;   // "scalar" | "avx2" | "avx512" | "avx512-bf16"
  const char* target; // what the set's file is compiled for ("baseline", "avx2,fma", …)
  int width;          // fp32 lanes per vector
  int blockKeys;      // keys per block (BK) for scratch sizing
  void (*attnChunk)(const AttnChunk& c);
  void (*indexerChunk)(const IndexerChunk& c);
  // FMA-bound loop: `iters` iterations of independent FMA chains; returns flops done.
  double (*fmaPeak)(int64_t iters, float* sink);
  // bf16 dot products (vdpbf16ps): bf16 caches run the chunks on Qp (queries and
  // probabilities rounded to bf16, fp32 accumulation) instead of widening to fp32. dotPeak is
  // the same bound as fmaPeak for those instructions (2 flops per multiply-add); null without.
  bool bf16Dot;
  double (*dotPeak)(int64_t iters, float* sink);
  void (*bf16ToF32)(const uint16_t* src, float* dst, int64_t n);
  // Top-k candidate scan: every i < n with row[i] > v, in position order, as outS[c] = row[i],
  // outI[c] = s0 + i (both need room for n + 16: whole vectors are stored); returns the count.
  // NaN is never above.
  int64_t (*extractAbove)(const float* row, int64_t n, float v, int64_t s0, float* outS, int32_t* outI);
  // In-place softmax of row[0..n) (−inf entries → 0); returns log Σ exp(row), −inf (row all 0)
  // when every entry is −inf.
  float (*softmaxRow)(float* row, int64_t n);
  // A chunk's query panel (or rows of it): Qt[d·ld + r] = scale · x[off[r] + d] for r < R
  // (0 for R ≤ r < Rpad), d < D; with Qp non-null, the bf16 pairs of the same instead (see
  // AttnChunk::Qp). off: element offsets of the rows from x; ld: the panel's row stride.
  void (*packPanel)(const float* x, const int32_t* off, int R, int Rpad, int ld, int D, float scale, float* Qt,
                    uint32_t* Qp);
  // A chunk's output: out[off[r] + c] = Ot[c][r] · inv[r] for r < R, c < Dv (Ot [Dv][Rpad]).
  void (*unpackPanel)(const float* Ot, int Rpad, int R, int Dv, const float* inv, float* out, const int32_t* off);
  // Lightning-indexer scores of nb queries over n keys with the keys in lanes:
  //   acc[r·lda + s] = Σ_j w[r·HI + j] · ReLU(Σ_d q[(r·HI + j)·D + d] · Kt[d·ldk + s])
  // for r < nb, s < roundUp(n, W) (Kt and acc rows readable/writable that far; Kt zero there).
  // D ∈ {8, 16, 32}; returns false (nothing written) for any other D.
  bool (*indexerRows)(const float* q, const float* w, int64_t nb, int HI, int D, const float* Kt, int64_t ldk, int64_t n,
                      float* acc, int64_t lda);
};

}  // namespace dsa
