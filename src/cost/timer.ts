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
  /** Sparse only: median ms per token of the indexer + top-k alone (same shapes). */
  indexer_ms_median?: number;
  /** Every repeat's ms per token, for spread. */
  ms_all: number[];
}

export interface AttentionTimer {
  /** Shown in cost.json (`timer`), e.g. "native engine (avx2, 2 threads)". */
  readonly name: string;
  measure(req: MeasureRequest): Promise<Measurement>;
  /** Frees buffers (idempotent). */
  close?(): void;
}

/**
 * Runs `fn` once to warm up, then at least `repeats` times and, for fast calls, until about
 * `minTotalMs` of timed work (at most `maxRepeats` runs): on shared cores the median of many
 * short runs is far steadier than that of three. Returns each run's milliseconds.
 */
export function timeRepeats(fn: () => void, repeats: number, minTotalMs = 250, maxRepeats = 50): number[] {
  const t0 = process.hrtime.bigint();
  fn();
  const warm = Number(process.hrtime.bigint() - t0) / 1e6;
  const n = Math.max(repeats, Math.min(maxRepeats, Math.ceil(minTotalMs / Math.max(warm, 1e-3))));
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    const t = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}
