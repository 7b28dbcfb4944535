// Streaming top-k selection shared by the engine's fused DSA op and the model's training
// path. Order: higher score first, ties → lower position (a strict total order), so every
// caller selects the same keys from the same scores.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace dsa {

struct Cand {
  float s;
  int32_t i;
};
inline bool better(const Cand& x, const Cand& y) { return x.s > y.s || (x.s == y.s && x.i < y.i); }
// The same order as a function object, so std::sort and nth_element inline it.
struct Better {
  bool operator()(const Cand& x, const Cand& y) const { return better(x, y); }
};

// Candidates better than the current k-th best are buffered; when the buffer holds 2k,
// nth_element keeps the best k and raises the threshold. O(L) on average, O(k) memory.
struct TopK {
  size_t k;
  std::vector<Cand> h;
  bool full = false;
  Cand thr{0.f, 0};
  explicit TopK(int64_t kk) : k((size_t)kk) { h.reserve(2 * k + 1); }
  void reset() {
    h.clear();
    full = false;
  }
  void push(float s, int32_t i) {
    if (!(s > -std::numeric_limits<float>::infinity())) return;  // -inf (masked) and NaN are never selected
    const Cand c{s, i};
    if (full && !better(c, thr)) return;
    h.push_back(c);
    if (h.size() >= 2 * k) compact();
  }
  void compact() {
    std::nth_element(h.begin(), h.begin() + (std::ptrdiff_t)(k - 1), h.end(), Better());
    h.resize(k);
    thr = h[k - 1];
    full = true;
  }
};

// The best k of `all` into out[0..k), best first, −1 past the candidates there are.
inline void writeSorted(std::vector<Cand>& all, int64_t k, int32_t* out) {
  if ((int64_t)all.size() > k) {
    std::nth_element(all.begin(), all.begin() + (std::ptrdiff_t)(k - 1), all.end(), Better());
    all.resize((size_t)k);
  }
  std::sort(all.begin(), all.end(), Better());
  for (int64_t j = 0; j < k; j++) out[j] = j < (int64_t)all.size() ? all[(size_t)j].i : -1;
}

}  // namespace dsa
