// Hot loops of the engine, written once and compiled per instruction set.
//
// Included INSIDE a namespace by each isa_*.cc after it has defined DSA_TARGET (its compile
// target, see kernels.h) and:
//   vf (vector of W floats), W, vload/vstore/vset1/vzero/vfma(a,b,c)=a*b+c/vadd/vsub/vmul/vmax,
//   vexp (exp with exp(x<-87) = 0 and exp(-inf) = 0, never NaN), vhsum (sum of lanes),
//   vgt_mask(a,b) (bit i set when lane i of a > lane i of b, ordered: NaN → 0),
//   vgather(base, idx) (lane i = base[idx[i]], idx: W int32), and may
//   define DSA_VCOMPRESS (AVX-512 compress instructions available),
//   cvt_bf16(src,dst,n), and the tile constants QK_C, QK_VH, PV_CC, PV_VH, IX_C, IX_VH,
//   BK (keys per block), PEAK_ACC. A set with bf16 dot products defines DSA_BF16_DOT and
//   vbcast32(u32) (a 32-bit pattern in every lane), vloadp/vstorep (W 32-bit pairs as vf),
//   vdot2(acc,a,b) (acc + Σ of each lane's two bf16 products), vpack2(a,b) (lane r: the
//   pair (bf16(a[r]), bf16(b[r])), round to nearest even) and interleave_pairs(a,b,n,out)
//   (out[c] = pair (a[c], b[c]) of two bf16 rows, c < n; out has room for roundUp(n, 32)).
// It must not use std:: templates: inline template code compiled with wide-ISA flags could
// be merged by the linker into the scalar path (one-definition rule) and crash older CPUs.

#define DSA_UNROLL _Pragma("GCC unroll 32")

static inline int64_t imin64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int imin(int a, int b) { return a < b ? a : b; }

// Pointer to fp32 row `pos` of `src` (first `dim` elements), converting bf16 into `buf`.
static inline const float* row_f32(const RowSource& src, int64_t pos, float* buf, int dim) {
  const int64_t off = pos * src.stride + src.offset;
  if (src.dtype == DType::F32) return static_cast<const float*>(src.base) + off;
  cvt_bf16(static_cast<const uint16_t*>(src.base) + off, buf, dim);
  return buf;
}

// Copy of row `pos` (first `dim` elements) into `buf` as fp32.
static inline const float* gather_f32(const RowSource& src, int64_t pos, float* buf, int dim) {
  const int64_t off = pos * src.stride + src.offset;
  if (src.dtype == DType::F32) {
    const float* s = static_cast<const float*>(src.base) + off;
    int d = 0;
    for (; d + W <= dim; d += W) vstore(buf + d, vload(s + d));
    for (; d < dim; d++) buf[d] = s[d];
  } else {
    cvt_bf16(static_cast<const uint16_t*>(src.base) + off, buf, dim);
  }
  return buf;
}

#include "kernels_attn.h"
#include "kernels_index.h"

// ---- FMA-bound micro-kernel for the machine's peak -----------------------------------------
static double fma_peak(int64_t iters, float* sink) {
  vf a[PEAK_ACC];
  DSA_UNROLL for (int i = 0; i < PEAK_ACC; i++) a[i] = vset1(1e-3f * (float)i);
  const vf b = vset1(0.9999999f), cst = vset1(1e-7f);
  for (int64_t it = 0; it < iters; it++)
    DSA_UNROLL for (int i = 0; i < PEAK_ACC; i++) a[i] = vfma(a[i], b, cst);
  vf s = vzero();
  DSA_UNROLL for (int i = 0; i < PEAK_ACC; i++) s = vadd(s, a[i]);
  *sink = vhsum(s);
  return (double)iters * PEAK_ACC * W * 2.0;
}

#ifdef DSA_BF16_DOT
// The same bound for bf16 dot products: each lane does two multiply-adds per instruction.
static double dot_peak(int64_t iters, float* sink) {
  vf a[PEAK_ACC];
  DSA_UNROLL for (int i = 0; i < PEAK_ACC; i++) a[i] = vset1(1e-3f * (float)i);
  const vf b = vbcast32(0x3f803f80u), cst = vbcast32(0x33d633d6u);  // bf16 pairs (1, 1), (1e-7, 1e-7)
  for (int64_t it = 0; it < iters; it++)
    DSA_UNROLL for (int i = 0; i < PEAK_ACC; i++) a[i] = vdot2(a[i], b, cst);
  vf s = vzero();
  DSA_UNROLL for (int i = 0; i < PEAK_ACC; i++) s = vadd(s, a[i]);
  *sink = vhsum(s);
  return (double)iters * PEAK_ACC * W * 4.0;
}
#endif

// ---- top-k candidate scan ------------------------------------------------------------------
// The scalar end of a scan: keys i0..n-1 above v appended after the c found so far.
static inline int64_t extract_tail(const float* row, int64_t i0, int64_t n, float v, int64_t s0, float* outS,
                                   int32_t* outI, int64_t c) {
  for (int64_t i = i0; i < n; i++)
    if (row[i] > v) {
      outS[c] = row[i];
      outI[c] = (int32_t)(s0 + i);
      c++;
    }
  return c;
}

#ifdef DSA_VCOMPRESS
// AVX-512: each vector's keys above v are compressed to the front of a register and the whole
// register stored at the write position (the next store overwrites the tail), so no branch
// depends on where the hits fall (a hit in about every other vector of a 16K row made the
// bit loop below mispredict on most of them). Compress into a register, not to memory: the
// memory form is microcoded on some CPUs.
static int64_t extract_above(const float* row, int64_t n, float v, int64_t s0, float* outS, int32_t* outI) {
  const __m512 vv = _mm512_set1_ps(v);
  const __m512i step = _mm512_set1_epi32(16);
  __m512i idx = _mm512_add_epi32(_mm512_set1_epi32((int32_t)s0),
                                 _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  int64_t c = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(row + i);
    const __mmask16 m = _mm512_cmp_ps_mask(x, vv, _CMP_GT_OQ);
    _mm512_storeu_ps(outS + c, _mm512_maskz_compress_ps(m, x));
    _mm512_storeu_si512(outI + c, _mm512_maskz_compress_epi32(m, idx));
    c += __builtin_popcount((unsigned)m);
    idx = _mm512_add_epi32(idx, step);
  }
  return extract_tail(row, i, n, v, s0, outS, outI, c);
}
#else
// One compare per W keys; the few keys above v (~2k of a row of thousands) leave through the
// mask bits, so the cost is the row's read.
static int64_t extract_above(const float* row, int64_t n, float v, int64_t s0, float* outS, int32_t* outI) {
  const vf vv = vset1(v);
  int64_t c = 0, i = 0;
  for (; i + W <= n; i += W) {
    unsigned m = vgt_mask(vload(row + i), vv);
    while (m) {
      const int b = __builtin_ctz(m);
      outS[c] = row[i + b];
      outI[c] = (int32_t)(s0 + i + b);
      c++;
      m &= m - 1;
    }
  }
  return extract_tail(row, i, n, v, s0, outS, outI, c);
}
#endif

// ---- softmax of one row --------------------------------------------------------------------
// Max, exp and sum, scale: three vector passes; the tail goes through vexp in a −inf-padded
// vector so every entry gets the same exp.
static float softmax_row(float* row, int64_t n) {
  const float NEG = -__builtin_inff();
  const int64_t nv = n - n % W;
  vf mv = vset1(NEG);
  for (int64_t i = 0; i < nv; i += W) mv = vmax(mv, vload(row + i));
  float lanes[W];
  vstore(lanes, mv);
  float mx = NEG;
  for (int j = 0; j < W; j++) mx = lanes[j] > mx ? lanes[j] : mx;
  for (int64_t i = nv; i < n; i++) mx = row[i] > mx ? row[i] : mx;
  if (!(mx > NEG)) {
    for (int64_t i = 0; i < n; i++) row[i] = 0.f;
    return NEG;
  }
  const vf vm = vset1(mx);
  vf sv = vzero();
  for (int64_t i = 0; i < nv; i += W) {
    const vf e = vexp(vsub(vload(row + i), vm));
    vstore(row + i, e);
    sv = vadd(sv, e);
  }
  float sum = vhsum(sv);
  if (nv < n) {
    for (int j = 0; j < W; j++) lanes[j] = nv + j < n ? row[nv + j] : NEG;
    vstore(lanes, vexp(vsub(vload(lanes), vm)));
    for (int64_t i = nv; i < n; i++) {
      row[i] = lanes[i - nv];
      sum += row[i];
    }
  }
  const vf inv = vset1(1.f / sum);
  for (int64_t i = 0; i < nv; i += W) vstore(row + i, vmul(vload(row + i), inv));
  for (int64_t i = nv; i < n; i++) row[i] *= 1.f / sum;
  return mx + __builtin_logf(sum);
}

// ---- lightning indexer, a block of queries × keys in lanes -----------------------------------
// One vector of W keys at a time: its D key dims stay in registers while every query row of
// the block runs over them, four rows at once (independent FMA chains), so a key is read
// once per block and the scores never leave registers before the ReLU-weighted sum.
template <int D>
static void indexer_rows_d(const float* q, const float* w, int64_t nb, int HI, const float* Kt, int64_t ldk,
                           int64_t n, float* acc, int64_t lda) {
  const vf zero = vzero();
  for (int64_t s = 0; s < n; s += W) {
    vf k[D];
    DSA_UNROLL for (int d = 0; d < D; d++) k[d] = vload(Kt + d * ldk + s);
    int64_t r = 0;
    for (; r + 4 <= nb; r += 4) {
      vf a[4] = {zero, zero, zero, zero};
      for (int j = 0; j < HI; j++) {
        vf t[4] = {zero, zero, zero, zero};
        DSA_UNROLL for (int d = 0; d < D; d++)
          DSA_UNROLL for (int i = 0; i < 4; i++) t[i] = vfma(vset1(q[((r + i) * HI + j) * D + d]), k[d], t[i]);
        DSA_UNROLL for (int i = 0; i < 4; i++) a[i] = vfma(vset1(w[(r + i) * HI + j]), vmax(t[i], zero), a[i]);
      }
      DSA_UNROLL for (int i = 0; i < 4; i++) vstore(acc + (r + i) * lda + s, a[i]);
    }
    for (; r < nb; r++) {
      vf a = zero;
      for (int j = 0; j < HI; j++) {
        vf t = zero;
        DSA_UNROLL for (int d = 0; d < D; d++) t = vfma(vset1(q[(r * HI + j) * D + d]), k[d], t);
        a = vfma(vset1(w[r * HI + j]), vmax(t, zero), a);
      }
      vstore(acc + r * lda + s, a);
    }
  }
}

static bool indexer_rows(const float* q, const float* w, int64_t nb, int HI, int D, const float* Kt, int64_t ldk,
                         int64_t n, float* acc, int64_t lda) {
  switch (D) {
    case 8: indexer_rows_d<8>(q, w, nb, HI, Kt, ldk, n, acc, lda); return true;
    case 16: indexer_rows_d<16>(q, w, nb, HI, Kt, ldk, n, acc, lda); return true;
    case 32: indexer_rows_d<32>(q, w, nb, HI, Kt, ldk, n, acc, lda); return true;
    default: return false;
  }
}

// ---- a chunk's query panel in, its output out (transposes through gathers) -----------------
// fp32 → bf16 bits as vcvtne(2)ps2bf16 rounds: nearest even, denormals flushed to ±0, NaN quiet.
static inline uint32_t bf16_bits(float f) {
  uint32_t b;
  __builtin_memcpy(&b, &f, 4);
  if ((b & 0x7fffffffu) > 0x7f800000u) return (b >> 16) | 0x40u;
  if ((b & 0x7f800000u) == 0) return (b >> 16) & 0x8000u;
  return (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
}

#ifdef DSA_TRANSPOSE
// W rows (offsets off[0..W)) × W dims from d0 of the panel, loaded along the rows and
// transposed in registers: Qt[(d0 + d)·ld + r] = scale · x[off[r] + d0 + d] (the same
// products the gathers give).
static inline void pack_block(const float* x, const int32_t* off, int d0, vf sc, float* Qt, int ld) {
  vf t[W];
  DSA_UNROLL for (int r = 0; r < W; r++) t[r] = vmul(vload(x + off[r] + d0), sc);
  vtranspose(t);
  DSA_UNROLL for (int d = 0; d < W; d++) vstore(Qt + (int64_t)(d0 + d) * ld, t[d]);
}
#ifdef DSA_BF16_DOT
// The same for 2W dims from d0 as W bf16 pairs: Qp[(d0/2 + i)·ld + r] = (q[2i], q[2i+1]) of
// row r's dims from d0, scaled and rounded like vpack2 (round to nearest even).
static inline void pack_pairs_block(const float* x, const int32_t* off, int d0, vf sc, uint32_t* Qp, int ld) {
  vf t[W];
  DSA_UNROLL for (int r = 0; r < W; r++) {
    const float* q = x + off[r] + d0;
    t[r] = vpairs_row(vmul(vload(q), sc), vmul(vload(q + W), sc));
  }
  vtranspose(t);
  DSA_UNROLL for (int i = 0; i < W; i++) vstorep(Qp + (int64_t)(d0 / 2 + i) * ld, t[i]);
}
#endif
#endif

// Whole groups of W rows (by register transposes where the set has them, else gathers); the
// last partial group (and its padding) scalar.
static void pack_panel(const float* x, const int32_t* off, int R, int Rpad, int ld, int D, float scale, float* Qt,
                       uint32_t* Qp) {
  const vf sc = vset1(scale);
  int r0 = 0;
  for (; r0 + W <= R; r0 += W) {
#ifdef DSA_BF16_DOT
    if (Qp) {
      int i0 = 0;
#ifdef DSA_TRANSPOSE
      for (; 2 * (i0 + W) <= D; i0 += W) pack_pairs_block(x, off + r0, 2 * i0, sc, Qp + r0, ld);
#endif
      for (int i = i0; 2 * i < D; i++) {
        const vf a = vmul(vgather(x + 2 * i, off + r0), sc);
        const vf b = 2 * i + 1 < D ? vmul(vgather(x + 2 * i + 1, off + r0), sc) : vzero();
        vstorep(Qp + (int64_t)i * ld + r0, vpack2(a, b));
      }
      continue;
    }
#endif
    int d0 = 0;
#ifdef DSA_TRANSPOSE
    for (; d0 + W <= D; d0 += W) pack_block(x, off + r0, d0, sc, Qt + r0, ld);
#endif
    for (int d = d0; d < D; d++) vstore(Qt + (int64_t)d * ld + r0, vmul(vgather(x + d, off + r0), sc));
  }
  if (r0 == Rpad) return;
  if (Qp) {
    for (int i = 0; 2 * i < D; i++)
      for (int r = r0; r < Rpad; r++) {
        const float* q = x + off[r < R ? r : 0];
        const uint32_t lo = bf16_bits(q[2 * i] * scale), hi = 2 * i + 1 < D ? bf16_bits(q[2 * i + 1] * scale) : 0u;
        Qp[(int64_t)i * ld + r] = r < R ? lo | hi << 16 : 0u;
      }
    return;
  }
  for (int d = 0; d < D; d++)
    for (int r = r0; r < Rpad; r++) Qt[(int64_t)d * ld + r] = r < R ? x[off[r] + d] * scale : 0.f;
}

static void unpack_panel(const float* Ot, int Rpad, int R, int Dv, const float* inv, float* out, const int32_t* off) {
  int r0 = 0;
#ifdef DSA_TRANSPOSE
  // W rows at a time: W dims of Ot (rows in lanes) transposed in registers to W row pieces.
  for (; r0 + W <= R; r0 += W) {
    int c = 0;
    for (; c + W <= Dv; c += W) {
      vf t[W];
      DSA_UNROLL for (int i = 0; i < W; i++) t[i] = vload(Ot + (int64_t)(c + i) * Rpad + r0);
      vtranspose(t);
      DSA_UNROLL for (int r = 0; r < W; r++) vstore(out + off[r0 + r] + c, vmul(t[r], vset1(inv[r0 + r])));
    }
    for (; c < Dv; c++)
      for (int r = r0; r < r0 + W; r++) out[off[r] + c] = Ot[(int64_t)c * Rpad + r] * inv[r];
  }
#endif
  int32_t idx[W];
  for (int i = 0; i < W; i++) idx[i] = i * Rpad;
  for (int r = r0; r < R; r++) {
    const vf iv = vset1(inv[r]);
    float* o = out + off[r];
    int c = 0;
    for (; c + W <= Dv; c += W) vstore(o + c, vmul(vgather(Ot + (int64_t)c * Rpad + r, idx), iv));
    for (; c < Dv; c++) o[c] = Ot[(int64_t)c * Rpad + r] * inv[r];
  }
}

// ---- the kernel set's table ----------------------------------------------------------------
static void bf16_to_f32(const uint16_t* s, float* d, int64_t n) { cvt_bf16(s, d, n); }

// constexpr: each set's table is constant data (no initialisation code compiled for the
// set's target runs, whatever the CPU).
static constexpr Kernels make_kernels(const char* name) {
  Kernels k{};
  k.name = name;
  k.target = DSA_TARGET;
  k.width = W;
  k.blockKeys = BK;
  k.attnChunk = attn_chunk;
  k.indexerChunk = indexer_chunk;
  k.fmaPeak = fma_peak;
#ifdef DSA_BF16_DOT
  k.bf16Dot = true;
  k.dotPeak = dot_peak;
#else
  k.bf16Dot = false;
  k.dotPeak = nullptr;
#endif
  k.bf16ToF32 = bf16_to_f32;
  k.extractAbove = extract_above;
  k.softmaxRow = softmax_row;
  k.indexerRows = indexer_rows;
  k.packPanel = pack_panel;
  k.unpackPanel = unpack_panel;
  return k;
}
