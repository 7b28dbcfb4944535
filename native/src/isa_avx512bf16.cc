// AVX-512 + AVX512_BF16 kernel set (compiled with the AVX-512 flags plus -mavx512bf16).
// The loops are the AVX-512 ones; bf16 → fp32 widening of the cache uses the same exact
// shift (the BF16 extension adds fp32 → bf16 rounding and bf16 dot products, which would
// round the fp32 queries, so they are not used: accumulation stays fp32 as specified).
#include <immintrin.h>
#include <cstdint>
#include "kernels.h"

namespace dsa {
namespace isa_avx512bf16 {
#include "isa_avx512_common.h"
#include "kernels_impl.h"
static void bf16_to_f32(const uint16_t* s, float* d, int64_t n) { cvt_bf16(s, d, n); }
}  // namespace isa_avx512bf16

const Kernels* kernelsAvx512Bf16() {
  static const Kernels k = {"avx512-bf16", isa_avx512bf16::W, isa_avx512bf16::BK, isa_avx512bf16::attn_chunk,
                            isa_avx512bf16::indexer_chunk, isa_avx512bf16::fma_peak, isa_avx512bf16::bf16_to_f32,
                            isa_avx512bf16::extract_above, isa_avx512bf16::softmax_row, isa_avx512bf16::indexer_rows};
  return &k;
}
}  // namespace dsa
