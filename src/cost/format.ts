/**
 * Human-readable output of a CostReport (Markdown tables on stdout) and the CSV of its points.
 */
import { stringify } from 'csv-stringify/sync';
import type { CostPoint } from './curves.js';
import type { CostReport } from './study.js';

function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toLocaleString('en-US');
}

/** A share as a percentage: whole percents from 10% (so 125% does not round to 130%), two digits below. */
function pct(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  const v = 100 * x;
  return `${Math.abs(v) >= 10 ? Math.round(v).toLocaleString('en-US') : num(v, 2)}%`;
}

function pos(p: number): string {
  return p % 1024 === 0 ? `${p / 1024}K` : String(p);
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Marks money built on model_ms, which adds an estimate to the measured attention time. */
export const EST = '(est.)';
export const EST_NOTE =
  '"$/Mtok (est.)" is an estimate built on a measurement: layers × the measured attention time plus the non-attention FLOPs at the measured dense FLOP rate, at --price-per-hour.';
export const PROJ_NOTE = '"(proj.)" is a roofline projection on the GPU profile: a model, not a measurement.';

export function formatMarkdown(r: CostReport): string {
  const out: string[] = [];
  out.push(`# Cost study: ${r.profile}${r.hardware ? ` (projection on ${r.hardware})` : ''}`);
  out.push('');
  out.push(`Timer: ${r.timer}. Repeats ${r.settings.repeats}, threads ${r.settings.threads}, prefill chunk ${r.settings.chunk}.`);
  out.push('Per-layer figures are one attention layer per token; "model" adds layers × attention and the non-attention FLOPs.');
  out.push(
    '"indexer share of DSA time": the selection phase (indexer + top-k) timed inside each fused DSA call ÷ that call\'s wall time, median over the calls' +
      ' ("–": not measured); "of DSA FLOPs": analytic. ' + EST_NOTE + ' ' + PROJ_NOTE,
  );
  for (const mode of r.settings.modes) {
    const pts = r.points.filter((p) => p.mode === mode);
    if (pts.length === 0) continue;
    out.push('');
    out.push(`## ${mode}`);
    out.push('');
    const positions = [...new Set(pts.map((p) => p.position))];
    const rows = positions.map((position) => {
      const d = pts.find((p) => p.position === position && p.attention === 'dense')!;
      const s = pts.find((p) => p.position === position && p.attention === 'sparse')!;
      return [
        pos(position),
        r.measured ? num(d.ms_median) : 'unsupported',
        r.measured ? num(s.ms_median) : 'unsupported',
        d.ms_median && s.ms_median ? `${num(d.ms_median / s.ms_median)}×` : '–',
        num(d.flops / 1e9),
        num(s.flops / 1e9),
        `${num(d.flops / s.flops)}×`,
        num(s.bytes / 1e6),
        pct(s.indexer_share),
        pct(s.indexer_share_flops),
        num(d.usd_per_mtok),
        num(s.usd_per_mtok),
        num(d.projected_usd_per_mtok),
        num(s.projected_usd_per_mtok),
      ];
    });
    out.push(
      table(
        ['position', 'dense ms', 'DSA ms', 'measured ratio', 'dense GFLOP', 'DSA GFLOP', 'FLOP ratio', 'DSA MB read', 'indexer share of DSA time', 'indexer share of DSA FLOPs', `dense $/Mtok ${EST}`, `DSA $/Mtok ${EST}`, 'dense $/Mtok (proj.)', 'DSA $/Mtok (proj.)'],
        rows,
      ),
    );
    const be = r.break_even?.[mode];
    out.push('');
    out.push(
      `Break-even (DSA cheaper from): measured ${r.break_even ? (be === null || be === undefined ? 'none in range' : pos(be)) : 'unsupported'}` +
        `, analytic FLOPs ${fmtBe(r.analytic_break_even[mode])}` +
        (r.projected_break_even ? `, projected ${fmtBe(r.projected_break_even[mode])}` : '') +
        '.',
    );
  }
  if (r.summary.length > 0) {
    out.push('');
    out.push('## Dense / DSA at the largest position');
    out.push('');
    out.push(
      table(
        ['mode', 'position', 'measured (attention)', 'measured (model est.)', 'FLOPs (attention)', 'projected (model)'],
        r.summary.map((s) => [s.mode, pos(s.position), ratio(s.measured_ratio), ratio(s.measured_model_ratio), ratio(s.flops_ratio), ratio(s.projected_ratio)]),
      ),
    );
  }
  if (r.published) {
    out.push('');
    out.push(`## Published vs projected (${r.published.label}; ${r.published.hardware} at $${r.published.price_per_hour}/h)`);
    out.push('');
    out.push(
      table(
        ['metric', 'published', 'projected (peak)', 'projected (achieved kernels)', 'projected/published', 'within ±50%'],
        r.published.rows.map((x) => [x.metric, num(x.published), num(x.projected), num(x.projected_achieved), num(x.ratio), x.within_50pct ? 'yes' : 'no']),
      ),
    );
    out.push('');
    for (const n of r.published.notes) out.push(`- ${n}`);
  }
  if (r.quality) {
    out.push('');
    out.push(`## Fidelity vs k (${r.quality_setup?.ops}; synthetic local + sink + retrieval mix, L = ${r.quality_setup?.shape.L})`);
    out.push('');
    out.push(
      table(
        ['k', 'mass recall', 'oracle mass recall', 'relative output error'],
        r.quality.map((q) => [String(q.k), num(q.mass_recall), num(q.oracle_mass_recall), num(q.rel_error)]),
      ),
    );
  }
  if (r.workload) {
    for (const w of r.workload) {
      out.push('');
      const replayed = w.cached > 0 ? `, ${w.cached} replayed from the response cache and left out` : '';
      out.push(`## Workload: run ${w.run_id} (${w.attempts} attempts, ${w.turns} turns, ${w.skipped} without token counts${replayed})`);
      out.push('');
      const rows = [
        ['run', 'all', String(w.attempts), ...costCells(w.cost)],
        ...w.suites.map((s) => ['suite', s.suite, String(s.attempts), ...costCells(s.cost)]),
      ];
      out.push(table(['level', 'name', 'attempts', 'dense PFLOP', 'DSA PFLOP', `dense $ ${EST}`, `DSA $ ${EST}`, 'dense $ (proj.)', 'DSA $ (proj.)', 'dense/DSA', 'basis'], rows));
    }
  }
  return out.join('\n') + '\n';
}

function costCells(c: { dense: { flops: number; usd?: number; projected_usd?: number }; sparse: { flops: number; usd?: number; projected_usd?: number }; ratio: number; ratio_basis: string }): string[] {
  // 'measured' totals come from model_ms, which is an estimate on top of measured attention.
  const basis = c.ratio_basis === 'measured' ? 'estimate (measured attention)' : c.ratio_basis;
  return [num(c.dense.flops / 1e15), num(c.sparse.flops / 1e15), num(c.dense.usd), num(c.sparse.usd), num(c.dense.projected_usd), num(c.sparse.projected_usd), `${num(c.ratio)}×`, basis];
}

function fmtBe(x: number | null | undefined): string {
  return x === null || x === undefined ? 'none' : pos(x);
}

function ratio(x: number | null): string {
  return x === null ? '–' : `${num(x)}×`;
}

export const CSV_COLUMNS: Array<keyof CostPoint> = [
  'mode', 'position', 'length', 'attention', 'chunk', 'ms_median', 'threads', 'gflops', 'flops', 'bytes', 'indexer_share', 'indexer_share_flops',
  'model_flops', 'model_ms', 'usd_per_mtok', 'projected_usd_per_mtok', 'projected_bound',
];

export function formatCsv(points: readonly CostPoint[]): string {
  return stringify(
    points.map((p) => CSV_COLUMNS.map((c) => p[c] ?? '')),
    { header: true, columns: CSV_COLUMNS as string[] },
  );
}
