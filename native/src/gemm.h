// General fp32 matrix multiply used by the built-in model (training and prefill).
//
//   C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C[M,N]
//
// Row-major. op(A) = A when !transA (A is [M,K], row stride lda ≥ K) and Aᵀ when transA
// (A is [K,M], lda ≥ M); likewise B ([K,N] with ldb ≥ N, or [N,K] with ldb ≥ K when transB).
// beta = 0 ignores C's old contents (NaN in C does not leak); alpha = 0 or K = 0 gives
// C = beta·C without reading A or B. threads > 1 splits the work over that many threads
// (started and joined inside the call, like every engine op; below ~16 MFLOP it runs inline).
// Implementation: gemm.cc (driver, dispatch), gemm_impl.h (packing and blocking),
// gemm_avx512.cc / gemm_avx2.cc (micro-kernels, built with their own -m flags).
#pragma once
#include <cstdint>

namespace dsa {

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads);

// Name of the kernel path sgemm runs on this CPU ("avx512", "avx2", "scalar").
const char* sgemmPath();

// Whether this CPU can run the named kernel path.
bool sgemmPathSupported(const char* path);

// sgemm on a named kernel path ("avx512", "avx2", "scalar"), for tests and benchmarks;
// false (C untouched) when this CPU lacks it.
bool sgemmOn(const char* path, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
             const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
             int threads);

}  // namespace dsa
