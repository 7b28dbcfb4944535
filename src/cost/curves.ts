/**
 * Per-position cost curves: for each (mode, position, attention) one point carrying the
 * measured time per token (one layer), the analytic FLOPs and bytes, the indexer's share,
 * the whole-model view and money. Points are the rows of cost.json.
 */
import { DsabenchError } from '../errors.js';
import { layerCost, modelFlops, nonAttentionFlops, type AttentionKind, type Mode } from './analytic.js';
import type { HardwareProfile } from './hardware.js';
import type { ModelProfile } from './profiles.js';
import { project, usdPerMtok } from './roofline.js';
import type { AttentionTimer } from './timer.js';

export interface CostPoint {
  mode: Mode;
  position: number;
  /** Same value as `position` (the name `dsabench bench attention` uses). */
  length: number;
  attention: AttentionKind;
  /** Prefill queries per measured call (decode: 1). */
  chunk: number;
  /** Measured ms per token for one layer's attention; null when not measured. */
  ms_median: number | null;
  /** Engine threads of the measurement (as `bench attention`). */
  threads?: number;
  /** Achieved GFLOP/s of the measurement: flops / ms_median (as `bench attention`). */
  gflops?: number;
  /** Analytic attention FLOPs per token and layer, as measured (MQA form for MLA). */
  flops: number;
  /** Analytic cache bytes read per token and layer. */
  bytes: number;
  /**
   * Sparse, measured only: the selection phase (indexer + top-k) inside the fused call ÷ the
   * call's wall time, median over the timed calls (0 where the indexer is skipped, ≤ k keys).
   * Absent when not measured; never filled from FLOPs (that is indexer_share_flops).
   */
  indexer_share?: number;
  /** Sparse, measured: ms per token of the selection phase inside the fused call. */
  indexer_ms_median?: number;
  /** Sparse: indexer FLOPs / DSA FLOPs. */
  indexer_share_flops?: number;
  /** Whole model, analytic: layers × flops + 2 × active params. */
  model_flops: number;
  /** Whole model, ms per token: layers × ms_median + non-attention at the measured dense FLOP rate (estimate). */
  model_ms?: number | null;
  /** Money from model_ms at --price-per-hour (the measuring machine's price). */
  usd_per_mtok?: number;
  /** Roofline projection on --hardware: a model, not a measurement (production forms, see roofline.ts). */
  projected_usd_per_mtok?: number;
  projected_bound?: 'compute' | 'memory';
}

export interface CurveOptions {
  profile: ModelProfile;
  modes: Mode[];
  positions: number[];
  chunk: number;
  repeats: number;
  threads: number;
  /** Undefined: analytic only (ms_median null). */
  timer?: AttentionTimer;
  /** Price per hour of the measuring machine, USD. */
  pricePerHour?: number;
  hardware?: HardwareProfile;
  /** Price used for projections (default: the hardware's). */
  projectionPricePerHour?: number;
  /** Called after each measured point (progress). */
  onPoint?: (p: CostPoint) => void;
}

export const MIN_POSITION = 1;

/** Checks positions against the profile's limits; throws E_OPTION naming the bad one. */
export function checkPositions(positions: readonly number[], profile: ModelProfile, maxAllowed = profile.max_context): void {
  if (positions.length === 0) throw new DsabenchError('E_OPTION', 'no positions given', { field: 'positions' });
  for (const p of positions) {
    if (!Number.isInteger(p) || p < MIN_POSITION || p > maxAllowed) {
      throw new DsabenchError(
        'E_OPTION',
        `position ${p} is out of range: expected an integer in [${MIN_POSITION}, ${maxAllowed}] (profile ${profile.name}'s max_context)`,
        { field: 'positions' },
      );
    }
  }
}

export async function buildCurves(o: CurveOptions): Promise<CostPoint[]> {
  const points: CostPoint[] = [];
  for (const mode of o.modes) {
    for (const position of o.positions) {
      for (const attention of ['dense', 'sparse'] as const) {
        const chunk = mode === 'decode' ? 1 : Math.min(o.chunk, position);
        const c = layerCost(o.profile, { mode, attention, position, chunk });
        const point: CostPoint = {
          mode,
          position,
          length: position,
          attention,
          chunk,
          ms_median: null,
          flops: c.flops,
          bytes: c.bytes,
          model_flops: modelFlops(o.profile, { mode, attention, position, chunk }),
        };
        if (attention === 'sparse') point.indexer_share_flops = c.indexer_flops / c.flops;
        if (o.timer) {
          const m = await o.timer.measure({ mode, attention, position, chunk, profile: o.profile, repeats: o.repeats, threads: o.threads });
          point.ms_median = m.ms_median;
          point.threads = o.threads;
          point.gflops = m.ms_median > 0 ? c.flops / m.ms_median / 1e6 : undefined;
          if (attention === 'sparse') {
            // As the timer measured it (see selectionShare), not clamped: a share above 1
            // would mean broken timings, and a report must show that rather than hide it.
            if (m.indexer_share !== undefined) point.indexer_share = m.indexer_share;
            if (m.selection_ms_median !== undefined) point.indexer_ms_median = m.selection_ms_median;
          }
        }
        if (o.hardware) {
          const pr = project(o.profile, o.hardware, mode, attention, position);
          point.projected_usd_per_mtok = usdPerMtok(pr.seconds_per_token, o.projectionPricePerHour ?? o.hardware.price_per_hour);
          point.projected_bound = pr.bound;
        }
        points.push(point);
        o.onPoint?.(point);
      }
    }
  }
  addModelTime(points, o.profile, o.pricePerHour);
  return points;
}

/**
 * Whole-model ms per token from measured points: layers × attention ms + the non-attention
 * FLOPs at the dense attention's own measured FLOP rate (largest measured position of the
 * mode) — an estimate of what the same machine would take for the GEMMs, stated as such.
 */
function addModelTime(points: CostPoint[], p: ModelProfile, pricePerHour: number | undefined): void {
  for (const mode of ['decode', 'prefill'] as const) {
    const dense = points.filter((x) => x.mode === mode && x.attention === 'dense' && x.ms_median !== null && x.ms_median > 0);
    if (dense.length === 0) continue;
    const ref = dense.reduce((a, b) => (b.position > a.position ? b : a));
    const flopsPerMs = ref.flops / ref.ms_median!;
    const nonAttnMs = nonAttentionFlops(p) / flopsPerMs;
    for (const x of points) {
      if (x.mode !== mode || x.ms_median === null) continue;
      x.model_ms = p.layers * x.ms_median + nonAttnMs;
      if (pricePerHour !== undefined) x.usd_per_mtok = usdPerMtok(x.model_ms / 1000, pricePerHour);
    }
  }
}

export interface CurveSummary {
  mode: Mode;
  position: number;
  /** dense / sparse, attention only (one layer), measured. */
  measured_ratio: number | null;
  /** dense / sparse, whole model, measured estimate. */
  measured_model_ratio: number | null;
  /** dense / sparse, analytic FLOPs, attention only. */
  flops_ratio: number;
  projected_ratio: number | null;
}

/** Dense/sparse ratios at the largest position of each mode. */
export function summarize(points: readonly CostPoint[]): CurveSummary[] {
  const out: CurveSummary[] = [];
  for (const mode of ['decode', 'prefill'] as const) {
    const ofMode = points.filter((x) => x.mode === mode);
    if (ofMode.length === 0) continue;
    const pos = Math.max(...ofMode.map((x) => x.position));
    const d = ofMode.find((x) => x.position === pos && x.attention === 'dense')!;
    const s = ofMode.find((x) => x.position === pos && x.attention === 'sparse')!;
    const r = (a: number | null | undefined, b: number | null | undefined): number | null =>
      a == null || b == null || b === 0 ? null : a / b;
    out.push({
      mode,
      position: pos,
      measured_ratio: r(d.ms_median, s.ms_median),
      measured_model_ratio: r(d.model_ms, s.model_ms),
      flops_ratio: d.flops / s.flops,
      projected_ratio: r(d.projected_usd_per_mtok, s.projected_usd_per_mtok),
    });
  }
  return out;
}

/**
 * Break-even from measured points: the position where sparse becomes cheaper, by linear
 * interpolation of (sparse − dense) between the last position where sparse is not cheaper
 * and the first where it is (and stays so). Positions ≤ k run the same dense kernel on both
 * sides, so they only anchor the left end: at k, sparse = dense + the indexer over k keys,
 * extrapolated from the first sparse point's measured indexer share (its FLOP share when
 * unmeasured). Null when never cheaper.
 */
export function measuredBreakEven(points: readonly CostPoint[], mode: Mode, k: number): number | null {
  const pos = [...new Set(points.filter((x) => x.mode === mode).map((x) => x.position))].sort((a, b) => a - b);
  const diff = new Map<number, number>();
  for (const p of pos) {
    const d = points.find((x) => x.mode === mode && x.position === p && x.attention === 'dense')?.ms_median;
    const s = points.find((x) => x.mode === mode && x.position === p && x.attention === 'sparse')?.ms_median;
    if (d == null || s == null) return null;
    diff.set(p, s - d);
  }
  const above = pos.filter((p) => p > k);
  if (above.length === 0) return null;
  // First index from which sparse stays cheaper.
  let first = -1;
  for (let i = above.length - 1; i >= 0; i--) {
    if (diff.get(above[i]!)! < 0) first = i;
    else break;
  }
  if (first < 0) return null;
  const p1 = above[first]!;
  const d1 = diff.get(p1)!;
  let p0: number;
  let d0: number;
  if (first > 0) {
    p0 = above[first - 1]!;
    d0 = diff.get(p0)!;
  } else {
    const s1 = points.find((x) => x.mode === mode && x.position === p1 && x.attention === 'sparse')!;
    p0 = k;
    d0 = Math.max(0, (s1.indexer_share ?? s1.indexer_share_flops ?? 0) * (s1.ms_median ?? 0) * (k / p1));
  }
  if (d0 === d1) return p1;
  return Math.round(p0 + ((p1 - p0) * d0) / (d0 - d1));
}
