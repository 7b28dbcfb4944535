// AVX-512F primitives for kernels_impl.h (included inside an ISA namespace).
typedef __m512 vf;
constexpr int W = 16;
// Tiles measured on Sapphire Rapids (A/B in one process, 16K MQA decode): QK 6 keys × 64
// rows beats 12 × 32 by ~4% (10 loads per 24 FMAs instead of 14, and 6 key pointers fit the
// registers where 12 spilled); BK a multiple of QK_C (no zero-padded keys mid-stream).
constexpr int QK_C = 6, QK_VH = 4;   // 24 score accumulators: 6 keys × 64 rows
constexpr int PV_CC = 8, PV_VH = 3;  // 24 output accumulators: 8 dims × 48 rows
constexpr int IX_C = 6, IX_VH = 4;   // 24 indexer accumulators: 6 keys × 64 heads
constexpr int BK = 96;               // keys per block: S 48 KB at 128 rows, kbuf 216 KB at Dqk 576
constexpr int PEAK_ACC = 24;

static inline vf vload(const float* p) { return _mm512_loadu_ps(p); }
static inline void vstore(float* p, vf x) { _mm512_storeu_ps(p, x); }
static inline vf vset1(float x) { return _mm512_set1_ps(x); }
static inline vf vzero() { return _mm512_setzero_ps(); }
static inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline float vhsum(vf a) { return _mm512_reduce_add_ps(a); }
static inline vf vgather(const float* base, const int32_t* idx) {
  return _mm512_i32gather_ps(_mm512_loadu_si512(idx), base, 4);
}
static inline unsigned vgt_mask(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
#define DSA_VCOMPRESS 1

// r[i] lane j ← r[j] lane i: a 16 × 16 transpose of 32-bit lanes in registers (unpacks, then
// 128-bit lane shuffles; no arithmetic, so bf16 pairs go through it unchanged). The query
// panel's packing and the output's unpacking use it instead of 16-lane gathers, which took
// ~3% of a 2,048-key sparse call between them.
#define DSA_TRANSPOSE 1
static inline void vtranspose(vf (&r)[W]) {
  vf t[W];
#pragma GCC unroll 16
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
#pragma GCC unroll 16
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
  }
#pragma GCC unroll 16
  for (int i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
  }
#pragma GCC unroll 16
  for (int i = 0; i < 4; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
    r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
  }
}

// exp(x): Cody-Waite reduction x = n·ln2 + r, degree-7 Taylor for e^r (|r| ≤ 0.35,
// rel. err. < 1e-8), 2^n by scalef; x < -87 (and -inf) → exactly 0.
static inline vf vexp(vf x) {
  const vf lo = _mm512_set1_ps(-87.0f);
  const __mmask16 under = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3f)), lo);
  const vf n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  vf r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  vf p = _mm512_set1_ps(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_maskz_mov_ps((__mmask16)~under, _mm512_scalef_ps(p, n));
}

// bf16 → fp32 is exact: the bf16 bits are the upper half of the fp32 bits.
static inline void cvt_bf16(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    const __m512i w = _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16);
    _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(w));
  }
  for (; i < n; i++) {
    const uint32_t b = (uint32_t)src[i] << 16;
    float f;
    __builtin_memcpy(&f, &b, 4);
    dst[i] = f;
  }
}
