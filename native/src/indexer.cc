// Lightning indexer scores and the plain top-k op (see engine.h).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "engine.h"
#include "indexer_internal.h"
#include "ops_util.h"
#include "pool.h"
#include "threads.h"
#include "topk_keeper.h"

namespace dsa {

using ops::bf16Bits;
using ops::fail;
using ops::NEG_INF;
using ops::roundUp;

namespace ops {

void keyTransform(float* rows, int64_t n, int dim, const void* ctx) {
  const XformCtx* x = static_cast<const XformCtx*>(ctx);
  if (x->hadamard) hadamardRows(rows, n, dim);
  if (x->fp8) fp8Rows(rows, n, dim);
}

uint64_t newIndexerCall() {
  static std::atomic<uint64_t> calls{0};
  return calls.fetch_add(1, std::memory_order_relaxed) + 1;
}

void packIndexerQuery(const Kernels& kr, const IndexerArgs& a, int64_t t, int64_t HIpad, IndexerScratch& sc,
                      uint64_t call) {
  if (sc.packedCall == call && sc.packedT == t) return;
  sc.packedCall = call;
  sc.packedT = t;
  std::memcpy(sc.qtmp.p, a.q + t * a.HI * a.DI, sizeof(float) * (size_t)(a.HI * a.DI));
  if (a.hadamard) hadamardRows(sc.qtmp.p, a.HI, (int)a.DI);
  if (a.fp8) fp8Rows(sc.qtmp.p, a.HI, (int)a.DI);
  for (int64_t h = 0; h < HIpad; h++) sc.w.p[h] = h < a.HI ? a.w[t * a.HI + h] : 0.f;
  if (indexerBf16Dot(kr, a)) {
    uint32_t* Qp = reinterpret_cast<uint32_t*>(sc.Qp.p);
    for (int64_t i = 0; i < (a.DI + 1) / 2; i++)
      for (int64_t h = 0; h < HIpad; h++) {
        const float* q = sc.qtmp.p + h * a.DI;
        const bool two = 2 * i + 1 < a.DI;
        Qp[i * HIpad + h] = h < a.HI ? bf16Bits(q[2 * i]) | (two ? bf16Bits(q[2 * i + 1]) << 16 : 0u) : 0u;
      }
    return;
  }
  for (int64_t d = 0; d < a.DI; d++)
    for (int64_t h = 0; h < HIpad; h++) sc.Qt.p[d * HIpad + h] = h < a.HI ? sc.qtmp.p[h * a.DI + d] : 0.f;
}

IndexerChunk makeIndexerChunk(const Kernels& kr, const IndexerArgs& a, int64_t HIpad, IndexerScratch& sc,
                              const XformCtx* x) {
  IndexerChunk c;
  c.H = (int)a.HI; c.Hpad = (int)HIpad; c.D = (int)a.DI;
  c.Qt = sc.Qt.p; c.w = sc.w.p;
  c.K = {a.k, a.kd, a.DI, 0};
  c.transform = (a.fp8 || a.hadamard) ? keyTransform : nullptr;
  c.transformCtx = x;
  c.kbuf = sc.kbuf.p; c.kptr = sc.kptr.data(); c.zero = sc.zero.p;
  if (indexerBf16Dot(kr, a)) {
    c.Qp = reinterpret_cast<const uint32_t*>(sc.Qp.p);
    c.kb16 = reinterpret_cast<uint16_t*>(sc.kb16.p);
  }
  return c;
}

std::vector<IndexerScratch>& indexerWorkspace(int threads) {
  thread_local std::vector<IndexerScratch> ws;
  if (ws.size() < (size_t)threads) ws.resize((size_t)threads);
  return ws;
}

int64_t keySplits(int64_t T, int64_t L, int threads) {
  if (threads <= 1 || T >= 2 * threads) return 1;
  const int64_t want = (4 * (int64_t)threads + T - 1) / T;
  return std::max<int64_t>(1, std::min<int64_t>(want, L / 4096));
}

}  // namespace ops

using ops::IndexerScratch;
using ops::XformCtx;

void checkIndexer(const IndexerArgs& a) {
  if (!a.q || !a.k || !a.w) fail("E_SHAPE", "index_q, index_k and index_w are required");
  if (a.T < 1 || a.HI < 1 || a.DI < 1 || a.L < 1) fail("E_SHAPE", "T, heads, dim and L must be ≥ 1");
  if (a.qStart < 0 || a.qStart + a.T > a.L)
    fail("E_SHAPE", "queries sit at qStart..qStart+T-1, which must lie inside the cache [0, L)");
  if (a.hadamard && (a.DI & (a.DI - 1)) != 0) fail("E_OPTION", "hadamard needs a power-of-two index dim");
  if (a.threads < 1 || a.threads > 1024) fail("E_OPTION", "threads must be in 1..1024");
  if (a.DI > (1 << 20) || a.HI > (1 << 20)) fail("E_SHAPE", "dimension too large");
}

void indexer(const Kernels& kr, const IndexerArgs& a, float* scores) {
  checkIndexer(a);
  const int64_t HIpad = roundUp(a.HI, kr.width);
  const int64_t nsplit = ops::keySplits(a.T, a.L, a.threads);
  const XformCtx x{a.fp8, a.hadamard};
  std::vector<IndexerScratch>& scratch = ops::indexerWorkspace(a.threads);
  const uint64_t call = ops::newIndexerCall();
  pooledFor(a.threads, a.T * nsplit, [&](int64_t it, int tid) {
    const int64_t t = it / nsplit, si = it % nsplit;
    IndexerScratch& sc = scratch[(size_t)tid];
    sc.init(kr, HIpad, a.HI, a.DI, 0);
    ops::packIndexerQuery(kr, a, t, HIpad, sc, call);
    const int64_t valid = std::min(a.L, a.qStart + t + 1);
    const int64_t per = (valid + nsplit - 1) / nsplit;
    const int64_t ks = std::min(valid, si * per), ke = std::min(valid, ks + per);
    float* row = scores + t * a.L;
    if (si == 0)
      for (int64_t s = valid; s < a.L; s++) row[s] = NEG_INF;
    IndexerChunk c = ops::makeIndexerChunk(kr, a, HIpad, sc, &x);
    c.s0 = ks; c.n = ke - ks; c.out = row + ks;
    if (c.n > 0) kr.indexerChunk(c);
  });
}

void topk(const float* scores, int64_t T, int64_t L, int64_t k, int threads, int32_t* out) {
  if (T < 1 || L < 1) fail("E_SHAPE", "scores must be [T ≥ 1, L ≥ 1]");
  if (k < 1) fail("E_OPTION", "k must be ≥ 1");
  if (threads < 1 || threads > 1024) fail("E_OPTION", "threads must be in 1..1024");
  pooledFor(threads, T, [&](int64_t t, int) {
    TopK keep(std::min(k, L));
    const float* row = scores + t * L;
    for (int64_t s = 0; s < L; s++) keep.push(row[s], (int32_t)s);
    writeSorted(keep.h, k, out + t * k);
  });
}

}  // namespace dsa
