/**
 * Shapes of the report layer: what a loaded run looks like, the leaderboard model the
 * reporters render, and the cost-study file (`cost.json`) the cost charts read.
 */
import type { LatencyStats, SuiteSummary } from '../types.js';

/** A results directory read back (defined with its reader, src/results/load.ts). */
export type { LoadedRun } from '../results/load.js';

/** One point of the cost study: median time of one attention step at a token position. */
export interface CostPoint {
  mode: 'decode' | 'prefill';
  position: number;
  attention: 'dense' | 'sparse';
  /** null when the study ran without timing (analytic/projection only). */
  ms_median: number | null;
  flops: number;
  bytes?: number;
  indexer_share?: number;
  usd_per_mtok?: number;
  projected_usd_per_mtok?: number;
}

export interface CostQualityPoint {
  k: number;
  mass_recall: number;
  rel_error: number;
}

/** `cost.json` written by the cost study. */
export interface CostStudy {
  profile: string;
  hardware?: string;
  points: CostPoint[];
  quality?: CostQualityPoint[];
  /** Label of projected (not measured) money figures, e.g. "roofline projection — a model, not a measurement". */
  projection_label?: string;
  /** Where it was read from (set by the loader). */
  file?: string;
}

/** One published (not measured) score row, from data/published-scores.json. */
export interface PublishedModel {
  model: string;
  note?: string;
  scores: Record<string, number>;
}

export interface PublishedScores {
  source: string;
  note: string;
  /** Benchmark name → unit ("%" or "rating"). */
  benchmarks: Record<string, { unit: string; description?: string }>;
  models: PublishedModel[];
}

/** One provider × suite cell of the leaderboard. */
export interface LeaderboardCell {
  suite: string;
  kind?: string;
  n: number;
  n_items: number;
  n_errors: number;
  /** Counted apart: see SuiteSummary (cached attempts, unsupported attempts, answers without usage). */
  n_cached: number;
  n_unsupported: number;
  n_no_usage: number;
  mean: number;
  stderr: number;
  ci95: [number, number];
  pass_rate: number;
  pass_at_k: Record<string, number> | null;
  latency: SuiteSummary['latency'];
  tokens: SuiteSummary['tokens'];
  /** Output tokens per second of generation time: Σ completion tokens / Σ e2e seconds. */
  throughput_tok_s: number | null;
  cost_total: number | null;
  cost_per_item: number | null;
}

/** One leaderboard row: a provider as measured in one run. */
export interface LeaderboardRow {
  /** Unique, anchor-safe key (`run_id/provider`). */
  key: string;
  /** Display label: the provider id, plus the run id when the provider appears in several runs. */
  label: string;
  provider: string;
  run_id: string;
  cells: Record<string, LeaderboardCell>;
  /** Aggregates over every suite of the row. */
  overall: {
    n: number;
    latency: { ttft_ms: LatencyStats; tpot_ms: LatencyStats; e2e_ms: LatencyStats };
    tokens: SuiteSummary['tokens'];
    throughput_tok_s: number | null;
    cost_total: number | null;
  };
}

/** A per-item verdict of one row (for the drill-down). */
export interface ItemVerdict {
  attempts: number;
  passed: number;
  mean: number;
  errors: number;
  /** Anchor of the transcript block in report.html. */
  anchor: string;
}

export interface DrillDownSuite {
  suite: string;
  items: Array<{ item_id: string; verdicts: Record<string, ItemVerdict | undefined>; disagree: boolean }>;
}

/** Series for the long-context charts (accuracy vs length, depth × length). */
export interface LongContextSeries {
  row: string;
  suite: string;
  byLength: Array<{ length: number; mean: number; n: number }>;
  grid: Array<{ length: number; depth: number; mean: number; n: number }>;
}

/** Everything the reporters render. */
export interface ReportModel {
  title: string;
  generated_at: string;
  /** `machine`: CPU model, CPUs and memory as run.json recorded them; `engine`: the native
   *  engine's version and the kernel set it ran (null when the addon was not built). */
  runs: Array<{ run_id: string; dir: string; status: string; created_at: string; git_sha: string | null; package_version: string; machine: string | null; engine: string | null; notes: string[] }>;
  suites: string[];
  rows: LeaderboardRow[];
  published: PublishedScores | null;
  drilldown: DrillDownSuite[];
  longContext: LongContextSeries[];
  /** Per-row raw latency samples (ms) for the distribution charts. */
  latencySamples: Record<string, { ttft_ms: number[]; tpot_ms: number[]; e2e_ms: number[] }>;
  /** Means of numeric score.details.metrics (math strict/flexible…), per row and suite. */
  metrics: Array<{ row: string; suite: string; metric: string; mean: number; n: number }>;
  /** Mean score per value of item metadata keys (task, length, depth, level…), per row and suite. */
  breakdowns: Array<{ row: string; suite: string; key: string; value: string; mean: number; n: number }>;
  cost: CostStudy[];
}

export interface ChartImage {
  /** File name under charts/ (e.g. `scores.png`). */
  file: string;
  title: string;
  png: Buffer;
}
