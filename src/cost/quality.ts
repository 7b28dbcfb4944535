/**
 * Fidelity of sparse attention as k varies: for each k, the lightning indexer's top-k
 * selection is scored against dense attention on structured inputs (synthetic.ts):
 *
 *   mass_recall = mean over (query t, head h) of Σ_{s ∈ S_t} softmax_s(scale·q[t,h]·kv[s])
 *   rel_error   = ‖o_sparse − o_dense‖_F / ‖o_dense‖_F   over all (t, h) outputs
 *   oracle_mass_recall: the same for the k keys with the most head-summed dense mass (the
 *   best any selection shared across heads can do at this k; the gap is the indexer's).
 *
 * The dense, indexer, top-k and sparse ops come from `QualityOps`: the native engine when it
 * is built, else a small TypeScript implementation (results say which).
 */
import type { SyntheticInputs } from './synthetic.js';

export interface QualityOps {
  readonly name: string;
  /** out [T, H, Dv] of causal dense MQA attention; query t sits at position qStart + t. */
  dense(x: SyntheticInputs): Float32Array | Promise<Float32Array>;
  /** Indexer scores [T, L] (causal; invalid entries are −Infinity or ignored by topk). */
  indexer(x: SyntheticInputs): Float32Array | Promise<Float32Array>;
  /** Top-k indices [T, k], −1 in unused slots, ties → lower index. */
  topk(x: SyntheticInputs, scores: Float32Array, k: number): Int32Array | Promise<Int32Array>;
  /** out [T, H, Dv] of sparse attention over `indices` [T, k]. */
  sparse(x: SyntheticInputs, indices: Int32Array, k: number): Float32Array | Promise<Float32Array>;
}

export interface QualityRow {
  k: number;
  mass_recall: number;
  rel_error: number;
  oracle_mass_recall: number;
}

export const DEFAULT_K_VALUES = [64, 128, 256, 512, 1024, 2048, 4096];

/** Dense probabilities [T, H, L] (0 beyond causal limit), computed in float64. */
export function denseProbs(x: SyntheticInputs): Float64Array {
  const { T, H, L } = x.shape;
  const D = x.D;
  const p = new Float64Array(T * H * L);
  for (let t = 0; t < T; t++) {
    const nValid = x.qStart + t + 1;
    for (let h = 0; h < H; h++) {
      const qo = (t * H + h) * D;
      const po = (t * H + h) * L;
      let mx = -Infinity;
      for (let s = 0; s < nValid; s++) {
        let acc = 0;
        const ko = s * D;
        for (let d = 0; d < D; d++) acc += x.q[qo + d]! * x.kv[ko + d]!;
        acc *= x.scale;
        p[po + s] = acc;
        if (acc > mx) mx = acc;
      }
      let sum = 0;
      for (let s = 0; s < nValid; s++) {
        const e = Math.exp(p[po + s]! - mx);
        p[po + s] = e;
        sum += e;
      }
      for (let s = 0; s < nValid; s++) p[po + s]! /= sum;
    }
  }
  return p;
}

/** Attention output [T, H, Dv] with probabilities restricted to a selection and renormalised. */
function outputFrom(x: SyntheticInputs, probs: Float64Array, select: (t: number) => Iterable<number>): Float32Array {
  const { T, H, L, dv } = x.shape;
  const out = new Float32Array(T * H * dv);
  for (let t = 0; t < T; t++) {
    const sel = [...select(t)];
    for (let h = 0; h < H; h++) {
      const po = (t * H + h) * L;
      const oo = (t * H + h) * dv;
      let z = 0;
      for (const s of sel) z += probs[po + s]!;
      if (z === 0) continue;
      for (const s of sel) {
        const wgt = probs[po + s]! / z;
        for (let d = 0; d < dv; d++) out[oo + d]! += wgt * x.kv[s * x.D + d]!;
      }
    }
  }
  return out;
}

/** Pure-TypeScript ops (used when the engine is not built; also the tests' oracle). */
export function tsQualityOps(): QualityOps {
  let cache: { x: SyntheticInputs; p: Float64Array } | undefined;
  const probs = (x: SyntheticInputs): Float64Array => {
    if (cache?.x !== x) cache = { x, p: denseProbs(x) };
    return cache.p;
  };
  return {
    name: 'typescript reference',
    dense: (x) => outputFrom(x, probs(x), (t) => range(x.qStart + t + 1)),
    indexer(x) {
      const { T, L, hi, di } = x.shape;
      const out = new Float32Array(T * L).fill(-Infinity);
      for (let t = 0; t < T; t++) {
        const nValid = x.qStart + t + 1;
        for (let s = 0; s < nValid; s++) {
          let acc = 0;
          for (let j = 0; j < hi; j++) {
            let dot = 0;
            const qo = (t * hi + j) * di;
            for (let d = 0; d < di; d++) dot += x.qI[qo + d]! * x.kI[s * di + d]!;
            if (dot > 0) acc += x.w[t * hi + j]! * dot;
          }
          out[t * L + s] = acc;
        }
      }
      return out;
    },
    topk(x, scores, k) {
      const { T, L } = x.shape;
      const out = new Int32Array(T * k).fill(-1);
      for (let t = 0; t < T; t++) {
        const nValid = x.qStart + t + 1;
        const order = range(nValid).sort((a, b) => scores[t * L + b]! - scores[t * L + a]! || a - b);
        for (let i = 0; i < Math.min(k, nValid); i++) out[t * k + i] = order[i]!;
      }
      return out;
    },
    sparse: (x, indices, k) =>
      outputFrom(x, probs(x), (t) => [...indices.subarray(t * k, (t + 1) * k)].filter((s) => s >= 0)),
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function frob(a: Float32Array, b?: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - (b ? b[i]! : 0);
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Fidelity rows for each k (ascending). */
export async function measureQuality(x: SyntheticInputs, ops: QualityOps, kValues: readonly number[] = DEFAULT_K_VALUES): Promise<QualityRow[]> {
  const { T, H, L } = x.shape;
  const p = denseProbs(x);
  const dense = await ops.dense(x);
  const scores = await ops.indexer(x);
  const denseNorm = frob(dense);
  // Head-summed dense mass per (t, s), for the oracle selection.
  const summed = new Float64Array(T * L);
  for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let s = 0; s < L; s++) summed[t * L + s]! += p[(t * H + h) * L + s]!;
  const rows: QualityRow[] = [];
  for (const k of [...kValues].sort((a, b) => a - b)) {
    const idx = await ops.topk(x, scores, k);
    const sparse = await ops.sparse(x, idx, k);
    let mass = 0;
    let oracle = 0;
    for (let t = 0; t < T; t++) {
      const sel = [...idx.subarray(t * k, (t + 1) * k)].filter((s) => s >= 0);
      for (let h = 0; h < H; h++) for (const s of sel) mass += p[(t * H + h) * L + s]!;
      const nValid = x.qStart + t + 1;
      const best = range(nValid)
        .sort((a, b) => summed[t * L + b]! - summed[t * L + a]! || a - b)
        .slice(0, k);
      for (const s of best) oracle += summed[t * L + s]!;
    }
    rows.push({ k, mass_recall: mass / (T * H), rel_error: frob(sparse, dense) / denseNorm, oracle_mass_recall: oracle / (T * H) });
  }
  return rows;
}
