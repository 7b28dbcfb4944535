// AVX-512F kernel set (this file is compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma).
#include <immintrin.h>
#include <cstdint>
#include "kernels.h"

namespace dsa {
namespace isa_avx512 {
#include "isa_avx512_common.h"
#include "kernels_impl.h"
static void bf16_to_f32(const uint16_t* s, float* d, int64_t n) { cvt_bf16(s, d, n); }
}  // namespace isa_avx512

const Kernels* kernelsAvx512() {
  static const Kernels k = {"avx512", isa_avx512::W, isa_avx512::BK, isa_avx512::attn_chunk,
                            isa_avx512::indexer_chunk, isa_avx512::fma_peak, isa_avx512::bf16_to_f32,
                            isa_avx512::extract_above, isa_avx512::softmax_row, isa_avx512::indexer_rows};
  return &k;
}
}  // namespace dsa
