// Flash attention over one chunk (AttnChunk, kernels.h): the fp32 loops every kernel set
// runs, and on sets with bf16 dot products (DSA_BF16_DOT) the bf16 loops for bf16 caches.
// Part of kernels_impl.h (included inside an ISA namespace, after its primitives).
//
// Per key block of BK keys: row pointers (in place, or gathered/converted), S = Q·Kᵀ,
// causal mask only on blocks that cross a row's limit, online softmax (per-lane max/sum),
// then Ot = alpha·Ot + P·V. The first block writes Ot (its old contents are never read).

// Cache row `pos` of `src`: its first element (bytes: element size × index).
static inline const char* row_addr(const RowSource& src, int64_t pos) {
  const int64_t esz = src.dtype == DType::F32 ? 4 : 2;
  return static_cast<const char*>(src.base) + (pos * src.stride + src.offset) * esz;
}

static inline int64_t key_pos(const AttnChunk& c, int64_t j) { return c.idx ? (int64_t)c.idx[j] : c.s0 + j; }

// Software prefetch of a later key tile's rows (rows read in place from the cache): the
// hardware prefetchers ramp up per row and a row is short (36 lines at Dqk 576 fp32), and
// sparse rows are scattered, so without this each of a tile's rows starts with a run of
// misses to L3/DRAM (measured ~5% of a 16K decode, 29% of the indexer at 128K). One line per
// row every 64 bytes of the dot loop spreads the requests over the whole tile.
template <int C>
struct TilePrefetch {
  const char* k[C];  // the later tile's key rows
  const char* v[C];  // its value rows when they are separate (MHA), else unused
  int vBytes;        // value bytes to prefetch (0: none)
};

// Tiles ahead of the one computing whose rows are prefetched: the next one for contiguous
// attention rows (dense keys), two for scattered sparse rows, which come from DRAM in any
// order, four for the indexer's keys, whose tiles are short (a 6-key bf16 tile is ~800
// cycles of dot products against 24 lines from DRAM; 4 measured 2–3% faster than 1 on bf16
// keys at 128K, 2 threads; fp32 +1%; 8 or 16 the same as 4).
constexpr int PF_AHEAD = 1, PF_AHEAD_SPARSE = 2, PF_AHEAD_INDEX = 4;

// The prefetch of key tile j (keys j..j+C-1 of the chunk's list, clamped to the last key).
template <int C>
static inline TilePrefetch<C> tile_prefetch(const AttnChunk& c, int64_t j) {
  TilePrefetch<C> pf;
  pf.vBytes = c.vSharesK ? 0 : c.Dv * (c.V.dtype == DType::F32 ? 4 : 2);
  DSA_UNROLL for (int i = 0; i < C; i++) {
    const int64_t pos = key_pos(c, imin64(j + i, c.n - 1));
    pf.k[i] = row_addr(c.K, pos);
    pf.v[i] = c.vSharesK ? pf.k[i] : row_addr(c.V, pos);
  }
  return pf;
}

// (always_inline: on its own GCC finds this function free of side effects, marks it const
// and drops every call to it.)
template <int C>
__attribute__((always_inline)) static inline void prefetch_step(const TilePrefetch<C>* pf, int64_t byte) {
  if (!pf) return;
  DSA_UNROLL for (int c = 0; c < C; c++) __builtin_prefetch(pf->k[c] + byte, 0, 2);
  if (byte < pf->vBytes)
    DSA_UNROLL for (int c = 0; c < C; c++) __builtin_prefetch(pf->v[c] + byte, 0, 2);
}

// The arithmetic of a dot loop. DotF32: a panel of floats against key rows of floats, one
// FMA per dim (i counts dims). DotBf16 (sets with bf16 dot products): a panel of bf16 pairs
// against bf16 key rows read in place as pairs, one vdpbf16ps per two dims (i counts pairs).
struct DotF32 {
  using Q = float;
  using K = float;
  static inline vf q(const float* p) { return vload(p); }
  static inline vf k(const float* row, int i) { return vset1(row[i]); }
  static inline vf fma(vf acc, vf q, vf k) { return vfma(q, k, acc); }
};

// acc[c][v] += Σ_{i<n} Q[i][v·W …] · k_c[i] for C key rows × VH row-vectors (Q row stride
// `stride`; n dims, or dim pairs for DotBf16), prefetching a later tile's rows when pf is
// given. The loop both the scores and the indexer tiles run.
template <class Dot, int C, int VH>
static inline void dot_rows(vf (&acc)[C][VH], const typename Dot::Q* Q, int stride, int n,
                            const typename Dot::K* const* kp, const TilePrefetch<C>* pf) {
  const typename Dot::K* p[C];  // local copies: the compiler keeps them in registers
  DSA_UNROLL for (int c = 0; c < C; c++) p[c] = kp[c];
  for (int i0 = 0; i0 < n; i0 += 16) {
    prefetch_step<C>(pf, (int64_t)i0 * 4);
    const int ie = imin(n, i0 + 16);
    for (int i = i0; i < ie; i++) {
      vf q[VH];
      DSA_UNROLL for (int v = 0; v < VH; v++) q[v] = Dot::q(Q + (int64_t)i * stride + v * W);
      DSA_UNROLL for (int c = 0; c < C; c++) {
        const vf b = Dot::k(p[c], i);
        DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = Dot::fma(acc[c][v], q[v], b);
      }
    }
  }
}

// ---- scores: S[j][r] = Σ_d Qt[d][r] · k_j[d] for QK_C keys × VH row-vectors --------------
// Shapes: Qt [D][Rpad] (offset to the row vector), kp[QK_C] key rows of D floats,
// S [QK_C][Rpad] (offset to the row vector). Passes: one sweep over d, QK_C·VH accumulators.
template <class Dot, int VH>
static inline void qk_tile(const typename Dot::Q* Q, int Rpad, int n, const typename Dot::K* const* kp, float* S,
                           const TilePrefetch<QK_C>* pf) {
  vf acc[QK_C][VH];
  DSA_UNROLL for (int c = 0; c < QK_C; c++)
    DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vzero();
  dot_rows<Dot, QK_C, VH>(acc, Q, Rpad, n, kp, pf);
  DSA_UNROLL for (int c = 0; c < QK_C; c++)
    DSA_UNROLL for (int v = 0; v < VH; v++) vstore(S + (int64_t)c * Rpad + v * W, acc[c][v]);
}

template <class Dot, int VH>
static inline void qk_any(int vh, const typename Dot::Q* Q, int Rpad, int n, const typename Dot::K* const* kp, float* S,
                          const TilePrefetch<QK_C>* pf) {
  if constexpr (VH >= 1) {
    if (vh == VH) { qk_tile<Dot, VH>(Q, Rpad, n, kp, S, pf); return; }
    qk_any<Dot, VH - 1>(vh, Q, Rpad, n, kp, S, pf);
  }
}

// ---- values: Ot[c][r] = alpha[r]·Ot[c][r] + Σ_j P[j][r] · v_j[c] for CC dims × VH row-vectors
// (first: Ot[c][r] = Σ_j P[j][r] · v_j[c], old contents ignored)
template <int CC, int VH>
static inline void pv_tile(float* Ot, int Rpad, const float* P, const float* const* vp, int nb,
                           int coff, const float* alpha, bool first) {
  vf acc[CC][VH];
  if (first) {
    DSA_UNROLL for (int c = 0; c < CC; c++)
      DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vzero();
  } else {
    vf al[VH];
    DSA_UNROLL for (int v = 0; v < VH; v++) al[v] = vload(alpha + v * W);
    DSA_UNROLL for (int c = 0; c < CC; c++)
      DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vmul(vload(Ot + (int64_t)c * Rpad + v * W), al[v]);
  }
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
                          int nb, int coff, const float* alpha, bool first) {
  if constexpr (CC >= 1 && VH >= 1) {
    if (cc == CC) {
      if (vh == VH) { pv_tile<CC, VH>(Ot, Rpad, P, vp, nb, coff, alpha, first); return; }
      pv_any<CC, VH - 1>(cc, vh, Ot, Rpad, P, vp, nb, coff, alpha, first);
      return;
    }
    pv_any<CC - 1, VH>(cc, vh, Ot, Rpad, P, vp, nb, coff, alpha, first);
  }
}

// ---- mask and online softmax of one block (shared by the fp32 and bf16 loops) -------------
// Causal mask: S[j][r] = −inf where key j0 + j lies past row r's limit (only when some key of
// the block does).
static inline void mask_block(const AttnChunk& c, int64_t j0, int nb) {
  if (!c.lim) return;
  int64_t maxPos = -1;
  for (int j = 0; j < nb; j++) maxPos = key_pos(c, j0 + j) > maxPos ? key_pos(c, j0 + j) : maxPos;
  if (maxPos <= c.minLim) return;
  const float NEG_INF = -__builtin_inff();
  for (int j = 0; j < nb; j++) {
    const int64_t pos = key_pos(c, j0 + j);
    float* Sj = c.S + (int64_t)j * c.Rpad;
    for (int r = 0; r < c.R; r++)
      if (pos > c.lim[r]) Sj[r] = NEG_INF;
  }
}

// S[j][r] → P[j][r] = exp(S − m_new) in place; alpha[r] = exp(m_old − m_new), l and m updated.
static inline void softmax_block(const AttnChunk& c, int nb) {
  const float NEG_INF = -__builtin_inff();
  const float BIG_NEG = -3.4028234663852886e38f;
  const int Rpad = c.Rpad, nv = Rpad / W;
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
}

// ---- the fp32 loops -------------------------------------------------------------------------
// Key and value rows of block j0: fp32 rows in place (dense or sparse: the tile prefetch
// brings them in), bf16 rows widened into kbuf/vbuf once per block (shared by every row of
// the chunk). kptr is padded to whole QK tiles with the zero row.
static inline void block_rows_f32(const AttnChunk& c, int64_t j0, int nb, bool inPlace) {
  for (int j = 0; j < nb; j++) {
    const int64_t pos = key_pos(c, j0 + j);
    if (inPlace) {
      c.kptr[j] = reinterpret_cast<const float*>(row_addr(c.K, pos));
      c.vptr[j] = c.vSharesK ? c.kptr[j] : reinterpret_cast<const float*>(row_addr(c.V, pos));
    } else {
      c.kptr[j] = gather_f32(c.K, pos, c.kbuf + (int64_t)j * c.Dqk, c.Dqk);
      c.vptr[j] = c.vSharesK ? c.kptr[j] : gather_f32(c.V, pos, c.vbuf + (int64_t)j * c.Dv, c.Dv);
    }
  }
  const int nbPad = (nb + QK_C - 1) / QK_C * QK_C;
  for (int j = nb; j < nbPad; j++) c.kptr[j] = c.zero;
}

static void attn_chunk_f32(const AttnChunk& c) {
  const int Rpad = c.Rpad, nv = Rpad / W;
  // fp32 rows are used in place; those get the tile prefetch.
  const bool inPlace = c.K.dtype == DType::F32 && (c.vSharesK || c.V.dtype == DType::F32);
  for (int64_t j0 = 0; j0 < c.n; j0 += BK) {
    const int nb = (int)imin64(BK, c.n - j0);
    block_rows_f32(c, j0, nb, inPlace);
    const int nbPad = (nb + QK_C - 1) / QK_C * QK_C;
    for (int j = 0; j < nbPad; j += QK_C) {
      // The tile prefetched may lie in a later block: its rows are addressed from the cache.
      TilePrefetch<QK_C> pf;
      if (inPlace) pf = tile_prefetch<QK_C>(c, j0 + j + (c.idx ? PF_AHEAD_SPARSE : PF_AHEAD) * QK_C);
      // Prefetch on the first row-vector pass only; later passes find the tile in cache.
      for (int v = 0; v < nv; v += QK_VH)
        qk_any<DotF32, QK_VH>(imin(QK_VH, nv - v), c.Qt + v * W, Rpad, c.Dqk, c.kptr + j,
                              c.S + (int64_t)j * Rpad + v * W, inPlace && v == 0 ? &pf : nullptr);
    }
    mask_block(c, j0, nb);
    softmax_block(c, nb);
    // Row groups outer: one group's P slice (BK × PV_VH vectors, 18 KB with AVX-512) stays
    // in L1 while every value dim streams past it; dims outer would sweep all of P (48 KB)
    // per dim chunk.
    for (int v = 0; v < nv; v += PV_VH)
      for (int cc = 0; cc < c.Dv; cc += PV_CC)
        pv_any<PV_CC, PV_VH>(imin(PV_CC, c.Dv - cc), imin(PV_VH, nv - v), c.Ot + (int64_t)cc * Rpad + v * W,
                             Rpad, c.S + v * W, c.vptr, nb, cc, c.alpha + v * W, j0 == 0);
  }
}

#ifdef DSA_BF16_DOT
// ---- the bf16 loops (bf16 cache, bf16 dot products, fp32 accumulation) ----------------------
// vdpbf16ps multiplies pairs of bf16 and adds both products to an fp32 lane, so each operand
// holds pairs along the reduced dimension: scores reduce over dims (queries packed as pairs
// Qp[d/2][r], keys read in place as 32-bit pairs), values over keys (probabilities packed as
// pairs of keys Pp[j/2][r], value rows interleaved per key pair VI[j/2][c]). Twice the
// multiply-adds per instruction of the fp32 loops; queries and probabilities are rounded to
// bf16 (relative error ≤ 2⁻⁸ each), the cache is bf16 already.

static inline vf vpair(const void* p) {  // a 32-bit pair broadcast to every lane
  uint32_t x;
  __builtin_memcpy(&x, p, 4);
  return vbcast32(x);
}

// dot_rows' bf16 arithmetic (see DotF32): acc += Qp[i] · (k_c[2i], k_c[2i+1]).
struct DotBf16 {
  using Q = uint32_t;
  using K = uint16_t;
  static inline vf q(const uint32_t* p) { return vloadp(p); }
  static inline vf k(const uint16_t* row, int i) { return vpair(row + 2 * i); }
  static inline vf fma(vf acc, vf q, vf k) { return vdot2(acc, q, k); }
};

// Ot[c][r] (= alpha·Ot unless first) += Σ_i Pp[i][r] · VI[i][coff + c]: the pv_tile of pairs.
template <int CC, int VH>
static inline void pv_tile_bf(float* Ot, int Rpad, const uint32_t* Pp, const uint32_t* VI, int ldvi, int np,
                              int coff, const float* alpha, bool first) {
  vf acc[CC][VH];
  if (first) {
    DSA_UNROLL for (int c = 0; c < CC; c++)
      DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vzero();
  } else {
    vf al[VH];
    DSA_UNROLL for (int v = 0; v < VH; v++) al[v] = vload(alpha + v * W);
    DSA_UNROLL for (int c = 0; c < CC; c++)
      DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vmul(vload(Ot + (int64_t)c * Rpad + v * W), al[v]);
  }
  for (int i = 0; i < np; i++) {
    vf pr[VH];
    DSA_UNROLL for (int v = 0; v < VH; v++) pr[v] = vloadp(Pp + (int64_t)i * Rpad + v * W);
    const uint32_t* vr = VI + (int64_t)i * ldvi + coff;
    DSA_UNROLL for (int c = 0; c < CC; c++) {
      const vf b = vbcast32(vr[c]);
      DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vdot2(acc[c][v], pr[v], b);
    }
  }
  DSA_UNROLL for (int c = 0; c < CC; c++)
    DSA_UNROLL for (int v = 0; v < VH; v++) vstore(Ot + (int64_t)c * Rpad + v * W, acc[c][v]);
}

template <int CC, int VH>
static inline void pv_any_bf(int cc, int vh, float* Ot, int Rpad, const uint32_t* Pp, const uint32_t* VI, int ldvi,
                             int np, int coff, const float* alpha, bool first) {
  if constexpr (CC >= 1 && VH >= 1) {
    if (cc == CC) {
      if (vh == VH) { pv_tile_bf<CC, VH>(Ot, Rpad, Pp, VI, ldvi, np, coff, alpha, first); return; }
      pv_any_bf<CC, VH - 1>(cc, vh, Ot, Rpad, Pp, VI, ldvi, np, coff, alpha, first);
      return;
    }
    pv_any_bf<CC - 1, VH>(cc, vh, Ot, Rpad, Pp, VI, ldvi, np, coff, alpha, first);
  }
}

// Key rows of block j0 as bf16: in place when Dqk is even (each 32-bit pair lies inside the
// row), else copied into kb16 rows of Dqk + 1 with a zero pad.
static inline void block_rows_bf(const AttnChunk& c, int64_t j0, int nb, const uint16_t** kp) {
  const int Dq2 = (c.Dqk + 1) / 2 * 2;
  const uint16_t* zero = reinterpret_cast<const uint16_t*>(c.zero);
  for (int j = 0; j < nb; j++) {
    const int64_t pos = key_pos(c, j0 + j);
    const uint16_t* k = reinterpret_cast<const uint16_t*>(row_addr(c.K, pos));
    if (c.Dqk & 1) {
      uint16_t* dst = c.kb16 + (int64_t)j * Dq2;
      for (int d = 0; d < c.Dqk; d++) dst[d] = k[d];
      dst[c.Dqk] = 0;
      kp[j] = dst;
    } else {
      kp[j] = k;
    }
  }
  const int nbPad = (nb + QK_C - 1) / QK_C * QK_C;
  for (int j = nb; j < nbPad; j++) kp[j] = zero;
}

// The value pairs of block j0: VI[i][c] = (v_{2i}[c], v_{2i+1}[c]) (an odd block's last pair
// takes the zero row). Built after the block's scores, whose pass brought the rows in.
static inline void block_values_bf(const AttnChunk& c, int64_t j0, int nb, int ldvi) {
  const uint16_t* zero = reinterpret_cast<const uint16_t*>(c.zero);
  const auto vrow = [&](int j) {
    return j < nb ? reinterpret_cast<const uint16_t*>(row_addr(c.vSharesK ? c.K : c.V, key_pos(c, j0 + j))) : zero;
  };
  for (int i = 0; 2 * i < nb; i++) interleave_pairs(vrow(2 * i), vrow(2 * i + 1), c.Dv, c.VI + (int64_t)i * ldvi);
}

// P pairs over keys: Pp[i][r] = (P[2i][r], P[2i+1][r]) rounded to bf16 (odd nb: 0 second).
static inline void pack_p_pairs(const AttnChunk& c, int nb) {
  const int Rpad = c.Rpad;
  for (int i = 0; 2 * i < nb; i++) {
    const float* a = c.S + (int64_t)(2 * i) * Rpad;
    const float* b = 2 * i + 1 < nb ? a + Rpad : nullptr;
    for (int o = 0; o < Rpad; o += W) vstorep(c.Pp + (int64_t)i * Rpad + o, vpack2(vload(a + o), b ? vload(b + o) : vzero()));
  }
}

static void attn_chunk_bf16(const AttnChunk& c) {
  const int Rpad = c.Rpad, nv = Rpad / W, Dp = (c.Dqk + 1) / 2;
  const int ldvi = (c.Dv + 31) / 32 * 32;
  const uint16_t* kp[BK + 16];
  for (int64_t j0 = 0; j0 < c.n; j0 += BK) {
    const int nb = (int)imin64(BK, c.n - j0);
    block_rows_bf(c, j0, nb, kp);
    const int nbPad = (nb + QK_C - 1) / QK_C * QK_C;
    for (int j = 0; j < nbPad; j += QK_C) {
      const TilePrefetch<QK_C> pf = tile_prefetch<QK_C>(c, j0 + j + (c.idx ? PF_AHEAD_SPARSE : PF_AHEAD) * QK_C);
      for (int v = 0; v < nv; v += QK_VH)
        qk_any<DotBf16, QK_VH>(imin(QK_VH, nv - v), c.Qp + v * W, Rpad, Dp, kp + j, c.S + (int64_t)j * Rpad + v * W,
                               v == 0 ? &pf : nullptr);
    }
    block_values_bf(c, j0, nb, ldvi);
    mask_block(c, j0, nb);
    softmax_block(c, nb);
    pack_p_pairs(c, nb);
    const int np = (nb + 1) / 2;
    for (int v = 0; v < nv; v += PV_VH)
      for (int cc = 0; cc < c.Dv; cc += PV_CC)
        pv_any_bf<PV_CC, PV_VH>(imin(PV_CC, c.Dv - cc), imin(PV_VH, nv - v), c.Ot + (int64_t)cc * Rpad + v * W, Rpad,
                                c.Pp + v * W, c.VI, ldvi, np, cc, c.alpha + v * W, j0 == 0);
  }
}
#endif

static void attn_chunk(const AttnChunk& c) {
#ifdef DSA_BF16_DOT
  if (c.Qp) {
    attn_chunk_bf16(c);
    return;
  }
#endif
  attn_chunk_f32(c);
}
