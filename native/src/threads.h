// Intra-op threads: a plain split over work items with an atomic counter. threads = 1 runs
// inline on the caller's thread (the default, so N pool workers use N cores). Threads are
// started per call and joined before returning: no global pool, so the addon holds no
// process-wide state and loads in every worker_thread.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace dsa {

// f(item, tid) for item in [0, n); exceptions from any thread are rethrown on the caller.
template <class F>
void parallelFor(int threads, int64_t n, F&& f) {
  if (n <= 0) return;
  if (threads > n) threads = (int)n;
  if (threads <= 1) {
    for (int64_t i = 0; i < n; i++) f(i, 0);
    return;
  }
  std::atomic<int64_t> next{0};
  std::exception_ptr err;
  std::mutex mu;
  auto body = [&](int tid) {
    try {
      for (;;) {
        const int64_t i = next.fetch_add(1);
        if (i >= n) break;
        f(i, tid);
      }
    } catch (...) {
      std::lock_guard<std::mutex> g(mu);
      if (!err) err = std::current_exception();
      next.store(n);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (int t = 1; t < threads; t++) pool.emplace_back(body, t);
  body(0);
  for (auto& th : pool) th.join();
  if (err) std::rethrow_exception(err);
}

// 64-byte aligned float scratch (zero-filled when allocated).
struct FloatBuf {
  float* p = nullptr;
  size_t cap = 0;  // floats allocated
  FloatBuf() = default;
  explicit FloatBuf(size_t n) { alloc(n); }
  void alloc(size_t n) {
    release();
    const size_t bytes = ((n * sizeof(float)) + 63) / 64 * 64 + 64;
    p = static_cast<float*>(::operator new(bytes, std::align_val_t(64)));
    for (size_t i = 0; i < bytes / sizeof(float); i++) p[i] = 0.f;
    cap = n;
  }
  // Grow-only: keeps the buffer (and its contents) when it already holds n floats.
  void ensure(size_t n) {
    if (!p || cap < n) alloc(n);
  }
  void release() {
    if (p) ::operator delete(p, std::align_val_t(64));
    p = nullptr;
    cap = 0;
  }
  ~FloatBuf() { release(); }
  FloatBuf(const FloatBuf&) = delete;
  FloatBuf& operator=(const FloatBuf&) = delete;
  FloatBuf(FloatBuf&& o) noexcept : p(o.p), cap(o.cap) { o.p = nullptr; o.cap = 0; }
};

}  // namespace dsa
