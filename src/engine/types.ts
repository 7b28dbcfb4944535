/**
 * Public argument and result types of the native DSA engine.
 *
 * Shapes are row-major and given by explicit dimension fields:
 *   q [T, H, Dqk] (fp32)
 *   MHA: k [L, Hkv, Dqk], v [L, Hkv, Dv]   (Hkv divides H; head h reads kv head h / (H/Hkv))
 *   MQA (MLA): kv [L, Dqk], the value is the first Dv dims of each kv row (Dv ≤ Dqk)
 *   out [T, H, Dv], lse [T, H]
 *   indexer: q [T, heads, dim], k [L, dim], w [T, heads] → scores [T, L]
 *   top-k: scores [T, L] → indices [T, k]
 * Queries sit at cache positions qStart..qStart+T-1 (default qStart = L - T).
 */

/** bf16 storage: the upper 16 bits of each fp32 value, tagged so it is never mistaken for data. */
export interface Bf16Tensor {
  readonly dtype: 'bf16';
  readonly data: Uint16Array;
}

/**
 * A cache tensor (kv, k, v, indexer keys): fp32, or bf16 storage (accumulated in fp32; on a
 * kernel set listed in EngineInfo.bf16Dot, multiplied with bf16 dot products).
 */
export type CacheTensor = Float32Array | Bf16Tensor;

/**
 * A kernel set's name, as the addon's table lists it (`engineInfo().kernelSets`, widest
 * first; on x86: avx512-bf16, avx512, avx2, scalar). Unknown names are refused by setSimd.
 */
export type SimdPath = string;

export interface EngineInfo {
  version: string;
  /** Kernel set used by this thread's engine instance. */
  simd: SimdPath;
  /** Widest kernel set the CPU supports. */
  best: SimdPath;
  /** The kernel sets this CPU runs, widest first. */
  available: SimdPath[];
  /** Every kernel set the addon was built with, widest first. */
  kernelSets: SimdPath[];
  /**
   * The kernel sets that run bf16 caches on bf16 dot products (queries and softmax
   * probabilities rounded to bf16, fp32 accumulation; error bounds: reference.attentionBf16Bounds,
   * reference.indexerBf16Bound). The others widen a bf16 cache to fp32 exactly.
   */
  bf16Dot: SimdPath[];
  compiler: string;
  /** Each kernel set's compile target (`base`: the flags of everything else; no -march=native). */
  flags: Record<string, string>;
  blockKeys: number;
}

interface AttentionCommon {
  q: Float32Array;
  T: number;
  H: number;
  L: number;
  Dqk: number;
  Dv: number;
  /** Position of the first query in the cache (default L - T). */
  qStart?: number;
  /** Softmax scale (default Dqk^-0.5). */
  scale?: number;
  /** Intra-op threads (default 1). */
  threads?: number;
  /**
   * Buffers to write the results into (out [T, H, Dv], lse [T, H]); the result then holds
   * these same arrays. A decode loop can reuse them instead of getting new arrays each call
   * (fresh arrays are fresh pages: 0.75–1.0 ms of page faults per call for the 256 KB output
   * of a 128-head decode, measured on a 2-vCPU VM, a third of a 2K-key sparse call). They
   * must not overlap the inputs.
   */
  out?: Float32Array;
  lse?: Float32Array;
}

export interface MqaKv {
  /** Shared latent cache [L, Dqk]; value = first Dv dims. */
  kv: CacheTensor;
  k?: undefined;
  v?: undefined;
  Hkv?: undefined;
}

export interface MhaKv {
  k: CacheTensor;
  v: CacheTensor;
  Hkv: number;
  kv?: undefined;
}

export type AttentionArgs = AttentionCommon & (MqaKv | MhaKv);

export type DenseAttentionArgs = AttentionArgs & {
  /** Causal mask s ≤ qStart + t (default true). */
  causal?: boolean;
};

export type SparseAttentionArgs = AttentionArgs & {
  /** [T, topk] cache positions; -1 slots are ignored. Not causally masked: indices are used as given. */
  indices: Int32Array;
  topk: number;
};

export interface AttentionResult {
  out: Float32Array;
  /** log Σ exp(scale·q·k) per (t, h); -Infinity for a query with no valid key (its out row is 0). */
  lse: Float32Array;
}

export interface IndexerArgs {
  q: Float32Array;
  k: CacheTensor;
  w: Float32Array;
  T: number;
  L: number;
  heads: number;
  dim: number;
  qStart?: number;
  /** Simulate FP8-E4M3 storage of q and k (per-128 block power-of-two scales). */
  fp8?: boolean;
  /** Orthonormal Hadamard rotation of q and k before quantizing (dim must be a power of two). */
  hadamard?: boolean;
  threads?: number;
  /** Buffer to write the scores [T, L] into (returned as the result; must not overlap the inputs). */
  scores?: Float32Array;
}

export interface TopkOptions {
  threads?: number;
}

/** The indexer part of a fused DSA call (T, L, qStart come from the attention part). */
export interface DsaIndexerInput {
  q: Float32Array;
  k: CacheTensor;
  w: Float32Array;
  heads: number;
  dim: number;
  fp8?: boolean;
  hadamard?: boolean;
}

export type DsaArgs = AttentionArgs & {
  indexer: DsaIndexerInput;
  topk: number;
  /** When every query has ≤ topk valid keys, run dense attention instead (default true). */
  skipIndexerWhenShort?: boolean;
  /** Also return the selected positions [T, topk] (best first; ascending 0.. when skipped). */
  returnIndices?: boolean;
  /** Also return the wall time of the call's phases (`phases`), read inside the call. */
  timePhases?: boolean;
};

/** Wall milliseconds of the two phases of one fused DSA call, timed inside the native op. */
export interface DsaPhases {
  /** Indexer scores and top-k selection (0 when the indexer was skipped). */
  selectMs: number;
  /** Attention over the selected keys (dense attention when the indexer was skipped). */
  attentionMs: number;
}

export interface DsaResult extends AttentionResult {
  indices?: Int32Array;
  skippedIndexer: boolean;
  phases?: DsaPhases;
}
