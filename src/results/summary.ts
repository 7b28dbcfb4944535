/**
 * Summary of attempt records, per suite × provider (schemas/summary.schema.json).
 *
 * - mean: mean score over attempts; stderr and ci95 over per-item mean scores (the repeats
 *   of one item are a cluster, so they do not shrink the error bar as if independent);
 *   ci95 is clamped to [0, 1].
 * - pass_at_k: unbiased estimator per item (c passes of n attempts), averaged over items,
 *   for k = 1, 2, 4, … up to the smallest per-item n; null when every item has one attempt.
 * - What each figure counts (so a figure means what it says):
 *   - unsupported attempts (a task that cannot run here) are counted apart (n_unsupported)
 *     and left out of everything else: mean, CI, pass rate, pass@k, latency, tokens, cost;
 *   - failed attempts (error) score 0 and count in the mean and n_errors, but not in latency:
 *     the time until a failure is not a response time;
 *   - cached attempts (replayed from the response cache) are scored, but their usage,
 *     timings and cost are an earlier run's: counted apart (n_cached) and left out of
 *     latency, tokens and cost unless `countCached`;
 *   - answered attempts without usage (n_no_usage) are left out of tokens and cost, and
 *     counted so the totals say how much they miss.
 * - latency: p50/p90/p99 of ttft, tpot and e2e (last try) over the attempts above.
 * - breakdowns.by_metadata: mean/n per value of each `options.breakdown_by` key of the
 *   suite (record.metadata), and for two keys a table per pair (needle length × depth).
 * - breakdowns.metrics: mean of every numeric field of score.details.metrics.
 */
import type { AttemptRecord, LatencyStats, RunManifest, RunSummary, SuiteKind, SuiteSummary } from '../types.js';
import { ci95, mean, passAtK, percentile, sortedCopy, stderr } from '../util/stats.js';

export interface SuiteMeta {
  kind?: SuiteKind;
  breakdownBy?: readonly string[];
}

export interface CountOptions {
  /** Count cached attempts' latency, tokens and cost as if fresh (`--count-cached`). */
  countCached?: boolean;
}

/** Whether an attempt's timings are a measurement of this run (see the module comment). */
export function measuredLatency(r: AttemptRecord, opts: CountOptions = {}): boolean {
  return !r.unsupported && !r.error && (opts.countCached === true || !r.cached);
}

/** Whether an attempt's usage and cost were spent by this run. */
export function spentByRun(r: AttemptRecord, opts: CountOptions = {}): boolean {
  return !r.unsupported && (opts.countCached === true || !r.cached);
}

interface Cell {
  n: number;
  mean: number;
}

/** Latency percentiles of finite values (nulls and non-numbers are the caller's to drop). */
export function latency(xs: number[]): LatencyStats {
  if (xs.length === 0) return { n: 0, mean: null, p50: null, p90: null, p99: null };
  const s = sortedCopy(xs);
  return { n: s.length, mean: mean(s), p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99) };
}

function cellOf(values: number[]): Cell {
  return { n: values.length, mean: mean(values) };
}

function metaKey(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function breakdowns(records: readonly AttemptRecord[], keys: readonly string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if (keys.length > 0) {
    const byMeta: Record<string, unknown> = {};
    for (const key of keys) {
      const groups = new Map<string, number[]>();
      for (const r of records) {
        const v = r.metadata?.[key];
        if (v === undefined) continue;
        const g = metaKey(v);
        let arr = groups.get(g);
        if (!arr) groups.set(g, (arr = []));
        arr.push(r.score.value);
      }
      byMeta[key] = Object.fromEntries([...groups].map(([g, vs]) => [g, cellOf(vs)]));
    }
    for (let i = 0; i < keys.length; i++) {
      for (let j = i + 1; j < keys.length; j++) {
        const [a, b] = [keys[i]!, keys[j]!];
        const cells: Record<string, Record<string, number[]>> = {};
        for (const r of records) {
          const va = r.metadata?.[a];
          const vb = r.metadata?.[b];
          if (va === undefined || vb === undefined) continue;
          const row = (cells[metaKey(va)] ??= {});
          (row[metaKey(vb)] ??= []).push(r.score.value);
        }
        byMeta[`${a}×${b}`] = {
          rows: a,
          cols: b,
          cells: Object.fromEntries(Object.entries(cells).map(([ra, row]) => [ra, Object.fromEntries(Object.entries(row).map(([cb, vs]) => [cb, cellOf(vs)]))])),
        };
      }
    }
    out['by_metadata'] = byMeta;
  }
  const metrics = new Map<string, number[]>();
  for (const r of records) {
    const m = r.score.details?.['metrics'];
    if (!m || typeof m !== 'object') continue;
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      if (typeof v === 'number' && Number.isFinite(v)) {
        let arr = metrics.get(k);
        if (!arr) metrics.set(k, (arr = []));
        arr.push(v);
      } else if (typeof v === 'boolean') {
        let arr = metrics.get(k);
        if (!arr) metrics.set(k, (arr = []));
        arr.push(v ? 1 : 0);
      }
    }
  }
  if (metrics.size > 0) out['metrics'] = Object.fromEntries([...metrics].map(([k, vs]) => [k, cellOf(vs)]));
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The powers of two up to `maxK` (1, 2, 4, …), plus maxK itself. */
export function passAtKs(maxK: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= maxK; k *= 2) ks.push(k);
  if (ks[ks.length - 1] !== maxK && maxK > 0) ks.push(maxK);
  return ks;
}

export function summarizeGroup(suite: string, provider: string, all: readonly AttemptRecord[], meta: SuiteMeta = {}, opts: CountOptions = {}): SuiteSummary {
  const records = all.filter((r) => !r.unsupported);
  const byItem = new Map<string, { n: number; c: number; sum: number }>();
  const ttft: number[] = [];
  const tpot: number[] = [];
  const e2e: number[] = [];
  const tokens = { prompt: 0, completion: 0, reasoning: 0, total: 0 };
  let cost = 0;
  let priced = false;
  // Items whose cost is in the total: per_item divides by these, not by items replayed from the cache.
  const pricedItems = new Set<string>();
  let errors = 0;
  let cached = 0;
  let noUsage = 0;
  let passes = 0;
  const values: number[] = [];
  for (const r of records) {
    values.push(r.score.value);
    if (r.score.pass) passes++;
    if (r.error) errors++;
    if (r.cached) cached++;
    let it = byItem.get(r.item_id);
    if (!it) byItem.set(r.item_id, (it = { n: 0, c: 0, sum: 0 }));
    it.n++;
    it.sum += r.score.value;
    if (r.score.pass) it.c++;
    const t = r.timings;
    if (t && measuredLatency(r, opts)) {
      if (typeof t.ttft_ms === 'number') ttft.push(t.ttft_ms);
      if (typeof t.tpot_ms === 'number') tpot.push(t.tpot_ms);
      if (typeof t.e2e_ms === 'number') e2e.push(t.e2e_ms);
    }
    if (!spentByRun(r, opts)) continue;
    if (r.usage_unknown) noUsage++;
    if (r.usage) {
      tokens.prompt += r.usage.prompt_tokens;
      tokens.completion += r.usage.completion_tokens;
      tokens.reasoning += r.usage.reasoning_tokens ?? 0;
      tokens.total += r.usage.total_tokens;
    }
    if (typeof r.cost === 'number') {
      cost += r.cost;
      priced = true;
      pricedItems.add(r.item_id);
    }
  }
  const itemMeans = [...byItem.values()].map((i) => i.sum / i.n);
  const minN = byItem.size === 0 ? 0 : Math.min(...[...byItem.values()].map((i) => i.n));
  let pass_at_k: Record<string, number> | null = null;
  if (minN > 1) {
    pass_at_k = {};
    for (const k of passAtKs(minN)) pass_at_k[String(k)] = mean([...byItem.values()].map((i) => passAtK(i.n, i.c, k)));
  }
  const summary: SuiteSummary = {
    suite,
    provider,
    ...(meta.kind ? { kind: meta.kind } : {}),
    n: all.length,
    n_items: byItem.size,
    n_errors: errors,
    n_cached: cached,
    n_unsupported: all.length - records.length,
    n_no_usage: noUsage,
    mean: mean(values),
    stderr: stderr(itemMeans),
    ci95: itemMeans.length > 0 ? ci95(itemMeans, [0, 1]) : [0, 0],
    pass_rate: records.length === 0 ? 0 : passes / records.length,
    pass_at_k,
    latency: { ttft_ms: latency(ttft), tpot_ms: latency(tpot), e2e_ms: latency(e2e) },
    tokens,
    cost: { total: priced ? cost : null, per_item: priced ? cost / pricedItems.size : null, currency: 'USD' },
  };
  const b = breakdowns(records, meta.breakdownBy ?? []);
  if (b) summary.breakdowns = b;
  return summary;
}

/**
 * One SuiteSummary per (suite, provider) pair, in the order pairs first appear in `order`
 * (the run's suites × providers) or in the records.
 */
export function summarize(
  manifest: RunManifest,
  records: readonly AttemptRecord[],
  meta: Readonly<Record<string, SuiteMeta>> = {},
  order: ReadonlyArray<{ suite: string; provider: string }> = [],
  opts: CountOptions = {},
): RunSummary {
  const groups = new Map<string, { suite: string; provider: string; recs: AttemptRecord[] }>();
  const key = (s: string, p: string): string => `${s}\u0000${p}`;
  for (const o of order) groups.set(key(o.suite, o.provider), { suite: o.suite, provider: o.provider, recs: [] });
  for (const r of records) {
    const k = key(r.suite, r.provider);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { suite: r.suite, provider: r.provider, recs: [] }));
    g.recs.push(r);
  }
  return {
    manifest,
    suites: [...groups.values()].map((g) => summarizeGroup(g.suite, g.provider, g.recs, meta[g.suite], opts)),
  };
}
