/** Completion values for answers that need no model call or that failed (oracle, nop, replay, errors). */
import type { Completion, Timings } from '../types.js';

/** Timings of an answer that involved no model call (oracle, nop, replay, errors). */
export function instantTimings(e2eMs = 0): Timings {
  return { ttft_ms: null, tpot_ms: null, e2e_ms: e2eMs };
}

/** A failed attempt as a value: empty text, the reason in `error`. */
export function errorCompletion(error: string, timings: Timings = instantTimings()): Completion {
  return { text: '', timings, error, finish_reason: null };
}

/** A successful answer produced locally (no usage, no streaming timings). */
export function textCompletion(text: string, e2eMs = 0): Completion {
  return { text, timings: instantTimings(e2eMs), error: null, finish_reason: 'stop' };
}
