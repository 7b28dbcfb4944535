/**
 * report.md: GitHub-flavoured Markdown for a job summary ($GITHUB_STEP_SUMMARY) or a PR
 * comment. Tables only (no HTML beyond <details>), charts as images or links to charts/*.png, the
 * drill-down limited to items on which providers disagree (the full one is in report.html).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLISHED_LABEL } from '../published.js';
import type { ReportModel } from '../types.js';
import { ciText, countedApartNotes, DASH, escMd, int, passAtKText, pct, pcts, rate, usd } from '../format.js';
import type { MdCharts, Reporter, ReporterContext } from './types.js';

/** Most disagreement rows listed per suite in the Markdown drill-down. */
const MAX_MD_ITEMS = 25;

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderMarkdown(model: ReportModel, charts: ReadonlyArray<{ file: string; title: string }> = [], mode: MdCharts = 'embed'): string {
  const out: string[] = [];
  out.push(`# ${escMd(model.title)}`, '');
  out.push(`Generated ${model.generated_at} from ${model.runs.length} run(s): ${model.runs.map((r) => `\`${r.run_id}\``).join(', ')}.`, '');

  out.push('## Leaderboard', '');
  out.push('Mean score (%) per suite with its 95% confidence interval; n = attempts.', '');
  out.push(table(
    ['Provider', ...model.suites.map(escMd)],
    model.rows.map((r) => [
      `**${escMd(r.label)}**`,
      ...model.suites.map((s) => {
        const c = r.cells[s];
        return c ? `${pct(c.mean)} ${ciText(c.ci95)} (n=${c.n})` : DASH;
      }),
    ]),
  ));
  out.push('');

  const apart = countedApartNotes(model);
  if (apart.length > 0) out.push('Counted apart:', '', ...apart.map((l) => `- ${escMd(l)}`), '');

  out.push('## Latency, tokens, throughput, cost', '');
  out.push(table(
    ['Provider', 'Attempts', 'TTFT p50/p90/p99 (ms)', 'TPOT p50/p90/p99 (ms)', 'End-to-end p50/p90/p99 (ms)', 'Throughput (tok/s)', 'Tokens in / out', 'Cost'],
    model.rows.map((r) => [
      escMd(r.label), int(r.overall.n), pcts(r.overall.latency.ttft_ms), pcts(r.overall.latency.tpot_ms), pcts(r.overall.latency.e2e_ms),
      rate(r.overall.throughput_tok_s), `${int(r.overall.tokens.prompt)} / ${int(r.overall.tokens.completion)}`, usd(r.overall.cost_total),
    ]),
  ));
  out.push('');

  out.push('<details><summary>Per suite details</summary>', '');
  for (const s of model.suites) {
    out.push(`### ${escMd(s)}`, '');
    out.push(table(
      ['Provider', 'n', 'Items', 'Errors', 'Unsupported', 'Cached', 'Mean', '95% CI', 'pass@k', 'E2E p50/p90/p99 (ms)', 'Tok/s', 'Cost/item'],
      model.rows.filter((r) => r.cells[s]).map((r) => {
        const c = r.cells[s]!;
        return [escMd(r.label), int(c.n), int(c.n_items), int(c.n_errors), int(c.n_unsupported), int(c.n_cached), pct(c.mean), ciText(c.ci95), passAtKText(c.pass_at_k), pcts(c.latency.e2e_ms), rate(c.throughput_tok_s), usd(c.cost_per_item)];
      }),
    ));
    out.push('');
  }
  out.push('</details>', '');

  if (model.metrics.length > 0) {
    out.push('## Score metrics', '');
    const label = new Map(model.rows.map((r) => [r.key, r.label]));
    out.push(table(['Provider', 'Suite', 'Metric', 'Mean (%)', 'n'], model.metrics.map((m) => [escMd(label.get(m.row) ?? m.row), escMd(m.suite), escMd(m.metric), pct(m.mean), int(m.n)])));
    out.push('');
  }

  if (model.breakdowns.length > 0) {
    const label = new Map(model.rows.map((r) => [r.key, r.label]));
    out.push('<details><summary>Breakdowns by item metadata</summary>', '');
    out.push(table(['Provider', 'Suite', 'Key', 'Value', 'Mean (%)', 'n'], model.breakdowns.map((b) => [escMd(label.get(b.row) ?? b.row), escMd(b.suite), escMd(b.key), escMd(b.value), pct(b.mean), int(b.n)])));
    out.push('', '</details>', '');
  }

  if (model.published) {
    const p = model.published;
    const benches = Object.keys(p.benchmarks);
    out.push(`## Reference scores (${PUBLISHED_LABEL})`, '');
    out.push(`> ${escMd(p.note)} Source: ${escMd(p.source)}.`, '');
    out.push(table(
      ['Model (published, not measured)', ...benches.map((b) => `${escMd(b)}${p.benchmarks[b]!.unit === '%' ? ' (%)' : ` (${escMd(p.benchmarks[b]!.unit)})`}`)],
      p.models.map((m) => [`_${escMd(m.model)}_ (published)`, ...benches.map((b) => (m.scores[b] === undefined ? DASH : String(m.scores[b])))]),
    ));
    out.push('');
  }

  if (charts.length > 0 && mode !== 'none') {
    out.push('## Charts', '');
    if (mode === 'embed') for (const c of charts) out.push(`![${escMd(c.title)}](charts/${c.file})`, '');
    else out.push(...charts.map((c) => `- [${escMd(c.title)}](charts/${c.file})`), '');
  }

  const disagreeing = model.drilldown.map((d) => ({ suite: d.suite, items: d.items.filter((i) => i.disagree) })).filter((d) => d.items.length > 0);
  if (disagreeing.length > 0 && model.rows.length > 1) {
    out.push('## Items where providers disagree', '');
    for (const d of disagreeing) {
      out.push(`<details><summary>${escMd(d.suite)}: ${d.items.length} item(s)</summary>`, '');
      out.push(table(
        ['Item', ...model.rows.map((r) => escMd(r.label))],
        d.items.slice(0, MAX_MD_ITEMS).map((i) => [
          `\`${escMd(i.item_id)}\``,
          ...model.rows.map((r) => {
            const v = i.verdicts[r.key];
            if (!v) return DASH;
            return v.attempts === 1 ? (v.passed ? 'pass' : 'fail') : `${v.passed}/${v.attempts}`;
          }),
        ]),
      ));
      if (d.items.length > MAX_MD_ITEMS) out.push('', `… and ${d.items.length - MAX_MD_ITEMS} more (see report.html).`);
      out.push('', '</details>', '');
    }
  }

  out.push('## Runs', '');
  out.push(table(
    ['Run', 'Status', 'Created', 'Git SHA', 'Machine', 'Native engine'],
    model.runs.map((r) => [`\`${r.run_id}\``, r.status, r.created_at, r.git_sha ? `\`${r.git_sha.slice(0, 12)}\`` : DASH, escMd(r.machine ?? DASH), escMd(r.engine ?? DASH)]),
  ), '');
  const notes = model.runs.flatMap((r) => r.notes.map((n) => `- \`${r.run_id}\`: ${escMd(n)}`));
  if (notes.length > 0) out.push('## Loading notes', '', ...notes, '');
  return out.join('\n');
}

export function markdownReporter(): Reporter {
  return {
    name: 'md',
    needsCharts: true,
    onReport(model: ReportModel, ctx: ReporterContext): string[] {
      const file = join(ctx.outDir, 'report.md');
      writeFileSync(file, renderMarkdown(model, ctx.charts, ctx.mdCharts));
      return [file];
    },
  };
}
