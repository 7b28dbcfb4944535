/**
 * Summaries recomputed from attempt records, for run directories whose summary.json is
 * missing or incomplete. Same conventions as the runner (SUITES.md "Statistics"):
 * mean over attempts, stderr over per-item means, normal 95% CI clamped to [0, 1],
 * unbiased pass@k only where every item has n ≥ k attempts.
 */
import type { AttemptRecord, LatencyStats, RunManifest, SuiteSummary } from '../types.js';
import { latency, summarizeGroup, type CountOptions } from './summary.js';

/** Latency percentiles of a list (nulls dropped); the runner's definition. */
export function latencyStats(values: ReadonlyArray<number | null | undefined>): LatencyStats {
  const xs: number[] = [];
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) xs.push(v);
  return latency(xs);
}

/** Per-item aggregation: attempts, passes, mean value. Order of first appearance. */
export interface ItemAggregate {
  item_id: string;
  attempts: number;
  passed: number;
  sum: number;
  errors: number;
}

export function aggregateItems(records: readonly AttemptRecord[]): Map<string, ItemAggregate> {
  const out = new Map<string, ItemAggregate>();
  for (const r of records) {
    let a = out.get(r.item_id);
    if (!a) {
      a = { item_id: r.item_id, attempts: 0, passed: 0, sum: 0, errors: 0 };
      out.set(r.item_id, a);
    }
    a.attempts++;
    if (r.score.pass) a.passed++;
    a.sum += r.score.value;
    if (r.error) a.errors++;
  }
  return out;
}

/**
 * One SuiteSummary from the records of one suite × provider: the runner's own summary,
 * so a recomputed summary.json cannot drift from the one `dsabench run` writes.
 */
export function summarizeRecords(suite: string, provider: string, records: readonly AttemptRecord[], opts: CountOptions = {}): SuiteSummary {
  return summarizeGroup(suite, provider, records, {}, opts);
}

/** How a run asked its attempts to be counted (run.json config `count_cached`). */
export function countOptions(manifest: Pick<RunManifest, 'config'>): CountOptions {
  return { countCached: manifest.config?.['count_cached'] === true };
}

/** Groups records by `suite\0provider` (insertion order kept). */
export function groupBySuiteProvider(records: readonly AttemptRecord[]): Map<string, AttemptRecord[]> {
  const out = new Map<string, AttemptRecord[]>();
  for (const r of records) {
    const key = `${r.suite}\u0000${r.provider}`;
    let list = out.get(key);
    if (!list) {
      list = [];
      out.set(key, list);
    }
    list.push(r);
  }
  return out;
}

export function summarizeAll(records: readonly AttemptRecord[]): SuiteSummary[] {
  const out: SuiteSummary[] = [];
  for (const [key, list] of groupBySuiteProvider(records)) {
    const [suite, provider] = key.split('\u0000') as [string, string];
    out.push(summarizeRecords(suite, provider, list));
  }
  return out;
}
