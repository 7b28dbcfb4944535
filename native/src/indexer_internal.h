// Pieces of the lightning indexer shared by indexer.cc (scores) and dsa.cc (the fused op's
// streamed selection): query packing, key transform, per-thread scratch, work split.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine.h"
#include "threads.h"

namespace dsa {
namespace ops {

struct XformCtx {
  bool fp8, hadamard;
};
void keyTransform(float* rows, int64_t n, int dim, const void* ctx);

// Whether the indexer runs on bf16 dot products: bf16 keys on a kernel set that has them,
// without the FP8/Hadamard simulation (which transforms fp32 copies of the keys).
inline bool indexerBf16Dot(const Kernels& kr, const IndexerArgs& a) {
  return kr.bf16Dot && a.kd == DType::BF16 && !a.fp8 && !a.hadamard;
}

struct IndexerScratch {
  FloatBuf Qt, w, qtmp, kbuf, zero, sbuf, Qp, kb16;  // Qp, kb16: 32-bit pairs / bf16 (bf16 dot products)
  std::vector<const float*> kptr;
  bool ready = false;
  void init(const Kernels& kr, int64_t HIpad, int64_t HI, int64_t DI, int64_t sbufLen) {
    if (ready) return;
    const int64_t BK = kr.blockKeys;
    Qt.alloc(DI * HIpad); w.alloc(HIpad); qtmp.alloc(HI * DI); kbuf.alloc(BK * DI);
    zero.alloc(DI + 16); kptr.assign(BK + 16, nullptr);
    if (kr.bf16Dot) { Qp.alloc((DI + 1) / 2 * HIpad); kb16.alloc(BK * (DI + 2) / 2); }
    if (sbufLen > 0) sbuf.alloc(sbufLen);
    ready = true;
  }
};

// Packs the (transformed) indexer query of token t as Qt[d][h] (or, for bf16 dot products,
// Qp[i][h] = the bf16 pair (q[h][2i], q[h][2i+1])) and its weights.
void packIndexerQuery(const Kernels& kr, const IndexerArgs& a, int64_t t, int64_t HIpad, IndexerScratch& sc);
IndexerChunk makeIndexerChunk(const Kernels& kr, const IndexerArgs& a, int64_t HIpad, IndexerScratch& sc,
                              const XformCtx* x);
// Indexer work split: per query when there are enough queries, else ~4 key ranges per
// thread (dynamic), at least 4096 keys each.
int64_t keySplits(int64_t T, int64_t L, int threads);

}  // namespace ops
}  // namespace dsa
