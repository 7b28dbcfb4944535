// Engine operations: checks, work split over threads, scratch, top-k, FP8/Hadamard
// simulation, split-K merge. Compiled with baseline flags; only the kernels behind
// `Kernels` use wide SIMD.
//
// Attention work decomposition: rows are (query t, head h) pairs that share one key/value
// source (all heads in MQA mode, the H/Hkv heads of one kv head in MHA mode). A chunk is
// up to 128 rows; each chunk runs flash attention over its key list (dense: positions
// 0..qStart+t_last, sparse: the query's valid indices). When there are fewer chunks than
// threads (decode), the key list is split and the partial (Ot, m, l) are merged.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "engine.h"
#include "threads.h"
#include "topk_keeper.h"

namespace dsa {

namespace {

constexpr int64_t RMAX = 128;
constexpr float NEG_INF = -std::numeric_limits<float>::infinity();

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

[[noreturn]] void fail(const char* code, const std::string& msg) { throw EngineError(code, msg); }

struct Chunk {
  int64_t g, tb, te, hb, he, n;
};

// Per-thread scratch for attention (sizes for the largest chunk). Every buffer is written
// before it is read within a call except `zero`, which is only ever read.
struct AttnScratch {
  FloatBuf Qt, S, alpha, kbuf, vbuf, zero, Ot, m, l;
  std::vector<const float*> kptr, vptr;
  std::vector<int32_t> lim;
  void ensure(const Kernels& kr, int64_t Rpad, int64_t Dqk, int64_t Dv) {
    const int64_t BK = kr.blockKeys;
    Qt.ensure(Dqk * Rpad); S.ensure((BK + 16) * Rpad); alpha.ensure(Rpad);
    kbuf.ensure(BK * Dqk); vbuf.ensure(BK * Dv); zero.ensure(std::max(Dqk, Dv) + 16);
    Ot.ensure(Dv * Rpad); m.ensure(Rpad); l.ensure(Rpad);
    if (kptr.size() < (size_t)(BK + 16)) { kptr.assign(BK + 16, nullptr); vptr.assign(BK + 16, nullptr); }
    if (lim.size() < (size_t)Rpad) lim.assign(Rpad, 0);
  }
};

// Online-softmax state of one chunk over one key range (split keys).
struct Partial {
  FloatBuf Ot, m, l;
};

// acc ← acc ⊕ p (online-softmax merge of two key ranges): M = max(m_a, m_p),
// w_x = exp(m_x − M) (0 for an empty range), l = w_a·l_a + w_p·l_p, Ot = w_a·Ot_a + w_p·Ot_p.
// Shapes: Ot [Dv][Rpad], m and l [Rpad]; R ≤ Rpad rows are live. wa/wp: scratch [Rpad].
void foldPartial(Partial& acc, const Partial& p, int64_t R, int64_t Rpad, int64_t Dv, float* wa, float* wp) {
  for (int64_t r = 0; r < R; r++) {
    const float ma = acc.m.p[r], mp = p.m.p[r], M = std::max(ma, mp);
    wa[r] = ma > NEG_INF ? std::exp(ma - M) : 0.f;
    wp[r] = mp > NEG_INF ? std::exp(mp - M) : 0.f;
    acc.l.p[r] = acc.l.p[r] * wa[r] + p.l.p[r] * wp[r];
    acc.m.p[r] = M;
  }
  for (int64_t c = 0; c < Dv; c++) {
    float* dst = acc.Ot.p + c * Rpad;
    const float* src = p.Ot.p + c * Rpad;
    for (int64_t r = 0; r < R; r++) dst[r] = dst[r] * wa[r] + src[r] * wp[r];
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
  std::vector<FloatBuf> foldWeights;  // [chunks] × 2·Rpad (split keys only)
};
AttnWorkspace& attnWorkspace() {
  thread_local AttnWorkspace ws;
  return ws;
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
  const bool sparse = a.indices != nullptr;
  const int64_t Hkv = a.mqa ? 1 : a.Hkv, G = a.H / Hkv, W = kr.width;

  // Sparse: validate and compact the indices (-1 dropped) once: [T][topk] + counts.
  std::vector<int32_t> sidx;
  std::vector<int64_t> scount;
  if (sparse) {
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

  std::vector<Chunk> chunks;
  const int64_t hstep = std::min<int64_t>(G, RMAX);
  if (sparse) {
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
  // Longest key lists first so causal prefill balances across threads.
  std::stable_sort(chunks.begin(), chunks.end(), [](const Chunk& x, const Chunk& y) { return x.n > y.n; });

  const int64_t nch = (int64_t)chunks.size();
  int64_t nsplit = 1;
  if (a.threads > 1 && nch < 2 * a.threads) {
    // Few chunks (decode): split the keys into ~4 pieces per thread, taken dynamically, so
    // a thread that loses its core for a while (shared machine) does not set the wall time.
    int64_t maxN = 0;
    for (const Chunk& c : chunks) maxN = std::max(maxN, c.n);
    nsplit = (4 * a.threads + nch - 1) / nch;
    nsplit = std::max<int64_t>(1, std::min<int64_t>(nsplit, maxN / (4 * kr.blockKeys)));
    // Whole rounds: 5 equal ranges on 2 threads leave one thread 3/5 of the work. Rounding
    // down to 4 measured +6% on 2K dense decode and +0–7% on sparse decode over 2048 keys.
    if (nch * nsplit > a.threads) nsplit = std::max<int64_t>(1, (nch * nsplit) / a.threads * a.threads / nch);
  }
  const int64_t items = nch * nsplit;
  int64_t maxRows = 0;
  for (const Chunk& c : chunks) maxRows = std::max(maxRows, (c.te - c.tb) * (c.he - c.hb));
  const int64_t RpadMax = roundUp(maxRows, W);

  AttnWorkspace& ws = attnWorkspace();
  const int64_t nthr = std::max<int64_t>(1, std::min<int64_t>(a.threads, items));
  if (ws.scratch.size() < (size_t)nthr) ws.scratch.resize((size_t)nthr);
  std::vector<AttnScratch>& scratch = ws.scratch;
  // Split keys: one state per item (chunk × key range), merged in range order, so the result
  // does not depend on which thread took which range (bit-identical run to run).
  std::vector<Partial>& partials = ws.partials;
  if (nsplit > 1 && partials.size() < (size_t)items) partials.resize((size_t)items);
  std::unique_ptr<FoldQueue[]> folds(nsplit > 1 ? new FoldQueue[(size_t)nch] : nullptr);
  for (int64_t ci = 0; nsplit > 1 && ci < nch; ci++) {
    folds[(size_t)ci].done.reset(new std::atomic<bool>[(size_t)nsplit]);
    for (int64_t s = 0; s < nsplit; s++) folds[(size_t)ci].done[(size_t)s].store(false, std::memory_order_relaxed);
    if (ws.foldWeights.size() < (size_t)nch) ws.foldWeights.resize((size_t)nch);
    ws.foldWeights[(size_t)ci].ensure(2 * RpadMax);
    folds[(size_t)ci].wa = ws.foldWeights[(size_t)ci].p;
    folds[(size_t)ci].wp = ws.foldWeights[(size_t)ci].p + RpadMax;
  }
  // Folds chunk ci's finished ranges in order (see FoldQueue); `wait` = block on the lock.
  const auto foldReady = [&](int64_t ci, bool wait) {
    FoldQueue& fq = folds[(size_t)ci];
    if (wait) fq.mu.lock();
    else if (!fq.mu.try_lock()) return;
    const Chunk& ch = chunks[(size_t)ci];
    const int64_t R = (ch.te - ch.tb) * (ch.he - ch.hb), Rpad = roundUp(R, W);
    Partial* part = partials.data() + ci * nsplit;
    while (fq.next < nsplit && fq.done[0].load(std::memory_order_acquire) &&
           fq.done[(size_t)fq.next].load(std::memory_order_acquire)) {
      foldPartial(part[0], part[fq.next], R, Rpad, a.Dv, fq.wa, fq.wp);
      fq.next++;
    }
    fq.mu.unlock();
  };

  const auto qrow = [&](const Chunk& ch, int64_t r) -> const float* {
    const int64_t nh = ch.he - ch.hb, t = ch.tb + r / nh, h = ch.g * G + ch.hb + r % nh;
    return a.q + (t * a.H + h) * a.Dqk;
  };
  // out[row r][c] = Ot[c][r] / l[r], lse = m + log l (a row with no valid key: 0 and -inf).
  // Blocks of 16 dims keep both the Ot reads and the out writes within a few cache lines.
  const auto finalize = [&](const Chunk& ch, int64_t Rpad, const float* Ot, const float* m, const float* l) {
    const int64_t nh = ch.he - ch.hb, R = (ch.te - ch.tb) * nh;
    std::vector<float*> orow((size_t)R);
    std::vector<float> inv((size_t)R);
    for (int64_t r = 0; r < R; r++) {
      const int64_t t = ch.tb + r / nh, h = ch.g * G + ch.hb + r % nh;
      orow[(size_t)r] = a.out + (t * a.H + h) * a.Dv;
      const bool empty = !(m[r] > NEG_INF) || !(l[r] > 0.f);
      inv[(size_t)r] = empty ? 0.f : 1.f / l[r];
      a.lse[t * a.H + h] = empty ? NEG_INF : m[r] + std::log(l[r]);
    }
    for (int64_t cb = 0; cb < a.Dv; cb += 16) {
      const int64_t ce = std::min(a.Dv, cb + 16);
      for (int64_t r = 0; r < R; r++) {
        float* o = orow[(size_t)r];
        const float iv = inv[(size_t)r];
        for (int64_t c = cb; c < ce; c++) o[c] = Ot[c * Rpad + r] * iv;
      }
    }
  };

  // Qt[d][r] = scale · q[row r][d]; d outer so the writes are contiguous and the R source
  // rows are read in step (they stay in L1).
  const auto packQt = [&](const Chunk& ch, float* Qt) {
    const int64_t nh = ch.he - ch.hb, R = (ch.te - ch.tb) * nh, Rpad = roundUp(R, W);
    std::vector<const float*> rows((size_t)R);
    for (int64_t r = 0; r < R; r++) rows[(size_t)r] = qrow(ch, r);
    for (int64_t d = 0; d < a.Dqk; d++) {
      float* dst = Qt + d * Rpad;
      for (int64_t r = 0; r < R; r++) dst[r] = rows[(size_t)r][d] * a.scale;
      for (int64_t r = R; r < Rpad; r++) dst[r] = 0.f;
    }
  };
  std::vector<FloatBuf>& sharedQt = ws.sharedQt;
  if (nsplit > 1) {
    if (sharedQt.size() < (size_t)nch) sharedQt.resize((size_t)nch);
    for (int64_t ci = 0; ci < nch; ci++) {
      const Chunk& ch = chunks[(size_t)ci];
      sharedQt[(size_t)ci].ensure(a.Dqk * roundUp((ch.te - ch.tb) * (ch.he - ch.hb), W));
      packQt(ch, sharedQt[(size_t)ci].p);
    }
  }

  parallelFor(a.threads, items, [&](int64_t it, int tid) {
    const Chunk& ch = chunks[(size_t)(it / nsplit)];
    const int64_t si = it % nsplit;
    const int64_t nh = ch.he - ch.hb, R = (ch.te - ch.tb) * nh, Rpad = roundUp(R, W);
    AttnScratch& sc = scratch[(size_t)tid];
    sc.ensure(kr, RpadMax, a.Dqk, a.Dv);
    float* Qt;
    if (nsplit > 1) {
      Qt = sharedQt[(size_t)(it / nsplit)].p;  // packed once per chunk before the split
    } else {
      Qt = sc.Qt.p;
      packQt(ch, Qt);
    }
    const bool mask = !sparse && a.causal;
    for (int64_t r = 0; r < Rpad; r++)
      sc.lim[(size_t)r] = r < R ? (int32_t)(a.qStart + ch.tb + r / nh) : std::numeric_limits<int32_t>::max();

    float *Ot, *m, *l;
    if (nsplit == 1) {
      Ot = sc.Ot.p; m = sc.m.p; l = sc.l.p;
    } else {
      Partial& p = partials[(size_t)it];
      p.Ot.ensure(a.Dv * Rpad); p.m.ensure(Rpad); p.l.ensure(Rpad);
      Ot = p.Ot.p; m = p.m.p; l = p.l.p;
    }
    std::fill(Ot, Ot + a.Dv * Rpad, 0.f);
    std::fill(m, m + Rpad, NEG_INF);
    std::fill(l, l + Rpad, 0.f);

    const int64_t per = (ch.n + nsplit - 1) / nsplit;
    const int64_t ks = std::min(ch.n, si * per), ke = std::min(ch.n, ks + per);

    AttnChunk c;
    c.R = (int)R; c.Rpad = (int)Rpad; c.Dqk = (int)a.Dqk; c.Dv = (int)a.Dv;
    c.Qt = Qt; c.lim = mask ? sc.lim.data() : nullptr; c.minLim = (int32_t)(a.qStart + ch.tb);
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
    if (c.n > 0) kr.attnChunk(c);
    if (nsplit == 1) {
      finalize(ch, Rpad, Ot, m, l);
    } else {
      folds[(size_t)(it / nsplit)].done[(size_t)si].store(true, std::memory_order_release);
      foldReady(it / nsplit, false);
    }
  });

  if (nsplit > 1) {
    // Ranges not yet folded (those that finished last), then out = Ot / l.
    for (int64_t ci = 0; ci < nch; ci++) {
      foldReady(ci, true);
      const Chunk& ch = chunks[(size_t)ci];
      const Partial& acc = partials[(size_t)(ci * nsplit)];
      finalize(ch, roundUp((ch.te - ch.tb) * (ch.he - ch.hb), W), acc.Ot.p, acc.m.p, acc.l.p);
    }
  }
}

// ---- FP8-E4M3 and Hadamard simulation --------------------------------------------------
// Both are computed with exactly rounded fp32 steps (no contraction: this file is built
// without FMA flags) so the TypeScript reference reproduces them bit for bit.

static float e4m3Round(float y) {
  if (!(y == y)) return y;
  const float a = std::fabs(y);
  if (a >= 448.f) return std::copysign(448.f, y);
  if (a == 0.f) return y;
  int e;
  std::frexp(a, &e);       // a = f·2^e, f ∈ [0.5, 1) → floor(log2 a) = e-1
  int E = e - 1;
  if (E < -6) E = -6;      // subnormals share the quantum 2^-9
  const float q = std::ldexp(1.f, E - 3);
  float r = std::nearbyint(a / q) * q;  // ties to even (default rounding mode)
  if (r > 448.f) r = 448.f;
  return std::copysign(r, y);
}

void fp8Rows(float* x, int64_t rows, int dim) {
  for (int64_t i = 0; i < rows; i++) {
    float* row = x + i * dim;
    for (int b = 0; b < dim; b += 128) {
      const int e = std::min(dim, b + 128);
      float amax = 0.f;
      for (int j = b; j < e; j++) amax = std::max(amax, std::fabs(row[j]));
      amax = std::max(amax, 1e-4f);
      const float s = amax / 448.f;
      int ex;
      const float f = std::frexp(s, &ex);
      const float scale = f == 0.5f ? s : std::ldexp(1.f, ex);  // next power of two ≥ s
      for (int j = b; j < e; j++) row[j] = e4m3Round(row[j] / scale) * scale;
    }
  }
}

void hadamardRows(float* x, int64_t rows, int dim) {
  const float s = (float)(1.0 / std::sqrt((double)dim));
  for (int64_t i = 0; i < rows; i++) {
    float* v = x + i * dim;
    for (int len = 1; len < dim; len <<= 1)
      for (int b = 0; b < dim; b += 2 * len)
        for (int j = b; j < b + len; j++) {
          const float p = v[j], q = v[j + len];
          v[j] = p + q;
          v[j + len] = p - q;
        }
    for (int j = 0; j < dim; j++) v[j] = v[j] * s;
  }
}

namespace {
struct XformCtx {
  bool fp8, hadamard;
};
void keyTransform(float* rows, int64_t n, int dim, const void* ctx) {
  const XformCtx* x = static_cast<const XformCtx*>(ctx);
  if (x->hadamard) hadamardRows(rows, n, dim);
  if (x->fp8) fp8Rows(rows, n, dim);
}

struct IndexerScratch {
  FloatBuf Qt, w, qtmp, kbuf, zero, sbuf;
  std::vector<const float*> kptr;
  bool ready = false;
  void init(const Kernels& kr, int64_t HIpad, int64_t HI, int64_t DI, int64_t sbufLen) {
    if (ready) return;
    const int64_t BK = kr.blockKeys;
    Qt.alloc(DI * HIpad); w.alloc(HIpad); qtmp.alloc(HI * DI); kbuf.alloc(BK * DI);
    zero.alloc(DI + 16); kptr.assign(BK + 16, nullptr);
    if (sbufLen > 0) sbuf.alloc(sbufLen);
    ready = true;
  }
};

// Packs the (transformed) indexer query of token t as Qt[d][h] and its weights.
void packIndexerQuery(const IndexerArgs& a, int64_t t, int64_t HIpad, IndexerScratch& sc) {
  std::memcpy(sc.qtmp.p, a.q + t * a.HI * a.DI, sizeof(float) * (size_t)(a.HI * a.DI));
  if (a.hadamard) hadamardRows(sc.qtmp.p, a.HI, (int)a.DI);
  if (a.fp8) fp8Rows(sc.qtmp.p, a.HI, (int)a.DI);
  for (int64_t d = 0; d < a.DI; d++)
    for (int64_t h = 0; h < HIpad; h++) sc.Qt.p[d * HIpad + h] = h < a.HI ? sc.qtmp.p[h * a.DI + d] : 0.f;
  for (int64_t h = 0; h < HIpad; h++) sc.w.p[h] = h < a.HI ? a.w[t * a.HI + h] : 0.f;
}

IndexerChunk makeIndexerChunk(const IndexerArgs& a, int64_t HIpad, IndexerScratch& sc, const XformCtx* x) {
  IndexerChunk c;
  c.H = (int)a.HI; c.Hpad = (int)HIpad; c.D = (int)a.DI;
  c.Qt = sc.Qt.p; c.w = sc.w.p;
  c.K = {a.k, a.kd, a.DI, 0};
  c.transform = (a.fp8 || a.hadamard) ? keyTransform : nullptr;
  c.transformCtx = x;
  c.kbuf = sc.kbuf.p; c.kptr = sc.kptr.data(); c.zero = sc.zero.p;
  return c;
}

// Indexer work split: per query when there are enough queries, else ~4 key ranges per
// thread (dynamic), at least 4096 keys each.
int64_t keySplits(int64_t T, int64_t L, int threads) {
  if (threads <= 1 || T >= 2 * threads) return 1;
  const int64_t want = (4 * (int64_t)threads + T - 1) / T;
  return std::max<int64_t>(1, std::min<int64_t>(want, L / 4096));
}

// Whether the fused op selects through blocked GEMMs (selectTopK, select.cc) rather than the
// per-query kernel: the kernel vectorises over indexer heads, padded to the vector width, so
// with few heads (the built-in model has 2 against 16 lanes) most of its lanes are padding.
// The GEMM path vectorises over keys and serves a block of queries per pass over the keys.
bool blockedSelection(const Kernels& kr, const IndexerArgs& ix) {
  return ix.kd == DType::F32 && !ix.fp8 && !ix.hadamard && ix.HI * 2 <= kr.width;
}

}  // namespace

void checkIndexer(const IndexerArgs& a) {
  if (!a.q || !a.k || !a.w) fail("E_SHAPE", "index_q, index_k and index_w are required");
  if (a.T < 1 || a.HI < 1 || a.DI < 1 || a.L < 1) fail("E_SHAPE", "T, heads, dim and L must be ≥ 1");
  if (a.qStart < 0 || a.qStart + a.T > a.L)
    fail("E_SHAPE", "queries sit at qStart..qStart+T-1, which must lie inside the cache [0, L)");
  if (a.hadamard && (a.DI & (a.DI - 1)) != 0) fail("E_OPTION", "hadamard needs a power-of-two index dim");
  if (a.threads < 1 || a.threads > 1024) fail("E_OPTION", "threads must be in 1..1024");
  if (a.DI > (1 << 20) || a.HI > (1 << 20)) fail("E_SHAPE", "dimension too large");
}

void indexer(const Kernels& kr, const IndexerArgs& a, float* scores) {
  checkIndexer(a);
  const int64_t HIpad = roundUp(a.HI, kr.width);
  const int64_t nsplit = keySplits(a.T, a.L, a.threads);
  const XformCtx x{a.fp8, a.hadamard};
  std::vector<IndexerScratch> scratch((size_t)a.threads);
  parallelFor(a.threads, a.T * nsplit, [&](int64_t it, int tid) {
    const int64_t t = it / nsplit, si = it % nsplit;
    IndexerScratch& sc = scratch[(size_t)tid];
    sc.init(kr, HIpad, a.HI, a.DI, 0);
    packIndexerQuery(a, t, HIpad, sc);
    const int64_t valid = std::min(a.L, a.qStart + t + 1);
    const int64_t per = (valid + nsplit - 1) / nsplit;
    const int64_t ks = std::min(valid, si * per), ke = std::min(valid, ks + per);
    float* row = scores + t * a.L;
    if (si == 0)
      for (int64_t s = valid; s < a.L; s++) row[s] = NEG_INF;
    IndexerChunk c = makeIndexerChunk(a, HIpad, sc, &x);
    c.s0 = ks; c.n = ke - ks; c.out = row + ks;
    if (c.n > 0) kr.indexerChunk(c);
  });
}

void topk(const float* scores, int64_t T, int64_t L, int64_t k, int threads, int32_t* out) {
  if (T < 1 || L < 1) fail("E_SHAPE", "scores must be [T ≥ 1, L ≥ 1]");
  if (k < 1) fail("E_OPTION", "k must be ≥ 1");
  if (threads < 1 || threads > 1024) fail("E_OPTION", "threads must be in 1..1024");
  parallelFor(threads, T, [&](int64_t t, int) {
    TopK keep(std::min(k, L));
    const float* row = scores + t * L;
    for (int64_t s = 0; s < L; s++) keep.push(row[s], (int32_t)s);
    writeSorted(keep.h, k, out + t * k);
  });
}

void dsa(const Kernels& kr, const AttnArgs& attn, const IndexerArgs& ix, int64_t k, bool skipShort,
         int32_t* indicesOut, bool* skipped, double* phaseMs) {
  // Phase clock: the selection's share of a fused call can only be read inside the call
  // (timing the indexer and a top-k pass separately measures other code).
  using clk = std::chrono::steady_clock;
  const auto tStart = clk::now();
  auto tSelected = tStart;
  auto phases = [&]() {
    if (!phaseMs) return;
    phaseMs[0] = std::chrono::duration<double, std::milli>(tSelected - tStart).count();
    phaseMs[1] = std::chrono::duration<double, std::milli>(clk::now() - tSelected).count();
  };
  if (attn.indices) fail("E_OPTION", "fused DSA selects its own indices");
  if (k < 1) fail("E_OPTION", "topk must be ≥ 1");
  checkAttn(attn);
  checkIndexer(ix);
  if (ix.T != attn.T || ix.L != attn.L || ix.qStart != attn.qStart)
    fail("E_SHAPE", "indexer and attention must agree on T, L and qStart");
  if (attn.L > std::numeric_limits<int32_t>::max()) fail("E_SHAPE", "L too large for int32 indices");

  *skipped = skipShort && attn.qStart + attn.T <= k;
  if (*skipped) {
    AttnArgs d = attn;
    d.causal = true;
    attention(kr, d);
    phases();
    if (indicesOut)
      for (int64_t t = 0; t < attn.T; t++)
        for (int64_t j = 0; j < k; j++) indicesOut[t * k + j] = j <= attn.qStart + t ? (int32_t)j : -1;
    return;
  }

  // Selection: indexer scores are produced in blocks of SB keys and streamed into a
  // k-heap, so no [T, L] score matrix is held (scratch O(k + SB) per work item).
  const int64_t SB = 4096;
  const int threads = attn.threads;
  const int64_t HIpad = roundUp(ix.HI, kr.width);
  const int64_t nsplit = keySplits(ix.T, ix.L, threads);
  const XformCtx x{ix.fp8, ix.hadamard};
  std::vector<int32_t> sel((size_t)(attn.T * k));
  if (blockedSelection(kr, ix)) {
    selectTopK(ix, k, threads, sel.data(), indicesOut != nullptr);  // attention needs no order
    tSelected = clk::now();
    AttnArgs sp = attn;
    sp.indices = sel.data();
    sp.topk = k;
    if (blockedSparseAttention(sp)) sparseAttentionBlocked(kr, sp, sel.data(), k);
    else attention(kr, sp);
    phases();
    if (indicesOut) std::memcpy(indicesOut, sel.data(), sizeof(int32_t) * sel.size());
    return;
  }
  std::vector<std::vector<Cand>> kept(nsplit > 1 ? (size_t)(attn.T * nsplit) : 0);
  std::vector<IndexerScratch> scratch((size_t)threads);
  parallelFor(threads, ix.T * nsplit, [&](int64_t it, int tid) {
    const int64_t t = it / nsplit, si = it % nsplit;
    IndexerScratch& sc = scratch[(size_t)tid];
    sc.init(kr, HIpad, ix.HI, ix.DI, SB);
    packIndexerQuery(ix, t, HIpad, sc);
    const int64_t valid = std::min(ix.L, ix.qStart + t + 1);
    const int64_t per = (valid + nsplit - 1) / nsplit;
    const int64_t ks = std::min(valid, si * per), ke = std::min(valid, ks + per);
    TopK keep(std::max<int64_t>(1, std::min<int64_t>(k, ke - ks)));  // never more than the range holds
    IndexerChunk c = makeIndexerChunk(ix, HIpad, sc, &x);
    for (int64_t b = ks; b < ke; b += SB) {
      c.s0 = b; c.n = std::min(SB, ke - b); c.out = sc.sbuf.p;
      kr.indexerChunk(c);
      for (int64_t j = 0; j < c.n; j++) keep.push(sc.sbuf.p[j], (int32_t)(b + j));
    }
    if (nsplit == 1) writeSorted(keep.h, k, sel.data() + t * k);
    else kept[(size_t)it] = std::move(keep.h);
  });
  if (nsplit > 1) mergeRanges(kept, attn.T, nsplit, k, sel.data());
  tSelected = clk::now();
  AttnArgs sp = attn;
  sp.indices = sel.data();
  sp.topk = k;
  attention(kr, sp);
  phases();
  if (indicesOut) std::memcpy(indicesOut, sel.data(), sizeof(int32_t) * sel.size());
}

double fmaPeak(const Kernels& kr, int threads, double seconds) {
  if (threads < 1 || threads > 1024) fail("E_OPTION", "threads must be in 1..1024");
  using clk = std::chrono::steady_clock;
  float sink = 0.f;
  // Iterations per second of one copy on one thread, calibrated (≥ 20 ms) on the first call
  // for this kernel set on this thread and on every call of ≥ 100 ms, so that short bursts
  // (the benchmark measures one right before each timed call) are not mostly calibration.
  thread_local const Kernels* calKernels = nullptr;
  thread_local double calRate = 0.0;
  if (calKernels != &kr || seconds >= 0.1) {
    int64_t n = 1 << 16;
    for (;;) {
      const auto t0 = clk::now();
      kr.fmaPeak(n, &sink);
      const double dt = std::chrono::duration<double>(clk::now() - t0).count();
      if (dt > 0.02 || n > (int64_t(1) << 40)) {
        calRate = (double)n / std::max(dt, 1e-6);
        calKernels = &kr;
        break;
      }
      n *= 4;
    }
  }
  // Then `threads` copies at once, best of 3.
  const int64_t iters = (int64_t)(calRate * seconds / 3.0) + 1;
  double best = 0.0;
  std::vector<float> sinks((size_t)threads, 0.f);
  for (int rep = 0; rep < 3; rep++) {
    // Each copy is timed on its own thread (thread start-up, tens of µs, is not the cores'
    // capacity and would bias short bursts low); the rates of the concurrent copies add up.
    std::vector<double> rate((size_t)threads, 0.0);
    parallelFor(threads, threads, [&](int64_t i, int) {
      const auto t0 = clk::now();
      const double flops = kr.fmaPeak(iters, &sinks[(size_t)i]);
      rate[(size_t)i] = flops / std::max(std::chrono::duration<double>(clk::now() - t0).count(), 1e-9);
    });
    double f = 0.0;
    for (double v : rate) f += v;
    best = std::max(best, f / 1e9);
  }
  return best;
}

}  // namespace dsa
