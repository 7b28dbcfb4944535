/**
 * Typed surface of the built-in model inside the native addon (native/src/model/*).
 *
 * Parameters live in ONE flat Float32Array owned by JS; `modelLayout` says where each
 * named tensor sits in it (Hugging Face naming and [out, in] weight layout), so checkpoints
 * are written and read in TS and the C++ side only borrows the memory.
 *
 * Token batches are row-major [batch, length] Int32Arrays. A token < 0 is padding (it
 * attends normally but is excluded from every loss); a target < 0 is not scored.
 */
import { callNative, loadAddon } from '../engine/native.js';
import type { ModelConfig } from './config.js';

/** One named tensor of the flat parameter vector. `group` says which optimizer updates it. */
export interface TensorSpec {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  group: 'main' | 'indexer';
}

/**
 * Training stages of the DSA recipe:
 *  - pretrain: dense attention, LM loss, only main parameters get gradients;
 *  - warmup:   dense attention, main model frozen, indexer trained by KL(p ‖ softmax(I)),
 *              p = main attention summed over heads and L1-normalised;
 *  - sparse:   top-k attention chosen by the indexer; main parameters learn from the LM loss,
 *              the indexer from the KL restricted to the selected set, its input detached.
 */
export type TrainStage = 'pretrain' | 'warmup' | 'sparse';
export type AttentionMode = 'dense' | 'sparse';

export interface LossAndGradArgs {
  tokens: Int32Array;          // [batch*length]
  targets: Int32Array;         // [batch*length], -1 = not scored
  weights?: Float32Array;      // [batch*length] per-target loss weight (default 1)
  batch: number;
  length: number;
  stage: TrainStage;
  topk?: number;               // default config.index_topk
  threads?: number;
  grad: Float32Array;          // [numParams], overwritten
}

export interface LossAndGradResult {
  /** What the stage optimises: lmLoss (pretrain), klLoss (warmup), lmLoss + klLoss (sparse). */
  loss: number;
  /** Weighted mean cross-entropy over scored targets (nats). */
  lmLoss: number;
  /** Mean over layers and real positions of the indexer KL (0 in pretrain). */
  klLoss: number;
  /** Number of scored targets. */
  targetTokens: number;
}

export interface AdamWArgs {
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** 1-based step number (bias correction). */
  step: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, applied to matrices only (not norms or biases). */
  weightDecay: number;
  /** Clip the global gradient norm (over the updated group) to this; 0 = no clipping. */
  clip: number;
  group: 'main' | 'indexer' | 'all';
  threads?: number;
}

export interface LogitsArgs {
  tokens: Int32Array;          // [batch*length]
  batch: number;
  length: number;
  attention: AttentionMode;
  topk?: number;
  threads?: number;
}

export interface SessionOptions {
  /** Cache capacity in tokens (≤ max_position_embeddings). */
  maxLength: number;
  attention: AttentionMode;
  topk?: number;
  threads?: number;
  /** Keep the last forward's attention inputs for `captured(layer)` (default false). */
  capture?: boolean;
}

/** What the engine's attention saw in a session's last forward, for one layer (MQA form). */
export interface CapturedAttention {
  T: number; L: number; qStart: number;
  H: number; D: number; dv: number; HI: number; DI: number; scale: number;
  q: Float32Array;   // [T, H, D] (unscaled; the kernel multiplies by scale)
  kv: Float32Array;  // [L, D], value = first dv dims
  qI: Float32Array;  // [T, HI, DI]
  kI: Float32Array;  // [L, DI]
  w: Float32Array;   // [T, HI]
}

/** An inference session: a KV cache (MLA latent + RoPE key, and the indexer keys) per layer. */
export interface NativeSession {
  /** Appends tokens to the cache (prefill when many, decode when one); returns the logits
   *  of the last appended token [vocab_size]. Throws E_OPTION past maxLength. */
  forward(tokens: Int32Array): Float32Array;
  /** Tokens in the cache. */
  readonly length: number;
  /** Drops cached tokens from position n on (n ≤ length). */
  truncate(n: number): void;
  /** The last forward's attention inputs of `layer` (session created with capture: true). */
  captured?(layer: number): CapturedAttention;
  /** Frees the cache and activations now (idempotent; forward throws afterwards). The GC
   *  frees a forgotten session too, but only when it runs; a generation loop closes each
   *  session it is done with so memory follows the requests in flight, not the traffic. */
  close(): void;
}

/** Native sessions in this process: not yet closed, not yet destroyed, and the bytes they hold. */
export interface SessionStats {
  open: number;
  live: number;
  bytes: number;
}

export interface NativeModel {
  /** Deterministic initialisation of the parameter vector (normal(0, initializer_range),
   *  output projections scaled by 1/sqrt(2·layers), norms 1, biases 0). */
  initParams(seed: number): void;
  lossAndGrad(a: LossAndGradArgs): LossAndGradResult;
  adamw(a: AdamWArgs): { gradNorm: number };
  /** Full-sequence forward: logits [batch*length*vocab_size]. */
  logits(a: LogitsArgs): Float32Array;
  session(o: SessionOptions): NativeSession;
}

interface ModelAddon {
  sessionStats(): SessionStats;
  modelLayout(config: ModelConfig): TensorSpec[];
  createModel(config: ModelConfig, params: Float32Array): NativeModel;
}

/** Counts of the addon's inference sessions, process-wide (leak checks). */
export function sessionStats(): SessionStats {
  return callNative((a) => (a as unknown as ModelAddon).sessionStats());
}

/** Named tensors of a config, in storage order; the last one ends at numParams. */
export function modelLayout(config: ModelConfig): TensorSpec[] {
  return callNative((a) => (a as unknown as ModelAddon).modelLayout(config));
}

export function numParams(layout: readonly TensorSpec[]): number {
  const last = layout[layout.length - 1];
  return last ? last.offset + last.size : 0;
}

/** A model over `params` (borrowed, not copied: updates by adamw are visible in JS). */
export function createNativeModel(config: ModelConfig, params: Float32Array): NativeModel {
  const addon = loadAddon() as unknown as ModelAddon;
  const raw = callNative(() => addon.createModel(config, params));
  // Every method goes through callNative so native errors arrive as DsabenchError.
  return {
    initParams: (seed) => callNative(() => raw.initParams(seed)),
    lossAndGrad: (a) => callNative(() => raw.lossAndGrad(a)),
    adamw: (a) => callNative(() => raw.adamw(a)),
    logits: (a) => callNative(() => raw.logits(a)),
    session: (o) => {
      const s = callNative(() => raw.session(o));
      return {
        forward: (t) => callNative(() => s.forward(t)),
        get length() { return s.length; },
        truncate: (n) => callNative(() => s.truncate(n)),
        captured: (layer) => callNative(() => s.captured!(layer)),
        close: () => callNative(() => s.close()),
      };
    },
  };
}
