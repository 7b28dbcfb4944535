/**
 * Builds the ReportModel (leaderboard rows, drill-down, long-context series, latency
 * samples, metric means) from loaded runs. Pure: no I/O besides what is passed in.
 *
 * Rows are provider × run. A row's label is the provider id, with `@ run_id` appended
 * when the same provider appears in more than one run (dense vs sparse runs of one model).
 * Rows are ordered by their macro mean over suites, best first.
 */
import type { AttemptRecord, SuiteSummary } from '../types.js';
import { mean } from '../util/stats.js';
import { measuredLatency, spentByRun, type CountOptions } from '../results/summary.js';
import { aggregateItems, countOptions, latencyStats } from '../results/summarize.js';
import type {
  CostStudy, DrillDownSuite, ItemVerdict, LeaderboardCell, LeaderboardRow, LoadedRun,
  LongContextSeries, PublishedScores, ReportModel,
} from './types.js';

export interface ModelOptions {
  title?: string;
  published?: PublishedScores | null;
  cost?: CostStudy[];
  /** Clock for reproducible output in tests. */
  now?: () => Date;
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** Context length and needle depth (percent) of a long-context attempt, from its metadata. */
export function lengthDepthOf(r: AttemptRecord): { length: number | null; depth: number | null } {
  const md = r.metadata ?? {};
  const length = num(md.length) ?? num(md.context_length) ?? num(md.target_length);
  // depth_percent when present; else depth, a fraction in [0, 1] (or already a percent above 1).
  const pctDepth = num(md.depth_percent);
  const raw = num(md.depth);
  const depth = pctDepth ?? (raw === null ? null : raw <= 1 ? Math.round(raw * 1000) / 10 : raw);
  return { length, depth };
}

/** Metadata keys worth a breakdown table when the summary has none. */
export const BREAKDOWN_KEYS = ['task', 'length', 'depth_percent', 'level', 'difficulty', 'subject', 'type', 'domain', 'category'] as const;
/** Keys with more distinct values than this are identifiers, not categories. */
const MAX_BREAKDOWN_VALUES = 40;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A {n, mean} cell of the runner's breakdowns (or a bare number). */
function cellOf(v: unknown): { mean: number; n: number } | null {
  if (typeof v === 'number' && Number.isFinite(v)) return { mean: v, n: 0 };
  if (isObj(v) && typeof v.mean === 'number') return { mean: v.mean, n: typeof v.n === 'number' ? v.n : 0 };
  return null;
}

/**
 * Long-context series from a summary's breakdowns (runs without samples):
 * by_metadata.length → {value: {n, mean}}, by_metadata["length×depth…"] → {rows, cols, cells}.
 */
function longContextFromSummary(row: string, s: SuiteSummary): LongContextSeries | null {
  const bm = s.breakdowns?.by_metadata;
  if (!isObj(bm)) return null;
  const lenKey = ['length', 'context_length', 'target_length'].find((k) => isObj(bm[k]));
  if (!lenKey) return null;
  const byLength = Object.entries(bm[lenKey] as Record<string, unknown>)
    .map(([k, v]) => ({ length: Number(k), c: cellOf(v) }))
    .filter((x): x is { length: number; c: { mean: number; n: number } } => Number.isFinite(x.length) && x.c !== null)
    .sort((a, b) => a.length - b.length)
    .map((x) => ({ length: x.length, mean: x.c.mean, n: x.c.n }));
  const grid: LongContextSeries['grid'] = [];
  for (const v of Object.values(bm)) {
    if (!isObj(v) || v.rows !== lenKey || (v.cols !== 'depth' && v.cols !== 'depth_percent') || !isObj(v.cells)) continue;
    for (const [lk, row2] of Object.entries(v.cells)) {
      if (!isObj(row2)) continue;
      for (const [dk, cell] of Object.entries(row2)) {
        const c = cellOf(cell);
        let depth = Number(dk);
        if (!c || !Number.isFinite(depth) || !Number.isFinite(Number(lk))) continue;
        if (v.cols === 'depth' && depth <= 1) depth = Math.round(depth * 1000) / 10;
        grid.push({ length: Number(lk), depth, mean: c.mean, n: c.n });
      }
    }
    break;
  }
  return byLength.length > 0 ? { row, suite: s.suite, byLength, grid } : null;
}

/** Output tokens per second over the attempts whose time and tokens this run measured. */
function throughput(records: readonly AttemptRecord[], opts: CountOptions): number | null {
  let tok = 0;
  let ms = 0;
  for (const r of records) {
    if (r.usage && r.timings && r.timings.e2e_ms > 0 && measuredLatency(r, opts) && spentByRun(r, opts)) {
      tok += r.usage.completion_tokens;
      ms += r.timings.e2e_ms;
    }
  }
  return ms > 0 ? tok / (ms / 1000) : null;
}

function cellFrom(s: SuiteSummary, records: readonly AttemptRecord[], opts: CountOptions): LeaderboardCell {
  return {
    suite: s.suite,
    kind: s.kind,
    n: s.n,
    n_items: s.n_items,
    n_errors: s.n_errors,
    n_cached: s.n_cached ?? 0,
    n_unsupported: s.n_unsupported ?? 0,
    n_no_usage: s.n_no_usage ?? 0,
    mean: s.mean,
    stderr: s.stderr,
    ci95: s.ci95,
    pass_rate: s.pass_rate,
    pass_at_k: s.pass_at_k,
    latency: s.latency,
    tokens: s.tokens,
    throughput_tok_s: records.length > 0 ? throughput(records, opts) : null,
    cost_total: s.cost.total,
    cost_per_item: s.cost.per_item,
  };
}

interface RowBuild {
  row: LeaderboardRow;
  records: Map<string, AttemptRecord[]>;
  counting: CountOptions;
}

/** Which runs each provider appears in (a provider in several gets `@ run_id` in its label). */
function runsByProvider(runs: readonly LoadedRun[]): Map<string, Set<string>> {
  const providerRuns = new Map<string, Set<string>>();
  for (const run of runs) {
    for (const s of run.summary.suites) {
      const set = providerRuns.get(s.provider) ?? new Set<string>();
      set.add(run.manifest.run_id);
      providerRuns.set(s.provider, set);
    }
  }
  return providerRuns;
}

/** A run's samples indexed by provider → suite (one pass). */
function samplesByProvider(run: LoadedRun): Map<string, Map<string, AttemptRecord[]>> {
  const byProvider = new Map<string, Map<string, AttemptRecord[]>>();
  for (const r of run.samples) {
    let m = byProvider.get(r.provider);
    if (!m) byProvider.set(r.provider, (m = new Map()));
    let l = m.get(r.suite);
    if (!l) m.set(r.suite, (l = []));
    l.push(r);
  }
  return byProvider;
}

/** The leaderboard row of one provider in one run, with the records behind it. */
function rowBuild(run: LoadedRun, provider: string, recs: Map<string, AttemptRecord[]>, shared: boolean): RowBuild {
  const runId = run.manifest.run_id;
  const counting = countOptions(run.manifest);
  const cells: Record<string, LeaderboardCell> = {};
  const suites = run.summary.suites.filter((s) => s.provider === provider);
  for (const s of suites) cells[s.suite] = cellFrom(s, recs.get(s.suite) ?? [], counting);
  const all = [...recs.values()].flat();
  // Latency over what this run measured: not failures, unsupported or (unless counted) cached attempts.
  const timed = all.filter((r) => measuredLatency(r, counting));
  const tokens = { prompt: 0, completion: 0, reasoning: 0, total: 0 };
  let cost: number | null = null;
  for (const s of suites) {
    tokens.prompt += s.tokens.prompt;
    tokens.completion += s.tokens.completion;
    tokens.reasoning += s.tokens.reasoning;
    tokens.total += s.tokens.total;
    if (s.cost.total !== null) cost = (cost ?? 0) + s.cost.total;
  }
  const latency = all.length > 0
    ? {
        ttft_ms: latencyStats(timed.map((r) => r.timings?.ttft_ms)),
        tpot_ms: latencyStats(timed.map((r) => r.timings?.tpot_ms)),
        e2e_ms: latencyStats(timed.map((r) => r.timings?.e2e_ms)),
      }
    : suites.length === 1
      ? suites[0]!.latency
      : { ttft_ms: latencyStats([]), tpot_ms: latencyStats([]), e2e_ms: latencyStats([]) };
  return {
    row: {
      key: `${runId}/${provider}`,
      label: shared ? `${provider} @ ${runId}` : provider,
      provider,
      run_id: runId,
      cells,
      overall: { n: suites.reduce((a, s) => a + s.n, 0), latency, tokens, throughput_tok_s: all.length > 0 ? throughput(all, counting) : null, cost_total: cost },
    },
    records: recs,
    counting,
  };
}

/** One row per provider × run, best macro mean first. */
function buildRows(runs: readonly LoadedRun[]): RowBuild[] {
  const builds: RowBuild[] = [];
  const providerRuns = runsByProvider(runs);
  for (const run of runs) {
    const byProvider = samplesByProvider(run);
    const providers = [...new Set(run.summary.suites.map((s) => s.provider))];
    for (const provider of providers) {
      const shared = (providerRuns.get(provider)?.size ?? 1) > 1;
      builds.push(rowBuild(run, provider, byProvider.get(provider) ?? new Map<string, AttemptRecord[]>(), shared));
    }
  }
  const macro = (r: LeaderboardRow): number => mean(Object.values(r.cells).map((c) => c.mean));
  builds.sort((a, b) => macro(b.row) - macro(a.row));
  return builds;
}

/** Drill-down: every item of every suite, each row's verdict, anchors to transcripts. */
function drilldownOf(builds: readonly RowBuild[], suites: readonly string[]): DrillDownSuite[] {
  return suites.map((suite, si) => {
    const perRow = builds.map((b) => aggregateItems(b.records.get(suite) ?? []));
    const ids: string[] = [];
    const seen = new Set<string>();
    for (const m of perRow) for (const id of m.keys()) if (!seen.has(id)) { seen.add(id); ids.push(id); }
    ids.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    return {
      suite,
      items: ids.map((item_id, ii) => {
        const verdicts: Record<string, ItemVerdict | undefined> = {};
        const passes = new Set<string>();
        builds.forEach((b, ri) => {
          const a = perRow[ri]!.get(item_id);
          if (!a) return;
          verdicts[b.row.key] = { attempts: a.attempts, passed: a.passed, mean: a.sum / a.attempts, errors: a.errors, anchor: `t-${ri}-${si}-${ii}` };
          passes.add(a.passed === a.attempts ? 'all' : a.passed === 0 ? 'none' : 'some');
        });
        return { item_id, verdicts, disagree: passes.size > 1 };
      }),
    };
  });
}

/** The summaries of a row's provider in its run. */
function rowSummaries(runs: readonly LoadedRun[], b: RowBuild): SuiteSummary[] {
  const run = runs.find((r) => r.manifest.run_id === b.row.run_id)!;
  return run.summary.suites.filter((s) => s.provider === b.row.provider);
}

/** A long-context series from attempts that carry a context length (and a needle depth). */
function longContextFromRecords(row: string, suite: string, recs: readonly AttemptRecord[]): LongContextSeries | null {
  const byLen = new Map<number, number[]>();
  const byCell = new Map<string, { length: number; depth: number; xs: number[] }>();
  for (const r of recs) {
    const { length, depth } = lengthDepthOf(r);
    if (length === null) continue;
    let l = byLen.get(length);
    if (!l) byLen.set(length, (l = []));
    l.push(r.score.value);
    if (depth !== null) {
      const k = `${length}|${depth}`;
      let c = byCell.get(k);
      if (!c) byCell.set(k, (c = { length, depth, xs: [] }));
      c.xs.push(r.score.value);
    }
  }
  if (byLen.size === 0) return null;
  return {
    row,
    suite,
    byLength: [...byLen].sort((x, y) => x[0] - y[0]).map(([length, xs]) => ({ length, mean: mean(xs), n: xs.length })),
    grid: [...byCell.values()].map((c) => ({ length: c.length, depth: c.depth, mean: mean(c.xs), n: c.xs.length })),
  };
}

/** Long-context series: from the samples, then from the summaries of rows without samples. */
function longContextOf(builds: readonly RowBuild[], runs: readonly LoadedRun[]): LongContextSeries[] {
  const longContext: LongContextSeries[] = [];
  for (const b of builds) {
    for (const [suite, recs] of b.records) {
      const series = longContextFromRecords(b.row.key, suite, recs);
      if (series) longContext.push(series);
    }
  }
  for (const b of builds) {
    if (b.records.size > 0) continue;
    for (const s of rowSummaries(runs, b)) {
      const series = longContextFromSummary(b.row.key, s);
      if (series) longContext.push(series);
    }
  }
  return longContext;
}

/** One suite's breakdown entries from the runner's by_metadata (single-key tables only). */
function breakdownsFromSummary(row: string, s: SuiteSummary, bm: Record<string, unknown>): ReportModel['breakdowns'] {
  const out: ReportModel['breakdowns'] = [];
  for (const [key, vals] of Object.entries(bm)) {
    if (!isObj(vals) || 'rows' in vals) continue; // two-key tables are charted, not listed
    const entries = Object.entries(vals);
    if (entries.length > MAX_BREAKDOWN_VALUES) continue;
    for (const [value, v] of entries) {
      const c = cellOf(v);
      if (c) out.push({ row, suite: s.suite, key, value, mean: c.mean, n: c.n });
    }
  }
  return out;
}

/** One suite's breakdown entries computed from its samples for the usual category keys. */
function breakdownsFromRecords(row: string, suite: string, recs: readonly AttemptRecord[]): ReportModel['breakdowns'] {
  const out: ReportModel['breakdowns'] = [];
  for (const key of BREAKDOWN_KEYS) {
    const groups = new Map<string, number[]>();
    for (const r of recs) {
      const v = r.metadata?.[key];
      if (v === undefined || v === null || typeof v === 'object' || r.unsupported) continue; // as in the mean
      const g = String(v);
      let l = groups.get(g);
      if (!l) groups.set(g, (l = []));
      l.push(r.score.value);
    }
    if (groups.size < 2 || groups.size > MAX_BREAKDOWN_VALUES) continue;
    const sorted = [...groups].sort((x, y) => x[0].localeCompare(y[0], 'en', { numeric: true }));
    for (const [value, xs] of sorted) out.push({ row, suite, key, value, mean: mean(xs), n: xs.length });
  }
  return out;
}

/** Breakdowns by item metadata: the runner's by_metadata when the summary has it, else
 *  computed from the samples for the usual category keys. */
function breakdownsOf(builds: readonly RowBuild[], runs: readonly LoadedRun[]): ReportModel['breakdowns'] {
  const breakdowns: ReportModel['breakdowns'] = [];
  for (const b of builds) {
    for (const s of rowSummaries(runs, b)) {
      const bm = s.breakdowns?.by_metadata;
      breakdowns.push(...(isObj(bm) ? breakdownsFromSummary(b.row.key, s, bm) : breakdownsFromRecords(b.row.key, s.suite, b.records.get(s.suite) ?? [])));
    }
  }
  return breakdowns;
}

/** Latency samples per row (distribution charts). */
function latencySamplesOf(builds: readonly RowBuild[]): ReportModel['latencySamples'] {
  const latencySamples: ReportModel['latencySamples'] = {};
  for (const b of builds) {
    const ttft: number[] = [];
    const tpot: number[] = [];
    const e2e: number[] = [];
    for (const recs of b.records.values()) {
      for (const r of recs) {
        const t = r.timings;
        if (!t || !measuredLatency(r, b.counting)) continue;
        if (typeof t.ttft_ms === 'number') ttft.push(t.ttft_ms);
        if (typeof t.tpot_ms === 'number') tpot.push(t.tpot_ms);
        if (typeof t.e2e_ms === 'number') e2e.push(t.e2e_ms);
      }
    }
    latencySamples[b.row.key] = { ttft_ms: ttft, tpot_ms: tpot, e2e_ms: e2e };
  }
  return latencySamples;
}

/** Means of the numeric (or boolean) score.details.metrics of one suite's records. */
function metricsFromRecords(row: string, suite: string, recs: readonly AttemptRecord[]): ReportModel['metrics'] {
  const acc = new Map<string, number[]>();
  for (const r of recs) {
    const m = r.score.details?.metrics;
    if (typeof m !== 'object' || m === null) continue;
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      const x = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' && Number.isFinite(v) ? v : null;
      if (x === null) continue;
      let l = acc.get(k);
      if (!l) acc.set(k, (l = []));
      l.push(x);
    }
  }
  return [...acc].map(([metric, xs]) => ({ row, suite, metric, mean: mean(xs), n: xs.length }));
}

/** Means of numeric score.details.metrics (e.g. math strict/flexible), else summary breakdowns.metrics. */
function metricsOf(builds: readonly RowBuild[], runs: readonly LoadedRun[]): ReportModel['metrics'] {
  const metrics: ReportModel['metrics'] = [];
  for (const b of builds) {
    for (const [suite, recs] of b.records) metrics.push(...metricsFromRecords(b.row.key, suite, recs));
    if (b.records.size > 0) continue;
    for (const run of runs) {
      if (run.manifest.run_id !== b.row.run_id) continue;
      for (const s of run.summary.suites) {
        if (s.provider !== b.row.provider) continue;
        const bm = s.breakdowns?.metrics;
        if (typeof bm !== 'object' || bm === null) continue;
        for (const [metric, v] of Object.entries(bm as Record<string, unknown>)) {
          const x = num(v) ?? num((v as { mean?: unknown } | null)?.mean);
          if (x !== null) metrics.push({ row: b.row.key, suite: s.suite, metric, mean: x, n: s.n });
        }
      }
    }
  }
  return metrics;
}

/** run.json `machine` → "AMD EPYC, 2 CPUs, 23.5 GiB" (null when it recorded none). */
export function describeMachine(m: Record<string, unknown> | null | undefined): string | null {
  if (!m) return null;
  const parts: string[] = [];
  if (typeof m['cpu_model'] === 'string' && m['cpu_model'] !== '') parts.push(m['cpu_model']);
  if (typeof m['cpus'] === 'number') parts.push(`${m['cpus']} CPU${m['cpus'] === 1 ? '' : 's'}`);
  if (typeof m['memory_bytes'] === 'number') parts.push(`${(m['memory_bytes'] / 2 ** 30).toFixed(1)} GiB`);
  return parts.length > 0 ? parts.join(', ') : null;
}

/** run.json `engine` → "0.1.0, avx512-bf16 kernels (of avx512-bf16, avx512, avx2, scalar)":
 *  the kernel set the native model and ops ran, so a report says which path its timings took. */
export function describeEngine(e: Record<string, unknown> | null | undefined): string | null {
  if (!e || typeof e['simd'] !== 'string') return null;
  const version = typeof e['version'] === 'string' ? `${e['version']}, ` : '';
  const sets = Array.isArray(e['kernelSets']) ? (e['kernelSets'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  return `${version}${e['simd']} kernels${sets.length > 1 ? ` (of ${sets.join(', ')})` : ''}`;
}

export function buildReportModel(runs: readonly LoadedRun[], opts: ModelOptions = {}): ReportModel {
  const builds = buildRows(runs);
  const suites: string[] = [];
  for (const run of runs) for (const s of run.summary.suites) if (!suites.includes(s.suite)) suites.push(s.suite);
  return {
    title: opts.title ?? 'dsabench leaderboard',
    generated_at: (opts.now ?? (() => new Date()))().toISOString(),
    runs: runs.map((r) => ({
      run_id: r.manifest.run_id,
      dir: r.dir,
      status: r.manifest.status,
      created_at: r.manifest.created_at,
      git_sha: r.manifest.git_sha,
      package_version: r.manifest.package_version,
      machine: describeMachine(r.manifest.machine),
      engine: describeEngine(r.manifest.engine),
      notes: r.notes,
    })),
    suites,
    rows: builds.map((b) => b.row),
    published: opts.published ?? null,
    drilldown: drilldownOf(builds, suites),
    longContext: longContextOf(builds, runs),
    latencySamples: latencySamplesOf(builds),
    metrics: metricsOf(builds, runs),
    breakdowns: breakdownsOf(builds, runs),
    cost: opts.cost ?? [],
  };
}
