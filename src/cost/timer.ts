/**
 * The seam between the cost study and whatever times attention. The curves only need
 * "how many milliseconds per token does this attention take here"; the native engine
 * provides it (engine-timer.ts), and tests plug in a deterministic stand-in.
 */
import type { AttentionKind, Mode } from './analytic.js';
import type { ModelProfile } from './profiles.js';

export interface MeasureRequest {
  mode: Mode;
  attention: AttentionKind;
  /** Visible keys of the last query. */
  position: number;
  /** Prefill: queries per call, ending at `position` (clamped to position). */
  chunk: number;
  profile: ModelProfile;
  repeats: number;
  threads: number;
}

export interface Measurement {
  /** Median over repeats of the wall time of one call divided by its query tokens (one layer). */
  ms_median: number;
  /**
   * Sparse only: the selection (indexer + top-k) phase's share of the fused call, as
   * selectionShare() computes it from phases timed inside the same calls that give ms_median.
   * 0 where the op skips the indexer (every query sees ≤ k keys). Absent: not measured.
   */
  indexer_share?: number;
  /** Sparse only: median ms per token of the selection phase inside the fused call. */
  selection_ms_median?: number;
  /** Every repeat's ms per token, for spread. */
  ms_all: number[];
}

/** One timed fused call: its wall time and the selection phase the op timed inside it. */
export interface PhasedCall {
  wall_ms: number;
  select_ms: number;
}

/**
 * The selection's share of DSA time: the median over calls of select_ms ÷ wall_ms, each
 * ratio from one call, so the load that slows a call slows both terms. Not clamped: the
 * phase lies inside the call, so a ratio above 1 means the timings are wrong, and it shows.
 * Undefined when no call has a positive wall time.
 */
export function selectionShare(calls: readonly PhasedCall[]): number | undefined {
  const r = calls.filter((c) => c.wall_ms > 0).map((c) => c.select_ms / c.wall_ms).sort((a, b) => a - b);
  if (r.length === 0) return undefined;
  const m = r.length >> 1;
  return r.length % 2 ? r[m]! : (r[m - 1]! + r[m]!) / 2;
}

/**
 * A model's own attention inputs for one layer over one prompt (MQA form), row t = position t:
 * a timer given them slices the queries p−C … p−1 and keys 0 … p−1 of a call from these
 * instead of filling random tensors, up to `length` positions. Random inputs cost the same in
 * dense attention but not in DSA, whose blocked prefill works over the union of a chunk's
 * selections: random queries select nearly disjoint keys, a model's queries on text do not.
 */
export interface TimingInputs {
  /** The profile they belong to (a call at another profile uses random inputs). */
  profile: ModelProfile;
  length: number;
  q: Float32Array;   // [length, H, Dqk]
  kv: Float32Array;  // [length, Dqk]
  qI: Float32Array;  // [length, H_I, D_I]
  kI: Float32Array;  // [length, D_I]
  w: Float32Array;   // [length, H_I]
  /** What they are, for the report: e.g. "layer 1 of niah_single_1/…, 16493 tokens". */
  source: string;
}

export interface AttentionTimer {
  /** Shown in cost.json (`timer`), e.g. "native engine (avx2, 2 threads)". */
  readonly name: string;
  measure(req: MeasureRequest): Promise<Measurement>;
  /** Times from these real inputs where they reach (undefined: random inputs again). */
  useInputs?(inputs: TimingInputs | undefined): void;
  /** Frees buffers (idempotent). */
  close?(): void;
}

/**
 * Runs `fn` once to warm up, then at least `repeats` times and, for fast calls, until about
 * `minTotalMs` of timed work (at most `maxRepeats` runs): on shared cores the median of many
 * short runs is far steadier than that of three. Returns each run's milliseconds.
 */
export function timeRepeats(fn: () => void, repeats: number, minTotalMs = 250, maxRepeats = 50): number[] {
  return timeCalls(fn, repeats, minTotalMs, maxRepeats).map((c) => c.ms);
}

/** timeRepeats that also keeps what each timed call returned (the warm-up's is dropped). */
export function timeCalls<T>(fn: () => T, repeats: number, minTotalMs = 250, maxRepeats = 50): Array<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  fn();
  const warm = Number(process.hrtime.bigint() - t0) / 1e6;
  const n = Math.max(repeats, Math.min(maxRepeats, Math.ceil(minTotalMs / Math.max(warm, 1e-3))));
  const out: Array<{ ms: number; value: T }> = [];
  for (let r = 0; r < n; r++) {
    const t = process.hrtime.bigint();
    const value = fn();
    out.push({ ms: Number(process.hrtime.bigint() - t) / 1e6, value });
  }
  return out;
}
