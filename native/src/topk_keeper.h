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
  void reset(int64_t kk) {
    k = (size_t)kk;
    reset();
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

// The best k of `all` into out[0..k): best first when `sorted`, else in no particular order;
// −1 past the candidates there are.
inline void writeSorted(std::vector<Cand>& all, int64_t k, int32_t* out, bool sorted = true) {
  if ((int64_t)all.size() > k) {
    std::nth_element(all.begin(), all.begin() + (std::ptrdiff_t)(k - 1), all.end(), Better());
    all.resize((size_t)k);
  }
  if (sorted) std::sort(all.begin(), all.end(), Better());
  for (int64_t j = 0; j < k; j++) out[j] = j < (int64_t)all.size() ? all[(size_t)j].i : -1;
}

// Split-key selection: kept[t·nsplit + s] holds query t's survivors of key range s; the k best
// over the ranges of each query go to out [T][k] (ranges joined in order: thread timing never
// shows in the result).
inline void mergeRanges(std::vector<std::vector<Cand>>& kept, int64_t T, int64_t nsplit, int64_t k, int32_t* out,
                        bool sorted = true) {
  for (int64_t t = 0; t < T; t++) {
    std::vector<Cand> all;
    for (int64_t s = 0; s < nsplit; s++) {
      auto& v = kept[(size_t)(t * nsplit + s)];
      all.insert(all.end(), v.begin(), v.end());
    }
    writeSorted(all, k, out + t * k, sorted);
  }
}

}  // namespace dsa
