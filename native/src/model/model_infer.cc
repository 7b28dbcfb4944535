// Inference with a KV cache (see model.h). The attention runs on the engine's own kernels:
// dense MQA attention over the latent cache, or the fused DSA op (indexer + top-k + sparse
// attention) when the session is sparse — exactly what `dsabench bench attention` measures.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "../engine.h"
#include "../gemm.h"
#include "model.h"

namespace dsa {
namespace model {

Session::Session(const Config& c, const float* params, int64_t maxLen, bool sparse, int64_t topk, int threads)
    : c_(c), params_(params), maxLen_(maxLen), sparse_(sparse), topk_(topk > 0 ? topk : c.topk),
      threads_(std::max(1, threads)), kv_(c.layers), ik_(c.layers), cap_(c.layers) {}

void Session::truncate(int64_t n) {
  if (n < 0 || n > len_)
    throw EngineError("E_OPTION", "truncate(" + std::to_string(n) + ") outside 0.." + std::to_string(len_));
  len_ = n;
}

int64_t Session::bytes() const {
  size_t n = 0;
  for (const auto& v : kv_) n += v.capacity();
  for (const auto& v : ik_) n += v.capacity();
  for (const auto& cp : cap_) n += cp.q.capacity() + cp.iq.capacity() + cp.iw.capacity();
  const Scratch& S = scratch_;
  for (const std::vector<float>* v : {&S.x, &S.xn, &S.cqRaw, &S.cq, &S.q, &S.kva, &S.Q, &S.Olat, &S.lse, &S.o, &S.tmp,
                                      &S.a1, &S.a3, &S.iq, &S.ikRaw, &S.iw, &S.ropeCs, &S.ropeSn, &S.iropeCs, &S.iropeSn})
    n += v->capacity();
  return (int64_t)(n * sizeof(float));
}

void Session::forward(const int32_t* tokens, int64_t T, float* out) {
  const Config& c = c_;
  if (T < 1) throw EngineError("E_SHAPE", "forward needs at least one token");
  if (len_ + T > maxLen_)
    throw EngineError("E_OPTION", "context of " + std::to_string(len_ + T) + " tokens exceeds the session's maxLength " +
                                      std::to_string(maxLen_));
  for (int64_t t = 0; t < T; t++)
    if (tokens[t] < 0 || tokens[t] >= c.V)
      throw EngineError("E_INDEX", "token " + std::to_string(tokens[t]) + " at " + std::to_string(t) +
                                       " outside the vocabulary 0.." + std::to_string(c.V - 1));
  // A long prompt is prefilled in chunks: the per-token activations are then O(chunk), not
  // O(T) (a 16K prefill otherwise spends a fifth of its time zero-filling and faulting in
  // ~200 MB), and the result is the same (each chunk attends to the cache built before it).
  // With capture on, one call is one chunk (the capture describes exactly that call).
  const int64_t chunk = capture_ ? T : PREFILL_CHUNK;
  for (int64_t t0 = 0; t0 < T; t0 += chunk) forwardChunk(tokens + t0, std::min(chunk, T - t0), out);
}

void Session::forwardChunk(const int32_t* tokens, int64_t T, float* out) {
  const Config& c = c_;
  const Kernels& kr = *bestKernels();
  const int th = threads_;
  const int64_t d = c.d, H = c.H, Dqk = c.Dqk(), rkv = c.rkv, dn = c.dn, dr = c.dr, dv = c.dv, rq = c.rq, FF = c.I,
                nI = c.nI, dI = c.dI, qDim = H * (dn + dr), L = len_ + T;
  const float iwScale = 1.f / std::sqrt((float)nI) / std::sqrt((float)dI);
  Ptrs P = bindPtrs(c, const_cast<float*>(params_));
  auto lin = [&](const float* X, int64_t in, const float* W, int64_t o, float* Y) {
    sgemm(false, true, T, o, in, 1.f, X, in, W, in, 0.f, Y, o, th);
  };
  auto rms = [&](const float* x, int64_t xs, int64_t D, const float* w, float* y, int64_t ys) {
    for (int64_t n = 0; n < T; n++) {
      const float* xr = x + n * xs;
      double ss = 0;
      for (int64_t i = 0; i < D; i++) ss += (double)xr[i] * xr[i];
      const float r = (float)(1.0 / std::sqrt(ss / D + c.eps));
      for (int64_t i = 0; i < D; i++) y[n * ys + i] = xr[i] * r * w[i];
    }
  };
  // Activations live in the session and only grow (a prefill of 2K-token chunks allocates
  // and faults them in once, not once per chunk); every one is written before it is read.
  Scratch& S = scratch_;
  const auto grow = [](std::vector<float>& v, int64_t n) -> std::vector<float>& {
    if ((int64_t)v.size() < n) v.resize((size_t)n);
    return v;
  };
  std::vector<float>&x = grow(S.x, T * d), &xn = grow(S.xn, T * d), &cqRaw = grow(S.cqRaw, T * rq), &cq = grow(S.cq, T * rq),
      &q = grow(S.q, T * qDim), &kva = grow(S.kva, T * (rkv + dr)), &Q = grow(S.Q, T * H * Dqk), &Olat = grow(S.Olat, T * H * rkv),
      &lse = grow(S.lse, T * H), &o = grow(S.o, T * H * dv), &tmp = grow(S.tmp, T * std::max(d, FF)), &a1 = grow(S.a1, T * FF),
      &a3 = grow(S.a3, T * FF), &iq = S.iq, &ikRaw = S.ikRaw, &iw = S.iw;
  for (int64_t t = 0; t < T; t++) std::memcpy(&x[t * d], P.embed + (int64_t)tokens[t] * d, d * sizeof(float));
  // RoPE cos/sin of this chunk's positions, shared by every layer and head (per call they
  // cost ~6% of a sparse 16K prefill in sincos and pow): [T][dr/2] MLA, [T][drI/2] indexer.
  ropeTable(dr, len_, T, c.theta, S.ropeCs, S.ropeSn);
  if (sparse_ || capture_) ropeTable(c.drI, len_, T, c.theta, S.iropeCs, S.iropeSn);
  const int64_t hr = dr / 2, hri = c.drI / 2;
  for (int li = 0; li < c.layers; li++) {
    const LayerPtrs& W = P.layer[li];
    CacheVec& kv = kv_[li];
    if ((int64_t)kv.size() < L * Dqk) kv.resize(std::max<int64_t>(L, std::min<int64_t>(maxLen_, 4 * L)) * Dqk);
    rms(x.data(), d, d, W.attnNorm, xn.data(), d);
    lin(xn.data(), d, W.wqa, rq, cqRaw.data());
    rms(cqRaw.data(), rq, rq, W.qNorm, cq.data(), rq);
    lin(cq.data(), rq, W.wqb, qDim, q.data());
    lin(xn.data(), d, W.wkva, rkv + dr, kva.data());
    for (int64_t t = 0; t < T; t++) {
      float* row = &kv[(len_ + t) * Dqk];
      const float* kr_ = &kva[t * (rkv + dr)];
      double ss = 0;
      for (int64_t i = 0; i < rkv; i++) ss += (double)kr_[i] * kr_[i];
      const float r = (float)(1.0 / std::sqrt(ss / rkv + c.eps));
      for (int64_t i = 0; i < rkv; i++) row[i] = kr_[i] * r * W.kvNorm[i];
      std::memcpy(row + rkv, kr_ + rkv, dr * sizeof(float));
      ropeInterleavedTab(row + rkv, dr, &S.ropeCs[t * hr], &S.ropeSn[t * hr]);
    }
    // Q [T, H, Dqk]
    for (int64_t h = 0; h < H; h++) {
      sgemm(false, false, T, rkv, dn, 1.f, &q[h * (dn + dr)], qDim, W.wkvb + h * (dn + dv) * rkv, rkv, 0.f,
            &Q[h * Dqk], H * Dqk, th);
      for (int64_t t = 0; t < T; t++) {
        float* pe = &Q[(t * H + h) * Dqk + rkv];
        std::memcpy(pe, &q[t * qDim + h * (dn + dr) + dn], dr * sizeof(float));
        ropeInterleavedTab(pe, dr, &S.ropeCs[t * hr], &S.ropeSn[t * hr]);
        const float g = c.lognScale(len_ + t);
        if (g != 1.f)
          for (float* v = &Q[(t * H + h) * Dqk]; v < &Q[(t * H + h + 1) * Dqk]; v++) *v *= g;
      }
    }
    AttnArgs at;
    at.q = Q.data(); at.k = kv.data(); at.kd = DType::F32; at.mqa = true;
    at.T = T; at.H = H; at.Hkv = 1; at.L = L; at.Dqk = Dqk; at.Dv = rkv; at.qStart = len_;
    at.scale = c.scale(); at.causal = true; at.threads = th; at.out = Olat.data(); at.lse = lse.data();
    if (sparse_ || capture_) {
      CacheVec& ik = ik_[li];
      if ((int64_t)ik.size() < L * dI) ik.resize(std::max<int64_t>(L, std::min<int64_t>(maxLen_, 4 * L)) * dI);
      grow(iq, T * nI * dI); grow(ikRaw, T * dI); grow(iw, T * nI);
      lin(cq.data(), rq, W.iwq, nI * dI, iq.data());
      lin(xn.data(), d, W.iwk, dI, ikRaw.data());
      lin(xn.data(), d, W.iwProj, nI, iw.data());
      for (int64_t i = 0; i < T * nI; i++) iw[i] *= iwScale;
      for (int64_t t = 0; t < T; t++) {
        const float *ics = &S.iropeCs[t * hri], *isn = &S.iropeSn[t * hri];
        for (int64_t j = 0; j < nI; j++) ropeHalfTab(&iq[(t * nI + j) * dI], c.drI, ics, isn);
        float mean, rstd;
        indexKeyRow(c, W, &ikRaw[t * dI], len_ + t, &ik[(len_ + t) * dI], &mean, &rstd, ics, isn);
      }
      IndexerArgs ix;
      ix.q = iq.data(); ix.k = ik.data(); ix.kd = DType::F32; ix.w = iw.data();
      ix.T = T; ix.HI = nI; ix.DI = dI; ix.L = L; ix.qStart = len_; ix.threads = th;
      if (capture_) {
        Captured& cp = cap_[li];
        cp.q.assign(Q.begin(), Q.begin() + T * H * Dqk);
        cp.iq.assign(iq.begin(), iq.begin() + T * nI * dI);
        cp.iw.assign(iw.begin(), iw.begin() + T * nI);
        cp.T = T;
        cp.qStart = len_;
      }
      bool skipped = false;
      if (sparse_) dsa(kr, at, ix, topk_, true, nullptr, &skipped);
      else attention(kr, at);
    } else {
      attention(kr, at);
    }
    // o_h = W_UVₕ·O_h, then x += wo·o
    for (int64_t h = 0; h < H; h++)
      sgemm(false, true, T, dv, rkv, 1.f, &Olat[h * rkv], H * rkv, W.wkvb + (h * (dn + dv) + dn) * rkv, rkv, 0.f,
            &o[h * dv], H * dv, th);
    lin(o.data(), H * dv, W.wo, d, tmp.data());
    for (int64_t i = 0; i < T * d; i++) x[i] += tmp[i];
    rms(x.data(), d, d, W.ffnNorm, xn.data(), d);
    lin(xn.data(), d, W.w1, FF, a1.data());
    lin(xn.data(), d, W.w3, FF, a3.data());
    for (int64_t i = 0; i < T * FF; i++) a1[i] = a1[i] / (1.f + std::exp(-a1[i])) * a3[i];
    lin(a1.data(), FF, W.w2, d, tmp.data());
    for (int64_t i = 0; i < T * d; i++) x[i] += tmp[i];
  }
  len_ = L;
  // Final norm and head on the last token only.
  const float* xl = &x[(T - 1) * d];
  double ss = 0;
  for (int64_t i = 0; i < d; i++) ss += (double)xl[i] * xl[i];
  const float r = (float)(1.0 / std::sqrt(ss / d + c.eps));
  std::vector<float> xf(d);
  for (int64_t i = 0; i < d; i++) xf[i] = xl[i] * r * P.norm[i];
  sgemm(false, true, 1, c.V, d, 1.f, xf.data(), d, P.head, d, 0.f, out, c.V, 1);
}

}  // namespace model
}  // namespace dsa
