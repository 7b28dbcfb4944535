// Fused DSA: indexer + top-k + sparse attention in one call (see engine.h).
#include <chrono>
#include <cstring>
#include <limits>
#include <vector>

#include "engine.h"
#include "indexer_internal.h"
#include "ops_util.h"
#include "pool.h"
#include "threads.h"
#include "topk_keeper.h"

namespace dsa {

using ops::fail;
using ops::roundUp;

namespace {

// Whether the fused op selects through blocked GEMMs (selectTopK, select.cc) rather than the
// per-query kernel: the kernel vectorises over indexer heads, padded to the vector width, so
// with few heads (the built-in model has 2 against 16 lanes) most of its lanes are padding.
// The GEMM path vectorises over keys and serves a block of queries per pass over the keys.
bool blockedSelection(const Kernels& kr, const IndexerArgs& ix) {
  return ix.kd == DType::F32 && !ix.fp8 && !ix.hadamard && ix.HI * 2 <= kr.width;
}

// The selection of the per-query kernel path: indexer scores produced in blocks of SB keys
// and streamed into a k-keeper, so no [T, L] score matrix is held (scratch O(k + SB) per
// work item). A block enters the keeper through the kernel's vector scan (extractAbove)
// against the keeper's current k-th best: once the keeper is full, most keys of a long row
// fall below it and never leave the scan (a later key that only ties the k-th best loses to
// it on position, so the strict comparison is exact). sel [T][k]: best first when `sorted`,
// else in the keeper's order (the attention needs none).
void selectStreamed(const Kernels& kr, const IndexerArgs& ix, int64_t k, int threads, int32_t* sel, bool sorted) {
  constexpr int64_t SB = 4096;
  const int64_t HIpad = roundUp(ix.HI, kr.width);
  const int64_t nsplit = ops::keySplits(ix.T, ix.L, threads);
  const ops::XformCtx x{ix.fp8, ix.hadamard};
  std::vector<std::vector<Cand>> kept(nsplit > 1 ? (size_t)(ix.T * nsplit) : 0);
  std::vector<ops::IndexerScratch>& scratch = ops::indexerWorkspace(threads);
  pooledFor(threads, ix.T * nsplit, [&](int64_t it, int tid) {
    const int64_t t = it / nsplit, si = it % nsplit;
    ops::IndexerScratch& sc = scratch[(size_t)tid];
    sc.init(kr, HIpad, ix.HI, ix.DI, SB);
    ops::packIndexerQuery(kr, ix, t, HIpad, sc);
    const int64_t valid = std::min(ix.L, ix.qStart + t + 1);
    const int64_t per = (valid + nsplit - 1) / nsplit;
    const int64_t ks = std::min(valid, si * per), ke = std::min(valid, ks + per);
    TopK keep(std::max<int64_t>(1, std::min<int64_t>(k, ke - ks)));  // never more than the range holds
    IndexerChunk c = ops::makeIndexerChunk(kr, ix, HIpad, sc, &x);
    float* candS = sc.candS.p;
    int32_t* candI = reinterpret_cast<int32_t*>(sc.candI.p);
    for (int64_t b = ks; b < ke; b += SB) {
      c.s0 = b; c.n = std::min(SB, ke - b); c.out = sc.sbuf.p;
      kr.indexerChunk(c);
      const float v = keep.full ? keep.thr.s : -std::numeric_limits<float>::infinity();
      const int64_t n = kr.extractAbove(sc.sbuf.p, c.n, v, b, candS, candI);
      for (int64_t j = 0; j < n; j++) keep.push(candS[j], candI[j]);
    }
    if (nsplit == 1) writeSorted(keep.h, k, sel + t * k, sorted);
    else kept[(size_t)it] = std::move(keep.h);
  });
  if (nsplit > 1) mergeRanges(kept, ix.T, nsplit, k, sel, sorted);
}

}  // namespace

void dsa(const Kernels& kr, const AttnArgs& attn, const IndexerArgs& ix, int64_t k, bool skipShort,
         int32_t* indicesOut, bool* skipped, double* phaseMs) {
  // Phase clock: the selection's share of a fused call can only be read inside the call
  // (timing the indexer and a top-k pass separately measures other code).
  using clk = std::chrono::steady_clock;
  const auto tStart = clk::now();
  auto tSelected = tStart;
  auto phases = [&]() {
    if (!phaseMs) return;
    phaseMs[0] = std::chrono::duration<double, std::milli>(tSelected - tStart).count();
    phaseMs[1] = std::chrono::duration<double, std::milli>(clk::now() - tSelected).count();
  };
  if (attn.indices) fail("E_OPTION", "fused DSA selects its own indices");
  if (k < 1) fail("E_OPTION", "topk must be ≥ 1");
  checkAttn(attn);
  checkIndexer(ix);
  if (ix.T != attn.T || ix.L != attn.L || ix.qStart != attn.qStart)
    fail("E_SHAPE", "indexer and attention must agree on T, L and qStart");
  if (attn.L > std::numeric_limits<int32_t>::max()) fail("E_SHAPE", "L too large for int32 indices");

  *skipped = skipShort && attn.qStart + attn.T <= k;
  if (*skipped) {
    AttnArgs d = attn;
    d.causal = true;
    attention(kr, d);
    phases();
    if (indicesOut)
      for (int64_t t = 0; t < attn.T; t++)
        for (int64_t j = 0; j < k; j++) indicesOut[t * k + j] = j <= attn.qStart + t ? (int32_t)j : -1;
    return;
  }

  const int threads = attn.threads;
  std::vector<int32_t> sel((size_t)(attn.T * k));
  if (blockedSelection(kr, ix)) {
    selectTopK(ix, k, threads, sel.data(), indicesOut != nullptr);  // attention needs no order
    tSelected = clk::now();
    AttnArgs sp = attn;
    sp.indices = sel.data();
    sp.topk = k;
    if (blockedSparseAttention(sp)) sparseAttentionBlocked(kr, sp, sel.data(), k);
    else attention(kr, sp);
    phases();
    if (indicesOut) std::memcpy(indicesOut, sel.data(), sizeof(int32_t) * sel.size());
    return;
  }
  selectStreamed(kr, ix, k, threads, sel.data(), indicesOut != nullptr);
  tSelected = clk::now();
  AttnArgs sp = attn;
  sp.indices = sel.data();
  sp.topk = k;
  attention(kr, sp);
  phases();
  if (indicesOut) std::memcpy(indicesOut, sel.data(), sizeof(int32_t) * sel.size());
}

}  // namespace dsa
