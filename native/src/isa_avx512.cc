// AVX-512F kernel set (target: AVX-512 F/BW/VL/DQ + FMA; see isa_avx2.cc for the pattern).
#if defined(__x86_64__) || defined(__i386__)
#include <cstdint>
#include "kernels.h"
#define DSA_TARGET "avx512f,avx512bw,avx512vl,avx512dq,fma"
DSA_TARGET_PRAGMA(DSA_TARGET)
#include <immintrin.h>

namespace dsa {
namespace isa_avx512 {
#include "isa_avx512_common.h"
#include "kernels_impl.h"
}  // namespace isa_avx512

const Kernels* kernelsAvx512() {
  static constexpr Kernels k = isa_avx512::make_kernels("avx512");
  return &k;
}
}  // namespace dsa
#endif
