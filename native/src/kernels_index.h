// Lightning indexer over one query × contiguous keys (IndexerChunk, kernels.h): fp32 loops,
// and on sets with bf16 dot products (DSA_BF16_DOT) the bf16 loops for bf16 keys.
// Part of kernels_impl.h (after kernels_attn.h, whose dot loops and prefetch it shares).
//
// Heads in lanes: acc[c][v] = q_I[heads v]·k[c]; epilogue Σ_h w[h]·ReLU(acc) reduced to a
// scalar per key.

// Per key, the heads' terms folded into one vector: sv[c] (= sv[c] + unless first) Σ_v
// w[heads v]·ReLU(acc[c][v]). The lanes are summed after the block (ix_reduce): a horizontal
// sum per key here put its latency (~20 cycles of shuffles and adds after the dot loop) on
// the path into the next tile.
template <int VH>
static inline void ix_epilogue(vf (&acc)[IX_C][VH], const float* w, float* sv, bool first) {
  vf wv[VH];
  DSA_UNROLL for (int v = 0; v < VH; v++) wv[v] = vload(w + v * W);
  const vf z = vzero();
  DSA_UNROLL for (int c = 0; c < IX_C; c++) {
    vf s = vzero();
    DSA_UNROLL for (int v = 0; v < VH; v++) s = vfma(vmax(acc[c][v], z), wv[v], s);
    float* d = sv + c * W;
    vstore(d, first ? s : vadd(vload(d), s));
  }
}

// out[j] = the sum of sv[j]'s lanes for j < n. With the in-register transpose, W keys at a
// time: lane sums as vectors in vhsum's order (lane i + lane i+W/2, then halves again), so a
// key's score has the same bits either way.
static inline void ix_reduce(const float* sv, int n, float* out) {
  int j = 0;
#ifdef DSA_TRANSPOSE
  for (; j + W <= n; j += W) {
    vf t[W];
    DSA_UNROLL for (int i = 0; i < W; i++) t[i] = vload(sv + (int64_t)(j + i) * W);
    vtranspose(t);  // t[i] = lane i of keys j..j+W-1
    for (int h = W / 2; h >= 1; h /= 2)
      DSA_UNROLL for (int i = 0; i < h; i++) t[i] = vadd(t[i], t[i + h]);
    vstore(out + j, t[0]);
  }
#endif
  for (; j < n; j++) out[j] = vhsum(vload(sv + (int64_t)j * W));
}

// One tile: IX_C keys × VH head vectors (Dot: DotF32, or DotBf16 for bf16 keys; n dims or
// dim pairs), then the epilogue into sv [IX_C][W].
template <class Dot, int VH>
static inline void ix_tile(const typename Dot::Q* Q, int Hpad, int n, const typename Dot::K* const* kp, const float* w,
                           float* sv, bool first, const TilePrefetch<IX_C>* pf) {
  vf acc[IX_C][VH];
  DSA_UNROLL for (int c = 0; c < IX_C; c++)
    DSA_UNROLL for (int v = 0; v < VH; v++) acc[c][v] = vzero();
  dot_rows<Dot, IX_C, VH>(acc, Q, Hpad, n, kp, pf);
  ix_epilogue<VH>(acc, w, sv, first);
}

template <class Dot, int VH>
static inline void ix_any(int vh, const typename Dot::Q* Q, int Hpad, int n, const typename Dot::K* const* kp,
                          const float* w, float* sv, bool first, const TilePrefetch<IX_C>* pf) {
  if constexpr (VH >= 1) {
    if (vh == VH) { ix_tile<Dot, VH>(Q, Hpad, n, kp, w, sv, first, pf); return; }
    ix_any<Dot, VH - 1>(vh, Q, Hpad, n, kp, w, sv, first, pf);
  }
}

// The prefetch of keys s0 + j … (contiguous rows, clamped to the chunk's last key).
static inline TilePrefetch<IX_C> ix_prefetch(const IndexerChunk& c, int64_t j) {
  TilePrefetch<IX_C> pf;
  pf.vBytes = 0;
  DSA_UNROLL for (int i = 0; i < IX_C; i++) pf.k[i] = pf.v[i] = row_addr(c.K, c.s0 + imin64(j + i, c.n - 1));
  return pf;
}

// Keys of block j0 as fp32 rows: in place (fp32, no transform), else copied or widened into
// kbuf and transformed (Hadamard, FP8 simulation) there. kptr padded to whole tiles.
static inline void ix_rows_f32(const IndexerChunk& c, int64_t j0, int nb, bool direct) {
  for (int j = 0; j < nb; j++) {
    const char* src = row_addr(c.K, c.s0 + j0 + j);
    float* dst = c.kbuf + (int64_t)j * c.D;
    if (direct) {
      c.kptr[j] = reinterpret_cast<const float*>(src);
      continue;
    }
    if (c.K.dtype == DType::F32) {
      const float* s = reinterpret_cast<const float*>(src);
      for (int d = 0; d < c.D; d++) dst[d] = s[d];
    } else {
      cvt_bf16(reinterpret_cast<const uint16_t*>(src), dst, c.D);
    }
    c.kptr[j] = dst;
  }
  if (!direct && c.transform) c.transform(c.kbuf, nb, c.D, c.transformCtx);
  const int nbPad = (nb + IX_C - 1) / IX_C * IX_C;
  for (int j = nb; j < nbPad; j++) c.kptr[j] = c.zero;
}

// Whole key tiles per block (no zero-row padding mid-stream).
constexpr int IXB = BK / IX_C * IX_C;

static void indexer_chunk_f32(const IndexerChunk& c) {
  const int nv = c.Hpad / W;
  alignas(64) float sv[(IXB + IX_C) * W];  // a block's per-key vectors (ix_epilogue)
  const bool direct = c.K.dtype == DType::F32 && c.transform == nullptr;
  for (int64_t j0 = 0; j0 < c.n; j0 += IXB) {
    const int nb = (int)imin64(IXB, c.n - j0);
    ix_rows_f32(c, j0, nb, direct);
    const int nbPad = (nb + IX_C - 1) / IX_C * IX_C;
    for (int j = 0; j < nbPad; j += IX_C) {
      // A later tile's rows requested during this one (as in attention): the index keys
      // (64 MB at 128K) come from L3/DRAM.
      TilePrefetch<IX_C> pf;
      if (direct) pf = ix_prefetch(c, j0 + j + PF_AHEAD_INDEX * IX_C);
      for (int v = 0; v < nv; v += IX_VH)
        ix_any<DotF32, IX_VH>(imin(IX_VH, nv - v), c.Qt + v * W, c.Hpad, c.D, c.kptr + j, c.w + v * W, sv + j * W, v == 0,
                              direct && v == 0 ? &pf : nullptr);
    }
    ix_reduce(sv, nb, c.out + j0);
  }
}

#ifdef DSA_BF16_DOT
// bf16 keys with bf16 dot products: the query packed as pairs Qp[i][h] = (q[h][2i], q[h][2i+1])
// rounded to bf16, the keys read in place as pairs (copied with a zero pad when D is odd).
static void indexer_chunk_bf16(const IndexerChunk& c) {
  const int nv = c.Hpad / W, Dp = (c.D + 1) / 2, D2 = 2 * Dp;
  const uint16_t* zero = reinterpret_cast<const uint16_t*>(c.zero);
  const uint16_t* kp[IXB + IX_C];
  alignas(64) float sv[(IXB + IX_C) * W];
  for (int64_t j0 = 0; j0 < c.n; j0 += IXB) {
    const int nb = (int)imin64(IXB, c.n - j0);
    for (int j = 0; j < nb; j++) {
      const uint16_t* k = reinterpret_cast<const uint16_t*>(row_addr(c.K, c.s0 + j0 + j));
      if (c.D & 1) {
        uint16_t* dst = c.kb16 + (int64_t)j * D2;
        for (int d = 0; d < c.D; d++) dst[d] = k[d];
        dst[c.D] = 0;
        k = dst;
      }
      kp[j] = k;
    }
    const int nbPad = (nb + IX_C - 1) / IX_C * IX_C;
    for (int j = nb; j < nbPad; j++) kp[j] = zero;
    for (int j = 0; j < nbPad; j += IX_C) {
      const TilePrefetch<IX_C> pf = ix_prefetch(c, j0 + j + PF_AHEAD_INDEX * IX_C);
      for (int v = 0; v < nv; v += IX_VH)
        ix_any<DotBf16, IX_VH>(imin(IX_VH, nv - v), c.Qp + v * W, c.Hpad, Dp, kp + j, c.w + v * W, sv + j * W, v == 0,
                               v == 0 ? &pf : nullptr);
    }
    ix_reduce(sv, nb, c.out + j0);
  }
}
#endif

static void indexer_chunk(const IndexerChunk& c) {
#ifdef DSA_BF16_DOT
  if (c.Qp) {
    indexer_chunk_bf16(c);
    return;
  }
#endif
  indexer_chunk_f32(c);
}
