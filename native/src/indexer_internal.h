// Pieces of the lightning indexer shared by indexer.cc (scores) and dsa.cc (the fused op's
// streamed selection): query packing, key transform, per-thread scratch, work split.
#pragma once
#include <cstdint>
#include <vector>

#include "engine.h"
#include "threads.h"

namespace dsa {
namespace ops {

struct XformCtx {
  bool fp8, hadamard;
};
void keyTransform(float* rows, int64_t n, int dim, const void* ctx);

struct IndexerScratch {
  FloatBuf Qt, w, qtmp, kbuf, zero, sbuf;
  std::vector<const float*> kptr;
  bool ready = false;
  void init(const Kernels& kr, int64_t HIpad, int64_t HI, int64_t DI, int64_t sbufLen) {
    if (ready) return;
    const int64_t BK = kr.blockKeys;
    Qt.alloc(DI * HIpad); w.alloc(HIpad); qtmp.alloc(HI * DI); kbuf.alloc(BK * DI);
    zero.alloc(DI + 16); kptr.assign(BK + 16, nullptr);
    if (sbufLen > 0) sbuf.alloc(sbufLen);
    ready = true;
  }
};

// Packs the (transformed) indexer query of token t as Qt[d][h] and its weights.
void packIndexerQuery(const IndexerArgs& a, int64_t t, int64_t HIpad, IndexerScratch& sc);
IndexerChunk makeIndexerChunk(const IndexerArgs& a, int64_t HIpad, IndexerScratch& sc, const XformCtx* x);
// Indexer work split: per query when there are enough queries, else ~4 key ranges per
// thread (dynamic), at least 4096 keys each.
int64_t keySplits(int64_t T, int64_t L, int threads);

}  // namespace ops
}  // namespace dsa
