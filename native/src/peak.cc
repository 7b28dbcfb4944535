// The FMA-bound peak of a kernel set, or its bf16 dot-product peak (see engine.h fmaPeak):
// the reference of the benchmark's "% of peak".
#include <algorithm>
#include <string>
#include <chrono>
#include <vector>

#include "engine.h"
#include "ops_util.h"
#include "threads.h"

namespace dsa {

using ops::fail;

double fmaPeak(const Kernels& kr, int threads, double seconds, bool dot) {
  if (threads < 1 || threads > 1024) fail("E_OPTION", "threads must be in 1..1024");
  if (dot && !kr.dotPeak)
    fail("E_OPTION", std::string("kernel set '") + kr.name + "' has no bf16 dot products (no dot peak)");
  double (*const loop)(int64_t, float*) = dot ? kr.dotPeak : kr.fmaPeak;
  using clk = std::chrono::steady_clock;
  float sink = 0.f;
  // Iterations per second of one copy on one thread, calibrated (≥ 20 ms) on the first call
  // for this kernel set on this thread and on every call of ≥ 100 ms, so that short bursts
  // (the benchmark measures one right before each timed call) are not mostly calibration.
  thread_local double (*calLoop)(int64_t, float*) = nullptr;
  thread_local double calRate = 0.0;
  if (calLoop != loop || seconds >= 0.1) {
    int64_t n = 1 << 16;
    for (;;) {
      const auto t0 = clk::now();
      loop(n, &sink);
      const double dt = std::chrono::duration<double>(clk::now() - t0).count();
      if (dt > 0.02 || n > (int64_t(1) << 40)) {
        calRate = (double)n / std::max(dt, 1e-6);
        calLoop = loop;
        break;
      }
      n *= 4;
    }
  }
  // Then `threads` copies at once, best of 3.
  const int64_t iters = (int64_t)(calRate * seconds / 3.0) + 1;
  double best = 0.0;
  std::vector<float> sinks((size_t)threads, 0.f);
  for (int rep = 0; rep < 3; rep++) {
    // Each copy is timed on its own thread (thread start-up, tens of µs, is not the cores'
    // capacity and would bias short bursts low); the rates of the concurrent copies add up.
    std::vector<double> rate((size_t)threads, 0.0);
    parallelFor(threads, threads, [&](int64_t i, int) {
      const auto t0 = clk::now();
      const double flops = loop(iters, &sinks[(size_t)i]);
      rate[(size_t)i] = flops / std::max(std::chrono::duration<double>(clk::now() - t0).count(), 1e-9);
    });
    double f = 0.0;
    for (double v : rate) f += v;
    best = std::max(best, f / 1e9);
  }
  return best;
}

}  // namespace dsa
