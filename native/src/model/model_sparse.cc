// Top-k attention of the training path in O(N·k) memory (see model_sparse.h).
//
// Per token the selected key rows are gathered once into a contiguous [k, Dqk] block and every
// head works on it with small GEMMs (MQA: the heads share the keys), so the cost is O(N·k·H·D)
// with no [L, L] matrix anywhere. Scatter-adds into key gradients go to per-range buffers
// (each thread owns a fixed range of tokens) summed in range order: deterministic for a given
// thread count.
#include "model_sparse.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "../engine.h"
#include "../gemm.h"
#include "../threads.h"

namespace dsa {
namespace model {
namespace {

const float NEG_INF = -std::numeric_limits<float>::infinity();
const int64_t TOKEN_BLOCK = 64;   // tokens per work item (forward)

int64_t validCount(const int32_t* row, int64_t k) {
  int64_t c = 0;
  while (c < k && row[c] >= 0) c++;
  return c;
}

// Copies the selected rows of src [.., D] (sequence base `base`) into dst [cnt, D].
void gatherRows(const float* src, int64_t base, int64_t D, const int32_t* row, int64_t cnt, float* dst) {
  for (int64_t j = 0; j < cnt; j++) std::memcpy(dst + j * D, src + (base + row[j]) * D, (size_t)D * sizeof(float));
}

// Fixed token ranges [lo, hi) of part p out of `parts`.
int64_t rangeLo(int64_t N, int64_t parts, int64_t p) { return N * p / parts; }

// Sums per-range buffers into out[0..n) in range order.
void sumParts(const std::vector<std::vector<float>>& parts, int64_t n, float* out) {
  std::fill(out, out + n, 0.f);
  for (const auto& p : parts)
    for (int64_t i = 0; i < n; i++) out[i] += p[(size_t)i];
}

}  // namespace

void sparseSelect(const SparseShape& s, int64_t nI, int64_t dI, const float* iq, const float* ik, const float* iw,
                  int threads, int32_t* idx) {
  for (int64_t b = 0; b < s.B; b++) {
    IndexerArgs ix;
    ix.q = iq + b * s.L * nI * dI; ix.k = ik + b * s.L * dI; ix.kd = DType::F32; ix.w = iw + b * s.L * nI;
    ix.T = s.L; ix.HI = nI; ix.DI = dI; ix.L = s.L; ix.qStart = 0;
    selectTopK(ix, s.k, threads, idx + b * s.L * s.k, true);  // sorted: the column order of P
  }
}

void sparseAttnForward(const SparseShape& s, float scale, const float* Q, const float* K, const int32_t* idx, float* P,
                       float* Olat, int threads) {
  const int64_t N = s.N(), H = s.H, Dqk = s.Dqk, Dv = s.Dv, k = s.k;
  const int64_t blocks = (N + TOKEN_BLOCK - 1) / TOKEN_BLOCK;
  std::vector<std::vector<float>> kg((size_t)std::max(1, threads));
  parallelFor(threads, blocks, [&](int64_t bi, int tid) {
    std::vector<float>& Kg = kg[(size_t)tid];
    Kg.resize((size_t)(k * Dqk));
    for (int64_t n = bi * TOKEN_BLOCK; n < std::min(N, (bi + 1) * TOKEN_BLOCK); n++) {
      const int32_t* row = idx + n * k;
      const int64_t cnt = validCount(row, k);
      float* Pn = P + n * H * k;
      std::fill(Pn, Pn + H * k, 0.f);
      gatherRows(K, (n / s.L) * s.L, Dqk, row, cnt, Kg.data());
      sgemm(false, true, H, cnt, Dqk, scale, Q + n * Dqk, N * Dqk, Kg.data(), Dqk, 0.f, Pn, k, 1);
      for (int64_t h = 0; h < H; h++) {
        float* pr = Pn + h * k;
        float mx = NEG_INF;
        for (int64_t j = 0; j < cnt; j++) mx = std::max(mx, pr[j]);
        double sum = 0;
        for (int64_t j = 0; j < cnt; j++) {
          pr[j] = std::exp(pr[j] - mx);
          sum += pr[j];
        }
        const float inv = (float)(1.0 / sum);
        for (int64_t j = 0; j < cnt; j++) pr[j] *= inv;
      }
      sgemm(false, false, H, Dv, cnt, 1.f, Pn, k, Kg.data(), Dqk, 0.f, Olat + n * Dv, N * Dv, 1);
    }
  });
}

void sparseAttnBackward(const SparseShape& s, float scale, const float* Q, const float* K, const int32_t* idx,
                        const float* P, const float* dOlat, float* dQ, float* dK, int threads) {
  const int64_t N = s.N(), H = s.H, Dqk = s.Dqk, Dv = s.Dv, k = s.k;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, N));
  std::vector<std::vector<float>> dKp((size_t)parts);
  parallelFor((int)parts, parts, [&](int64_t p, int) {
    std::vector<float>& acc = dKp[(size_t)p];
    acc.assign((size_t)(N * Dqk), 0.f);
    std::vector<float> Kg((size_t)(k * Dqk)), dKg((size_t)(k * Dqk)), dS((size_t)(H * k));
    for (int64_t n = rangeLo(N, parts, p); n < rangeLo(N, parts, p + 1); n++) {
      const int32_t* row = idx + n * k;
      const int64_t cnt = validCount(row, k), base = (n / s.L) * s.L;
      const float* Pn = P + n * H * k;
      const float* dOn = dOlat + n * Dv;
      gatherRows(K, base, Dqk, row, cnt, Kg.data());
      // dP = dO·Vᵀ, then dS = P ⊙ (dP − Σ P⊙dP)
      sgemm(false, true, H, cnt, Dv, 1.f, dOn, N * Dv, Kg.data(), Dqk, 0.f, dS.data(), k, 1);
      for (int64_t h = 0; h < H; h++) {
        const float* pr = Pn + h * k;
        float* dr = dS.data() + h * k;
        double dot = 0;
        for (int64_t j = 0; j < cnt; j++) dot += (double)pr[j] * dr[j];
        const float fd = (float)dot;
        for (int64_t j = 0; j < cnt; j++) dr[j] = pr[j] * (dr[j] - fd);
      }
      sgemm(false, false, H, Dqk, cnt, scale, dS.data(), k, Kg.data(), Dqk, 0.f, dQ + n * Dqk, N * Dqk, 1);
      sgemm(true, false, cnt, Dqk, H, scale, dS.data(), k, Q + n * Dqk, N * Dqk, 0.f, dKg.data(), Dqk, 1);
      sgemm(true, false, cnt, Dv, H, 1.f, Pn, k, dOn, N * Dv, 1.f, dKg.data(), Dqk, 1);  // value part: Pᵀ·dO
      for (int64_t j = 0; j < cnt; j++) {
        float* dst = acc.data() + (base + row[j]) * Dqk;
        const float* src = dKg.data() + j * Dqk;
        for (int64_t i = 0; i < Dqk; i++) dst[i] += src[i];
      }
    }
  });
  sumParts(dKp, N * Dqk, dK);
}

double sparseIndexerKL(const SparseShape& s, int64_t nI, int64_t dI, const float* iq, const float* ik,
                       const float* iw, const int32_t* idx, const float* P, const int32_t* tokens, double klScale,
                       float* dIq, float* dIk, float* dIw, int threads) {
  const int64_t N = s.N(), H = s.H, k = s.k;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, N));
  std::vector<std::vector<float>> dIkp((size_t)parts);
  std::vector<double> klPart((size_t)parts, 0.0);
  std::fill(dIq, dIq + N * nI * dI, 0.f);
  std::fill(dIw, dIw + N * nI, 0.f);
  parallelFor((int)parts, parts, [&](int64_t p, int) {
    std::vector<float>& acc = dIkp[(size_t)p];
    acc.assign((size_t)(N * dI), 0.f);
    std::vector<float> kg((size_t)(k * dI)), dkg((size_t)(k * dI)), D((size_t)(nI * k)), pr((size_t)k);
    std::vector<double> I((size_t)k);
    double kl = 0;
    for (int64_t n = rangeLo(N, parts, p); n < rangeLo(N, parts, p + 1); n++) {
      if (tokens[n] < 0) continue;
      const int32_t* row = idx + n * k;
      const int64_t cnt = validCount(row, k), base = (n / s.L) * s.L;
      const float* Pn = P + n * H * k;
      const float* w = iw + n * nI;
      gatherRows(ik, base, dI, row, cnt, kg.data());
      sgemm(false, true, nI, cnt, dI, 1.f, iq + n * nI * dI, dI, kg.data(), dI, 0.f, D.data(), k, 1);
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < cnt; j++) {
        double v = 0;
        for (int64_t h = 0; h < nI; h++) v += (double)(w[h] * std::max(D[(size_t)(h * k + j)], 0.f));
        I[(size_t)j] = v;
        mx = std::max(mx, v);
        double ps = 0;
        for (int64_t h = 0; h < H; h++) ps += Pn[h * k + j];
        pr[(size_t)j] = (float)(ps / H);
      }
      double z = 0;
      for (int64_t j = 0; j < cnt; j++) z += std::exp(I[(size_t)j] - mx);
      const double lz = std::log(z) + mx;
      // dI_j = (q_j − p_j)·klScale, then through the weighted ReLU sum.
      for (int64_t j = 0; j < cnt; j++) {
        const double logq = I[(size_t)j] - lz;
        if (pr[(size_t)j] > 0) kl += pr[(size_t)j] * (std::log((double)pr[(size_t)j]) - logq);
        const float di = (float)((std::exp(logq) - pr[(size_t)j]) * klScale);
        for (int64_t h = 0; h < nI; h++) {
          float& dd = D[(size_t)(h * k + j)];
          const bool on = dd > 0.f;
          dIw[n * nI + h] += di * (on ? dd : 0.f);
          dd = on ? di * w[h] : 0.f;
        }
      }
      sgemm(false, false, nI, dI, cnt, 1.f, D.data(), k, kg.data(), dI, 0.f, dIq + n * nI * dI, dI, 1);
      sgemm(true, false, cnt, dI, nI, 1.f, D.data(), k, iq + n * nI * dI, dI, 0.f, dkg.data(), dI, 1);
      for (int64_t j = 0; j < cnt; j++) {
        float* dst = acc.data() + (base + row[j]) * dI;
        for (int64_t i = 0; i < dI; i++) dst[i] += dkg[(size_t)(j * dI + i)];
      }
    }
    klPart[(size_t)p] = kl;
  });
  sumParts(dIkp, N * dI, dIk);
  double kl = 0;
  for (double v : klPart) kl += v;
  return kl;
}

}  // namespace model
}  // namespace dsa
