// The built-in DSA model: a small DeepSeek-V3.2-style decoder (MLA attention computed in
// MQA form, lightning indexer, top-k sparse attention, SwiGLU FFN) over a byte vocabulary.
//
// Parameters are one flat fp32 vector owned by the caller (JS); `Layout` names every tensor
// in it (Hugging Face names, weights [out, in]). Gradients use the same layout.
//
// Per layer, for a token with hidden state x [d]:
//   xn   = RMSNorm(x)·attn_norm
//   cq   = RMSNorm(wq_a·xn)·q_norm                     [rq]      (MLA query latent)
//   q    = wq_b·cq → per head [dn | dr]                  q_pe gets interleaved RoPE
//   kva  = wkv_a·xn → [rkv | dr];  c = RMSNorm(kva[:rkv])·kv_norm, k_pe = RoPE(kva[rkv:])
//   MQA form: cache entry K = [c | k_pe] (Dqk = rkv+dr), value = c (rkv dims);
//   head h query Q_h = [W_UKₕᵀ·q_nope_h | q_pe_h]  (W_UKₕ = wkv_b rows h·(dn+dv) … +dn)
//   O_h  = softmax(scale·Q_h·Kᵀ, causal ∩ selection)·V;  o_h = W_UVₕ·O_h  (rows +dn … +dn+dv)
//   x   += wo·[o_1 … o_H];  x += w2·(silu(w1·xn2) ⊙ w3·xn2),  xn2 = RMSNorm(x)·ffn_norm
// Indexer (inputs cq and xn, detached from the main model in training):
//   q_I = indexer.wq·cq → [nI, dI];  k_I = LayerNorm(indexer.wk·xn);  half-split RoPE on the
//   first drI dims of both;  w = indexer.weights_proj·xn · nI^-½·dI^-½
//   I[t,s] = Σ_j w[t,j]·ReLU(q_I[t,j]·k_I[s])
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dsa {
namespace model {

struct Config {
  int V = 260, d = 256, layers = 4, H = 4, rq = 96, rkv = 64, dn = 32, dr = 16, dv = 32, I = 640;
  int nI = 4, dI = 32, drI = 16, topk = 128, maxPos = 16384;
  float theta = 10000.f, eps = 1e-6f, initRange = 0.02f;
  // Log-n attention scaling (0 = off): a query at position p ≥ lognBase multiplies its
  // attention logits by ln(p+1)/ln(lognBase), so the softmax over a longer context stays as
  // peaked as over lognBase keys (Qwen's logn-attn / scalable softmax). Applied to Q rows.
  int lognBase = 0;
  int Dqk() const { return rkv + dr; }
  float scale() const;
  float lognScale(int64_t pos) const;
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0, size = 0;
  bool indexer = false;   // trained by the indexer's KL loss
  bool matrix = false;    // gets weight decay
};

struct Layout {
  std::vector<TensorInfo> tensors;
  int64_t total = 0;
};

Layout makeLayout(const Config& c);

// Pointers into a flat vector laid out by makeLayout (parameters or gradients alike).
struct LayerPtrs {
  float *attnNorm, *wqa, *qNorm, *wqb, *wkva, *kvNorm, *wkvb, *wo;
  float *iwq, *iwk, *ikNormW, *ikNormB, *iwProj;
  float *ffnNorm, *w1, *w2, *w3;
};
struct Ptrs {
  float* embed;
  std::vector<LayerPtrs> layer;
  float* norm;
  float* head;
};
Ptrs bindPtrs(const Config& c, float* base);

void initParams(const Config& c, const Layout& lay, float* params, uint64_t seed);

enum class Stage { Pretrain, Warmup, Sparse, Eval };

struct BatchArgs {
  const int32_t* tokens = nullptr;   // [B*L], < 0 = padding
  const int32_t* targets = nullptr;  // [B*L], < 0 = not scored (may be null for Eval)
  const float* weights = nullptr;    // [B*L] or null
  int64_t B = 0, L = 0;
  Stage stage = Stage::Pretrain;
  bool sparse = false;               // Eval: top-k attention
  int64_t topk = 0;
  int threads = 1;
};

struct LossResult {
  double loss = 0, lm = 0, kl = 0;
  int64_t targetTokens = 0;
};

// Forward (and, unless stage is Eval, backward into grad, which is overwritten).
// Eval with logitsOut set writes [B*L, V] logits.
LossResult forwardBackward(const Config& c, const Layout& lay, const float* params, const BatchArgs& a,
                           float* grad, float* logitsOut);

struct AdamArgs {
  float* params = nullptr; const float* grad = nullptr; float* m = nullptr; float* v = nullptr;
  int64_t step = 1;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, wd = 0.0, clip = 0.0;
  int group = 2;  // 0 main, 1 indexer, 2 all
};
double adamw(const Layout& lay, const AdamArgs& a);  // returns the (pre-clip) grad norm

// std::allocator that leaves new elements uninitialised on resize(n): the KV cache grows
// ahead of the tokens written into it, and zero-filling the part not yet written costs a
// pass over tens of MB per long prompt (every element is written before it is read).
template <class T>
struct UninitAlloc : std::allocator<T> {
  using std::allocator<T>::allocator;
  template <class U>
  struct rebind { using other = UninitAlloc<U>; };
  template <class U>
  void construct(U* p) noexcept { ::new ((void*)p) U; }
  template <class U, class... A>
  void construct(U* p, A&&... a) { ::new ((void*)p) U(std::forward<A>(a)...); }
};
using CacheVec = std::vector<float, UninitAlloc<float>>;

// Inference with a KV cache. Per layer: kv [maxLen, Dqk] (normed latent | roped k_pe) and
// indexer keys [maxLen, dI].
class Session {
 public:
  Session(const Config& c, const float* params, int64_t maxLen, bool sparse, int64_t topk, int threads);
  // Appends T tokens, returns logits of the last one into out [V].
  void forward(const int32_t* tokens, int64_t T, float* out);
  int64_t length() const { return len_; }
  void truncate(int64_t n);
  // Bytes held now (caches, activations, captures): the binding reports them to V8, which
  // does not see this memory otherwise.
  int64_t bytes() const;
  // With capture on, the last forward keeps, per layer, the attention inputs the engine saw:
  // q [T,H,Dqk] (unscaled), indexer q [T,nI,dI] and weights [T,nI]; the caches hold kv [L,Dqk]
  // and indexer keys [L,dI]. Used to study sparse attention on the model's real patterns.
  void setCapture(bool on) { capture_ = on; }
  struct Captured { std::vector<float> q, iq, iw; int64_t T = 0, qStart = 0; };
  const Captured& captured(int layer) const { return cap_.at(layer); }
  const CacheVec& kvCache(int layer) const { return kv_.at(layer); }
  const CacheVec& indexKeys(int layer) const { return ik_.at(layer); }
  bool sparse() const { return sparse_; }
 private:
  static constexpr int64_t PREFILL_CHUNK = 2048;  // tokens per prefill pass (see forward)
  void forwardChunk(const int32_t* tokens, int64_t T, float* out);
  Config c_;
  const float* params_;
  int64_t maxLen_, len_ = 0;
  bool sparse_;
  int64_t topk_;
  int threads_;
  std::vector<CacheVec> kv_, ik_;
  struct Scratch { std::vector<float> x, xn, cqRaw, cq, q, kva, Q, Olat, lse, o, tmp, a1, a3, iq, ikRaw, iw, ropeCs, ropeSn, iropeCs, iropeSn; };
  Scratch scratch_;  // per-chunk activations, grow-only (forwardChunk)
  bool capture_ = false;
  std::vector<Captured> cap_;
};

// Shared math helpers (model_ops.cc).
void ropeInterleaved(float* x, int64_t dim, int64_t pos, float theta, bool inverse);
// cos/sin of positions pos0..pos0+T-1 at the dim/2 frequencies theta^(-2i/dim): cs, sn [T][dim/2],
// the same values ropeInterleaved/ropeHalf compute per call (one table serves every layer and
// head of a prefill chunk).
void ropeTable(int64_t dim, int64_t pos0, int64_t T, float theta, std::vector<float>& cs, std::vector<float>& sn);
// ropeInterleaved / ropeHalf (forward) with one position's row of a ropeTable.
void ropeInterleavedTab(float* x, int64_t dim, const float* cs, const float* sn);
void ropeHalfTab(float* x, int64_t dim, const float* cs, const float* sn);
void ropeHalf(float* x, int64_t dim, int64_t pos, float theta, bool inverse);
// Indexer key of one token: out = RoPE_half(LayerNorm(raw)·k_norm.weight + k_norm.bias)
// [dI]; returns the LayerNorm's mean and 1/std through mean/rstd (for backward). cs/sn: the
// position's row of a ropeTable at dim drI, or null to compute it.
void indexKeyRow(const Config& c, const LayerPtrs& W, const float* raw, int64_t pos, float* out, float* mean,
                 float* rstd, const float* cs = nullptr, const float* sn = nullptr);

}  // namespace model
}  // namespace dsa
