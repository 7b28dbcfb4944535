/**
 * The native DSA engine: typed façade over the C++ addon (native/).
 *
 * Every call checks its arguments here first (DsabenchError E_SHAPE / E_DTYPE / E_INDEX /
 * E_OPTION), then the addon checks again, so a bad call never reaches a kernel. Calls are
 * synchronous and use `threads` intra-op threads (default 1). The addon keeps its state per
 * JS environment, so it also loads and runs inside worker_threads / piscina workers.
 */
import { callNative, loadAddon } from './native.js';
import { checkAttention, checkBool, checkDim, checkIndexerArgs, checkIndices, checkThreads, checkTopkArgs } from './validate.js';
import type {
  AttentionArgs, AttentionResult, CacheTensor, DenseAttentionArgs, DsaArgs, DsaResult, EngineInfo,
  IndexerArgs, SimdPath, SparseAttentionArgs, TopkOptions,
} from './types.js';
import { DsabenchError } from '../errors.js';

export * from './types.js';
export { toBf16, bf16ToF32, cacheToF32 } from './bf16.js';
export * as reference from './reference.js';
export { readSafetensors, writeSafetensors, readSafetensorsFile, writeSafetensorsFile } from './safetensors.js';
export type { StTensor, StDtype, SafetensorsFile } from './safetensors.js';

/** Native tensor fields: `name` plus `nameDtype` ('f32' | 'bf16'). */
function cacheFields(name: string, t: CacheTensor): Record<string, unknown> {
  return t instanceof Float32Array ? { [name]: t, [`${name}Dtype`]: 'f32' } : { [name]: t.data, [`${name}Dtype`]: 'bf16' };
}

function nativeAttention(a: AttentionArgs, needQStart: boolean, causal?: boolean): Record<string, unknown> {
  const c = checkAttention(a, needQStart);
  const kvFields = c.mqa
    ? cacheFields('kv', a.kv as CacheTensor)
    : { ...cacheFields('k', a.k as CacheTensor), ...cacheFields('v', a.v as CacheTensor), Hkv: c.Hkv };
  return {
    q: a.q, T: c.T, H: c.H, L: c.L, Dqk: c.Dqk, Dv: c.Dv, mqa: c.mqa, ...kvFields,
    qStart: needQStart ? c.qStart : 0, scale: c.scale, threads: c.threads, causal: causal ?? true,
    ...(a.out ? { out: a.out } : {}), ...(a.lse ? { lse: a.lse } : {}),
  };
}

/** Build flags and the SIMD path in use (per JS environment). */
export function engineInfo(): EngineInfo {
  return callNative((n) => n.buildInfo());
}

/** True when the addon is built and loads. */
export function engineAvailable(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}

/** Selects the kernel set for this JS environment ('auto' = widest supported); E_OPTION if unsupported. */
export function setSimd(path: SimdPath | 'auto'): SimdPath {
  if (typeof path !== 'string') throw new DsabenchError('E_OPTION', 'simd path must be a string', { field: 'simd' });
  return callNative((n) => n.setSimd(path));
}

/** Dense causal attention (MHA/GQA/MQA or MLA-MQA), online softmax; out [T,H,Dv], lse [T,H]. */
export function denseAttention(args: DenseAttentionArgs): AttentionResult {
  const causal = checkBool(args.causal, 'causal');
  const o = nativeAttention(args, true, causal);
  return callNative((n) => n.attention(o));
}

/** Attention over given cache positions [T, topk] (-1 ignored; a query with none → out 0, lse -inf). */
export function sparseAttention(args: SparseAttentionArgs): AttentionResult {
  const o = nativeAttention(args, false);
  const { indices, topk } = checkIndices(args.indices, o.T as number, args.topk, o.L as number);
  return callNative((n) => n.attention({ ...o, indices, topk }));
}

/** Lightning indexer scores [T, L]: Σ_j w[t,j]·ReLU(q[t,j]·k[s]); -Infinity where s > qStart + t. */
export function lightningIndexer(args: IndexerArgs): Float32Array {
  const c = checkIndexerArgs(args);
  return callNative((n) =>
    n.indexer({
      q: args.q, w: args.w, ...cacheFields('k', args.k), T: c.T, L: c.L, heads: c.heads, dim: c.dim,
      qStart: c.qStart, fp8: c.fp8, hadamard: c.hadamard, threads: c.threads, ...(args.scores ? { scores: args.scores } : {}),
    }),
  );
}

/**
 * Top-k positions per query [T, k], best first (higher score; ties → lower position).
 * -Infinity and NaN scores are never selected; unused slots are -1.
 */
export function topk(scores: Float32Array, T: number, L: number, k: number, opts: TopkOptions = {}): Int32Array {
  const c = checkTopkArgs(scores, T, L, k);
  const threads = checkThreads(opts.threads);
  return callNative((n) => n.topk({ scores, T: c.T, L: c.L, k: c.k, threads }));
}

/** Fused DSA: indexer + top-k + sparse attention (dense when every query has ≤ topk keys and the switch is on). */
export function dsaAttention(args: DsaArgs): DsaResult {
  const o = nativeAttention(args, true);
  if (typeof args.indexer !== 'object' || args.indexer === null)
    throw new DsabenchError('E_OPTION', 'indexer inputs are required', { field: 'indexer' });
  const ix = args.indexer;
  const c = checkIndexerArgs({ ...ix, T: o.T as number, L: o.L as number, qStart: o.qStart as number });
  if (typeof args.topk !== 'number' || !Number.isInteger(args.topk) || args.topk < 1)
    throw new DsabenchError('E_OPTION', `topk must be an integer ≥ 1, got ${String(args.topk)}`, { field: 'topk' });
  const skip = checkBool(args.skipIndexerWhenShort, 'skipIndexerWhenShort') ?? true;
  const want = checkBool(args.returnIndices, 'returnIndices') ?? false;
  const timePhases = checkBool(args.timePhases, 'timePhases') ?? false;
  const indexer = {
    q: ix.q, w: ix.w, ...cacheFields('k', ix.k), T: c.T, L: c.L, heads: c.heads, dim: c.dim,
    qStart: c.qStart, fp8: c.fp8, hadamard: c.hadamard,
  };
  const r = callNative((n) => n.dsa({ attention: o, indexer, topk: args.topk, skipIndexerWhenShort: skip, returnIndices: want, timePhases }));
  const res: DsaResult = { out: r.out, lse: r.lse, skippedIndexer: r.skippedIndexer };
  if (want) res.indices = r.indices;
  if (r.phases) res.phases = { selectMs: r.phases.selectMs, attentionMs: r.phases.attentionMs };
  return res;
}

/**
 * FMA-bound micro-kernel: the machine's fp32 peak in GFLOP/s for `threads` threads (current
 * SIMD path). bf16Dot: the bf16 dot-product peak instead (vdpbf16ps, 2 flops per
 * multiply-add; only on a kernel set listed in EngineInfo.bf16Dot, else E_OPTION).
 */
export function fmaPeak(opts: { threads?: number; ms?: number; bf16Dot?: boolean } = {}): number {
  const threads = checkThreads(opts.threads);
  const ms = opts.ms === undefined ? 300 : checkDim(opts.ms, 'ms', 60000);
  const bf16Dot = checkBool(opts.bf16Dot, 'bf16Dot') ?? false;
  return callNative((n) => n.fmaPeak({ threads, ms, bf16Dot }));
}

/** Applies the engine's own Hadamard / FP8-E4M3 simulation to rows [rows, dim] (returns a copy). */
export function simulateQuant(x: Float32Array, rows: number, dim: number, opts: { fp8?: boolean; hadamard?: boolean }): Float32Array {
  return callNative((n) => n.transform({ x, rows, dim, fp8: opts.fp8 ?? false, hadamard: opts.hadamard ?? false }));
}

/** FLOPs of one call, for GFLOP/s figures: dense/sparse attention and the indexer. */
export const flops = {
  attention(rows: number, keysPerRow: number, Dqk: number, Dv: number): number {
    return 2 * rows * keysPerRow * (Dqk + Dv);
  },
  indexer(T: number, keys: number, heads: number, dim: number): number {
    return 2 * T * keys * heads * dim;
  },
};
