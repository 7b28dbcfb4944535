// Top-k selection of the lightning indexer through blocked GEMMs (see engine.h selectTopK).
//
// For a block of SEL_ROWS queries and SEL_KEYS keys: D [(query, head), keys] = q·Kᵀ (one
// sgemm over every head's row), then per query I = Σ_j w_j·ReLU(D_j) over its whole row and the
// row's best k (selectRow: a sampled cut, then a keeper over the few keys above it). The row loops are
// compiled for AVX-512, AVX2 and baseline (target_clones picks one when the addon loads).
// A short query block (decode) is split over key ranges across threads; the ranges'
// survivors are merged in range order, so the result does not depend on thread timing.
#include <algorithm>
#include <functional>
#include <vector>

#include "engine.h"
#include "gemm.h"
#include "threads.h"
#include "topk_keeper.h"

namespace dsa {
namespace {

constexpr int64_t SEL_ROWS = 32, SEL_KEYS = 4096, FILTER = 64;

// acc[s] = Σ_j w[j]·max(D[j·ld + s], 0) for s < n.
__attribute__((target_clones("avx512f", "avx2", "default")))
void combineRow(const float* D, int64_t ld, const float* w, int64_t HI, int64_t n, float* acc) {
  const float w0 = w[0];
  for (int64_t s = 0; s < n; s++) acc[s] = w0 * std::max(D[s], 0.f);
  for (int64_t j = 1; j < HI; j++) {
    const float wj = w[j];
    const float* Dj = D + j * ld;
    for (int64_t s = 0; s < n; s++) acc[s] += wj * std::max(Dj[s], 0.f);
  }
}

// Number of acc[0..n) above thr (vector compares, no branches).
__attribute__((target_clones("avx512f", "avx2", "default")))
int countAbove(const float* acc, int64_t n, float thr) {
  int c = 0;
  for (int64_t s = 0; s < n; s++) c += acc[s] > thr;
  return c;
}

// Number of acc[0..n) at or above thr.
__attribute__((target_clones("avx512f", "avx2", "default")))
int countAtLeast(const float* acc, int64_t n, float thr) {
  int c = 0;
  for (int64_t s = 0; s < n; s++) c += acc[s] >= thr;
  return c;
}

// The best k of row[0..n) (positions s0 + i) among the candidates in keep.h (more than k may
// be left there: the caller selects the k best). A long row is first cut at a
// threshold v read off a strided sample (its rank chosen so that ~2k keys lie above v):
// when at least k keys are strictly above v, the top k all are, so only those enter the
// keeper and the result is exact (likewise with ties at v, below); otherwise (v above the
// k-th best: rare) every key goes through the keeper.
// Without the cut a keeper fed in position order compacts again and again whenever scores
// trend upward along the row (a recency preference), which costs more than the GEMM.
void selectRow(const float* row, int64_t n, int64_t s0, int64_t k, std::vector<float>& sample, TopK& keep) {
  constexpr int64_t STRIDE = 64;
  const int64_t rank = std::max<int64_t>(4, 2 * k / STRIDE);  // 0-based rank in the sample: ~2k keys above it in the row
  if (n > 8 * k && n / STRIDE > 4 * rank) {
    sample.clear();
    for (int64_t i = 0; i < n; i += STRIDE) sample.push_back(row[i]);
    std::nth_element(sample.begin(), sample.begin() + rank, sample.end(), std::greater<float>());
    const float v = sample[(size_t)rank];
    const int64_t above = countAbove(row, n, v);
    // Ties at v (a ReLU indexer scores many keys exactly 0): the k best are every key above v
    // and then the lowest positions scoring exactly v.
    int64_t ties = above >= k ? 0 : k - above;
    if (ties == 0 || countAtLeast(row, n, v) >= k) {
      for (int64_t b = 0; b < n; b += FILTER) {
        const int64_t e = std::min(n, b + FILTER);
        if (countAbove(row + b, e - b, v) == 0 && (ties == 0 || countAtLeast(row + b, e - b, v) == 0)) continue;
        // Straight into the candidate list: it holds ~2k keys, all of which the final
        // selection (nth_element to k) sees, so the keeper's own compaction would be waste.
        for (int64_t i = b; i < e; i++)
          if (row[i] > v || (row[i] == v && ties > 0 && ties--)) keep.h.push_back({row[i], (int32_t)(s0 + i)});
      }
      return;
    }
  }
  for (int64_t i = 0; i < n; i++) keep.push(row[i], (int32_t)(s0 + i));
}

}  // namespace

void selectTopK(const IndexerArgs& ix, int64_t k, int threads, int32_t* sel, bool sorted) {
  const int64_t HI = ix.HI, DI = ix.DI, T = ix.T;
  const float* K = static_cast<const float*>(ix.k);
  const int64_t blocks = (T + SEL_ROWS - 1) / SEL_ROWS;
  int64_t nsplit = 1;
  if (threads > 1 && blocks < 2 * threads)
    nsplit = std::max<int64_t>(1, std::min<int64_t>((4 * (int64_t)threads + blocks - 1) / blocks, ix.L / SEL_KEYS));
  struct Scratch {
    std::vector<float> D, acc, sample;
    TopK keep{1};
  };
  std::vector<Scratch> scratch((size_t)std::max(1, threads));
  std::vector<std::vector<Cand>> kept(nsplit > 1 ? (size_t)(T * nsplit) : 0);
  parallelFor(threads, blocks * nsplit, [&](int64_t it, int tid) {
    const int64_t bi = it / nsplit, si = it % nsplit;
    const int64_t t0 = bi * SEL_ROWS, t1 = std::min(T, t0 + SEL_ROWS), nb = t1 - t0;
    const int64_t valid = std::min(ix.L, ix.qStart + t1);  // keys any row of the block may see
    const int64_t per = (valid + nsplit - 1) / nsplit;
    const int64_t ks = std::min(valid, si * per), ke = std::min(valid, ks + per);
    Scratch& sc = scratch[(size_t)tid];
    const int64_t span = ke - ks;
    sc.D.resize((size_t)(HI * SEL_ROWS * SEL_KEYS));
    if (sc.acc.size() < (size_t)(nb * span)) sc.acc.resize((size_t)(nb * span));
    // I for every (row, key) of the block and range: acc [nb][span].
    for (int64_t c0 = ks; c0 < ke; c0 += SEL_KEYS) {
      const int64_t n = std::min(SEL_KEYS, ke - c0);
      // One GEMM for every (query, head) row of the block: D [(r·HI + j)][key].
      sgemm(false, true, nb * HI, n, DI, 1.f, ix.q + t0 * HI * DI, DI, K + c0 * DI, DI, 0.f, sc.D.data(), SEL_KEYS, 1);
      for (int64_t r = 0; r < nb; r++) {
        const int64_t m = std::min(c0 + n, ix.qStart + t0 + r + 1) - c0;  // causal: keys ≤ the query
        if (m > 0) combineRow(sc.D.data() + r * HI * SEL_KEYS, SEL_KEYS, ix.w + (t0 + r) * HI, HI, m, sc.acc.data() + r * span + (c0 - ks));
      }
    }
    const int64_t kk = std::max<int64_t>(1, std::min<int64_t>(k, span));  // never more than the range holds
    TopK& keep = sc.keep;
    for (int64_t r = 0; r < nb; r++) {
      keep.reset(kk);
      const int64_t m = std::min(ke, ix.qStart + t0 + r + 1) - ks;
      if (m > 0) selectRow(sc.acc.data() + r * span, m, ks, kk, sc.sample, keep);
      if (nsplit == 1) writeSorted(keep.h, k, sel + (t0 + r) * k, sorted);
      else kept[(size_t)((t0 + r) * nsplit + si)] = keep.h;
    }
  });
  if (nsplit > 1) mergeRanges(kept, T, nsplit, k, sel, sorted);
}

}  // namespace dsa
