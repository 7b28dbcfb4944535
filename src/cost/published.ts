/**
 * DeepSeek's published service cost (V3.2-Exp paper, Figure 3: H800 at $2/GPU-hour, values
 * read off the plot) next to the roofline projection, with the gap explained in numbers.
 */
import { layerCost } from './analytic.js';
import type { HardwareProfile } from './hardware.js';
import type { ModelProfile } from './profiles.js';
import { project, projectedBreakEven, usdPerMtok, type RooflineVariant } from './roofline.js';

export const PUBLISHED = {
  source: 'DeepSeek-V3.2-Exp paper, Figure 3 (H800, $2 per GPU-hour; values read off the plot)',
  price_per_hour: 2,
  position: 131072,
  prefill: { dense: 0.666, sparse: 0.187, break_even: 10_000 },
  decode: { dense: 2.154, sparse: 0.249, break_even: 5_000 },
} as const;

export interface ComparisonRow {
  metric: string;
  published: number;
  projected: number;
  /** Same metric under the "achieved kernel throughput" variant, when the GPU lists them. */
  projected_achieved?: number;
  /** projected / published. */
  ratio: number;
  /** |projected/published − 1| ≤ 0.5. */
  within_50pct: boolean;
}

export interface Comparison {
  hardware: string;
  price_per_hour: number;
  label: string;
  rows: ComparisonRow[];
  /** The gap, explained with the numbers that make it. */
  notes: string[];
}

const M = 1e6;

function fmt(x: number, d = 3): string {
  return Number(x.toPrecision(d)).toLocaleString('en-US');
}

/**
 * Projected vs published at 128K and the break-evens. Meaningful for DeepSeek-V3.2-shaped
 * profiles; the caller decides whether to show it for others.
 */
export function comparePublished(p: ModelProfile, hw: HardwareProfile, pricePerHour = PUBLISHED.price_per_hour): Comparison {
  const pos = PUBLISHED.position;
  const hasAchieved = hw.achieved !== undefined;
  const usd = (mode: 'prefill' | 'decode', a: 'dense' | 'sparse', v: RooflineVariant): number =>
    usdPerMtok(project(p, hw, mode, a, pos, v).seconds_per_token, pricePerHour);
  const rows: ComparisonRow[] = [];
  const add = (metric: string, published: number, f: (v: RooflineVariant) => number | null): void => {
    const projected = f('peak') ?? NaN;
    const achieved = hasAchieved ? (f('achieved') ?? undefined) : undefined;
    const ratio = projected / published;
    rows.push({ metric, published, projected, projected_achieved: achieved, ratio, within_50pct: Math.abs(ratio - 1) <= 0.5 });
  };
  for (const mode of ['prefill', 'decode'] as const) {
    const pub = PUBLISHED[mode];
    add(`${mode} dense $/Mtok @128K`, pub.dense, (v) => usd(mode, 'dense', v));
    add(`${mode} sparse $/Mtok @128K`, pub.sparse, (v) => usd(mode, 'sparse', v));
    add(`${mode} dense/sparse ratio @128K`, pub.dense / pub.sparse, (v) => usd(mode, 'dense', v) / usd(mode, 'sparse', v));
    add(`${mode} break-even position`, pub.break_even, (v) => projectedBreakEven(p, hw, mode, v));
  }
  return { hardware: hw.name, price_per_hour: pricePerHour, label: 'roofline projection — a model, not a measurement', rows, notes: explainGap(p, hw, pricePerHour) };
}

/** Why the projection and the published figures differ, with the numbers behind each reason. */
export function explainGap(p: ModelProfile, hw: HardwareProfile, pricePerHour: number): string[] {
  const pos = PUBLISHED.position;
  const notes: string[] = [];
  const dd = layerCost(p, { mode: 'decode', attention: 'dense', position: pos });
  const ds = layerCost(p, { mode: 'decode', attention: 'sparse', position: pos });
  const ridge = hw.peak_bf16_flops / hw.hbm_bytes_per_s;
  notes.push(
    `Decode, per layer at 128K: dense ${fmt(dd.flops / 1e9)} GFLOP over ${fmt(dd.bytes / M)} MB of cache ` +
      `(${fmt(dd.flops / dd.bytes)} FLOP/B, above ${hw.name}'s ridge of ${fmt(ridge)} FLOP/B: compute-bound); ` +
      `DSA ${fmt(ds.flops / 1e9)} GFLOP over ${fmt(ds.bytes / M)} MB (${fmt(ds.indexer_bytes / M)} MB of it indexer keys: memory-bound). ` +
      `So the roofline decode ratio is FLOP time over byte time, not the ${fmt(dd.flops / ds.flops)}× FLOP ratio nor the ${fmt(dd.bytes / ds.bytes)}× byte ratio.`,
  );
  const pd = project(p, hw, 'decode', 'dense', pos);
  const ps = project(p, hw, 'decode', 'sparse', pos);
  notes.push(
    `Non-attention work (2 × ${fmt(p.active_params / 1e9)}B active params = ${fmt((2 * p.active_params) / 1e9)} GFLOP/token) costs ` +
      `${fmt(pd.non_attention_seconds * 1e6)} µs/token at peak, the same for both; it is ${fmt((100 * ps.non_attention_seconds) / ps.seconds_per_token, 2)}% ` +
      `of projected DSA decode time and dilutes every ratio. Real serving adds expert-parallel communication and imperfect batching that the roofline omits.`,
  );
  const pubDense = PUBLISHED.decode.dense;
  const projDense = usdPerMtok(pd.seconds_per_token, pricePerHour);
  notes.push(
    `Absolute prices: projected dense decode $${fmt(projDense)}/Mtok vs published $${pubDense} — the service runs at ` +
      `${fmt((100 * projDense) / pubDense, 2)}% of the peak roofline's throughput (kernel efficiency, batching, MoE routing, idle time).`,
  );
  if (hw.achieved) {
    const ad = project(p, hw, 'decode', 'dense', pos, 'achieved');
    const as = project(p, hw, 'decode', 'sparse', pos, 'achieved');
    notes.push(
      `With the throughputs FlashMLA's kernels actually reach on ${hw.name} (${(hw.achieved.source ?? 'see the hardware profile').replace(/\.$/, '')}), ` +
        `dense decode at 128K costs ${fmt(ad.seconds_per_token * 1e3)} ms/token (peak roofline: ${fmt(pd.seconds_per_token * 1e3)}) and DSA ` +
        `${fmt(as.seconds_per_token * 1e3)} ms (peak roofline: ${fmt(ps.seconds_per_token * 1e3)}${as.bound === 'memory' ? '; memory-bound, so the FLOP rate does not matter' : ''}): ratio ${fmt(ad.seconds_per_token / as.seconds_per_token)}× vs ` +
        `${fmt(pd.seconds_per_token / ps.seconds_per_token)}× at peak; the decode break-even moves from ` +
        `${projectedBreakEven(p, hw, 'decode') ?? 'none'} to ${projectedBreakEven(p, hw, 'decode', 'achieved') ?? 'none'} because the sparse kernel ` +
        `runs further below peak than the dense one; prefill's from ${projectedBreakEven(p, hw, 'prefill') ?? 'none'} to ` +
        `${projectedBreakEven(p, hw, 'prefill', 'achieved') ?? 'none'}. The published break-evens also include top-k selection and launch overheads not modelled here.`,
    );
  }
  if (p.attention.kind === 'mla' && p.prefill_dense_form === 'mha') {
    const mha = layerCost(p, { mode: 'prefill', attention: 'dense', position: pos, denseForm: 'mha' });
    const mqa = layerCost(p, { mode: 'prefill', attention: 'dense', position: pos, denseForm: 'mqa' });
    notes.push(
      `Prefill ratios are lower than decode's because dense prefill runs in MHA form (${fmt(mha.flops / 1e9)} GFLOP per layer-token at 128K) ` +
        `while DSA runs in MQA form; against MQA-form dense (${fmt(mqa.flops / 1e9)} GFLOP) the ratio would be ${fmt(mqa.flops / ds.flops)}×.`,
    );
  }
  return notes;
}
