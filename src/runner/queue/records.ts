/**
 * Records the coordinator writes itself, for attempts no worker produced a record for: a job
 * that failed for good (its worker died twice, or kept throwing) or one a worker refused.
 * Same fields, in the same order, as a failed attempt of a local run (runner/attempts.ts), so
 * the summary counts it as an error and `--resume --retry-errors` runs it again.
 */
import type { PlannedAttempt } from '../attempts.js';
import type { AttemptRecord } from '../../types.js';

export function failureRecord(runId: string, p: PlannedAttempt, error: string, startedAt: string): AttemptRecord {
  const rec: AttemptRecord = {
    run_id: runId,
    suite: p.suite.config.name,
    item_id: p.item.id,
    provider: p.provider.id,
    attempt: p.attempt,
    input_hash: p.inputHash,
    output: '',
    score: { value: 0, pass: false },
    usage: null,
    timings: null,
    cost: null,
    error,
  };
  if (p.item.metadata) rec.metadata = { ...p.item.metadata };
  // No request of this run is known to have answered it.
  rec.tries = 0;
  rec.started_at = startedAt;
  rec.ended_at = new Date().toISOString();
  return rec;
}
