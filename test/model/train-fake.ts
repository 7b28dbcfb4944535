/**
 * Test doubles for the training code: a TS layout with the plan's tensor names (used when the
 * native addon lacks the model) and the native modelLayout when it is built.
 */
import type { ModelConfig } from '../../src/model/config.js';
import { loadAddon } from '../../src/engine/native.js';
import type { TensorSpec } from '../../src/model/native.js';
import { modelLayout } from '../../src/model/native.js';

/** True when build/Release/dsa_engine.node exports the model. */
export function nativeModelAvailable(): boolean {
  try {
    return typeof (loadAddon() as unknown as { modelLayout?: unknown }).modelLayout === 'function';
  } catch {
    return false;
  }
}

/** The plan's tensor list ([out, in] weights), computed in TS. */
export function fakeLayout(c: ModelConfig): TensorSpec[] {
  const out: TensorSpec[] = [];
  let off = 0;
  const add = (name: string, shape: number[], group: 'main' | 'indexer' = 'main'): void => {
    const size = shape.reduce((p, d) => p * d, 1);
    out.push({ name, shape, offset: off, size, group });
    off += size;
  };
  const d = c.hidden_size, H = c.num_attention_heads;
  add('embed.weight', [c.vocab_size, d]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `layers.${i}.`;
    add(p + 'attn_norm.weight', [d]);
    add(p + 'attn.wq_a.weight', [c.q_lora_rank, d]);
    add(p + 'attn.q_norm.weight', [c.q_lora_rank]);
    add(p + 'attn.wq_b.weight', [H * (c.qk_nope_head_dim + c.qk_rope_head_dim), c.q_lora_rank]);
    add(p + 'attn.wkv_a.weight', [c.kv_lora_rank + c.qk_rope_head_dim, d]);
    add(p + 'attn.kv_norm.weight', [c.kv_lora_rank]);
    add(p + 'attn.wkv_b.weight', [H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank]);
    add(p + 'attn.wo.weight', [d, H * c.v_head_dim]);
    add(p + 'attn.indexer.wq.weight', [c.index_n_heads * c.index_head_dim, c.q_lora_rank], 'indexer');
    add(p + 'attn.indexer.wk.weight', [c.index_head_dim, d], 'indexer');
    add(p + 'attn.indexer.k_norm.weight', [c.index_head_dim], 'indexer');
    add(p + 'attn.indexer.k_norm.bias', [c.index_head_dim], 'indexer');
    add(p + 'attn.indexer.weights_proj.weight', [c.index_n_heads, d], 'indexer');
    add(p + 'ffn_norm.weight', [d]);
    add(p + 'ffn.w1.weight', [c.intermediate_size, d]);
    add(p + 'ffn.w2.weight', [d, c.intermediate_size]);
    add(p + 'ffn.w3.weight', [c.intermediate_size, d]);
  }
  add('norm.weight', [d]);
  add('head.weight', [c.vocab_size, d]);
  return out;
}

/** The native layout when built, else the TS one. */
export function testLayout(c: ModelConfig): TensorSpec[] {
  return nativeModelAvailable() ? modelLayout(c) : fakeLayout(c);
}
