// Intra-op threads for the engine's ops (attention, indexer, fused DSA): the same contract
// as parallelFor (threads.h) — f(item, tid) for item in [0, n), items taken dynamically,
// exceptions rethrown on the caller — on helper threads kept between calls.
//
// Why: starting and joining a thread per call cost ~55 µs for 2 threads on the 2-vCPU VM
// this was measured on, and the late start of the second thread left short calls
// unbalanced: a 2K-key sparse decode (~1–2 ms) or a 16K indexer pass (~0.9 ms) lost 3–6%
// to it, the fused op twice. The helpers belong to the calling thread (thread_local: the
// main thread and each worker_thread get their own, created on first use, joined when that
// thread exits), so the addon still holds no process-wide state. After a job they poll for
// the next one for a short while (back-to-back ops — a DSA call's selection then its
// attention — find them awake), then sleep on a condition variable.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "threads.h"

namespace dsa {

class HelperPool {
 public:
  // The calling thread's pool.
  static HelperPool& local() {
    thread_local HelperPool pool;
    return pool;
  }

  template <class F>
  void run(int threads, int64_t n, F&& f) {
    if (n <= 0) return;
    if (threads > n) threads = (int)n;
    if (threads <= 1) {
      for (int64_t i = 0; i < n; i++) f(i, 0);
      return;
    }
    grow(threads - 1);
    Job job;
    job.n = n;
    using Fn = std::remove_reference_t<F>;
    job.call = [](void* ctx, int64_t i, int tid) { (*static_cast<Fn*>(ctx))(i, tid); };
    job.ctx = const_cast<void*>(static_cast<const void*>(&f));
    job.want = threads - 1;
    {
      std::lock_guard<std::mutex> g(mu_);
      job_ = &job;
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    work(job, 0);
    // No helper joins once the items are gone (a helper still asleep is not waited for);
    // those that joined leave (active → 0) before the job goes out of scope.
    {
      std::lock_guard<std::mutex> g(mu_);
      job_ = nullptr;
    }
    while (job.active.load(std::memory_order_acquire) > 0) std::this_thread::yield();
    if (job.err) std::rethrow_exception(job.err);
  }

  ~HelperPool() {
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (std::thread& t : helpers_) t.join();
  }

 private:
  struct Job {
    int64_t n = 0;
    std::atomic<int64_t> next{0};
    std::atomic<int> active{0};  // helpers in the job now
    int joined = 0;              // helpers that took a thread id (1..want), under the pool's lock
    int want = 0;
    void (*call)(void*, int64_t, int) = nullptr;
    void* ctx = nullptr;
    std::mutex errMu;
    std::exception_ptr err;
  };

  HelperPool() = default;

  static void work(Job& job, int tid) {
    try {
      for (;;) {
        const int64_t i = job.next.fetch_add(1, std::memory_order_relaxed);
        if (i >= job.n) break;
        job.call(job.ctx, i, tid);
      }
    } catch (...) {
      std::lock_guard<std::mutex> g(job.errMu);
      if (!job.err) job.err = std::current_exception();
      job.next.store(job.n);
    }
  }

  // A new helper starts from the generation current now, not from the one it finds when it
  // first runs: a helper scheduled late must still see a job or the stop posted meanwhile.
  void grow(int helpers) {
    while ((int)helpers_.size() < helpers) {
      const uint64_t start = gen_.load(std::memory_order_acquire);
      helpers_.emplace_back([this, start] { loop(start); });
    }
  }

  // A helper: wait for a new generation (polling ~200 µs, then sleeping), join its job if
  // it is still open and wants helpers, work, leave.
  void loop(uint64_t seen) {
    for (;;) {
      const auto t0 = std::chrono::steady_clock::now();
      while (gen_.load(std::memory_order_acquire) == seen &&
             std::chrono::steady_clock::now() - t0 < std::chrono::microseconds(200))
        std::this_thread::yield();
      Job* job = nullptr;
      int tid = 0;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return gen_.load(std::memory_order_acquire) != seen; });
        seen = gen_.load(std::memory_order_acquire);
        if (stop_) return;
        // Join under the lock: the caller clears job_ under it, then waits for `active`.
        job = job_;
        if (job && job->joined < job->want) {
          tid = ++job->joined;
          job->active.fetch_add(1, std::memory_order_relaxed);
        } else {
          job = nullptr;
        }
      }
      if (!job) continue;
      work(*job, tid);
      job->active.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> gen_{0};
  Job* job_ = nullptr;
  bool stop_ = false;
  std::vector<std::thread> helpers_;
};

// parallelFor on the calling thread's helper pool (see HelperPool).
template <class F>
void pooledFor(int threads, int64_t n, F&& f) {
  HelperPool::local().run(threads, n, f);
}

}  // namespace dsa
