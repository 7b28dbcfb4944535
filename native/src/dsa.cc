// Fused DSA: indexer + top-k + sparse attention in one call (see engine.h).
#include <algorithm>
#include <chrono>
#include <functional>
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
// bf16 keys take it for chunks of ≥ 16 queries, widened to fp32 once per call (the built-in
// model's shape, 16K keys: 1.13 ms per 16-query chunk against 1.96 on the per-query kernel,
// 106 against 252 ms per 2,048); a decode step keeps the per-query kernel on bf16 dot
// products, which the widening of every key would cost more than it saves (0.11 against
// 0.21 ms).
bool blockedSelection(const Kernels& kr, const IndexerArgs& ix) {
  const bool keys = ix.kd == DType::F32 || (ix.kd == DType::BF16 && ix.T >= 16);
  return keys && !ix.fp8 && !ix.hadamard && ix.HI * 2 <= kr.width;
}

// Query t's k best of row[0..n) (scores of positions 0..n-1) into out[0..k): best first when
// `sorted`, else in no particular order; −1 past the valid keys (−inf and NaN are never
// selected). A cut v from a strided sample (~1.5k keys expected above it), the keys strictly
// above it by the kernel's vector scan (extractAbove), and the k best of those by the
// keepers' order (score, then lower position): exact whenever at least k keys are above v,
// since every key at or below v is then worse than k others; else a lower cut, else every
// valid key. cand: scratch for n + 16 scores and positions.
void selectFromRow(const Kernels& kr, const float* row, int64_t n, int64_t k, bool sorted, int32_t* out,
                   float* candS, int32_t* candI, std::vector<float>& sample, std::vector<Cand>& all) {
  const float NEG = -std::numeric_limits<float>::infinity();
  int64_t c = 0;
  if (n > 2 * k) {
    const int64_t stride = std::max<int64_t>(1, n / 2048);
    sample.clear();
    for (int64_t i = 0; i < n; i += stride) sample.push_back(row[i] == row[i] ? row[i] : NEG);  // (NaN: never above)
    const int64_t m = (int64_t)sample.size();
    for (int64_t rank = std::min<int64_t>(m - 1, (3 * k * m) / (2 * n) + 4);; rank = std::min<int64_t>(m - 1, 4 * rank)) {
      std::nth_element(sample.begin(), sample.begin() + rank, sample.end(), std::greater<float>());
      c = kr.extractAbove(row, n, sample[(size_t)rank], 0, candS, candI);
      if (c >= k || rank == m - 1) break;
    }
  }
  if (c < k) c = kr.extractAbove(row, n, NEG, 0, candS, candI);  // every valid key
  all.resize((size_t)c);
  for (int64_t i = 0; i < c; i++) all[(size_t)i] = {candS[i], candI[i]};
  writeSorted(all, k, out, sorted);
}

// The selection of the per-query kernel path: each query's indexer scores are written into
// a row of L (per thread when a query is one work item; a shared [T][L] when few queries
// split their keys into ranges across the threads), then its k best are taken from the row
// (selectFromRow). Scratch O(L) per thread, kept between calls. (Streaming the scores
// through a k-keeper per key range instead cost a third of a 2-thread 128K selection: with
// 8 ranges of 16K keys each keeper held 2,048 of its 16K and compacted again and again, and
// the merge of 8 × 2,048 ran on one thread.) sel [T][k]: best first when `sorted`.
void selectStreamed(const Kernels& kr, const IndexerArgs& ix, int64_t k, int threads, int32_t* sel, bool sorted) {
  const int64_t HIpad = roundUp(ix.HI, kr.width), L = ix.L;
  const int64_t nsplit = ops::keySplits(ix.T, L, threads);
  const ops::XformCtx x{ix.fp8, ix.hadamard};
  std::vector<ops::IndexerScratch>& scratch = ops::indexerWorkspace(threads);
  thread_local FloatBuf shared;  // [T][L] rows when queries split their keys (the caller's)
  if (nsplit > 1) shared.ensure(ix.T * L);
  float* const rows = shared.p;  // (the lambdas run on other threads too: their own thread_local is not this)
  const auto valid = [&](int64_t t) { return std::min(L, ix.qStart + t + 1); };
  const auto select = [&](int64_t t, const float* row, ops::IndexerScratch& sc) {
    thread_local std::vector<float> sample;
    thread_local std::vector<Cand> all;
    selectFromRow(kr, row, valid(t), k, sorted, sel + t * k, sc.candS.p, reinterpret_cast<int32_t*>(sc.candI.p), sample, all);
  };
  const uint64_t call = ops::newIndexerCall();
  pooledFor(threads, ix.T * nsplit, [&](int64_t it, int tid) {
    const int64_t t = it / nsplit, si = it % nsplit;
    ops::IndexerScratch& sc = scratch[(size_t)tid];
    sc.init(kr, HIpad, ix.HI, ix.DI, L);
    ops::packIndexerQuery(kr, ix, t, HIpad, sc, call);
    const int64_t per = (valid(t) + nsplit - 1) / nsplit;
    const int64_t ks = std::min(valid(t), si * per), ke = std::min(valid(t), ks + per);
    float* row = nsplit > 1 ? rows + t * L : sc.sbuf.p;
    IndexerChunk c = ops::makeIndexerChunk(kr, ix, HIpad, sc, &x);
    c.s0 = ks; c.n = ke - ks; c.out = row + ks;
    if (c.n > 0) kr.indexerChunk(c);
    if (nsplit == 1) select(t, row, sc);
  });
  if (nsplit > 1)
    pooledFor(threads, ix.T, [&](int64_t t, int tid) {
      ops::IndexerScratch& sc = scratch[(size_t)tid];
      sc.init(kr, HIpad, ix.HI, ix.DI, L);
      select(t, rows + t * L, sc);
    });
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
