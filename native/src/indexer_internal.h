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

// Per-thread scratch of the indexer (grow-only: kept between calls, see indexerWorkspace).
// Qp, kb16: 32-bit pairs / bf16 (bf16 dot products); sbuf, candS, candI: the fused op's
// selection (a row of scores and its candidates, whole vectors past the end).
struct IndexerScratch {
  FloatBuf Qt, w, qtmp, kbuf, zero, sbuf, Qp, kb16, candS, candI;
  std::vector<const float*> kptr;
  uint64_t packedCall = 0;  // the call and query whose packed query Qt/Qp and w hold (0: none)
  int64_t packedT = -1;
  void init(const Kernels& kr, int64_t HIpad, int64_t HI, int64_t DI, int64_t sbufLen) {
    const int64_t BK = kr.blockKeys;
    Qt.ensure(DI * HIpad); w.ensure(HIpad); qtmp.ensure(HI * DI); kbuf.ensure(BK * DI);
    zero.ensure(DI + 16);
    if (kptr.size() < (size_t)(BK + 16)) kptr.assign(BK + 16, nullptr);
    if (kr.bf16Dot) { Qp.ensure((DI + 1) / 2 * HIpad); kb16.ensure(BK * (DI + 2) / 2); }
    if (sbufLen > 0) { sbuf.ensure(sbufLen); candS.ensure(sbufLen + 16); candI.ensure(sbufLen + 16); }
  }
};

// The calling thread's indexer scratch, one per intra-op thread, kept between calls (fresh
// buffers per call came back as fresh pages; their size is bounded by the heads, dims and
// the selection block, not by L). Not re-entered: one op at a time per calling thread.
std::vector<IndexerScratch>& indexerWorkspace(int threads);

// Packs the (transformed) indexer query of token t as Qt[d][h] (or, for bf16 dot products,
// Qp[i][h] = the bf16 pair (q[h][2i], q[h][2i+1])) and its weights, unless sc holds that
// query of this call already: a thread taking several key ranges of one query packs it once
// (a 64 × 128 query is 8,192 scalar conversions; 8 ranges of a 2-thread 128K decode packed
// it 8 times).
// call: an id from newIndexerCall(), one per op call.
void packIndexerQuery(const Kernels& kr, const IndexerArgs& a, int64_t t, int64_t HIpad, IndexerScratch& sc,
                      uint64_t call);
uint64_t newIndexerCall();
IndexerChunk makeIndexerChunk(const Kernels& kr, const IndexerArgs& a, int64_t HIpad, IndexerScratch& sc,
                              const XformCtx* x);
// Indexer work split: per query when there are enough queries, else ~4 key ranges per
// thread (dynamic), at least 4096 keys each.
int64_t keySplits(int64_t T, int64_t L, int threads);

}  // namespace ops
}  // namespace dsa
