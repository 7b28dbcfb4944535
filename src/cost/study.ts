/**
 * The cost study end to end: curves (measured where a timer is given), break-evens, the
 * published comparison, fidelity vs k and workload cost, gathered into one CostReport —
 * the content of cost.json.
 */
import { breakEven, layerCost, type Mode } from './analytic.js';
import { buildCurves, checkPositions, measuredBreakEven, summarize, type CostPoint, type CurveOptions, type CurveSummary } from './curves.js';
import { loadHardware } from './hardware.js';
import { comparePublished, type Comparison } from './published.js';
import { measureQuality, type QualityOps, type QualityRow } from './quality.js';
import { projectedBreakEven } from './roofline.js';
import { makeSynthetic, DEFAULT_SYNTHETIC, SYNTHETIC_MIX, type SyntheticShape } from './synthetic.js';
import { integrateRun, readRunAttempts, workloadCurves, type WorkloadRun } from './workload.js';

export const PROJECTION_LABEL = 'roofline projection: a model, not a measurement';

export interface BreakEvens {
  decode?: number | null;
  prefill?: number | null;
}

export interface CostReport {
  profile: string;
  hardware?: string;
  /** What timed the points, or why nothing did ("unsupported: engine not built"). */
  timer: string;
  measured: boolean;
  settings: {
    modes: Mode[];
    positions: number[];
    chunk: number;
    repeats: number;
    threads: number;
    price_per_hour?: number;
    projection_price_per_hour?: number;
  };
  points: CostPoint[];
  summary: CurveSummary[];
  /** Measured (null: sparse never cheaper among the positions; absent: not measured). */
  break_even?: BreakEvens;
  /** From analytic FLOPs (engine's MQA form; one query per position). */
  analytic_break_even: BreakEvens;
  projected_break_even?: BreakEvens;
  projection_label?: string;
  published?: Comparison;
  quality?: QualityRow[];
  quality_setup?: { ops: string; shape: SyntheticShape; mix: typeof SYNTHETIC_MIX; seed: number };
  workload?: WorkloadRun[];
}

/** The curve options (minus the projection price, which the study takes from the hardware) and the study's own. */
export interface StudyOptions extends Omit<CurveOptions, 'projectionPricePerHour'> {
  /** Shown as `timer` when none is given. */
  timerUnavailable?: string;
  /** Compare with DeepSeek's published figures (default: for MLA profiles with 128 heads). */
  published?: boolean;
  quality?: { ops: QualityOps; kValues: number[]; shape?: SyntheticShape; seed?: number };
  runs?: string[];
}

export async function runStudy(o: StudyOptions): Promise<CostReport> {
  checkPositions(o.positions, o.profile);
  // Read runs first: a bad run dir fails before minutes of measuring.
  const runAttempts = (o.runs ?? []).map((dir) => readRunAttempts(dir));
  const positions = [...new Set(o.positions)].sort((a, b) => a - b);
  const points = await buildCurves({
    profile: o.profile,
    modes: o.modes,
    positions,
    chunk: o.chunk,
    repeats: o.repeats,
    threads: o.threads,
    timer: o.timer,
    pricePerHour: o.pricePerHour,
    hardware: o.hardware,
    onPoint: o.onPoint,
  });
  const k = o.profile.indexer.topk;
  const analytic: BreakEvens = {};
  for (const mode of o.modes) {
    analytic[mode] = breakEven((a, pos) => layerCost(o.profile, { mode: 'decode', attention: a, position: pos }).flops, k, 64 * o.profile.max_context);
  }
  const report: CostReport = {
    profile: o.profile.name,
    hardware: o.hardware?.name,
    timer: o.timer?.name ?? o.timerUnavailable ?? 'unsupported: not measured',
    measured: o.timer !== undefined,
    settings: {
      modes: o.modes,
      positions,
      chunk: o.chunk,
      repeats: o.repeats,
      threads: o.threads,
      price_per_hour: o.pricePerHour,
      projection_price_per_hour: o.hardware?.price_per_hour,
    },
    points,
    summary: summarize(points),
    analytic_break_even: analytic,
  };
  if (o.timer) {
    report.break_even = {};
    for (const mode of o.modes) report.break_even[mode] = measuredBreakEven(points, mode, k);
  }
  if (o.hardware) {
    report.projection_label = PROJECTION_LABEL;
    report.projected_break_even = {};
    for (const mode of o.modes) report.projected_break_even[mode] = projectedBreakEven(o.profile, o.hardware, mode);
    const v32Like = o.profile.attention.kind === 'mla' && o.profile.attention.heads === 128;
    // The published figures are H800 at $2/h: compare on that GPU whatever --hardware says.
    const h800 = o.hardware.name === 'h800' ? o.hardware : loadHardware('h800');
    if (o.published ?? v32Like) report.published = comparePublished(o.profile, h800);
  }
  if (o.quality) {
    const seed = o.quality.seed ?? 1;
    const shape = o.quality.shape ?? DEFAULT_SYNTHETIC;
    report.quality = await measureQuality(makeSynthetic(shape, seed), o.quality.ops, o.quality.kValues);
    report.quality_setup = { ops: o.quality.ops.name, shape, mix: SYNTHETIC_MIX, seed };
  }
  if (runAttempts.length > 0) {
    let maxPos = o.profile.max_context;
    for (const r of runAttempts) {
      for (const a of r.attempts) for (const t of a.turns) maxPos = Math.max(maxPos, t.prompt_tokens + t.completion_tokens);
    }
    const curves = workloadCurves(o.profile, points, o.hardware, o.hardware?.price_per_hour, maxPos);
    report.workload = runAttempts.map((r) => integrateRun(r, curves));
  }
  return report;
}
