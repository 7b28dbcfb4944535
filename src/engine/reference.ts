/**
 * Pure-TypeScript reference of every engine op: the test oracle. Straight loops in float64
 * over the fp32 (or bf16-widened) inputs; no blocking, no online softmax. The FP8 and
 * Hadamard simulations round every step to fp32 exactly as the C++ does (Math.fround), so
 * quantized selections can be compared bit for bit.
 */
import { cacheToF32 } from './bf16.js';
import type { AttentionResult, CacheTensor, DsaArgs, IndexerArgs } from './types.js';

export interface RefAttentionArgs {
  q: Float32Array;
  T: number; H: number; L: number; Dqk: number; Dv: number;
  kv?: CacheTensor; k?: CacheTensor; v?: CacheTensor; Hkv?: number;
  qStart?: number; scale?: number; causal?: boolean;
  indices?: Int32Array; topk?: number;
  /**
   * Round each scaled query element to bf16 first, as the bf16 dot-product path does
   * (bf16(fp32(q·scale)), round to nearest even); the rest stays exact.
   */
  bf16Queries?: boolean;
}

const f32Box = new Float32Array(1);
const u32Box = new Uint32Array(f32Box.buffer);
/**
 * x (an fp32 value) rounded to bf16 as the native path's conversion does: nearest even,
 * denormals flushed to ±0 (vcvtneps2bf16).
 */
function bf16Round(x: number): number {
  f32Box[0] = x;
  const b = u32Box[0]!;
  if ((b & 0x7f800000) === 0x7f800000) return x;
  if ((b & 0x7f800000) === 0) return b & 0x80000000 ? -0 : 0;
  u32Box[0] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) << 16;
  return f32Box[0]!;
}

/** Dense (causal or not) or sparse attention; out [T,H,Dv], lse [T,H]. */
export function attention(a: RefAttentionArgs): AttentionResult {
  const { T, H, L, Dqk, Dv } = a;
  const mqa = a.kv !== undefined;
  const Hkv = mqa ? 1 : a.Hkv ?? 1;
  const G = H / Hkv;
  const K = cacheToF32(mqa ? a.kv! : a.k!);
  const V = mqa ? K : cacheToF32(a.v!);
  const qStart = a.qStart ?? L - T;
  const scale = a.scale ?? 1 / Math.sqrt(Dqk);
  const causal = a.causal ?? true;
  const out = new Float32Array(T * H * Dv);
  const lse = new Float32Array(T * H);
  const keyRow = (s: number, g: number) => (mqa ? s * Dqk : (s * Hkv + g) * Dqk);
  const valRow = (s: number, g: number) => (mqa ? s * Dqk : (s * Hkv + g) * Dv);
  for (let t = 0; t < T; t++) {
    let keys: number[];
    if (a.indices) {
      keys = [];
      for (let j = 0; j < a.topk!; j++) {
        const s = a.indices[t * a.topk! + j]!;
        if (s >= 0) keys.push(s);
      }
    } else {
      const n = causal ? Math.min(L, qStart + t + 1) : L;
      keys = Array.from({ length: n }, (_, i) => i);
    }
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / G);
      const qo = (t * H + h) * Dqk;
      if (keys.length === 0) {
        lse[t * H + h] = -Infinity;
        continue;
      }
      const logits = keys.map((s) => {
        const ko = keyRow(s, g);
        let d = 0;
        if (a.bf16Queries) {
          for (let i = 0; i < Dqk; i++) d += bf16Round(Math.fround(a.q[qo + i]! * scale)) * K[ko + i]!;
          return d;
        }
        for (let i = 0; i < Dqk; i++) d += a.q[qo + i]! * K[ko + i]!;
        return d * scale;
      });
      const m = Math.max(...logits);
      let l = 0;
      const p = logits.map((x) => {
        const e = Math.exp(x - m);
        l += e;
        return e;
      });
      const oo = (t * H + h) * Dv;
      for (let j = 0; j < keys.length; j++) {
        const vo = valRow(keys[j]!, g);
        for (let c = 0; c < Dv; c++) out[oo + c] += (p[j]! / l) * V[vo + c]!;
      }
      lse[t * H + h] = m + Math.log(l);
    }
  }
  return { out, lse };
}

// ---- error bounds of the bf16 dot-product path --------------------------------------------
/** Unit roundoff of bf16 (8 significant bits, round to nearest even): 2⁻⁸. */
export const BF16_U = 2 ** -8;

/** The keys of query t (dense: causal prefix, sparse: its valid indices). */
function rowKeys(a: RefAttentionArgs, t: number): number[] {
  if (a.indices) {
    const keys: number[] = [];
    for (let j = 0; j < a.topk!; j++) if (a.indices[t * a.topk! + j]! >= 0) keys.push(a.indices[t * a.topk! + j]!);
    return keys;
  }
  const n = (a.causal ?? true) ? Math.min(a.L, (a.qStart ?? a.L - a.T) + t + 1) : a.L;
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * How far the bf16 dot-product path (EngineInfo.bf16Dot; a bf16 cache) may be from
 * `attention()` on the same cache, per (t, h) row [T·H], to first order in the roundoff.
 * That path rounds the scaled query to bf16 (relative error ≤ u = 2⁻⁸ per element; the cache
 * is bf16 already, and a product of two bf16 is exact in fp32) and each softmax probability
 * to bf16 (≤ u), and accumulates in fp32. So a score moves by at most
 *   Δ = u · |scale| · max_j Σ_d |q_d · k_j,d|,
 * every probability of the softmax by a factor within e^{±2Δ}, and then
 *   |Δout| ≤ max_j ‖v_j‖∞ · (e^{2Δ} − 1 + u),   |Δlse| ≤ Δ.
 * Against `attention({ ...a, bf16Queries: true })` only the probabilities' rounding remains:
 *   |Δout| ≤ u · max_j ‖v_j‖∞ (`outSameQueries`), and lse equal up to fp32 accumulation.
 * fp32 accumulation adds ~1e-6 relative on top, which callers allow as slack.
 */
export function attentionBf16Bounds(a: RefAttentionArgs): { out: Float64Array; lse: Float64Array; outSameQueries: Float64Array } {
  const { T, H, Dqk, Dv } = a;
  const mqa = a.kv !== undefined;
  const Hkv = mqa ? 1 : a.Hkv ?? 1;
  const G = H / Hkv;
  const K = cacheToF32(mqa ? a.kv! : a.k!);
  const V = mqa ? K : cacheToF32(a.v!);
  const scale = Math.abs(a.scale ?? 1 / Math.sqrt(Dqk));
  const out = new Float64Array(T * H), lse = new Float64Array(T * H), outSameQueries = new Float64Array(T * H);
  for (let t = 0; t < T; t++) {
    const keys = rowKeys(a, t);
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / G), qo = (t * H + h) * Dqk;
      let dot = 0, vmax = 0;
      for (const s of keys) {
        const ko = mqa ? s * Dqk : (s * Hkv + g) * Dqk, vo = mqa ? s * Dqk : (s * Hkv + g) * Dv;
        let d = 0;
        for (let i = 0; i < Dqk; i++) d += Math.abs(a.q[qo + i]! * K[ko + i]!);
        dot = Math.max(dot, d);
        for (let c = 0; c < Dv; c++) vmax = Math.max(vmax, Math.abs(V[vo + c]!));
      }
      const delta = BF16_U * scale * dot;
      lse[t * H + h] = delta;
      out[t * H + h] = vmax * (Math.expm1(2 * delta) + BF16_U);
      outSameQueries[t * H + h] = vmax * BF16_U;
    }
  }
  return { out, lse, outSameQueries };
}

/**
 * How far the bf16 dot-product indexer (bf16 keys; the query rounded to bf16, weights and
 * sums fp32) may be from `indexer()` on the same keys, per score [T·L]: ReLU is 1-Lipschitz, so
 *   |Δscore[t][s]| ≤ u · Σ_h |w_h| · Σ_d |q_h,d · k_s,d|   (0 where masked).
 */
export function indexerBf16Bound(a: IndexerArgs): Float64Array {
  const { T, L, heads, dim } = a;
  const qStart = a.qStart ?? L - T;
  const k = cacheToF32(a.k);
  const out = new Float64Array(T * L);
  for (let t = 0; t < T; t++)
    for (let s = 0; s < Math.min(L, qStart + t + 1); s++) {
      let b = 0;
      for (let j = 0; j < heads; j++) {
        let d = 0;
        const qo = (t * heads + j) * dim;
        for (let i = 0; i < dim; i++) d += Math.abs(a.q[qo + i]! * k[s * dim + i]!);
        b += Math.abs(a.w[t * heads + j]!) * d;
      }
      out[t * L + s] = BF16_U * b;
    }
  return out;
}

// ---- FP8-E4M3 and Hadamard, step for step as native/src/quant.cc ------------------------
const fr = Math.fround;

/** floor(log2(a)) for a finite a > 0, exact. */
function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function e4m3Round(y: number): number {
  if (Number.isNaN(y)) return y;
  const a = Math.abs(y);
  if (a >= 448) return Math.sign(y) * 448;
  if (a === 0) return y;
  const E = Math.max(floorLog2(a), -6);
  const q = 2 ** (E - 3);
  const r = Math.min(roundHalfEven(a / q) * q, 448);
  return y < 0 ? -r : r;
}

/** In place: per row, blocks of 128, scale = amax/448 rounded up to a power of two (amax ≥ 1e-4). */
export function fp8Rows(x: Float32Array, rows: number, dim: number): void {
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    for (let b = 0; b < dim; b += 128) {
      const e = Math.min(dim, b + 128);
      let amax = 0;
      for (let j = b; j < e; j++) amax = Math.max(amax, Math.abs(x[o + j]!));
      amax = Math.max(amax, fr(1e-4));
      const s = fr(amax / 448);
      const p = floorLog2(s);
      const scale = 2 ** p === s ? s : 2 ** (p + 1);
      for (let j = b; j < e; j++) x[o + j] = fr(e4m3Round(x[o + j]! / scale) * scale);
    }
  }
}

/** In place: orthonormal fast Walsh–Hadamard transform of each row (dim a power of two). */
export function hadamardRows(x: Float32Array, rows: number, dim: number): void {
  const s = fr(1 / Math.sqrt(dim));
  for (let i = 0; i < rows; i++) {
    const o = i * dim;
    for (let len = 1; len < dim; len <<= 1)
      for (let b = 0; b < dim; b += 2 * len)
        for (let j = b; j < b + len; j++) {
          const p = x[o + j]!, q = x[o + j + len]!;
          x[o + j] = fr(p + q);
          x[o + j + len] = fr(p - q);
        }
    for (let j = 0; j < dim; j++) x[o + j] = fr(x[o + j]! * s);
  }
}

/**
 * Indexer scores [T, L] (float64 sums of the fp32 / simulated-fp8 inputs); -Infinity when
 * masked. bf16Queries: the query rounded to bf16 first, as the bf16 dot-product path does.
 */
export function indexer(a: IndexerArgs, opts: { bf16Queries?: boolean } = {}): Float32Array {
  const { T, L, heads, dim } = a;
  const qStart = a.qStart ?? L - T;
  const q = Float32Array.from(a.q);
  const k = Float32Array.from(cacheToF32(a.k));
  if (a.hadamard) {
    hadamardRows(q, T * heads, dim);
    hadamardRows(k, L, dim);
  }
  if (a.fp8) {
    fp8Rows(q, T * heads, dim);
    fp8Rows(k, L, dim);
  }
  if (opts.bf16Queries) for (let i = 0; i < q.length; i++) q[i] = bf16Round(q[i]!);
  const out = new Float32Array(T * L).fill(-Infinity);
  for (let t = 0; t < T; t++) {
    const n = Math.min(L, qStart + t + 1);
    for (let s = 0; s < n; s++) {
      let acc = 0;
      for (let j = 0; j < heads; j++) {
        let d = 0;
        const qo = (t * heads + j) * dim;
        for (let i = 0; i < dim; i++) d += q[qo + i]! * k[s * dim + i]!;
        acc += a.w[t * heads + j]! * Math.max(d, 0);
      }
      out[t * L + s] = acc;
    }
  }
  return out;
}

/** Top-k [T, k]: best first (score desc, ties → lower position), -Infinity/NaN never selected, -1 padding. */
export function topk(scores: Float32Array, T: number, L: number, k: number): Int32Array {
  const out = new Int32Array(T * k).fill(-1);
  for (let t = 0; t < T; t++) {
    const valid: number[] = [];
    for (let s = 0; s < L; s++) if (scores[t * L + s]! > -Infinity) valid.push(s);
    valid.sort((x, y) => scores[t * L + y]! - scores[t * L + x]! || x - y);
    for (let j = 0; j < Math.min(k, valid.length); j++) out[t * k + j] = valid[j]!;
  }
  return out;
}

/** Fused DSA by composition of the reference ops. */
export function dsa(a: DsaArgs): AttentionResult & { indices: Int32Array; skippedIndexer: boolean } {
  const qStart = a.qStart ?? a.L - a.T;
  const skip = (a.skipIndexerWhenShort ?? true) && qStart + a.T <= a.topk;
  const base: RefAttentionArgs = {
    q: a.q, T: a.T, H: a.H, L: a.L, Dqk: a.Dqk, Dv: a.Dv, kv: a.kv, k: a.k, v: a.v, Hkv: a.Hkv, qStart, scale: a.scale,
  };
  if (skip) {
    const indices = new Int32Array(a.T * a.topk).fill(-1);
    for (let t = 0; t < a.T; t++) for (let j = 0; j <= qStart + t && j < a.topk; j++) indices[t * a.topk + j] = j;
    return { ...attention(base), indices, skippedIndexer: true };
  }
  const scores = indexer({ ...a.indexer, T: a.T, L: a.L, qStart });
  const indices = topk(scores, a.T, a.L, a.topk);
  return { ...attention({ ...base, indices, topk: a.topk }), indices, skippedIndexer: false };
}
