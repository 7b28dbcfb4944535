/**
 * The built-in model's `config.json`: field names follow Hugging Face DeepSeek-V3 configs
 * where one exists. Every field is checked; an unknown field or a bad value is an error
 * naming the file and the field, never silently ignored.
 */
import { readFileSync } from 'node:fs';
import { DsabenchError } from '../errors.js';
import { VOCAB_SIZE } from './tokens.js';

export interface ModelConfig {
  model_type: 'dsabench-dsa';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** MLA query latent (c_q) width. */
  q_lora_rank: number;
  /** MLA key/value latent (c_kv) width: the value part of the MQA cache entry. */
  kv_lora_rank: number;
  qk_nope_head_dim: number;
  /** Decoupled RoPE dims of each query head and of the shared key (interleaved pairs). */
  qk_rope_head_dim: number;
  v_head_dim: number;
  /** SwiGLU hidden width. */
  intermediate_size: number;
  index_n_heads: number;
  index_head_dim: number;
  /** Leading dims of the indexer's q and k that get (non-interleaved, half-split) RoPE. */
  index_rope_head_dim: number;
  /** k of the top-k selection when attention is sparse. */
  index_topk: number;
  max_position_embeddings: number;
  rope_theta: number;
  /** Log-n attention scaling, 0 = off: a query at position p ≥ this base multiplies its
   *  attention logits by ln(p+1)/ln(base), so the softmax over a long context stays as peaked
   *  as over `base` keys (logn-attn). Applied alike to dense and sparse attention. */
  logn_attention_base: number;
  rms_norm_eps: number;
  initializer_range: number;
}

/** The default model shape (2.6M parameters); `dsabench train` and the decode benchmark use it. */
export const DEFAULT_CONFIG: ModelConfig = {
  model_type: 'dsabench-dsa',
  vocab_size: VOCAB_SIZE,
  hidden_size: 256,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  q_lora_rank: 96,
  kv_lora_rank: 64,
  qk_nope_head_dim: 32,
  qk_rope_head_dim: 16,
  v_head_dim: 32,
  intermediate_size: 640,
  index_n_heads: 4,
  index_head_dim: 32,
  index_rope_head_dim: 16,
  index_topk: 128,
  max_position_embeddings: 16384,
  rope_theta: 10000,
  logn_attention_base: 0,
  rms_norm_eps: 1e-6,
  initializer_range: 0.02,
};

/** A tiny shape for tests and `--quick` training (seconds per step on one core). */
export const QUICK_CONFIG: ModelConfig = {
  ...DEFAULT_CONFIG,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  q_lora_rank: 32,
  kv_lora_rank: 32,
  qk_nope_head_dim: 16,
  qk_rope_head_dim: 8,
  v_head_dim: 16,
  intermediate_size: 128,
  index_n_heads: 2,
  index_head_dim: 16,
  index_rope_head_dim: 8,
  index_topk: 32,
  max_position_embeddings: 4096,
};

const INT_FIELDS = [
  'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'q_lora_rank',
  'kv_lora_rank', 'qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim', 'intermediate_size',
  'index_n_heads', 'index_head_dim', 'index_rope_head_dim', 'index_topk', 'max_position_embeddings',
] as const;
const NUM_FIELDS = ['rope_theta', 'rms_norm_eps', 'initializer_range'] as const;
/** Hugging Face fields that carry no meaning here but are accepted so exported configs load. */
const IGNORED_FIELDS = new Set(['architectures', 'torch_dtype', 'transformers_version', 'tie_word_embeddings']);

function bad(field: string, why: string, file?: string): DsabenchError {
  return new DsabenchError('E_CONFIG_INVALID', `${file ? `${file}: ` : ''}field "${field}": ${why}`, { file, field });
}

/** Checks a parsed config object; missing fields take DEFAULT_CONFIG's values. */
export function parseModelConfig(raw: unknown, file?: string): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new DsabenchError('E_CONFIG_INVALID', `${file ? `${file}: ` : ''}a model config must be a JSON object`, { file });
  const o = raw as Record<string, unknown>;
  const known = new Set<string>(['model_type', ...INT_FIELDS, ...NUM_FIELDS, 'logn_attention_base']);
  for (const k of Object.keys(o)) {
    if (k === 'n_routed_experts' || k === 'num_experts')
      throw new DsabenchError('E_UNSUPPORTED', `${file ? `${file}: ` : ''}field "${k}": mixture-of-experts FFNs are unsupported by the built-in model (dense SwiGLU only)`, { file, field: k });
    if (!known.has(k) && !IGNORED_FIELDS.has(k))
      throw bad(k, `unknown option; expected one of ${[...known].join(', ')}`, file);
  }
  if (o['model_type'] !== undefined && o['model_type'] !== 'dsabench-dsa')
    throw bad('model_type', `expected "dsabench-dsa", got ${JSON.stringify(o['model_type'])}`, file);
  const c: ModelConfig = { ...DEFAULT_CONFIG };
  for (const k of INT_FIELDS) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1 << 20)
      throw bad(k, `expected a positive integer, got ${JSON.stringify(v)}`, file);
    c[k] = v;
  }
  const logn = o['logn_attention_base'];
  if (logn !== undefined) {
    if (typeof logn !== 'number' || !Number.isInteger(logn) || logn < 0 || logn === 1 || logn > 1 << 24)
      throw bad('logn_attention_base', `expected 0 (off) or an integer ≥ 2, got ${JSON.stringify(logn)}`, file);
    c.logn_attention_base = logn;
  }
  for (const k of NUM_FIELDS) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(k, `expected a positive number, got ${JSON.stringify(v)}`, file);
    c[k] = v;
  }
  if (c.vocab_size < VOCAB_SIZE)
    throw bad('vocab_size', `must be at least ${VOCAB_SIZE} (256 bytes + 4 special tokens), got ${c.vocab_size}`, file);
  if (c.qk_rope_head_dim % 2 !== 0) throw bad('qk_rope_head_dim', `must be even (RoPE rotates pairs), got ${c.qk_rope_head_dim}`, file);
  if (c.index_rope_head_dim % 2 !== 0 || c.index_rope_head_dim > c.index_head_dim)
    throw bad('index_rope_head_dim', `must be even and at most index_head_dim (${c.index_head_dim}), got ${c.index_rope_head_dim}`, file);
  return c;
}

export function readModelConfig(file: string): ModelConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DsabenchError('E_CONFIG_INVALID', `cannot read model config ${file}: ${(e as Error).message}`, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DsabenchError('E_CONFIG_INVALID', `${file}: not valid JSON (${(e as Error).message})`, { file });
  }
  return parseModelConfig(raw, file);
}
