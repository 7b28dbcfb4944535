// Top-k selection of the lightning indexer through blocked GEMMs (see engine.h selectTopK).
//
// For a block of SEL_ROWS queries and SEL_KEYS keys: D [(query, head), keys] = q·Kᵀ (one
// sgemm over every head's row), then per query I = Σ_j w_j·ReLU(D_j) over its whole row and the
// row's best k (selectRow: a sampled cut, then a keeper over the few keys above it). The row loops are
// compiled for AVX-512, AVX2 and baseline (target_clones picks one when the addon loads).
// A short query block (decode) is split over key ranges across threads; the ranges'
// survivors are merged in range order, so the result does not depend on thread timing.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "engine.h"
#include "gemm.h"
#include "threads.h"
#include "topk_keeper.h"

namespace dsa {
namespace {

constexpr int64_t SEL_ROWS = 32, SEL_KEYS = 4096;

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

// Number of acc[0..n) at or above thr.
__attribute__((target_clones("avx512f", "avx2", "default")))
int countAtLeast(const float* acc, int64_t n, float thr) {
  int c = 0;
  for (int64_t s = 0; s < n; s++) c += acc[s] >= thr;
  return c;
}

// The rank-th best (0-based) of a small sample, rank < 16: an insertion list of the best
// rank + 1 seen so far (most samples fall below its tail: one predictable compare each),
// where nth_element's partitioning costs several times more on a few hundred floats.
// Leaves the sample's order as it was (the second cut runs nth_element on it).
float rankedBest(const std::vector<float>& sample, int64_t rank) {
  float best[16];
  int64_t n = 0;
  for (const float x : sample) {
    if (n == rank + 1 && !(x > best[rank])) continue;
    int64_t j = n < rank + 1 ? n++ : rank;
    while (j > 0 && best[j - 1] < x) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = x;
  }
  return best[rank];
}

// Per-thread scratch of the selection, kept between calls (grow-only, bounded by the longest
// row seen): fresh buffers every call cost more in page faults than the selection itself
// (a 16K prefill calls this 24 times, 3 MB each).
struct SelectScratch {
  std::vector<float> D, acc, sample, candS, tmp;
  std::vector<int32_t> candI;
  TopK keep{1};
};

// The best k of row[0..n) (positions s0 + i), as candidates that hold them: returns their
// count c ≥ k when they are candS/candI[0..c) (position order), or −1 when they are keep.h.
// A long row is cut at a threshold v, and when at least k keys are strictly above v the top
// k all are, so only those (one vector scan, kr.extractAbove) are candidates: exact. The cuts
// tried: `hint`, the lowest candidate of the previous query's row (neighbouring queries score
// keys alike: most rows of a 16K prompt need nothing else); the rank-th best of a
// strided sample (~2k keys above it); a lower sampled cut (~8k above); past that (ties at v:
// a ReLU indexer scores many keys exactly 0) the ties path below.
// Without a cut a keeper fed in position order compacts again and again whenever scores
// trend upward along the row (a recency preference), which costs more than the GEMM.
int64_t selectRow(const Kernels& kr, const float* row, int64_t n, int64_t s0, int64_t k, float hint, SelectScratch& sc) {
  constexpr int64_t STRIDE = 64;
  TopK& keep = sc.keep;
  if (n > 8 * k && sc.candS.size() < (size_t)n + 16) {  // + 16: extractAbove stores whole vectors
    sc.candS.resize((size_t)n + 16);
    sc.candI.resize((size_t)n + 16);
  }
  if (n > 8 * k && hint == hint) {
    const int64_t above = kr.extractAbove(row, n, hint, s0, sc.candS.data(), sc.candI.data());
    if (above >= k && above <= 4 * k) return above;
  }
  const int64_t rank = std::max<int64_t>(4, 2 * k / STRIDE);  // 0-based rank in the sample: ~2k keys above it in the row
  if (n > 8 * k && n / STRIDE > 4 * rank) {
    std::vector<float>& sample = sc.sample;
    sample.clear();
    for (int64_t i = 0; i < n; i += STRIDE) sample.push_back(row[i]);
    float v;
    if (rank < 16) {
      v = rankedBest(sample, rank);
    } else {
      std::nth_element(sample.begin(), sample.begin() + rank, sample.end(), std::greater<float>());
      v = sample[(size_t)rank];
    }
    int64_t above = kr.extractAbove(row, n, v, s0, sc.candS.data(), sc.candI.data());
    const int64_t rank2 = std::min<int64_t>(4 * rank, (int64_t)sample.size() - 1);
    if (above < k && rank2 > rank) {
      // The second cut: the sample's rank2-th best.
      std::nth_element(sample.begin(), sample.begin() + rank2, sample.end(), std::greater<float>());
      v = sample[(size_t)rank2];
      above = kr.extractAbove(row, n, v, s0, sc.candS.data(), sc.candI.data());
    }
    if (above >= k) return above;
    // Ties at v: the k best are every key above v and then the lowest positions scoring
    // exactly v.
    int64_t ties = k - above;
    if (countAtLeast(row, n, v) >= k) {
      for (int64_t i = 0; i < n; i++)
        if (row[i] > v || (row[i] == v && ties > 0 && ties--)) keep.h.push_back({row[i], (int32_t)(s0 + i)});
      return -1;
    }
  }
  for (int64_t i = 0; i < n; i++) keep.push(row[i], (int32_t)(s0 + i));
  return -1;
}

// The best k of c ≥ k candidates S/I (position order) into out[0..k), in position order;
// returns the k-th best score. The k-th best is found by a 64-bucket histogram over
// [min, max] (bucketing is monotone in the score, so every key of a higher bucket scores at
// least as high as every key of a lower one) and nth_element inside the one bucket that
// holds it; then one pass takes every candidate above it and the lowest positions equal to
// it — the same keys as the (score, position) order selects, without sorting pairs.
float pickBest(const float* S, const int32_t* I, int64_t c, int64_t k, int32_t* out, std::vector<float>& tmp) {
  constexpr int NB = 64;
  float lo = S[0], hi = S[0];
  for (int64_t i = 1; i < c; i++) {
    lo = std::min(lo, S[i]);
    hi = std::max(hi, S[i]);
  }
  float kth = lo;
  const float scale = (float)NB / (hi - lo);
  if (hi > lo && std::isfinite(hi - lo) && std::isfinite(scale)) {  // (±inf scores: the plain path)
    const auto bucket = [&](float x) { return std::min(NB - 1, (int)((x - lo) * scale)); };
    int64_t hist[NB] = {};
    for (int64_t i = 0; i < c; i++) hist[bucket(S[i])]++;
    int b = NB - 1;
    int64_t above = 0;  // candidates in buckets above b
    while (above + hist[b] < k) above += hist[b--];
    tmp.clear();
    for (int64_t i = 0; i < c; i++)
      if (bucket(S[i]) == b) tmp.push_back(S[i]);
    const int64_t r = k - above;  // the k-th best overall is the r-th best of bucket b
    std::nth_element(tmp.begin(), tmp.begin() + (r - 1), tmp.end(), std::greater<float>());
    kth = tmp[(size_t)(r - 1)];
  } else if (hi > lo) {
    tmp.assign(S, S + c);
    std::nth_element(tmp.begin(), tmp.begin() + (k - 1), tmp.end(), std::greater<float>());
    kth = tmp[(size_t)(k - 1)];
  }
  int64_t ties = k;
  for (int64_t i = 0; i < c; i++) ties -= S[i] > kth;
  int64_t j = 0;
  for (int64_t i = 0; i < c; i++)
    if (S[i] > kth || (S[i] == kth && ties > 0 && ties--)) out[j++] = I[i];
  return kth;
}

}  // namespace

void selectTopK(const IndexerArgs& ix, int64_t k, int threads, int32_t* sel, bool sorted) {
  const int64_t HI = ix.HI, DI = ix.DI, T = ix.T;
  const int64_t blocks = (T + SEL_ROWS - 1) / SEL_ROWS;
  int64_t nsplit = 1;
  if (threads > 1 && blocks < 2 * threads)
    nsplit = std::max<int64_t>(1, std::min<int64_t>((4 * (int64_t)threads + blocks - 1) / blocks, ix.L / SEL_KEYS));
  const Kernels& kr = *bestKernels();
  std::vector<std::vector<Cand>> kept(nsplit > 1 ? (size_t)(T * nsplit) : 0);
  // Unordered prefill selection (inference) scores through kr.indexerRows over the keys
  // transposed once per call, Kt [DI][ldk]: no score matrix per head written and read back,
  // no B packing per block. The ordered selection (training, returned indices) keeps the
  // GEMM route, whose scores the shipped training recipe was run with.
  const int64_t keysSeen = std::min(ix.L, ix.qStart + T);
  const int64_t ldk = (keysSeen + 15) / 16 * 16 + 16;
  // bf16 keys are read widened (exact: the same scores as fp32 keys holding the same values):
  // the fused route widens them as it transposes, the GEMM route reads a widened copy
  // [keysSeen][DI] made once per call.
  const float* K = ix.kd == DType::F32 ? static_cast<const float*>(ix.k) : nullptr;
  const uint16_t* K16 = ix.kd == DType::BF16 ? static_cast<const uint16_t*>(ix.k) : nullptr;
  thread_local std::vector<float> Kt;
  // (a decode step, T = 1, would transpose every key for one row: GEMM route)
  const bool fused = !sorted && nsplit == 1 && T >= 16 && (DI == 8 || DI == 16 || DI == 32);
  thread_local std::vector<float> Kwide;
  if (K16 && !fused) {
    if (Kwide.size() < (size_t)(keysSeen * DI)) Kwide.resize((size_t)(keysSeen * DI));
    kr.bf16ToF32(K16, Kwide.data(), keysSeen * DI);
    K = Kwide.data();
  }
  if (fused) {
    if (Kt.size() < (size_t)(DI * ldk)) Kt.resize((size_t)(DI * ldk));
    constexpr int64_t SPAN = 256;  // keys per pass: bf16 rows widened into wide (32 KB at DI = 32)
    float wide[SPAN * 32];
    for (int64_t s0 = 0; s0 < keysSeen; s0 += SPAN) {
      const int64_t n = std::min(SPAN, keysSeen - s0);
      const float* src = K ? K + s0 * DI : wide;
      if (K16) kr.bf16ToF32(K16 + s0 * DI, wide, n * DI);
      for (int64_t d = 0; d < DI; d++)
        for (int64_t s = 0; s < n; s++) Kt[(size_t)(d * ldk + s0 + s)] = src[s * DI + d];
    }
    for (int64_t d = 0; d < DI; d++) std::fill(Kt.data() + d * ldk + keysSeen, Kt.data() + (d + 1) * ldk, 0.f);
  }
  const float* KtData = Kt.data();
  parallelFor(threads, blocks * nsplit, [&](int64_t it, int) {
    const int64_t bi = it / nsplit, si = it % nsplit;
    const int64_t t0 = bi * SEL_ROWS, t1 = std::min(T, t0 + SEL_ROWS), nb = t1 - t0;
    const int64_t valid = std::min(ix.L, ix.qStart + t1);  // keys any row of the block may see
    const int64_t per = (valid + nsplit - 1) / nsplit;
    const int64_t ks = std::min(valid, si * per), ke = std::min(valid, ks + per);
    thread_local SelectScratch sc;
    const int64_t span = fused ? (ke - ks + 15) / 16 * 16 : ke - ks;  // acc row stride (fused: whole vectors)
    sc.D.resize((size_t)(HI * SEL_ROWS * SEL_KEYS));
    if (sc.acc.size() < (size_t)(nb * span)) sc.acc.resize((size_t)(nb * span));
    // I for every (row, key) of the block and range: acc [nb][span] (past a row's own query:
    // computed by the fused kernel, never read).
    if (fused) kr.indexerRows(ix.q + t0 * HI * DI, ix.w + t0 * HI, nb, (int)HI, (int)DI, KtData + ks, ldk, ke - ks, sc.acc.data(), span);
    else for (int64_t c0 = ks; c0 < ke; c0 += SEL_KEYS) {
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
    float hint = std::numeric_limits<float>::quiet_NaN();  // the previous row's lowest candidate (NaN: none)
    for (int64_t r = 0; r < nb; r++) {
      keep.reset(kk);
      const int64_t m = std::min(ke, ix.qStart + t0 + r + 1) - ks;
      const int64_t c = m > 0 ? selectRow(kr, sc.acc.data() + r * span, m, ks, kk, hint, sc) : -1;
      hint = std::numeric_limits<float>::quiet_NaN();
      if (c >= 0) {
        const float lowest = *std::min_element(sc.candS.begin(), sc.candS.begin() + c);
        if (nsplit == 1 && !sorted) {
          // The next row's first cut: halfway from this row's k-th best down to its lowest
          // candidate (measured on a 16K prompt: most rows then need no sample, with ~1.5k
          // candidates).
          const float kth = pickBest(sc.candS.data(), sc.candI.data(), c, k, sel + (t0 + r) * k, sc.tmp);
          (void)kth;
          hint = lowest;
          continue;
        }
        hint = lowest;
        keep.h.resize((size_t)c);
        for (int64_t i = 0; i < c; i++) keep.h[(size_t)i] = {sc.candS[(size_t)i], sc.candI[(size_t)i]};
      }
      if (nsplit == 1) writeSorted(keep.h, k, sel + (t0 + r) * k, sorted);
      else kept[(size_t)((t0 + r) * nsplit + si)] = keep.h;
    }
  });
  if (nsplit > 1) mergeRanges(kept, T, nsplit, k, sel, sorted);
}

}  // namespace dsa
