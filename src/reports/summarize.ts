/**
 * Summaries recomputed from attempt records, for run directories whose summary.json is
 * missing or incomplete. Same conventions as the runner (SUITES.md "Statistics"):
 * mean over attempts, stderr over per-item means, normal 95% CI clamped to [0, 1],
 * unbiased pass@k only where every item has n ≥ k attempts.
 */
import type { AttemptRecord, LatencyStats, SuiteSummary } from '../types.js';
import { ci95, mean, passAtK, percentile, stderr } from '../util/stats.js';

/** Latency percentiles of a list (nulls dropped). */
export function latencyStats(values: ReadonlyArray<number | null | undefined>): LatencyStats {
  const xs: number[] = [];
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) xs.push(v);
  if (xs.length === 0) return { n: 0, mean: null, p50: null, p90: null, p99: null };
  const sorted = Float64Array.from(xs).sort();
  const arr = Array.from(sorted);
  return { n: xs.length, mean: mean(xs), p50: percentile(arr, 50), p90: percentile(arr, 90), p99: percentile(arr, 99) };
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

/** pass@k for k = 1, 2, 4, 8… up to the smallest per-item attempt count; null without repeats. */
export function passAtKTable(items: Iterable<ItemAggregate>): Record<string, number> | null {
  const list = [...items];
  if (list.length === 0) return null;
  const minN = Math.min(...list.map((i) => i.attempts));
  if (minN < 2) return null;
  const out: Record<string, number> = {};
  for (let k = 1; k <= minN; k *= 2) out[String(k)] = mean(list.map((i) => passAtK(i.attempts, i.passed, k)));
  if (out[String(minN)] === undefined) out[String(minN)] = mean(list.map((i) => passAtK(i.attempts, i.passed, minN)));
  return out;
}

/** One SuiteSummary from the records of one suite × provider. */
export function summarizeRecords(suite: string, provider: string, records: readonly AttemptRecord[]): SuiteSummary {
  const items = aggregateItems(records);
  const perItem = [...items.values()].map((i) => i.sum / i.attempts);
  const values = records.map((r) => r.score.value);
  const m = mean(values);
  const tokens = { prompt: 0, completion: 0, reasoning: 0, total: 0 };
  let costTotal = 0;
  let anyCost = false;
  for (const r of records) {
    if (r.usage) {
      tokens.prompt += r.usage.prompt_tokens;
      tokens.completion += r.usage.completion_tokens;
      tokens.reasoning += r.usage.reasoning_tokens ?? 0;
      tokens.total += r.usage.total_tokens;
    }
    if (typeof r.cost === 'number') {
      costTotal += r.cost;
      anyCost = true;
    }
  }
  const ci = ci95(perItem, [0, 1]);
  return {
    suite,
    provider,
    n: records.length,
    n_items: items.size,
    n_errors: records.filter((r) => r.error).length,
    mean: m,
    stderr: stderr(perItem),
    ci95: [ci[0], ci[1]],
    pass_rate: records.length === 0 ? 0 : records.filter((r) => r.score.pass).length / records.length,
    pass_at_k: passAtKTable(items.values()),
    latency: {
      ttft_ms: latencyStats(records.map((r) => r.timings?.ttft_ms)),
      tpot_ms: latencyStats(records.map((r) => r.timings?.tpot_ms)),
      e2e_ms: latencyStats(records.map((r) => r.timings?.e2e_ms)),
    },
    tokens,
    cost: { total: anyCost ? costTotal : null, per_item: anyCost && items.size > 0 ? costTotal / items.size : null, currency: 'USD' },
  };
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
