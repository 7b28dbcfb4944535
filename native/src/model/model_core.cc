// Layout, initialisation, AdamW and RoPE of the built-in model (see model.h).
#include <cmath>
#include <string>

#include "../engine.h"
#include "model.h"

namespace dsa {
namespace model {

float Config::scale() const { return 1.f / std::sqrt((float)(dn + dr)); }

float Config::lognScale(int64_t pos) const {
  if (lognBase <= 1 || pos + 1 <= lognBase) return 1.f;
  return (float)(std::log((double)(pos + 1)) / std::log((double)lognBase));
}

Layout makeLayout(const Config& c) {
  Layout lay;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, bool indexer) {
    TensorInfo t;
    t.name = name;
    t.shape = shape;
    t.size = 1;
    for (int64_t s : shape) t.size *= s;
    t.offset = lay.total;
    t.indexer = indexer;
    t.matrix = shape.size() >= 2;
    lay.total += t.size;
    lay.tensors.push_back(t);
  };
  add("embed.weight", {c.V, c.d}, false);
  for (int i = 0; i < c.layers; i++) {
    const std::string p = "layers." + std::to_string(i) + ".";
    add(p + "attn_norm.weight", {c.d}, false);
    add(p + "attn.wq_a.weight", {c.rq, c.d}, false);
    add(p + "attn.q_norm.weight", {c.rq}, false);
    add(p + "attn.wq_b.weight", {(int64_t)c.H * (c.dn + c.dr), c.rq}, false);
    add(p + "attn.wkv_a.weight", {c.rkv + c.dr, c.d}, false);
    add(p + "attn.kv_norm.weight", {c.rkv}, false);
    add(p + "attn.wkv_b.weight", {(int64_t)c.H * (c.dn + c.dv), c.rkv}, false);
    add(p + "attn.wo.weight", {c.d, (int64_t)c.H * c.dv}, false);
    add(p + "attn.indexer.wq.weight", {(int64_t)c.nI * c.dI, c.rq}, true);
    add(p + "attn.indexer.wk.weight", {c.dI, c.d}, true);
    add(p + "attn.indexer.k_norm.weight", {c.dI}, true);
    add(p + "attn.indexer.k_norm.bias", {c.dI}, true);
    add(p + "attn.indexer.weights_proj.weight", {c.nI, c.d}, true);
    add(p + "ffn_norm.weight", {c.d}, false);
    add(p + "ffn.w1.weight", {c.I, c.d}, false);
    add(p + "ffn.w2.weight", {c.d, c.I}, false);
    add(p + "ffn.w3.weight", {c.I, c.d}, false);
  }
  add("norm.weight", {c.d}, false);
  add("head.weight", {c.V, c.d}, false);
  return lay;
}

Ptrs bindPtrs(const Config& c, float* base) {
  // Same order as makeLayout; offsets recomputed by walking the sizes.
  Ptrs p;
  float* cur = base;
  auto take = [&](int64_t n) { float* r = cur; cur += n; return r; };
  p.embed = take((int64_t)c.V * c.d);
  for (int i = 0; i < c.layers; i++) {
    LayerPtrs l;
    l.attnNorm = take(c.d);
    l.wqa = take((int64_t)c.rq * c.d);
    l.qNorm = take(c.rq);
    l.wqb = take((int64_t)c.H * (c.dn + c.dr) * c.rq);
    l.wkva = take((int64_t)(c.rkv + c.dr) * c.d);
    l.kvNorm = take(c.rkv);
    l.wkvb = take((int64_t)c.H * (c.dn + c.dv) * c.rkv);
    l.wo = take((int64_t)c.d * c.H * c.dv);
    l.iwq = take((int64_t)c.nI * c.dI * c.rq);
    l.iwk = take((int64_t)c.dI * c.d);
    l.ikNormW = take(c.dI);
    l.ikNormB = take(c.dI);
    l.iwProj = take((int64_t)c.nI * c.d);
    l.ffnNorm = take(c.d);
    l.w1 = take((int64_t)c.I * c.d);
    l.w2 = take((int64_t)c.d * c.I);
    l.w3 = take((int64_t)c.I * c.d);
    p.layer.push_back(l);
  }
  p.norm = take(c.d);
  p.head = take((int64_t)c.V * c.d);
  return p;
}

namespace {
uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
double uniform01(uint64_t& s) { return ((splitmix(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
}  // namespace

void initParams(const Config& c, const Layout& lay, float* params, uint64_t seed) {
  uint64_t s = seed * 0x2545F4914F6CDD1Dull + 12345;
  const double outScale = 1.0 / std::sqrt(2.0 * c.layers);
  for (const TensorInfo& t : lay.tensors) {
    float* p = params + t.offset;
    const bool isNorm = t.name.find("norm.weight") != std::string::npos;
    const bool isBias = t.name.size() >= 5 && t.name.compare(t.name.size() - 5, 5, ".bias") == 0;
    if (isNorm || isBias) {
      for (int64_t i = 0; i < t.size; i++) p[i] = isNorm ? 1.f : 0.f;
      continue;
    }
    const bool isOut = t.name.find("attn.wo.") != std::string::npos || t.name.find("ffn.w2.") != std::string::npos;
    const double std = c.initRange * (isOut ? outScale : 1.0);
    for (int64_t i = 0; i < t.size; i++) {
      // Box-Muller, one value per pair of uniforms (simple and deterministic).
      const double u1 = uniform01(s), u2 = uniform01(s);
      p[i] = (float)(std * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    }
  }
}

double adamw(const Layout& lay, const AdamArgs& a) {
  auto inGroup = [&](const TensorInfo& t) { return a.group == 2 || (a.group == 1) == t.indexer; };
  double sq = 0;
  for (const TensorInfo& t : lay.tensors) {
    if (!inGroup(t)) continue;
    const float* g = a.grad + t.offset;
    for (int64_t i = 0; i < t.size; i++) sq += (double)g[i] * g[i];
  }
  const double norm = std::sqrt(sq);
  if (!std::isfinite(norm)) throw EngineError("E_NATIVE", "gradient is not finite (norm " + std::to_string(norm) + "); lower the learning rate");
  const double clipScale = (a.clip > 0 && norm > a.clip) ? a.clip / norm : 1.0;
  const double bc1 = 1.0 - std::pow(a.beta1, (double)a.step), bc2 = 1.0 - std::pow(a.beta2, (double)a.step);
  const float b1 = (float)a.beta1, b2 = (float)a.beta2;
  const float stepSize = (float)(a.lr / bc1), invBc2 = (float)(1.0 / bc2), eps = (float)a.eps;
  const float cs = (float)clipScale;
  for (const TensorInfo& t : lay.tensors) {
    if (!inGroup(t)) continue;
    float* p = a.params + t.offset;
    const float* g = a.grad + t.offset;
    float* m = a.m + t.offset;
    float* v = a.v + t.offset;
    const float decay = t.matrix ? (float)(1.0 - a.lr * a.wd) : 1.f;
    for (int64_t i = 0; i < t.size; i++) {
      const float gi = g[i] * cs;
      m[i] = b1 * m[i] + (1.f - b1) * gi;
      v[i] = b2 * v[i] + (1.f - b2) * gi * gi;
      p[i] = p[i] * decay - stepSize * m[i] / (std::sqrt(v[i] * invBc2) + eps);
    }
  }
  return norm;
}

// MLA's RoPE rotates interleaved pairs (2i, 2i+1) with frequency theta^(-2i/dim).
void ropeInterleaved(float* x, int64_t dim, int64_t pos, float theta, bool inverse) {
  for (int64_t i = 0; i < dim / 2; i++) {
    const double ang = (double)pos * std::pow((double)theta, -2.0 * i / (double)dim);
    const float cs = (float)std::cos(ang), sn = (float)(inverse ? -std::sin(ang) : std::sin(ang));
    const float a = x[2 * i], b = x[2 * i + 1];
    x[2 * i] = a * cs - b * sn;
    x[2 * i + 1] = a * sn + b * cs;
  }
}

void ropeTable(int64_t dim, int64_t pos0, int64_t T, float theta, std::vector<float>& cs, std::vector<float>& sn) {
  const int64_t h = dim / 2;
  if ((int64_t)cs.size() < T * h) {
    cs.resize((size_t)(T * h));
    sn.resize((size_t)(T * h));
  }
  for (int64_t i = 0; i < h; i++) {
    const double f = std::pow((double)theta, -2.0 * i / (double)dim);
    for (int64_t t = 0; t < T; t++) {
      const double ang = (double)(pos0 + t) * f;
      cs[(size_t)(t * h + i)] = (float)std::cos(ang);
      sn[(size_t)(t * h + i)] = (float)std::sin(ang);
    }
  }
}

void ropeInterleavedTab(float* x, int64_t dim, const float* cs, const float* sn) {
  for (int64_t i = 0; i < dim / 2; i++) {
    const float a = x[2 * i], b = x[2 * i + 1];
    x[2 * i] = a * cs[i] - b * sn[i];
    x[2 * i + 1] = a * sn[i] + b * cs[i];
  }
}

void ropeHalfTab(float* x, int64_t dim, const float* cs, const float* sn) {
  const int64_t h = dim / 2;
  for (int64_t i = 0; i < h; i++) {
    const float a = x[i], b = x[i + h];
    x[i] = a * cs[i] - b * sn[i];
    x[i + h] = a * sn[i] + b * cs[i];
  }
}

// The indexer's RoPE is half-split ("NeoX"): pairs (i, i + dim/2).
void ropeHalf(float* x, int64_t dim, int64_t pos, float theta, bool inverse) {
  const int64_t h = dim / 2;
  for (int64_t i = 0; i < h; i++) {
    const double ang = (double)pos * std::pow((double)theta, -2.0 * i / (double)dim);
    const float cs = (float)std::cos(ang), sn = (float)(inverse ? -std::sin(ang) : std::sin(ang));
    const float a = x[i], b = x[i + h];
    x[i] = a * cs - b * sn;
    x[i + h] = a * sn + b * cs;
  }
}

void indexKeyRow(const Config& c, const LayerPtrs& W, const float* raw, int64_t pos, float* out, float* mean,
                 float* rstd, const float* cs, const float* sn) {
  const int64_t dI = c.dI;
  double mu = 0, var = 0;
  for (int64_t i = 0; i < dI; i++) mu += raw[i];
  mu /= dI;
  for (int64_t i = 0; i < dI; i++) var += (raw[i] - mu) * (raw[i] - mu);
  var /= dI;
  const float rs = (float)(1.0 / std::sqrt(var + c.eps));
  for (int64_t i = 0; i < dI; i++) out[i] = (float)(raw[i] - mu) * rs * W.ikNormW[i] + W.ikNormB[i];
  if (cs) ropeHalfTab(out, c.drI, cs, sn);
  else ropeHalf(out, c.drI, pos, c.theta, false);
  *mean = (float)mu;
  *rstd = rs;
}

}  // namespace model
}  // namespace dsa
