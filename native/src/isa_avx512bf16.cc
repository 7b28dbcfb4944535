// AVX-512 + AVX512_BF16 kernel set (target: the AVX-512 set's plus avx512bf16).
// The loops are the AVX-512 ones; bf16 → fp32 widening of the cache uses the same exact
// shift (the BF16 extension adds fp32 → bf16 rounding and bf16 dot products, which would
// round the fp32 queries, so they are not used: accumulation stays fp32 as specified).
#if defined(__x86_64__) || defined(__i386__)
#include <cstdint>
#include "kernels.h"
#define DSA_TARGET "avx512f,avx512bw,avx512vl,avx512dq,fma,avx512bf16"
DSA_TARGET_PRAGMA(DSA_TARGET)
#include <immintrin.h>

namespace dsa {
namespace isa_avx512bf16 {
#include "isa_avx512_common.h"
#include "kernels_impl.h"
}  // namespace isa_avx512bf16

const Kernels* kernelsAvx512Bf16() {
  static constexpr Kernels k = isa_avx512bf16::make_kernels("avx512-bf16");
  return &k;
}
}  // namespace dsa
#endif
