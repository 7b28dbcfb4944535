/**
 * leaderboard.csv: one line per measured provider × suite, plus one per published score
 * (kind = "published", measured columns empty). Scores are fractions in [0, 1]; published
 * values keep their own unit (percent or rating).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { PUBLISHED_LABEL } from '../published.js';
import type { ReportModel } from '../types.js';
import type { Reporter, ReporterContext } from './types.js';

export const CSV_COLUMNS = [
  'kind', 'provider', 'run_id', 'suite', 'n', 'n_items', 'n_errors', 'mean', 'ci95_low', 'ci95_high', 'stderr', 'pass_rate', 'pass_at_k',
  'prompt_tokens', 'completion_tokens', 'reasoning_tokens', 'total_tokens',
  'ttft_p50_ms', 'ttft_p90_ms', 'ttft_p99_ms', 'tpot_p50_ms', 'tpot_p90_ms', 'tpot_p99_ms', 'e2e_p50_ms', 'e2e_p90_ms', 'e2e_p99_ms',
  'throughput_tok_s', 'cost_total_usd', 'cost_per_item_usd', 'published_value', 'published_unit', 'note',
  // Counted apart (appended, so column positions of older readers hold): see summary.schema.json.
  'n_unsupported', 'n_cached', 'n_no_usage',
] as const;

type Row = Record<(typeof CSV_COLUMNS)[number], string | number | null>;

export function leaderboardCsv(model: ReportModel): string {
  const rows: Row[] = [];
  const blank = Object.fromEntries(CSV_COLUMNS.map((c) => [c, null])) as Row;
  for (const r of model.rows) {
    for (const s of model.suites) {
      const c = r.cells[s];
      if (!c) continue;
      rows.push({
        ...blank,
        kind: 'measured', provider: r.provider, run_id: r.run_id, suite: s, n: c.n, n_items: c.n_items, n_errors: c.n_errors,
        mean: c.mean, ci95_low: c.ci95[0], ci95_high: c.ci95[1], stderr: c.stderr, pass_rate: c.pass_rate,
        pass_at_k: c.pass_at_k ? Object.entries(c.pass_at_k).map(([k, v]) => `${k}=${v}`).join(';') : null,
        prompt_tokens: c.tokens.prompt, completion_tokens: c.tokens.completion, reasoning_tokens: c.tokens.reasoning, total_tokens: c.tokens.total,
        ttft_p50_ms: c.latency.ttft_ms.p50, ttft_p90_ms: c.latency.ttft_ms.p90, ttft_p99_ms: c.latency.ttft_ms.p99,
        tpot_p50_ms: c.latency.tpot_ms.p50, tpot_p90_ms: c.latency.tpot_ms.p90, tpot_p99_ms: c.latency.tpot_ms.p99,
        e2e_p50_ms: c.latency.e2e_ms.p50, e2e_p90_ms: c.latency.e2e_ms.p90, e2e_p99_ms: c.latency.e2e_ms.p99,
        throughput_tok_s: c.throughput_tok_s, cost_total_usd: c.cost_total, cost_per_item_usd: c.cost_per_item,
        n_unsupported: c.n_unsupported, n_cached: c.n_cached, n_no_usage: c.n_no_usage,
      });
    }
  }
  if (model.published) {
    for (const m of model.published.models) {
      for (const [bench, value] of Object.entries(m.scores)) {
        rows.push({ ...blank, kind: 'published', provider: m.model, suite: bench, published_value: value, published_unit: model.published.benchmarks[bench]?.unit ?? null, note: PUBLISHED_LABEL });
      }
    }
  }
  return stringify(rows, { header: true, columns: [...CSV_COLUMNS], cast: { number: (v) => String(v) } });
}

export function csvReporter(): Reporter {
  return {
    name: 'csv',
    onReport(model: ReportModel, ctx: ReporterContext): string[] {
      const file = join(ctx.outDir, 'leaderboard.csv');
      writeFileSync(file, leaderboardCsv(model));
      return [file];
    },
  };
}
