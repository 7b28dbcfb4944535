/**
 * Adapter from the native engine (src/engine) to the cost study's seams: an AttentionTimer
 * that times dense attention and fused DSA per position, and QualityOps for fidelity vs k.
 *
 * Timing inputs: tensors filled with a seeded PRNG in [−1, 1) (the kernels' cost does not
 * depend on the values; the indexer's top-k sees distinct scores). The caches (kv or k/v, and
 * the indexer keys) are stored in the engine's fastest correct form by default: bf16 on a
 * kernel set with bf16 dot products (both dense and DSA then run on them), else fp32; the
 * timer's name says which. Buffers are allocated once for the largest position and sliced
 * per call, so a curve allocates its 128K cache only once:
 *   MLA (MQA form): q [C, H, Dqk], kv [L, Dqk]        (V3.2 at 128K: kv = 302 MB)
 *   MHA/GQA:        q [C, H, Dqk], k, v [L, Hkv, D]
 *   indexer:        q_I [C, H_I, D_I], k_I [L, D_I], w [C, H_I]
 * A call's queries sit at positions p−C … p−1 (qStart = p − C), so the last sees p keys.
 * Given a model's own inputs (useInputs, MQA form), calls up to their length slice those
 * instead.
 */
import * as engine from '../engine/index.js';
import { mulberry32 } from '../util/stats.js';
import { attentionShape, type ModelProfile } from './profiles.js';
import type { QualityOps } from './quality.js';
import type { SyntheticInputs } from './synthetic.js';
import { median } from '../util/stats.js';
import { selectionShare, timeCalls, timeRepeats, type AttentionTimer, type MeasureRequest, type Measurement, type TimingInputs } from './timer.js';

function fill(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  const r = mulberry32(seed);
  for (let i = 0; i < n; i++) a[i] = 2 * r() - 1;
  return a;
}

/** The same values as fill(n, seed), stored as bf16 (filled in slices: no full fp32 copy). */
function fillCache(n: number, seed: number, dtype: CacheDtype): engine.CacheTensor {
  if (dtype === 'f32') return fill(n, seed);
  const data = new Uint16Array(n);
  const r = mulberry32(seed);
  const slice = new Float32Array(1 << 16);
  for (let i = 0; i < n; i += slice.length) {
    const m = Math.min(slice.length, n - i);
    for (let j = 0; j < m; j++) slice[j] = 2 * r() - 1;
    data.set(engine.toBf16(slice.subarray(0, m)).data, i);
  }
  return { dtype: 'bf16', data };
}

function sliceCache(t: engine.CacheTensor, n: number): engine.CacheTensor {
  return t instanceof Float32Array ? t.subarray(0, n) : { dtype: 'bf16', data: t.data.subarray(0, n) };
}

/** How the timed caches are stored: 'auto' = bf16 where the kernel set has bf16 dot products. */
export type CacheDtype = 'f32' | 'bf16';

/** The cache dtype the cost study times by default: the engine's fastest correct path. */
export function defaultCacheDtype(): CacheDtype {
  const info = engine.engineInfo();
  return info.bf16Dot.includes(info.simd) ? 'bf16' : 'f32';
}

interface Buffers {
  profile: ModelProfile;
  maxL: number;
  maxC: number;
  q: Float32Array;
  kv?: engine.CacheTensor;
  k?: engine.CacheTensor;
  v?: engine.CacheTensor;
  qI: Float32Array;
  kI: engine.CacheTensor;
  w: Float32Array;
}

/** What the cost study gets from the engine (engine-timer.ts loads this module lazily). */
export interface LoadedEngine {
  timer?: AttentionTimer;
  ops?: QualityOps;
  /** Why the engine is unavailable (when timer is undefined). */
  reason?: string;
}

/** Real inputs with their caches in the timed dtype (converted once). */
interface RealInputs {
  x: TimingInputs;
  kv: engine.CacheTensor;
  kI: engine.CacheTensor;
}

export class EngineTimer implements AttentionTimer {
  readonly name: string;
  readonly cache: CacheDtype;
  private buf: Buffers | undefined;
  private real: RealInputs | undefined;

  constructor(cache: CacheDtype = defaultCacheDtype()) {
    const info = engine.engineInfo();
    this.cache = cache;
    const how = cache === 'f32' ? 'fp32 caches' : info.bf16Dot.includes(info.simd) ? 'bf16 caches on bf16 dot products' : 'bf16 caches widened to fp32';
    this.name = `native engine ${info.version} (${info.simd}; ${how})`;
  }

  private buffers(p: ModelProfile, L: number, C: number): Buffers {
    const b = this.buf;
    if (b && b.profile === p && b.maxL >= L && b.maxC >= C) return b;
    this.buf = undefined; // drop the old buffers before allocating the new ones
    const s = attentionShape(p);
    const maxL = Math.max(L, b?.profile === p ? b.maxL : 0);
    const maxC = Math.max(C, b?.profile === p ? b.maxC : 0);
    const nb: Buffers = {
      profile: p,
      maxL,
      maxC,
      q: fill(maxC * s.heads * s.dqk, 1),
      qI: fill(maxC * p.indexer.heads * p.indexer.dim, 2),
      kI: fillCache(maxL * p.indexer.dim, 3, this.cache),
      w: fill(maxC * p.indexer.heads, 4),
    };
    if (s.form === 'mqa-mla') nb.kv = fillCache(maxL * s.dqk, 5, this.cache);
    else {
      nb.k = fillCache(maxL * s.kvHeads * s.dqk, 6, this.cache);
      nb.v = fillCache(maxL * s.kvHeads * s.dv, 7, this.cache);
    }
    this.buf = nb;
    return nb;
  }

  useInputs(x: TimingInputs | undefined): void {
    if (!x) {
      this.real = undefined;
      return;
    }
    if (attentionShape(x.profile).form !== 'mqa-mla') throw new Error('real timing inputs are in MQA form: an MLA profile is needed');
    const cache = (a: Float32Array): engine.CacheTensor => (this.cache === 'f32' ? a : engine.toBf16(a));
    this.real = { x, kv: cache(x.kv), kI: cache(x.kI) };
  }

  /** The call's tensors: slices of the real inputs where they reach, else of random buffers. */
  private tensors(p: ModelProfile, L: number, C: number) {
    const s = attentionShape(p);
    const hi = p.indexer.heads, di = p.indexer.dim;
    const real = this.real && this.real.x.profile === p && L <= this.real.x.length ? this.real : undefined;
    if (real) {
      const x = real.x, q0 = L - C;
      return {
        q: x.q.subarray(q0 * s.heads * s.dqk, L * s.heads * s.dqk),
        kvArgs: { kv: sliceCache(real.kv, L * s.dqk) },
        qI: x.qI.subarray(q0 * hi * di, L * hi * di),
        kI: sliceCache(real.kI, L * di),
        w: x.w.subarray(q0 * hi, L * hi),
      };
    }
    const b = this.buffers(p, L, C);
    return {
      q: b.q.subarray(0, C * s.heads * s.dqk),
      kvArgs:
        s.form === 'mqa-mla'
          ? { kv: sliceCache(b.kv!, L * s.dqk) }
          : { k: sliceCache(b.k!, L * s.kvHeads * s.dqk), v: sliceCache(b.v!, L * s.kvHeads * s.dv), Hkv: s.kvHeads },
      qI: b.qI.subarray(0, C * hi * di),
      kI: sliceCache(b.kI, L * di),
      w: b.w.subarray(0, C * hi),
    };
  }

  async measure(r: MeasureRequest): Promise<Measurement> {
    const p = r.profile;
    const s = attentionShape(p);
    const L = r.position;
    const C = r.mode === 'decode' ? 1 : Math.min(r.chunk, L);
    const t = this.tensors(p, L, C);
    const common = {
      q: t.q,
      T: C,
      H: s.heads,
      L,
      Dqk: s.dqk,
      Dv: s.dv,
      qStart: L - C,
      threads: r.threads,
    };
    const kvArgs = t.kvArgs;
    const ix = {
      q: t.qI,
      k: t.kI,
      w: t.w,
      heads: p.indexer.heads,
      dim: p.indexer.dim,
    };
    const k = p.indexer.topk;
    if (r.attention === 'dense') {
      const perToken = timeRepeats(() => engine.denseAttention({ ...common, ...kvArgs }), r.repeats).map((x) => x / C);
      return { ms_median: median(perToken), ms_all: perToken };
    }
    // The share comes from the same calls as the time: the op times its selection phase
    // (indexer + top-k as fused, not a separate indexer and top-k pass) inside each call.
    const calls = timeCalls(
      () => engine.dsaAttention({ ...common, ...kvArgs, indexer: ix, topk: k, skipIndexerWhenShort: true, timePhases: true }).phases,
      r.repeats,
    );
    const phased = calls.map((c) => ({ wall_ms: c.ms, select_ms: c.value?.selectMs ?? NaN }));
    const perToken = calls.map((c) => c.ms / C);
    const m: Measurement = { ms_median: median(perToken), ms_all: perToken };
    // An addon without phase timing leaves the share unmeasured rather than guessed.
    if (phased.every((c) => Number.isFinite(c.select_ms))) {
      m.indexer_share = selectionShare(phased);
      m.selection_ms_median = median(phased.map((c) => c.select_ms)) / C;
    }
    return m;
  }

  close(): void {
    this.buf = undefined;
    this.real = undefined;
  }
}

/** Fidelity ops on the engine: dense, indexer, top-k and sparse attention in MQA mode. */
export function engineQualityOps(threads = 1): QualityOps {
  const attn = (x: SyntheticInputs) => ({
    q: x.q,
    kv: x.kv,
    T: x.shape.T,
    H: x.shape.H,
    L: x.shape.L,
    Dqk: x.D,
    Dv: x.shape.dv,
    scale: x.scale,
    threads,
  });
  return {
    name: `native engine ${engine.engineInfo().version} (${engine.engineInfo().simd})`,
    dense: (x) => engine.denseAttention({ ...attn(x), qStart: x.qStart }).out,
    indexer: (x) =>
      engine.lightningIndexer({ q: x.qI, k: x.kI, w: x.w, T: x.shape.T, L: x.shape.L, heads: x.shape.hi, dim: x.shape.di, qStart: x.qStart, threads }),
    topk: (x, scores, k) => engine.topk(scores, x.shape.T, x.shape.L, k, { threads }),
    sparse: (x, indices, k) => engine.sparseAttention({ ...attn(x), indices, topk: k }).out,
  };
}

export async function createEngineParts(threads = 1, cache?: CacheDtype): Promise<LoadedEngine> {
  if (!engine.engineAvailable()) {
    // engineInfo throws the engine's own "not built" error with the fix.
    engine.engineInfo();
  }
  return { timer: new EngineTimer(cache ?? defaultCacheDtype()), ops: engineQualityOps(threads) };
}
