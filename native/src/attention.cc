// Attention (dense and sparse over given positions): checks, work split over threads,
// scratch, split-K merge. Compiled with baseline flags; only the kernels behind `Kernels`
// use wide SIMD.
//
// Attention work decomposition: rows are (query t, head h) pairs that share one key/value
// source (all heads in MQA mode, the H/Hkv heads of one kv head in MHA mode). A chunk is
// up to 128 rows; each chunk runs flash attention over its key list (dense: positions
// 0..qStart+t_last, sparse: the query's valid indices). When there are fewer chunks than
// threads (decode), the key list is split and the partial (Ot, m, l) are merged.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "engine.h"
#include "ops_util.h"
#include "pool.h"
#include "threads.h"

namespace dsa {

using ops::bf16Bits;
using ops::fail;
using ops::NEG_INF;
using ops::roundUp;

namespace {

constexpr int64_t RMAX = 128;

struct Chunk {
  int64_t g, tb, te, hb, he, n;
  int64_t rows() const { return (te - tb) * (he - hb); }
};

// Growable scratch of 32-bit words (bf16 pairs), 64-byte aligned like FloatBuf.
struct WordBuf {
  FloatBuf f;
  uint32_t* p() const { return reinterpret_cast<uint32_t*>(f.p); }
  void ensure(size_t n) { f.ensure(n); }
};

// Per-thread scratch for attention (sizes for the largest chunk). Every buffer is written
// before it is read within a call except `zero`, which is only ever read.
struct AttnScratch {
  FloatBuf Qt, S, alpha, kbuf, vbuf, zero, Ot, m, l;
  WordBuf Qp, Pp, VI, kb16;
  std::vector<const float*> kptr, vptr;
  std::vector<int32_t> lim;
  void ensure(const Kernels& kr, int64_t Rpad, int64_t Dqk, int64_t Dv, bool bf16) {
    const int64_t BK = kr.blockKeys;
    Qt.ensure(Dqk * Rpad); S.ensure((BK + 16) * Rpad); alpha.ensure(Rpad);
    kbuf.ensure(BK * Dqk); vbuf.ensure(BK * Dv); zero.ensure(std::max(Dqk, Dv) + 16);
    Ot.ensure(Dv * Rpad); m.ensure(Rpad); l.ensure(Rpad);
    if (bf16) {
      Qp.ensure((Dqk + 1) / 2 * Rpad); Pp.ensure((BK / 2 + 1) * Rpad);
      VI.ensure((BK / 2 + 1) * roundUp(Dv, 32)); kb16.ensure(BK * (Dqk + 2) / 2);
    }
    if (kptr.size() < (size_t)(BK + 16)) { kptr.assign(BK + 16, nullptr); vptr.assign(BK + 16, nullptr); }
    if (lim.size() < (size_t)Rpad) lim.assign(Rpad, 0);
  }
};

// Online-softmax state of one chunk over one key range (split keys).
struct Partial {
  FloatBuf Ot, m, l;
};

// acc ← acc ⊕ p (online-softmax merge of two key ranges) for rows r0..r1-1: M = max(m_a, m_p),
// w_x = exp(m_x − M) (0 for an empty range), l = w_a·l_a + w_p·l_p, Ot = w_a·Ot_a + w_p·Ot_p.
// Shapes: Ot [Dv][Rpad], m and l [Rpad]. wa/wp: scratch [Rpad]. Each row on its own, so
// folding row blocks apart gives the same bits as folding them together.
void foldPartial(Partial& acc, const Partial& p, int64_t r0, int64_t r1, int64_t Rpad, int64_t Dv, float* wa, float* wp) {
  for (int64_t r = r0; r < r1; r++) {
    const float ma = acc.m.p[r], mp = p.m.p[r], M = std::max(ma, mp);
    wa[r] = ma > NEG_INF ? std::exp(ma - M) : 0.f;
    wp[r] = mp > NEG_INF ? std::exp(mp - M) : 0.f;
    acc.l.p[r] = acc.l.p[r] * wa[r] + p.l.p[r] * wp[r];
    acc.m.p[r] = M;
  }
  for (int64_t c = 0; c < Dv; c++) {
    float* dst = acc.Ot.p + c * Rpad;
    const float* src = p.Ot.p + c * Rpad;
    for (int64_t r = r0; r < r1; r++) dst[r] = dst[r] * wa[r] + src[r] * wp[r];
  }
}

// Merge order of one chunk's key ranges: range s is folded into range 0's state once it
// and every range before it are done, by whichever thread finishes one (try_lock: a thread
// never waits for another's fold), so most of the merge overlaps other ranges' work and
// the order, hence the result, does not depend on thread timing. Ranges left when the
// parallel loop ends are folded after it, in the same order.
struct FoldQueue {
  std::mutex mu;
  std::unique_ptr<std::atomic<bool>[]> done;  // [splits], release-stored after the range's state is written
  int64_t next = 1;                           // next range to fold (range 0 is the accumulator)
  float* wa = nullptr; float* wp = nullptr;   // fold weights [Rpad] (workspace foldWeights)
};

// Attention scratch kept on the calling thread between calls. Freed and re-allocated per
// call, these buffers (about 1 MB per thread in MQA decode) came back as fresh pages every
// time: ~340 page faults per 2-thread 16K decode. Their size is bounded by the chunk shape
// (≤ RMAX rows, the head dims, ≤ 4·threads + chunks partial states), not by L or T, so
// keeping them costs little. Each calling thread (main or worker_thread) has its own;
// attention() does not re-enter itself, so one workspace per thread is enough.
struct AttnWorkspace {
  std::vector<AttnScratch> scratch;   // [threads]
  std::vector<Partial> partials;      // [chunks × splits] (split keys only)
  std::vector<FloatBuf> sharedQt;     // [chunks] (split keys only)
  std::vector<WordBuf> sharedQp;      // [chunks] (split keys on bf16 dot products only)
  std::vector<FloatBuf> foldWeights;  // [chunks] × 2·Rpad (split keys only)
};
AttnWorkspace& attnWorkspace() {
  thread_local AttnWorkspace ws;
  return ws;
}

// Sparse indices validated and compacted once (-1 dropped): sidx [T][topk], counts [T].
void compactIndices(const AttnArgs& a, std::vector<int32_t>& sidx, std::vector<int64_t>& scount) {
  sidx.resize((size_t)(a.T * a.topk));
  scount.assign((size_t)a.T, 0);
  for (int64_t t = 0; t < a.T; t++) {
    int64_t c = 0;
    for (int64_t j = 0; j < a.topk; j++) {
      const int32_t s = a.indices[t * a.topk + j];
      if (s == -1) continue;
      if (s < -1 || s >= a.L)
        fail("E_INDEX", "indices[" + std::to_string(t) + "][" + std::to_string(j) + "] = " + std::to_string(s) +
                            " is outside [-1, L=" + std::to_string(a.L) + ")");
      sidx[(size_t)(t * a.topk + c++)] = s;
    }
    scount[(size_t)t] = c;
  }
}

// The chunks of a call, longest key lists first (so causal prefill balances across threads).
std::vector<Chunk> makeChunks(const AttnArgs& a, int64_t Hkv, int64_t G, const std::vector<int64_t>& scount) {
  std::vector<Chunk> chunks;
  const int64_t hstep = std::min<int64_t>(G, RMAX);
  if (a.indices) {
    for (int64_t g = 0; g < Hkv; g++)
      for (int64_t t = 0; t < a.T; t++)
        for (int64_t hb = 0; hb < G; hb += hstep)
          chunks.push_back({g, t, t + 1, hb, std::min(G, hb + hstep), scount[(size_t)t]});
  } else {
    const int64_t tq = G >= RMAX ? 1 : RMAX / G;
    for (int64_t g = 0; g < Hkv; g++)
      for (int64_t tb = 0; tb < a.T; tb += tq)
        for (int64_t hb = 0; hb < G; hb += hstep) {
          const int64_t te = std::min(a.T, tb + tq);
          const int64_t n = a.causal ? std::min(a.L, a.qStart + te) : a.L;
          chunks.push_back({g, tb, te, hb, std::min(G, hb + hstep), n});
        }
  }
  std::stable_sort(chunks.begin(), chunks.end(), [](const Chunk& x, const Chunk& y) { return x.n > y.n; });
  return chunks;
}

// Key ranges per chunk. Few chunks (decode): the keys are split into ~4 pieces per thread,
// taken dynamically, so a thread that loses its core for a while (shared machine) does not
// set the wall time. Sparse calls (≤ k keys, ~1 ms) take one piece per thread instead: each
// piece costs a fold of the chunk's whole state (128 rows × 512 dims, 256 KB, read across
// cores), and on 2 threads 4 pieces meant 3 folds for 1 (A/B, 2,048 keys, a 10 ms peak
// burst before each call: +0–6% fp32, +2% bf16; 8 pieces: −2 to −7%).
int64_t keyRanges(const std::vector<Chunk>& chunks, int threads, int64_t blockKeys, bool sparse) {
  const int64_t nch = (int64_t)chunks.size();
  if (threads <= 1 || nch >= 2 * threads) return 1;
  int64_t maxN = 0;
  for (const Chunk& c : chunks) maxN = std::max(maxN, c.n);
  int64_t nsplit = ((sparse ? 1 : 4) * threads + nch - 1) / nch;
  nsplit = std::max<int64_t>(1, std::min<int64_t>(nsplit, maxN / (4 * blockKeys)));
  // Whole rounds: 5 equal ranges on 2 threads leave one thread 3/5 of the work. Rounding
  // down to 4 measured +6% on 2K dense decode and +0–7% on sparse decode over 2048 keys.
  if (nch * nsplit > threads) nsplit = std::max<int64_t>(1, (nch * nsplit) / threads * threads / nch);
  return nsplit;
}

// One attention call: its chunks, key ranges, scratch and the steps of a work item.
struct AttnCall {
  const Kernels& kr;
  const AttnArgs& a;
  const bool sparse, bf16;  // bf16: the chunks run on bf16 dot products (Qp)
  const int64_t Hkv, G, W;
  std::vector<int32_t> sidx;
  std::vector<int64_t> scount;
  std::vector<Chunk> chunks;
  int64_t nch = 0, nsplit = 1, RpadMax = 0;
  AttnWorkspace& ws;
  std::unique_ptr<FoldQueue[]> folds;

  AttnCall(const Kernels& k, const AttnArgs& args)
      : kr(k), a(args), sparse(args.indices != nullptr),
        bf16(k.bf16Dot && args.kd == DType::BF16 && (args.mqa || args.vd == DType::BF16)),
        Hkv(args.mqa ? 1 : args.Hkv), G(args.H / Hkv), W(k.width), ws(attnWorkspace()) {}

  int64_t rpad(const Chunk& ch) const { return roundUp(ch.rows(), W); }
  const float* qrow(const Chunk& ch, int64_t r) const {
    const int64_t nh = ch.he - ch.hb, t = ch.tb + r / nh, h = ch.g * G + ch.hb + r % nh;
    return a.q + (t * a.H + h) * a.Dqk;
  }

  // Row blocks of a split chunk, so the serial steps around its ranges (packing the shared
  // query panel, the folds left after the ranges, the output) run across the threads too.
  static constexpr int64_t ROW_BLOCK = 16;
  int64_t rowBlocks(const Chunk& ch) const { return (rpad(ch) + ROW_BLOCK - 1) / ROW_BLOCK; }

  void plan();
  void packQ(const Chunk& ch, float* Qt, uint32_t* Qp, int64_t r0, int64_t r1) const;
  void foldReady(int64_t ci);
  void finalize(const Chunk& ch, int64_t Rpad, const float* Ot, const float* m, const float* l, int64_t r0,
                int64_t r1) const;
  void tail(int64_t ci, int64_t b);
  void runItem(int64_t it, int tid);
  void run();
};

void AttnCall::plan() {
  if (sparse) compactIndices(a, sidx, scount);
  chunks = makeChunks(a, Hkv, G, scount);
  nch = (int64_t)chunks.size();
  nsplit = keyRanges(chunks, a.threads, kr.blockKeys, sparse);
  int64_t maxRows = 0;
  for (const Chunk& c : chunks) maxRows = std::max(maxRows, c.rows());
  RpadMax = roundUp(maxRows, W);
  const int64_t items = nch * nsplit;
  const int64_t nthr = std::max<int64_t>(1, std::min<int64_t>(a.threads, items));
  if (ws.scratch.size() < (size_t)nthr) ws.scratch.resize((size_t)nthr);
  if (nsplit == 1) return;
  // Split keys: one state per item (chunk × key range), merged in range order, so the result
  // does not depend on which thread took which range (bit-identical run to run); the query
  // panel is packed once per chunk.
  if (ws.partials.size() < (size_t)items) ws.partials.resize((size_t)items);
  if (ws.foldWeights.size() < (size_t)nch) ws.foldWeights.resize((size_t)nch);
  if (ws.sharedQt.size() < (size_t)nch) ws.sharedQt.resize((size_t)nch);
  if (bf16 && ws.sharedQp.size() < (size_t)nch) ws.sharedQp.resize((size_t)nch);
  folds.reset(new FoldQueue[(size_t)nch]);
  for (int64_t ci = 0; ci < nch; ci++) {
    FoldQueue& fq = folds[(size_t)ci];
    fq.done.reset(new std::atomic<bool>[(size_t)nsplit]);
    for (int64_t s = 0; s < nsplit; s++) fq.done[(size_t)s].store(false, std::memory_order_relaxed);
    ws.foldWeights[(size_t)ci].ensure(2 * RpadMax);
    fq.wa = ws.foldWeights[(size_t)ci].p;
    fq.wp = ws.foldWeights[(size_t)ci].p + RpadMax;
    const int64_t Rpad = rpad(chunks[(size_t)ci]);
    if (bf16) ws.sharedQp[(size_t)ci].ensure((a.Dqk + 1) / 2 * Rpad);
    else ws.sharedQt[(size_t)ci].ensure(a.Dqk * Rpad);
  }
  // The shared panels, a block of rows per item.
  std::vector<int64_t> first((size_t)nch + 1, 0);
  for (int64_t ci = 0; ci < nch; ci++) first[(size_t)ci + 1] = first[(size_t)ci] + rowBlocks(chunks[(size_t)ci]);
  pooledFor(a.threads, first[(size_t)nch], [&](int64_t it, int) {
    const int64_t ci = std::upper_bound(first.begin(), first.end(), it) - first.begin() - 1, b = it - first[(size_t)ci];
    const Chunk& ch = chunks[(size_t)ci];
    const int64_t r0 = b * ROW_BLOCK, r1 = std::min(rpad(ch), r0 + ROW_BLOCK);
    if (bf16) packQ(ch, nullptr, ws.sharedQp[(size_t)ci].p(), r0, r1);
    else packQ(ch, ws.sharedQt[(size_t)ci].p, nullptr, r0, r1);
  });
}

// Rows r0..r1-1 (r1 ≤ Rpad) of the chunk's query panel: Qt[d][r] = scale · q[row r][d] (fp32),
// or for bf16 dot products Qp[i][r] = the bf16 pair (scale · q[r][2i], scale · q[r][2i+1])
// (the kernel set's packPanel: gathers across the rows); rows past R are 0. Scalar when the
// offsets overflow int32.
void AttnCall::packQ(const Chunk& ch, float* Qt, uint32_t* Qp, int64_t r0, int64_t r1) const {
  const int64_t R = ch.rows(), Rpad = roundUp(R, W), live = std::max<int64_t>(0, std::min(R, r1) - r0);
  std::vector<int32_t> off((size_t)std::max<int64_t>(live, 1));
  const float* base = qrow(ch, 0);
  bool fits = true;
  for (int64_t r = 0; r < live && fits; r++) {
    const int64_t o = qrow(ch, r0 + r) - base;
    fits = o >= 0 && o + a.Dqk < (int64_t(1) << 31);
    off[(size_t)r] = (int32_t)o;
  }
  if (live == 0) off[0] = 0;
  if (fits) {
    kr.packPanel(base, off.data(), (int)live, (int)(r1 - r0), (int)Rpad, (int)a.Dqk, a.scale, Qt ? Qt + r0 : nullptr,
                 Qp ? Qp + r0 : nullptr);
    return;
  }
  for (int64_t d = 0; d < (Qp ? (a.Dqk + 1) / 2 : a.Dqk); d++)
    for (int64_t r = r0; r < r1; r++) {
      const float* q = qrow(ch, r < R ? r : 0);
      if (Qp) {
        const uint32_t hi = 2 * d + 1 < a.Dqk ? bf16Bits(q[2 * d + 1] * a.scale) << 16 : 0u;
        Qp[d * Rpad + r] = r < R ? bf16Bits(q[2 * d] * a.scale) | hi : 0u;
      } else {
        Qt[d * Rpad + r] = r < R ? q[d] * a.scale : 0.f;
      }
    }
}

// Folds chunk ci's finished ranges in order (see FoldQueue), unless another thread is.
void AttnCall::foldReady(int64_t ci) {
  FoldQueue& fq = folds[(size_t)ci];
  if (!fq.mu.try_lock()) return;
  const Chunk& ch = chunks[(size_t)ci];
  Partial* part = ws.partials.data() + ci * nsplit;
  while (fq.next < nsplit && fq.done[0].load(std::memory_order_acquire) &&
         fq.done[(size_t)fq.next].load(std::memory_order_acquire)) {
    foldPartial(part[0], part[fq.next], 0, ch.rows(), rpad(ch), a.Dv, fq.wa, fq.wp);
    fq.next++;
  }
  fq.mu.unlock();
}

// Rows r0..r1-1 of the output: out[row r][c] = Ot[c][r] / l[r], lse = m + log l (a row with
// no valid key: 0 and -inf); the transpose is the kernel set's unpackPanel (scalar when
// offsets overflow int32).
void AttnCall::finalize(const Chunk& ch, int64_t Rpad, const float* Ot, const float* m, const float* l, int64_t r0,
                        int64_t r1) const {
  const int64_t nh = ch.he - ch.hb;
  r1 = std::min(r1, ch.rows());
  if (r1 <= r0) return;
  std::vector<int32_t> off((size_t)(r1 - r0));
  std::vector<float> inv((size_t)(r1 - r0));
  const auto outRow = [&](int64_t r) { return ((ch.tb + r / nh) * a.H + ch.g * G + ch.hb + r % nh) * a.Dv; };
  const int64_t o0 = outRow(r0);
  bool fits = true;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t o = outRow(r) - o0, i = r - r0;
    fits = fits && o + a.Dv < (int64_t(1) << 31);
    off[(size_t)i] = (int32_t)o;
    const bool empty = !(m[r] > NEG_INF) || !(l[r] > 0.f);
    inv[(size_t)i] = empty ? 0.f : 1.f / l[r];
    a.lse[outRow(r) / a.Dv] = empty ? NEG_INF : m[r] + std::log(l[r]);
  }
  if (fits) {
    kr.unpackPanel(Ot + r0, (int)Rpad, (int)(r1 - r0), (int)a.Dv, inv.data(), a.out + o0, off.data());
    return;
  }
  for (int64_t r = r0; r < r1; r++) {
    float* o = a.out + outRow(r);
    for (int64_t c = 0; c < a.Dv; c++) o[c] = Ot[c * Rpad + r] * inv[(size_t)(r - r0)];
  }
}

// After the ranges: block b of chunk ci's rows gets the folds not yet done (in range order,
// as foldReady would have done them) and its output.
void AttnCall::tail(int64_t ci, int64_t b) {
  const Chunk& ch = chunks[(size_t)ci];
  const int64_t Rpad = rpad(ch), r0 = b * ROW_BLOCK, r1 = std::min(ch.rows(), r0 + ROW_BLOCK);
  FoldQueue& fq = folds[(size_t)ci];
  Partial* part = ws.partials.data() + ci * nsplit;
  for (int64_t s = fq.next; s < nsplit && r0 < r1; s++) foldPartial(part[0], part[s], r0, r1, Rpad, a.Dv, fq.wa, fq.wp);
  finalize(ch, Rpad, part[0].Ot.p, part[0].m.p, part[0].l.p, r0, r1);
}

// Work item `it`: chunk it / nsplit over its key range it % nsplit.
void AttnCall::runItem(int64_t it, int tid) {
  const int64_t ci = it / nsplit, si = it % nsplit;
  const Chunk& ch = chunks[(size_t)ci];
  const int64_t nh = ch.he - ch.hb, R = ch.rows(), Rpad = rpad(ch);
  AttnScratch& sc = ws.scratch[(size_t)tid];
  sc.ensure(kr, RpadMax, a.Dqk, a.Dv, bf16);
  const float* Qt = sc.Qt.p;
  const uint32_t* Qp = bf16 ? sc.Qp.p() : nullptr;
  if (nsplit > 1) {
    Qt = ws.sharedQt.size() > (size_t)ci ? ws.sharedQt[(size_t)ci].p : nullptr;  // packed once per chunk
    if (bf16) Qp = ws.sharedQp[(size_t)ci].p();
  } else {
    packQ(ch, sc.Qt.p, bf16 ? sc.Qp.p() : nullptr, 0, Rpad);
  }
  const bool mask = !sparse && a.causal;
  for (int64_t r = 0; r < Rpad; r++)
    sc.lim[(size_t)r] = r < R ? (int32_t)(a.qStart + ch.tb + r / nh) : std::numeric_limits<int32_t>::max();

  float *Ot, *m, *l;
  if (nsplit == 1) {
    Ot = sc.Ot.p; m = sc.m.p; l = sc.l.p;
  } else {
    Partial& p = ws.partials[(size_t)it];
    p.Ot.ensure(a.Dv * Rpad); p.m.ensure(Rpad); p.l.ensure(Rpad);
    Ot = p.Ot.p; m = p.m.p; l = p.l.p;
  }
  std::fill(m, m + Rpad, NEG_INF);
  std::fill(l, l + Rpad, 0.f);

  const int64_t per = (ch.n + nsplit - 1) / nsplit;
  const int64_t ks = std::min(ch.n, si * per), ke = std::min(ch.n, ks + per);

  AttnChunk c;
  c.R = (int)R; c.Rpad = (int)Rpad; c.Dqk = (int)a.Dqk; c.Dv = (int)a.Dv;
  c.Qt = Qt; c.Qp = Qp; c.lim = mask ? sc.lim.data() : nullptr; c.minLim = (int32_t)(a.qStart + ch.tb);
  if (a.mqa) {
    c.K = {a.k, a.kd, a.Dqk, 0}; c.V = c.K; c.vSharesK = true;
  } else {
    c.K = {a.k, a.kd, Hkv * a.Dqk, ch.g * a.Dqk};
    c.V = {a.v, a.vd, Hkv * a.Dv, ch.g * a.Dv};
    c.vSharesK = false;
  }
  c.idx = sparse ? sidx.data() + ch.tb * a.topk + ks : nullptr;
  c.s0 = ks; c.n = ke - ks;
  c.Ot = Ot; c.m = m; c.l = l;
  c.S = sc.S.p; c.alpha = sc.alpha.p; c.kbuf = sc.kbuf.p; c.vbuf = sc.vbuf.p; c.zero = sc.zero.p;
  c.kptr = sc.kptr.data(); c.vptr = sc.vptr.data();
  c.Pp = sc.Pp.p(); c.VI = sc.VI.p(); c.kb16 = reinterpret_cast<uint16_t*>(sc.kb16.p());
  if (c.n > 0) kr.attnChunk(c);
  else std::fill(Ot, Ot + a.Dv * Rpad, 0.f);  // (the kernel writes Ot from its first block)
  if (nsplit == 1) {
    finalize(ch, Rpad, Ot, m, l, 0, R);
  } else {
    folds[(size_t)ci].done[(size_t)si].store(true, std::memory_order_release);
    foldReady(ci);
  }
}

void AttnCall::run() {
  plan();
  pooledFor(a.threads, nch * nsplit, [&](int64_t it, int tid) { runItem(it, tid); });
  if (nsplit == 1) return;
  // Ranges not yet folded (those that finished last), then out = Ot / l: by row blocks
  // across the threads (no fold runs any more: every item is done).
  std::vector<int64_t> first((size_t)nch + 1, 0);
  for (int64_t ci = 0; ci < nch; ci++) first[(size_t)ci + 1] = first[(size_t)ci] + rowBlocks(chunks[(size_t)ci]);
  pooledFor(a.threads, first[(size_t)nch], [&](int64_t it, int) {
    const int64_t ci = std::upper_bound(first.begin(), first.end(), it) - first.begin() - 1;
    tail(ci, it - first[(size_t)ci]);
  });
}

}  // namespace

void checkAttn(const AttnArgs& a) {
  if (!a.q || !a.k || (!a.mqa && !a.v)) fail("E_SHAPE", "q and the key/value tensors are required");
  if (a.T < 1 || a.H < 1 || a.L < 1 || a.Dqk < 1 || a.Dv < 1)
    fail("E_SHAPE", "T, H, L, Dqk and Dv must be ≥ 1");
  if (a.mqa && a.Dv > a.Dqk) fail("E_SHAPE", "MQA mode needs Dv ≤ Dqk (the value is the first Dv dims of kv)");
  if (!a.mqa && (a.Hkv < 1 || a.H % a.Hkv != 0)) fail("E_SHAPE", "Hkv must divide H");
  if (!a.indices && (a.qStart < 0 || a.qStart + a.T > a.L))
    fail("E_SHAPE", "queries sit at qStart..qStart+T-1, which must lie inside the cache [0, L)");
  if (a.indices && a.topk < 1) fail("E_SHAPE", "indices need k ≥ 1 columns");
  if (!std::isfinite(a.scale)) fail("E_OPTION", "scale must be finite");
  if (a.threads < 1 || a.threads > 1024) fail("E_OPTION", "threads must be in 1..1024");
  if (a.Dqk > (1 << 20) || a.Dv > (1 << 20) || a.H > (1 << 20)) fail("E_SHAPE", "dimension too large");
}

void attention(const Kernels& kr, const AttnArgs& a) {
  checkAttn(a);
  AttnCall call(kr, a);
  call.run();
}

}  // namespace dsa
