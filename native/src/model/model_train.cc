// Full-sequence forward and backward of the built-in model (training and `logits`).
//
// Activations are row-major over N = B·L tokens. Dense main attention runs per
// (sequence b, head h) with the explicit score matrix [L, L] (fine at training lengths ≤ a
// few K): S = scale·Q_bh·K_bᵀ masked to s ≤ t, P = softmax(S) (kept for backward),
// O_bh = P·V_b with V_b = K_b[:, :rkv].
// Sparse (top-k) attention keeps only the selected keys per token (model_sparse.cc): O(N·k)
// memory, so sparse steps run at 8K–16K tokens. Q rows carry the log-n factor of their
// position (Config::lognScale), so dQ is scaled by it on the way back.
// The indexer's loss is a leaf (its inputs are detached), so its backward runs right after
// the layer's forward and only produces indexer weight gradients.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "../engine.h"
#include "../gemm.h"
#include "../threads.h"
#include "model.h"
#include "model_sparse.h"

namespace dsa {
namespace model {
namespace {

using Vec = std::vector<float>;
const float NEG_INF = -std::numeric_limits<float>::infinity();
// Query rows per causal block: keys past the block's last row are never computed.
const int64_t ROW_BLOCK = 64;

// Y[N,out] = X[N,in]·Wᵀ (W is [out,in]).
void linear(const float* X, int64_t N, int64_t in, const float* W, int64_t out, float* Y, int th) {
  sgemm(false, true, N, out, in, 1.f, X, in, W, in, 0.f, Y, out, th);
}
// dX (+)= dY·W and gW += dYᵀ·X.
void linearBack(const float* dY, const float* X, int64_t N, int64_t in, const float* W, int64_t out, float* dX,
                bool accumulate, float* gW, int th) {
  if (dX) sgemm(false, false, N, in, out, 1.f, dY, out, W, in, accumulate ? 1.f : 0.f, dX, in, th);
  if (gW) sgemm(true, false, out, in, N, 1.f, dY, out, X, in, 1.f, gW, in, th);
}

// y = x·rinv·w per row; rinv[n] = 1/sqrt(mean(x²)+eps). Strides let it read column slices.
void rmsForward(const float* x, int64_t xs, int64_t N, int64_t D, const float* w, float eps, float* y, int64_t ys,
                float* rinv) {
  for (int64_t n = 0; n < N; n++) {
    const float* xr = x + n * xs;
    double ss = 0;
    for (int64_t i = 0; i < D; i++) ss += (double)xr[i] * xr[i];
    const float r = (float)(1.0 / std::sqrt(ss / D + eps));
    rinv[n] = r;
    float* yr = y + n * ys;
    for (int64_t i = 0; i < D; i++) yr[i] = xr[i] * r * w[i];
  }
}
// dx (+)= r·g − x·r³·(g·x)/D with g = dy⊙w; gw += Σ_n dy⊙x·r.
void rmsBackward(const float* dy, int64_t dys, const float* x, int64_t xs, int64_t N, int64_t D, const float* w,
                 const float* rinv, float* dx, int64_t dxs, bool accumulate, float* gw) {
  for (int64_t n = 0; n < N; n++) {
    const float* dyr = dy + n * dys;
    const float* xr = x + n * xs;
    const float r = rinv[n];
    double dot = 0;
    for (int64_t i = 0; i < D; i++) dot += (double)dyr[i] * w[i] * xr[i];
    const float k = (float)(dot / D) * r * r * r;
    float* dxr = dx + n * dxs;
    for (int64_t i = 0; i < D; i++) {
      const float v = r * dyr[i] * w[i] - xr[i] * k;
      dxr[i] = accumulate ? dxr[i] + v : v;
      if (gw) gw[i] += dyr[i] * xr[i] * r;
    }
  }
}

inline float sigmoid(float a) { return 1.f / (1.f + std::exp(-a)); }

struct LayerAct {
  Vec xin, xn, r1, cqRaw, cq, rq, q, kva, rkv, K, Q, P, Olat, o, xmid, xn2, r2, a1, a3, g;
  std::vector<int32_t> sel;  // sparse: selected positions [N][k]; P is then [N][H][k]
  // indexer
  Vec iq, ikRaw, ik, ikMean, ikRstd, iw;
};

// In-place softmax over row[0..n) where -inf entries get 0; returns false when all are -inf.
bool softmaxRow(float* row, int64_t n) {
  float mx = NEG_INF;
  for (int64_t i = 0; i < n; i++) mx = std::max(mx, row[i]);
  if (mx == NEG_INF) {
    for (int64_t i = 0; i < n; i++) row[i] = 0.f;
    return false;
  }
  double sum = 0;
  for (int64_t i = 0; i < n; i++) {
    const float e = row[i] == NEG_INF ? 0.f : std::exp(row[i] - mx);
    row[i] = e;
    sum += e;
  }
  const float inv = (float)(1.0 / sum);
  for (int64_t i = 0; i < n; i++) row[i] *= inv;
  return true;
}

// Sizes and switches of one forwardBackward call, shared by its parts.
struct Pass {
  const Config& c;
  const BatchArgs& a;
  bool trainMain, sparse, klLoss, useIndexer;
  int th;
  int64_t B, L, N, d, H, Dqk, rkv, dn, dr, dv, rq, FF, V, nI, dI, qDim, topk;
  float scale, iwScale;
  int64_t nReal;  // non-padding tokens
  SparseShape sp;

  Pass(const Config& c_, const BatchArgs& a_) : c(c_), a(a_) {
    const bool eval = a.stage == Stage::Eval;
    trainMain = a.stage == Stage::Pretrain || a.stage == Stage::Sparse;
    sparse = a.stage == Stage::Sparse || (eval && a.sparse);
    klLoss = a.stage == Stage::Warmup || a.stage == Stage::Sparse;
    useIndexer = sparse || klLoss;
    th = std::max(1, a.threads);
    B = a.B; L = a.L; N = B * L; d = c.d; H = c.H; Dqk = c.Dqk(); rkv = c.rkv; dn = c.dn; dr = c.dr;
    dv = c.dv; rq = c.rq; FF = c.I; V = c.V; nI = c.nI; dI = c.dI; qDim = H * (c.dn + c.dr);
    topk = a.topk > 0 ? a.topk : c.topk;
    scale = c.scale();
    iwScale = 1.f / std::sqrt((float)nI) / std::sqrt((float)dI);
    nReal = 0;
    for (int64_t n = 0; n < N; n++) nReal += a.tokens[n] >= 0;
    sp.B = B; sp.L = L; sp.H = H; sp.Dqk = Dqk; sp.Dv = rkv; sp.k = std::min(topk, L);
  }
  int32_t tok(int64_t n) const { const int32_t t = a.tokens[n]; return t < 0 ? 257 : t; }
};

// ---- Layer forward.

// x → xn, cq, q, kva, K [N][Dqk] and Q [H][N][Dqk] (the attention inputs).
void attnInputsForward(const Pass& p, const LayerPtrs& W, const Vec& x, LayerAct& A) {
  const Config& c = p.c;
  const int64_t N = p.N, L = p.L, d = p.d, H = p.H, Dqk = p.Dqk, rkv = p.rkv, dn = p.dn, dr = p.dr, dv = p.dv,
                rq = p.rq, qDim = p.qDim;
  const int th = p.th;
  A.xin = x;
  A.xn.resize(N * d); A.r1.resize(N);
  rmsForward(x.data(), d, N, d, W.attnNorm, c.eps, A.xn.data(), d, A.r1.data());
  A.cqRaw.resize(N * rq); A.cq.resize(N * rq); A.rq.resize(N);
  linear(A.xn.data(), N, d, W.wqa, rq, A.cqRaw.data(), th);
  rmsForward(A.cqRaw.data(), rq, N, rq, W.qNorm, c.eps, A.cq.data(), rq, A.rq.data());
  A.q.resize(N * qDim);
  linear(A.cq.data(), N, rq, W.wqb, qDim, A.q.data(), th);
  A.kva.resize(N * (rkv + dr)); A.rkv.resize(N);
  linear(A.xn.data(), N, d, W.wkva, rkv + dr, A.kva.data(), th);
  // K = [RMSNorm(kva[:rkv]) | RoPE(kva[rkv:])]
  A.K.resize(N * Dqk);
  rmsForward(A.kva.data(), rkv + dr, N, rkv, W.kvNorm, c.eps, A.K.data(), Dqk, A.rkv.data());
  for (int64_t n = 0; n < N; n++) {
    std::memcpy(&A.K[n * Dqk + rkv], &A.kva[n * (rkv + dr) + rkv], dr * sizeof(float));
    ropeInterleaved(&A.K[n * Dqk + rkv], dr, n % L, c.theta, false);
  }
  // Q [H][N][Dqk]: latent-absorbed nope part, then the roped pe part.
  A.Q.resize(H * N * Dqk);
  for (int64_t h = 0; h < H; h++) {
    float* Qh = &A.Q[h * N * Dqk];
    sgemm(false, false, N, rkv, dn, 1.f, &A.q[h * (dn + dr)], qDim, W.wkvb + h * (dn + dv) * rkv, rkv, 0.f, Qh, Dqk, th);
    for (int64_t n = 0; n < N; n++) {
      std::memcpy(Qh + n * Dqk + rkv, &A.q[n * qDim + h * (dn + dr) + dn], dr * sizeof(float));
      ropeInterleaved(Qh + n * Dqk + rkv, dr, n % L, c.theta, false);
      const float g = c.lognScale(n % L);
      if (g != 1.f)
        for (int64_t i = 0; i < Dqk; i++) Qh[n * Dqk + i] *= g;
    }
  }
}

// Indexer projections iq, ik, iw (inputs cq and xn; never differentiated into the main model).
void indexerForward(const Pass& p, const LayerPtrs& W, LayerAct& A) {
  const Config& c = p.c;
  const int64_t N = p.N, L = p.L, d = p.d, rq = p.rq, nI = p.nI, dI = p.dI;
  const int th = p.th;
  A.iq.resize(N * nI * dI);
  linear(A.cq.data(), N, rq, W.iwq, nI * dI, A.iq.data(), th);
  A.ikRaw.resize(N * dI); A.ik.resize(N * dI); A.ikMean.resize(N); A.ikRstd.resize(N);
  linear(A.xn.data(), N, d, W.iwk, dI, A.ikRaw.data(), th);
  A.iw.resize(N * nI);
  linear(A.xn.data(), N, d, W.iwProj, nI, A.iw.data(), th);
  for (float& v : A.iw) v *= p.iwScale;
  for (int64_t n = 0; n < N; n++) {
    const int64_t pos = n % L;
    for (int64_t j = 0; j < nI; j++) ropeHalf(&A.iq[(n * nI + j) * dI], c.drI, pos, c.theta, false);
    indexKeyRow(c, W, &A.ikRaw[n * dI], pos, &A.ik[n * dI], &A.ikMean[n], &A.ikRstd[n]);
  }
}

// Main attention: Olat [H][N][rkv] and P (dense: [B][H][L][L]; sparse: [N][H][k] over sel).
void attentionForward(const Pass& p, LayerAct& A) {
  const int64_t B = p.B, L = p.L, N = p.N, H = p.H, Dqk = p.Dqk, rkv = p.rkv;
  const float scale = p.scale;
  A.Olat.resize(H * N * rkv);
  if (p.sparse) {
    A.sel.resize((size_t)(N * p.sp.k));
    sparseSelect(p.sp, p.nI, p.dI, A.iq.data(), A.ik.data(), A.iw.data(), p.th, A.sel.data());
    A.P.resize(N * H * p.sp.k);
    sparseAttnForward(p.sp, scale, A.Q.data(), A.K.data(), A.sel.data(), A.P.data(), A.Olat.data(), p.th);
    return;
  }
  // Dense main attention per (b, h).
  A.P.resize(B * H * L * L);
  parallelFor(p.th, B * H, [&](int64_t bh, int) {
    const int64_t b = bh / H, h = bh % H;
    float* S = &A.P[bh * L * L];
    const float* Qbh = &A.Q[(h * N + b * L) * Dqk];
    const float* Kb = &A.K[b * L * Dqk];
    // Causal: a block of query rows [t0, t1) only needs keys [0, t1).
    for (int64_t t0 = 0; t0 < L; t0 += ROW_BLOCK) {
      const int64_t t1 = std::min(L, t0 + ROW_BLOCK);
      sgemm(false, true, t1 - t0, t1, Dqk, scale, Qbh + t0 * Dqk, Dqk, Kb, Dqk, 0.f, S + t0 * L, L, 1);
      for (int64_t t = t0; t < t1; t++) {
        // Only keys [0, t1) of this block are ever read again (P·V here, dS in backward).
        float* row = S + t * L;
        softmaxRow(row, t + 1);
        for (int64_t s = t + 1; s < t1; s++) row[s] = 0.f;
      }
      sgemm(false, false, t1 - t0, rkv, t1, 1.f, S + t0 * L, L, Kb, Dqk, 0.f, &A.Olat[(h * N + b * L + t0) * rkv], rkv, 1);
    }
  });
}

// o_h = W_UVₕ·O_h → o [N, H·dv]; x += wo·o; then the SwiGLU FFN: x += w2·(silu(w1·xn2) ⊙ w3·xn2).
void outputAndFfnForward(const Pass& p, const LayerPtrs& W, LayerAct& A, Vec& x) {
  const int64_t N = p.N, d = p.d, H = p.H, rkv = p.rkv, dn = p.dn, dv = p.dv, FF = p.FF;
  const int th = p.th;
  A.o.resize(N * H * dv);
  for (int64_t h = 0; h < H; h++)
    sgemm(false, true, N, dv, rkv, 1.f, &A.Olat[h * N * rkv], rkv, W.wkvb + (h * (dn + dv) + dn) * rkv, rkv, 0.f,
          &A.o[h * dv], H * dv, th);
  Vec attnOut(N * d);
  linear(A.o.data(), N, H * dv, W.wo, d, attnOut.data(), th);
  for (int64_t i = 0; i < N * d; i++) x[i] += attnOut[i];
  A.xmid = x;
  // SwiGLU FFN.
  A.xn2.resize(N * d); A.r2.resize(N);
  rmsForward(x.data(), d, N, d, W.ffnNorm, p.c.eps, A.xn2.data(), d, A.r2.data());
  A.a1.resize(N * FF); A.a3.resize(N * FF); A.g.resize(N * FF);
  linear(A.xn2.data(), N, d, W.w1, FF, A.a1.data(), th);
  linear(A.xn2.data(), N, d, W.w3, FF, A.a3.data(), th);
  for (int64_t i = 0; i < N * FF; i++) A.g[i] = A.a1[i] * sigmoid(A.a1[i]) * A.a3[i];
  Vec ffnOut(N * d);
  linear(A.g.data(), N, FF, W.w2, d, ffnOut.data(), th);
  for (int64_t i = 0; i < N * d; i++) x[i] += ffnOut[i];
}

// ---- The indexer's KL step (dense attention): KL of the indexer's softmax against the main
// attention (summed over heads, L1-normalised), and its backward into the indexer weights.

// Index scores of sequence b: I [L][L] (−inf above the diagonal); D [nI][L][L] = q_I·k_Iᵀ.
void indexScores(const Pass& p, const LayerAct& A, int64_t b, float* I, float* D) {
  const int64_t L = p.L, nI = p.nI, dI = p.dI;
  for (int64_t j = 0; j < nI; j++)
    sgemm(false, true, L, L, dI, 1.f, &A.iq[(b * L * nI + j) * dI], nI * dI, &A.ik[b * L * dI], dI, 0.f,
          D + j * L * L, L, 1);
  for (int64_t t = 0; t < L; t++) {
    float* row = I + t * L;
    for (int64_t s = 0; s < L; s++) row[s] = s <= t ? 0.f : NEG_INF;
    for (int64_t j = 0; j < nI; j++) {
      const float w = A.iw[(b * L + t) * nI + j];
      const float* dj = D + j * L * L + t * L;
      for (int64_t s = 0; s <= t; s++) row[s] += w * std::max(dj[s], 0.f);
    }
  }
}

// Sequence b: Σ_t KL(p_t ‖ softmax(I_t)) over its real tokens; I becomes dI = klScale·(q − p)
// (0 on padding rows and above the diagonal). p [L] is scratch.
double denseKLRows(const Pass& p, const LayerAct& A, int64_t b, double klScale, float* I, float* pv) {
  const int64_t L = p.L, H = p.H;
  double kl = 0;
  for (int64_t t = 0; t < L; t++) {
    float* row = &I[t * L];  // becomes dI[t,:]
    if (p.a.tokens[b * L + t] < 0) {
      std::fill(row, row + L, 0.f);
      continue;
    }
    for (int64_t s = 0; s < L; s++) {
      const bool valid = s <= t;
      if (!valid) { row[s] = NEG_INF; pv[s] = 0.f; continue; }
      double sum = 0;
      for (int64_t h = 0; h < H; h++) sum += A.P[((b * H + h) * L + t) * L + s];
      pv[s] = (float)(sum / H);
    }
    // log-softmax of I over the valid set
    float mx = NEG_INF;
    for (int64_t s = 0; s <= t; s++) mx = std::max(mx, row[s]);
    double z = 0;
    for (int64_t s = 0; s <= t; s++) if (row[s] != NEG_INF) z += std::exp((double)row[s] - mx);
    const double lz = std::log(z) + mx;
    for (int64_t s = 0; s < L; s++) {
      if (row[s] == NEG_INF) { row[s] = 0.f; continue; }
      const double logq = row[s] - lz;
      if (pv[s] > 0) kl += pv[s] * (std::log((double)pv[s]) - logq);
      row[s] = (float)((std::exp(logq) - pv[s]) * klScale);
    }
  }
  return kl;
}

// Sequence b: dI → dw, dD (through ReLU) → dq_I, dk_I. D is overwritten with dD.
void indexScoresBackward(const Pass& p, const LayerAct& A, int64_t b, const float* I, float* D, float* dIq, float* dIk,
                         float* dIw) {
  const int64_t L = p.L, nI = p.nI, dI = p.dI;
  for (int64_t j = 0; j < nI; j++) {
    float* Dj = &D[j * L * L];
    for (int64_t t = 0; t < L; t++) {
      const float* di = &I[t * L];
      float* dj = Dj + t * L;
      const float w = A.iw[(b * L + t) * nI + j];
      double dw = 0;
      for (int64_t s = 0; s < L; s++) {
        const float r = dj[s] > 0.f ? dj[s] : 0.f;
        dw += (double)di[s] * r;
        dj[s] = dj[s] > 0.f ? di[s] * w : 0.f;
      }
      dIw[(b * L + t) * nI + j] = (float)dw;
    }
    sgemm(false, false, L, dI, L, 1.f, Dj, L, &A.ik[b * L * dI], dI, 0.f, &dIq[(b * L * nI + j) * dI], nI * dI, 1);
    sgemm(true, false, L, dI, L, 1.f, Dj, L, &A.iq[(b * L * nI + j) * dI], nI * dI, 1.f, &dIk[b * L * dI], dI, 1);
  }
}

// Back through RoPE, LayerNorm and the projections into the indexer weights only.
void indexerBackward(const Pass& p, const LayerPtrs& W, LayerPtrs& GW, const LayerAct& A, Vec& dIq, Vec& dIk,
                     Vec& dIw) {
  const Config& c = p.c;
  const int64_t N = p.N, L = p.L, d = p.d, rq = p.rq, nI = p.nI, dI = p.dI;
  const int th = p.th;
  for (float& v : dIw) v *= p.iwScale;
  linearBack(dIw.data(), A.xn.data(), N, d, W.iwProj, nI, nullptr, false, GW.iwProj, th);
  for (int64_t n = 0; n < N; n++) {
    const int64_t pos = n % L;
    for (int64_t j = 0; j < nI; j++) ropeHalf(&dIq[(n * nI + j) * dI], c.drI, pos, c.theta, true);
    float* dk = &dIk[n * dI];
    ropeHalf(dk, c.drI, pos, c.theta, true);
    // LayerNorm backward: g = dy⊙w; dx = rs·(g − mean(g) − x̂·mean(g⊙x̂))
    const float* r = &A.ikRaw[n * dI];
    const float mu = A.ikMean[n], rs = A.ikRstd[n];
    double mg = 0, mgx = 0;
    for (int64_t i = 0; i < dI; i++) {
      const float xh = (r[i] - mu) * rs;
      GW.ikNormW[i] += dk[i] * xh;
      GW.ikNormB[i] += dk[i];
      const float g = dk[i] * W.ikNormW[i];
      mg += g;
      mgx += g * xh;
    }
    mg /= dI;
    mgx /= dI;
    for (int64_t i = 0; i < dI; i++) {
      const float xh = (r[i] - mu) * rs;
      dk[i] = rs * (float)(dk[i] * W.ikNormW[i] - mg - xh * mgx);
    }
  }
  linearBack(dIq.data(), A.cq.data(), N, rq, W.iwq, nI * dI, nullptr, false, GW.iwq, th);
  linearBack(dIk.data(), A.xn.data(), N, d, W.iwk, dI, nullptr, false, GW.iwk, th);
}

// The layer's indexer KL (sparse: over the selection; dense: over every causal key) and its
// backward into GW's indexer weights; adds the layer's Σ KL (before klScale) to klSum, one
// sequence's part at a time (the order the reported KL has always been summed in).
void indexerKLStep(const Pass& p, const LayerPtrs& W, LayerPtrs& GW, const LayerAct& A, double& klSum) {
  const int64_t B = p.B, L = p.L, N = p.N, nI = p.nI, dI = p.dI;
  Vec dIq(N * nI * dI, 0.f), dIk(N * dI, 0.f), dIw(N * nI, 0.f);
  std::vector<double> klPart(B, 0.0);
  const double klScale = p.nReal > 0 ? 1.0 / ((double)p.c.layers * p.nReal) : 0.0;
  if (p.sparse) {
    klPart[0] = sparseIndexerKL(p.sp, nI, dI, A.iq.data(), A.ik.data(), A.iw.data(), A.sel.data(), A.P.data(),
                                p.a.tokens, klScale, dIq.data(), dIk.data(), dIw.data(), p.th);
  } else parallelFor(p.th, B, [&](int64_t b, int) {
    Vec I(L * L), D(nI * L * L), pv(L);
    indexScores(p, A, b, I.data(), D.data());
    klPart[b] = denseKLRows(p, A, b, klScale, I.data(), pv.data());
    indexScoresBackward(p, A, b, I.data(), D.data(), dIq.data(), dIk.data(), dIw.data());
  });
  for (double v : klPart) klSum += v;
  indexerBackward(p, W, GW, A, dIq, dIk, dIw);
}

// ---- Head and loss.

// Weighted cross-entropy of logits [N][V] against a.targets into res (lm, targetTokens);
// logits becomes dlogits of the mean loss. Returns the weight sum (0: nothing scored).
double crossEntropy(const Pass& p, float* logits, LossResult& res) {
  const BatchArgs& a = p.a;
  const int64_t N = p.N, V = p.V;
  double wsum = 0, ce = 0;
  for (int64_t n = 0; n < N; n++) {
    if (a.targets[n] < 0) continue;
    const float w = a.weights ? a.weights[n] : 1.f;
    if (w <= 0) continue;
    wsum += w;
    res.targetTokens++;
  }
  for (int64_t n = 0; n < N; n++) {
    float* row = &logits[n * V];
    const int32_t tg = a.targets[n];
    const float w = a.weights ? a.weights[n] : 1.f;
    if (tg < 0 || tg >= V || w <= 0) {
      std::fill(row, row + V, 0.f);
      continue;
    }
    float mx = row[0];
    for (int64_t i = 1; i < V; i++) mx = std::max(mx, row[i]);
    double z = 0;
    for (int64_t i = 0; i < V; i++) z += std::exp((double)row[i] - mx);
    const double lse = std::log(z) + mx;
    ce += w * (lse - row[tg]);
    const float k = (float)(w / wsum);
    for (int64_t i = 0; i < V; i++) row[i] = (float)std::exp(row[i] - lse) * k;  // becomes dlogits
    row[tg] -= k;
  }
  res.lm = wsum > 0 ? ce / wsum : 0.0;
  return wsum;
}

// ---- Layer backward (LM loss). Buffers are allocated once and reused by every layer.
struct BackBufs {
  // dKh (per-head key gradients) only for dense attention: the sparse path scatters into dK.
  Vec dg, da, dxn, dO, dOlat, dQ, dKh, dK, dq, dkva, dcq, dcqRaw;
  explicit BackBufs(const Pass& p)
      : dg(p.N * p.FF), da(p.N * p.FF), dxn(p.N * p.d), dO(p.N * p.H * p.dv), dOlat(p.H * p.N * p.rkv),
        dQ(p.H * p.N * p.Dqk), dKh(p.sparse ? 0 : p.H * p.N * p.Dqk), dK(p.N * p.Dqk), dq(p.N * p.qDim),
        dkva(p.N * (p.rkv + p.dr)), dcq(p.N * p.rq), dcqRaw(p.N * p.rq) {}
};

// FFN: y = w2·(silu(a1)⊙a3), then back through ffn_norm into dx (accumulated).
void ffnBackward(const Pass& p, const LayerPtrs& W, LayerPtrs& GW, const LayerAct& A, BackBufs& T, Vec& dx) {
  const int64_t N = p.N, d = p.d, FF = p.FF;
  const int th = p.th;
  Vec &dg = T.dg, &da = T.da, &dxn = T.dxn;
  linearBack(dx.data(), A.g.data(), N, FF, W.w2, d, dg.data(), false, GW.w2, th);
  for (int64_t i = 0; i < N * FF; i++) {
    const float s = sigmoid(A.a1[i]);
    const float silu = A.a1[i] * s;
    da[i] = dg[i] * A.a3[i] * s * (1.f + A.a1[i] * (1.f - s));
    dg[i] = dg[i] * silu;  // now d a3
  }
  linearBack(da.data(), A.xn2.data(), N, d, W.w1, FF, dxn.data(), false, GW.w1, th);
  linearBack(dg.data(), A.xn2.data(), N, d, W.w3, FF, dxn.data(), true, GW.w3, th);
  rmsBackward(dxn.data(), d, A.xmid.data(), d, N, d, W.ffnNorm, A.r2.data(), dx.data(), d, true, GW.ffnNorm);
}

// Attention output x += wo·o: dx → dO → dOlat [H][N][rkv] (and wo, W_UV gradients).
void attnOutputBackward(const Pass& p, const LayerPtrs& W, LayerPtrs& GW, const LayerAct& A, BackBufs& T,
                        const Vec& dx) {
  const int64_t N = p.N, d = p.d, H = p.H, rkv = p.rkv, dn = p.dn, dv = p.dv;
  const int th = p.th;
  linearBack(dx.data(), A.o.data(), N, H * dv, W.wo, d, T.dO.data(), false, GW.wo, th);
  for (int64_t h = 0; h < H; h++) {
    const float* WUV = W.wkvb + (h * (dn + dv) + dn) * rkv;  // [dv, rkv]
    sgemm(false, false, N, rkv, dv, 1.f, &T.dO[h * dv], H * dv, WUV, rkv, 0.f, &T.dOlat[h * N * rkv], rkv, th);
    sgemm(true, false, dv, rkv, N, 1.f, &T.dO[h * dv], H * dv, &A.Olat[h * N * rkv], rkv, 1.f,
          GW.wkvb + (h * (dn + dv) + dn) * rkv, rkv, th);
  }
}

// Dense attention core per (b, h): dP = dO·Vᵀ, dS = P⊙(dP − rowsum(P⊙dP)), dQ = scale·dS·K,
// dK_h = scale·dSᵀ·Q + Pᵀ·dO (value part); dK = Σ_h dK_h.
void denseAttnBackward(const Pass& p, const LayerAct& A, BackBufs& T) {
  const int64_t B = p.B, L = p.L, N = p.N, H = p.H, Dqk = p.Dqk, rkv = p.rkv;
  const float scale = p.scale;
  parallelFor(p.th, B * H, [&](int64_t bh, int) {
    const int64_t b = bh / H, h = bh % H;
    const float* Pm = &A.P[bh * L * L];
    const float* Kb = &A.K[b * L * Dqk];
    const float* Qbh = &A.Q[(h * N + b * L) * Dqk];
    const float* dOb = &T.dOlat[(h * N + b * L) * rkv];
    float* dKb = &T.dKh[(h * N + b * L) * Dqk];
    Vec dS(ROW_BLOCK * L);
    std::fill(dKb, dKb + L * Dqk, 0.f);
    for (int64_t t0 = 0; t0 < L; t0 += ROW_BLOCK) {
      const int64_t t1 = std::min(L, t0 + ROW_BLOCK), nb = t1 - t0;
      sgemm(false, true, nb, t1, rkv, 1.f, dOb + t0 * rkv, rkv, Kb, Dqk, 0.f, dS.data(), L, 1);
      for (int64_t t = t0; t < t1; t++) {
        const float* pr = Pm + t * L;
        float* dr_ = &dS[(t - t0) * L];
        double dot = 0;
        for (int64_t s = 0; s <= t; s++) dot += (double)pr[s] * dr_[s];
        const float fd = (float)dot;
        for (int64_t s = 0; s < t1; s++) dr_[s] = s <= t ? pr[s] * (dr_[s] - fd) : 0.f;
      }
      sgemm(false, false, nb, Dqk, t1, scale, dS.data(), L, Kb, Dqk, 0.f, &T.dQ[(h * N + b * L + t0) * Dqk], Dqk, 1);
      sgemm(true, false, t1, Dqk, nb, scale, dS.data(), L, Qbh + t0 * Dqk, Dqk, 1.f, dKb, Dqk, 1);
      // value part: dV = Pᵀ·dO into the first rkv columns
      sgemm(true, false, t1, rkv, nb, 1.f, Pm + t0 * L, L, dOb + t0 * rkv, rkv, 1.f, dKb, Dqk, 1);
    }
  });
  std::fill(T.dK.begin(), T.dK.end(), 0.f);
  for (int64_t h = 0; h < H; h++)
    for (int64_t i = 0; i < N * Dqk; i++) T.dK[i] += T.dKh[h * N * Dqk + i];
}

// dQ, dK → q, kva → cq → xn, then back through attn_norm into dx (accumulated).
void attnInputsBackward(const Pass& p, const LayerPtrs& W, LayerPtrs& GW, const LayerAct& A, BackBufs& T, Vec& dx) {
  const Config& c = p.c;
  const int64_t N = p.N, L = p.L, d = p.d, H = p.H, Dqk = p.Dqk, rkv = p.rkv, dn = p.dn, dr = p.dr, dv = p.dv,
                rq = p.rq, qDim = p.qDim;
  const int th = p.th;
  Vec &dQ = T.dQ, &dK = T.dK, &dq = T.dq, &dkva = T.dkva, &dxn = T.dxn;
  // Q carried the log-n factor of its position: dQ(before the factor) = factor·dQ.
  if (c.lognBase > 0)
    for (int64_t h = 0; h < H; h++)
      for (int64_t n = 0; n < N; n++) {
        const float g = c.lognScale(n % L);
        if (g != 1.f)
          for (int64_t i = 0; i < Dqk; i++) dQ[(h * N + n) * Dqk + i] *= g;
      }
  // dQ_h → q_nope (through W_UKₕ) and q_pe (inverse RoPE).
  for (int64_t h = 0; h < H; h++) {
    const float* dQh = &dQ[h * N * Dqk];
    const float* WUK = W.wkvb + h * (dn + dv) * rkv;  // [dn, rkv]
    sgemm(false, true, N, dn, rkv, 1.f, dQh, Dqk, WUK, rkv, 0.f, &dq[h * (dn + dr)], qDim, th);
    sgemm(true, false, dn, rkv, N, 1.f, &A.q[h * (dn + dr)], qDim, dQh, Dqk, 1.f, GW.wkvb + h * (dn + dv) * rkv, rkv, th);
    for (int64_t n = 0; n < N; n++) {
      float* dpe = &dq[n * qDim + h * (dn + dr) + dn];
      std::memcpy(dpe, dQh + n * Dqk + rkv, dr * sizeof(float));
      ropeInterleaved(dpe, dr, n % L, c.theta, true);
    }
  }
  // dK → kva: latent through kv_norm, k_pe through inverse RoPE.
  rmsBackward(dK.data(), Dqk, A.kva.data(), rkv + dr, N, rkv, W.kvNorm, A.rkv.data(), dkva.data(), rkv + dr, false,
              GW.kvNorm);
  for (int64_t n = 0; n < N; n++) {
    float* dpe = &dkva[n * (rkv + dr) + rkv];
    std::memcpy(dpe, &dK[n * Dqk + rkv], dr * sizeof(float));
    ropeInterleaved(dpe, dr, n % L, c.theta, true);
  }
  linearBack(dkva.data(), A.xn.data(), N, d, W.wkva, rkv + dr, dxn.data(), false, GW.wkva, th);
  linearBack(dq.data(), A.cq.data(), N, rq, W.wqb, qDim, T.dcq.data(), false, GW.wqb, th);
  rmsBackward(T.dcq.data(), rq, A.cqRaw.data(), rq, N, rq, W.qNorm, A.rq.data(), T.dcqRaw.data(), rq, false, GW.qNorm);
  linearBack(T.dcqRaw.data(), A.xn.data(), N, d, W.wqa, rq, dxn.data(), true, GW.wqa, th);
  rmsBackward(dxn.data(), d, A.xin.data(), d, N, d, W.attnNorm, A.r1.data(), dx.data(), d, true, GW.attnNorm);
}

// One layer's backward: dx (gradient of the layer's output) becomes that of its input.
void layerBackward(const Pass& p, const LayerPtrs& W, LayerPtrs& GW, const LayerAct& A, BackBufs& T, Vec& dx) {
  ffnBackward(p, W, GW, A, T, dx);
  attnOutputBackward(p, W, GW, A, T, dx);
  if (p.sparse)
    sparseAttnBackward(p.sp, p.scale, A.Q.data(), A.K.data(), A.sel.data(), A.P.data(), T.dOlat.data(), T.dQ.data(),
                       T.dK.data(), p.th);
  else
    denseAttnBackward(p, A, T);
  attnInputsBackward(p, W, GW, A, T, dx);
}

}  // namespace

LossResult forwardBackward(const Config& c, const Layout& lay, const float* params, const BatchArgs& a, float* grad,
                           float* logitsOut) {
  const Pass p(c, a);
  const int64_t N = p.N, d = p.d, V = p.V;
  Ptrs P = bindPtrs(c, const_cast<float*>(params));
  Ptrs G{};
  if (grad) {
    std::fill(grad, grad + lay.total, 0.f);
    G = bindPtrs(c, grad);
  }

  // Embedding → x [N, d].
  Vec x((size_t)(N * d));
  for (int64_t n = 0; n < N; n++) std::memcpy(&x[n * d], P.embed + (int64_t)p.tok(n) * d, d * sizeof(float));

  // Layers; the indexer's KL step runs right after each layer's attention (its loss is a leaf).
  std::vector<LayerAct> acts(c.layers);
  double klSum = 0;
  for (int li = 0; li < c.layers; li++) {
    LayerAct& A = acts[li];
    const LayerPtrs& W = P.layer[li];
    attnInputsForward(p, W, x, A);
    if (p.useIndexer) indexerForward(p, W, A);
    attentionForward(p, A);
    if (p.klLoss && grad) indexerKLStep(p, W, G.layer[li], A, klSum);
    outputAndFfnForward(p, W, A, x);
    if (!p.trainMain) {  // activations of a frozen model are not needed past this layer
      LayerAct empty;
      std::swap(A, empty);
    }
  }

  // Final norm, head, loss.
  Vec xf(N * d), rf(N), logits(N * V);
  rmsForward(x.data(), d, N, d, P.norm, c.eps, xf.data(), d, rf.data());
  linear(xf.data(), N, d, P.head, V, logits.data(), p.th);
  if (logitsOut) std::memcpy(logitsOut, logits.data(), N * V * sizeof(float));
  LossResult res;
  const double wsum = a.targets ? crossEntropy(p, logits.data(), res) : 0.0;
  res.kl = p.nReal > 0 ? klSum / ((double)c.layers * p.nReal) : 0.0;
  res.loss = a.stage == Stage::Warmup ? res.kl : a.stage == Stage::Sparse ? res.lm + res.kl : res.lm;
  if (!grad || !p.trainMain || wsum <= 0) return res;

  // ---- Backward of the main model (LM loss). logits now holds dlogits.
  Vec dxf(N * d), dx(N * d);
  linearBack(logits.data(), xf.data(), N, d, P.head, V, dxf.data(), false, G.head, p.th);
  rmsBackward(dxf.data(), d, x.data(), d, N, d, P.norm, rf.data(), dx.data(), d, false, G.norm);
  BackBufs T(p);
  for (int li = c.layers - 1; li >= 0; li--) {
    layerBackward(p, P.layer[li], G.layer[li], acts[li], T, dx);
    LayerAct empty;
    std::swap(acts[li], empty);  // free this layer's activations early
  }
  for (int64_t n = 0; n < N; n++) {
    float* ge = G.embed + (int64_t)p.tok(n) * d;
    for (int64_t i = 0; i < d; i++) ge[i] += dx[n * d + i];
  }
  return res;
}

}  // namespace model
}  // namespace dsa
