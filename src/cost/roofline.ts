/**
 * Roofline projection of the GPU time per token — A MODEL, NOT A MEASUREMENT.
 *
 * Per layer: t = max(main_flops / rate_bf16 + indexer_flops / rate_fp8, bytes / bandwidth)
 * Whole model: layers · t + 2·active_params / rate_weights
 *
 * Assumptions (each one moves the numbers; they are printed with the results):
 * - attention matmuls in BF16, the lightning indexer in FP8 (as deployed, DSA.md);
 * - non-attention GEMMs at the profile's weights dtype, compute-bound: decode is taken
 *   at a batch large enough that weight reads are amortised, so only cache reads count
 *   as bytes, and prefill bytes are amortised over a 4096-token chunk;
 * - prefill is projected in the production form: an MLA profile with
 *   `prefill_dense_form: "mha"` prefills dense in MHA form (DeepSeek V3.1), DSA in MQA form;
 * - cost per token "at position p" is the marginal token's: FLOPs of one query seeing p keys.
 * Variant 'achieved' swaps the peaks for the throughputs FlashMLA's kernels reached on that
 * GPU (where the profile lists them), which is how real kernels fall short of the roofline.
 */
import { layerCost, nonAttentionFlops, breakEven, type AttentionKind, type Mode } from './analytic.js';
import type { HardwareProfile } from './hardware.js';
import type { ModelProfile } from './profiles.js';

export type RooflineVariant = 'peak' | 'achieved';

export const PREFILL_PROJECTION_CHUNK = 4096;

export interface Projection {
  seconds_per_token: number;
  attention_seconds: number;
  non_attention_seconds: number;
  /** Which roof bounds the attention layer. */
  bound: 'compute' | 'memory';
}

/** USD per million tokens from seconds per token and a price per hour. */
export function usdPerMtok(secondsPerToken: number, pricePerHour: number): number {
  return (secondsPerToken * pricePerHour * 1e6) / 3600;
}

function rates(hw: HardwareProfile, mode: Mode, attention: AttentionKind, variant: RooflineVariant): { main: number; bw: number } {
  const a = variant === 'achieved' ? hw.achieved : undefined;
  let main = hw.peak_bf16_flops;
  let bw = hw.hbm_bytes_per_s;
  if (a) {
    if (mode === 'decode' && attention === 'dense') {
      main = a.dense_decode_flops ?? main;
      bw = a.dense_decode_bytes_per_s ?? bw;
    } else if (mode === 'decode') {
      main = a.sparse_decode_flops ?? main;
    } else if (attention === 'sparse') {
      main = a.sparse_prefill_flops ?? main;
    }
  }
  return { main, bw };
}

export function project(
  p: ModelProfile,
  hw: HardwareProfile,
  mode: Mode,
  attention: AttentionKind,
  position: number,
  variant: RooflineVariant = 'peak',
): Projection {
  const denseForm = mode === 'prefill' && p.attention.kind === 'mla' ? (p.prefill_dense_form ?? 'mqa') : 'mqa';
  const c = layerCost(p, { mode, attention, position, chunk: 1, denseForm, bytesChunk: mode === 'prefill' ? PREFILL_PROJECTION_CHUNK : 1 });
  const r = rates(hw, mode, attention, variant);
  const compute = (c.flops - c.indexer_flops) / r.main + c.indexer_flops / hw.peak_fp8_flops;
  const memory = c.bytes / r.bw;
  const attentionSeconds = p.layers * Math.max(compute, memory);
  const weightsRate = p.weights_dtype === 'fp8' ? hw.peak_fp8_flops : hw.peak_bf16_flops;
  const nonAttention = nonAttentionFlops(p) / weightsRate;
  return {
    seconds_per_token: attentionSeconds + nonAttention,
    attention_seconds: attentionSeconds,
    non_attention_seconds: nonAttention,
    bound: compute >= memory ? 'compute' : 'memory',
  };
}

/** Projected break-even position (first position where DSA is cheaper), or null. */
export function projectedBreakEven(p: ModelProfile, hw: HardwareProfile, mode: Mode, variant: RooflineVariant = 'peak'): number | null {
  return breakEven((a, pos) => project(p, hw, mode, a, pos, variant).seconds_per_token, p.indexer.topk, 64 * p.max_context);
}
