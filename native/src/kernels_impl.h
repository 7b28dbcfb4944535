// Hot loops of the engine, written once and compiled per instruction set.
//
// Included INSIDE a namespace by each isa_*.cc after it has defined DSA_TARGET (its compile
// target, see kernels.h) and:
//   vf (vector of W floats), W, vload/vstore/vset1/vzero/vfma(a,b,c)=a*b+c/vadd/vsub/vmul/vmax,
//   vexp (exp with exp(x<-87) = 0 and exp(-inf) = 0, never NaN), vhsum (sum of lanes),
//   vgt_mask(a,b) (bit i set when lane i of a > lane i of b, ordered: NaN → 0), and may
//   define DSA_VCOMPRESS (AVX-512 compress instructions available),
//   cvt_bf16(src,dst,n), and the tile constants QK_C, QK_VH, PV_CC, PV_VH, IX_C, IX_VH,
//   BK (keys per block), PEAK_ACC.
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

// Software prefetch of the next key tile's rows (dense keys read in place from the cache):
// the hardware prefetchers ramp up per row and a row is short (36 lines at Dqk 576), so
// without this each of a tile's rows starts with a run of misses to L3/DRAM (measured ~5% of
// a 16K decode, 29% of the indexer at 128K). One line per row every 16 dims spreads the
// requests over the whole tile.
template <int C>
struct TilePrefetch {
  const float* k[C];  // next tile's key rows
  const float* v[C];  // next tile's value rows when they are separate (MHA), else unused
  int vDims;          // value dims to prefetch (0: none; lines past the key dims are left out)
};

// acc[c][v] += Σ_{d<D} Qt[d][v·W …] · k_c[d] for C key rows × VH row-vectors (Qt row stride
// `stride`), prefetching the next tile's rows when pf is given. The loop both the scores and
// the indexer tiles run.
template <int C, int VH>
static inline void dot_rows(vf (&acc)[C][VH], const float* Qt, int stride, int D, const float* const* kp,
                            const TilePrefetch<C>* pf) {
  const float* p[C];  // local copies: the compiler keeps them in registers
  DSA_UNROLL for (int c = 0; c < C; c++) p[c] = kp[c];
  for (int d0 = 0; d0 < D; d0 += 16) {
    if (pf) {
      DSA_UNROLL for (int c = 0; c < C; c++) __builtin_prefetch(pf->k[c] + d0, 0, 2);
      if (d0 < pf->vDims)
        DSA_UNROLL for (int c = 0; c < C; c++) __builtin_prefetch(pf->v[c] + d0, 0, 2);
    }
    const int de = imin(D, d0 + 16);
    for (int d = d0; d < de; d++) {
      vf q[VH];
      DSA_UNROLL for (int v = 0; v < VH; v++) q[v] = vload(Qt + (int64_t)d * stride + v * W);
      DSA_UNROLL for (int c = 0; c < C; c++) {
        const vf b = vset1(p[c][d]);
        DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vfma(q[v], b, acc[c][v]);
      }
    }
  }
}

// ---- scores: S[j][r] = Σ_d Qt[d][r] · k_j[d] for QK_C keys × VH row-vectors --------------
// Shapes: Qt [D][Rpad] (offset to the row vector), kp[QK_C] key rows of D floats,
// S [QK_C][Rpad] (offset to the row vector). Passes: one sweep over d, QK_C·VH accumulators.
template <int VH>
static inline void qk_tile(const float* Qt, int Rpad, int D, const float* const* kp, float* S,
                           const TilePrefetch<QK_C>* pf) {
  vf acc[QK_C][VH];
  DSA_UNROLL for (int c = 0; c < QK_C; c++)
    DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vzero();
  dot_rows<QK_C, VH>(acc, Qt, Rpad, D, kp, pf);
  DSA_UNROLL for (int c = 0; c < QK_C; c++)
    DSA_UNROLL for (int v = 0; v < VH; v++) vstore(S + (int64_t)c * Rpad + v * W, acc[c][v]);
}

template <int VH>
static inline void qk_any(int vh, const float* Qt, int Rpad, int D, const float* const* kp, float* S,
                          const TilePrefetch<QK_C>* pf) {
  if constexpr (VH >= 1) {
    if (vh == VH) { qk_tile<VH>(Qt, Rpad, D, kp, S, pf); return; }
    qk_any<VH - 1>(vh, Qt, Rpad, D, kp, S, pf);
  }
}

// ---- values: Ot[c][r] = alpha[r]·Ot[c][r] + Σ_j P[j][r] · v_j[c] for CC dims × VH row-vectors
template <int CC, int VH>
static inline void pv_tile(float* Ot, int Rpad, const float* P, const float* const* vp, int nb,
                           int coff, const float* alpha) {
  vf acc[CC][VH];
  vf al[VH];
  DSA_UNROLL for (int v = 0; v < VH; v++) al[v] = vload(alpha + v * W);
  DSA_UNROLL for (int c = 0; c < CC; c++)
    DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vmul(vload(Ot + (int64_t)c * Rpad + v * W), al[v]);
  for (int j = 0; j < nb; j++) {
    vf pr[VH];
    DSA_UNROLL for (int v = 0; v < VH; v++) pr[v] = vload(P + (int64_t)j * Rpad + v * W);
    const float* vr = vp[j] + coff;
    DSA_UNROLL for (int c = 0; c < CC; c++) {
      const vf b = vset1(vr[c]);
      DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vfma(pr[v], b, acc[c][v]);
    }
  }
  DSA_UNROLL for (int c = 0; c < CC; c++)
    DSA_UNROLL for (int v = 0; v < VH; v++) vstore(Ot + (int64_t)c * Rpad + v * W, acc[c][v]);
}

template <int CC, int VH>
static inline void pv_any(int cc, int vh, float* Ot, int Rpad, const float* P, const float* const* vp,
                          int nb, int coff, const float* alpha) {
  if constexpr (CC >= 1 && VH >= 1) {
    if (cc == CC) {
      if (vh == VH) { pv_tile<CC, VH>(Ot, Rpad, P, vp, nb, coff, alpha); return; }
      pv_any<CC, VH - 1>(cc, vh, Ot, Rpad, P, vp, nb, coff, alpha);
      return;
    }
    pv_any<CC - 1, VH>(cc, vh, Ot, Rpad, P, vp, nb, coff, alpha);
  }
}

static inline void prefetch_rows(const AttnChunk& c, int64_t j0, int nb) {
  const int64_t esz = c.K.dtype == DType::F32 ? 4 : 2;
  const int64_t bytes = (int64_t)c.Dqk * esz;
  for (int j = 0; j < nb; j++) {
    const int64_t pos = c.idx ? (int64_t)c.idx[j0 + j] : c.s0 + j0 + j;
    const char* p = static_cast<const char*>(c.K.base) + (pos * c.K.stride + c.K.offset) * esz;
    for (int64_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b, 0, 3);
    if (!c.vSharesK) {
      const int64_t vesz = c.V.dtype == DType::F32 ? 4 : 2;
      const char* v = static_cast<const char*>(c.V.base) + (pos * c.V.stride + c.V.offset) * vesz;
      for (int64_t b = 0; b < (int64_t)c.Dv * vesz; b += 64) __builtin_prefetch(v + b, 0, 3);
    }
  }
}

// ---- flash attention over one chunk ------------------------------------------------------
// Per key block of BK keys: gather row pointers (bf16 converted once per block, shared by
// every row of the chunk), S = Qt·K, causal mask only on blocks that cross a row's limit,
// online softmax (per-lane max/sum), then Ot = alpha·Ot + P·V.
static void attn_chunk(const AttnChunk& c) {
  const int Rpad = c.Rpad, nv = Rpad / W, R = c.R;
  const float NEG_INF = -__builtin_inff();
  const float BIG_NEG = -3.4028234663852886e38f;
  // Dense fp32 rows are used in place (no gather): those get the tile prefetch.
  const bool inPlace = !c.idx && c.K.dtype == DType::F32 && (c.vSharesK || c.V.dtype == DType::F32);
  const float* kbase = static_cast<const float*>(c.K.base);
  const float* vbase = static_cast<const float*>(c.V.base);
  for (int64_t j0 = 0; j0 < c.n; j0 += BK) {
    const int nb = (int)imin64(BK, c.n - j0);
    int64_t maxPos = -1;
    for (int j = 0; j < nb; j++) {
      const int64_t pos = c.idx ? (int64_t)c.idx[j0 + j] : c.s0 + j0 + j;
      if (pos > maxPos) maxPos = pos;
      if (c.idx) {
        // Scattered rows are gathered into a contiguous block: one sequential read per row
        // (which the hardware prefetches well) instead of many short streams in the tiles.
        c.kptr[j] = gather_f32(c.K, pos, c.kbuf + (int64_t)j * c.Dqk, c.Dqk);
        c.vptr[j] = c.vSharesK ? c.kptr[j] : gather_f32(c.V, pos, c.vbuf + (int64_t)j * c.Dv, c.Dv);
      } else {
        c.kptr[j] = row_f32(c.K, pos, c.kbuf + (int64_t)j * c.Dqk, c.Dqk);
        c.vptr[j] = c.vSharesK ? c.kptr[j] : row_f32(c.V, pos, c.vbuf + (int64_t)j * c.Dv, c.Dv);
      }
    }
    const int nbPad = (nb + QK_C - 1) / QK_C * QK_C;
    for (int j = nb; j < nbPad; j++) c.kptr[j] = c.zero;
    // Sparse keys are scattered, so hardware prefetchers cannot guess the next rows: the
    // next block's rows are requested now and arrive while this block computes. (Dense fp32
    // rows get the spread-out TilePrefetch instead: a burst for a whole dense block measured
    // slower.)
    if (c.idx && j0 + BK < c.n) prefetch_rows(c, j0 + BK, (int)imin64(BK, c.n - j0 - BK));

    for (int j = 0; j < nbPad; j += QK_C) {
      // The next tile may start in the next block: its rows are addressed from the cache.
      TilePrefetch<QK_C> pf;
      if (inPlace) {
        pf.vDims = c.vSharesK ? 0 : c.Dv;
        DSA_UNROLL for (int i = 0; i < QK_C; i++) {
          const int64_t pos = c.s0 + imin64(j0 + j + QK_C + i, c.n - 1);
          pf.k[i] = kbase + pos * c.K.stride + c.K.offset;
          pf.v[i] = c.vSharesK ? pf.k[i] : vbase + pos * c.V.stride + c.V.offset;
        }
      }
      // Prefetch on the first row-vector pass only; later passes find the tile in cache.
      for (int v = 0; v < nv; v += QK_VH)
        qk_any<QK_VH>(imin(QK_VH, nv - v), c.Qt + v * W, Rpad, c.Dqk, c.kptr + j,
                      c.S + (int64_t)j * Rpad + v * W, inPlace && v == 0 ? &pf : nullptr);
    }

    if (c.lim && maxPos > c.minLim) {
      for (int j = 0; j < nb; j++) {
        const int64_t pos = c.idx ? (int64_t)c.idx[j0 + j] : c.s0 + j0 + j;
        float* Sj = c.S + (int64_t)j * Rpad;
        for (int r = 0; r < R; r++)
          if (pos > c.lim[r]) Sj[r] = NEG_INF;
      }
    }

    for (int v = 0; v < nv; v++) {
      const int o = v * W;
      vf mb = vset1(NEG_INF);
      for (int j = 0; j < nb; j++) mb = vmax(mb, vload(c.S + (int64_t)j * Rpad + o));
      const vf mo = vload(c.m + o);
      const vf mn = vmax(mo, mb);
      const vf safe = vmax(mn, vset1(BIG_NEG));  // -inf (nothing valid yet) → finite pivot
      const vf al = vexp(vsub(mo, safe));
      vf ls = vzero();
      for (int j = 0; j < nb; j++) {
        float* Sj = c.S + (int64_t)j * Rpad + o;
        const vf p = vexp(vsub(vload(Sj), safe));
        vstore(Sj, p);
        ls = vadd(ls, p);
      }
      vstore(c.alpha + o, al);
      vstore(c.l + o, vfma(vload(c.l + o), al, ls));
      vstore(c.m + o, mn);
    }

    // Row groups outer: one group's P slice (BK × PV_VH vectors, 18 KB with AVX-512) stays
    // in L1 while every value dim streams past it; dims outer would sweep all of P (48 KB)
    // per dim chunk.
    for (int v = 0; v < nv; v += PV_VH)
      for (int cc = 0; cc < c.Dv; cc += PV_CC)
        pv_any<PV_CC, PV_VH>(imin(PV_CC, c.Dv - cc), imin(PV_VH, nv - v), c.Ot + (int64_t)cc * Rpad + v * W,
                             Rpad, c.S + v * W, c.vptr, nb, cc, c.alpha + v * W);
  }
}

// ---- lightning indexer -------------------------------------------------------------------
// Heads in lanes: acc[c][v] = q_I[heads v]·k[c]; epilogue Σ_h w[h]·ReLU(acc) reduced to a scalar.
template <int VH>
static inline void ix_tile(const float* Qt, int Hpad, int D, const float* const* kp, const float* w,
                           float* sc, const TilePrefetch<IX_C>* pf) {
  vf acc[IX_C][VH];
  DSA_UNROLL for (int c = 0; c < IX_C; c++)
    DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vzero();
  dot_rows<IX_C, VH>(acc, Qt, Hpad, D, kp, pf);
  vf wv[VH];
  DSA_UNROLL for (int v = 0; v < VH; v++) wv[v] = vload(w + v * W);
  const vf z = vzero();
  DSA_UNROLL for (int c = 0; c < IX_C; c++) {
    vf s = vzero();
    DSA_UNROLL for (int v = 0; v < VH; v++) s = vfma(vmax(acc[c][v], z), wv[v], s);
    sc[c] += vhsum(s);
  }
}

template <int VH>
static inline void ix_any(int vh, const float* Qt, int Hpad, int D, const float* const* kp,
                          const float* w, float* sc, const TilePrefetch<IX_C>* pf) {
  if constexpr (VH >= 1) {
    if (vh == VH) { ix_tile<VH>(Qt, Hpad, D, kp, w, sc, pf); return; }
    ix_any<VH - 1>(vh, Qt, Hpad, D, kp, w, sc, pf);
  }
}

static void indexer_chunk(const IndexerChunk& c) {
  const int nv = c.Hpad / W;
  const bool direct = c.K.dtype == DType::F32 && c.transform == nullptr;
  constexpr int IXB = BK / IX_C * IX_C;  // whole key tiles per block (no zero-row padding mid-stream)
  for (int64_t j0 = 0; j0 < c.n; j0 += IXB) {
    const int nb = (int)imin64(IXB, c.n - j0);
    for (int j = 0; j < nb; j++) {
      const int64_t pos = c.s0 + j0 + j;
      const int64_t off = pos * c.K.stride + c.K.offset;
      float* dst = c.kbuf + (int64_t)j * c.D;
      if (direct) {
        c.kptr[j] = static_cast<const float*>(c.K.base) + off;
      } else {
        if (c.K.dtype == DType::F32) {
          const float* s = static_cast<const float*>(c.K.base) + off;
          for (int d = 0; d < c.D; d++) dst[d] = s[d];
        } else {
          cvt_bf16(static_cast<const uint16_t*>(c.K.base) + off, dst, c.D);
        }
        c.kptr[j] = dst;
      }
    }
    if (!direct && c.transform) c.transform(c.kbuf, nb, c.D, c.transformCtx);
    const int nbPad = (nb + IX_C - 1) / IX_C * IX_C;
    for (int j = nb; j < nbPad; j++) c.kptr[j] = c.zero;
    for (int j = 0; j < nbPad; j += IX_C) {
      float sc[IX_C];
      DSA_UNROLL for (int i = 0; i < IX_C; i++) sc[i] = 0.f;
      // Next tile's rows requested during this one (as in attention): the index keys
      // (64 MB at 128K) come from L3/DRAM; 4 tiles ahead measured the same as 1.
      TilePrefetch<IX_C> pf;
      if (direct) {
        pf.vDims = 0;
        DSA_UNROLL for (int i = 0; i < IX_C; i++) {
          const int64_t pos = c.s0 + imin64(j0 + j + IX_C + i, c.n - 1);
          pf.k[i] = static_cast<const float*>(c.K.base) + pos * c.K.stride + c.K.offset;
        }
      }
      for (int v = 0; v < nv; v += IX_VH)
        ix_any<IX_VH>(imin(IX_VH, nv - v), c.Qt + v * W, c.Hpad, c.D, c.kptr + j, c.w + v * W, sc,
                      direct && v == 0 ? &pf : nullptr);
      const int cnt = imin(IX_C, nb - j);
      for (int i = 0; i < cnt; i++) c.out[j0 + j + i] = sc[i];
    }
  }
}

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
  k.bf16ToF32 = bf16_to_f32;
  k.extractAbove = extract_above;
  k.softmaxRow = softmax_row;
  k.indexerRows = indexer_rows;
  return k;
}
