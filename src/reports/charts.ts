/**
 * PNG charts of the report. Each builder returns a chart.js configuration, or null when the
 * data it needs is absent; `renderCharts` renders every applicable one synchronously with the
 * project's one renderer (src/util/chart-render.ts: chart.js through chartjs-node-canvas,
 * 1200×700, white background, 16 px DejaVu Sans).
 *
 * Error bars and the heat-map cells are drawn by small inline plugins: chart.js has
 * neither built in, and the plugin packages for them pull in more than they give.
 */
import type { Chart, ChartConfiguration, Plugin, Scale } from 'chart.js';
import { colour, FONT, renderChart } from '../util/chart-render.js';
import type { ChartImage, CostStudy, LongContextSeries, ReportModel } from './types.js';

// The renderer is shared with the training charts (src/model/train.ts).
export { renderChart } from '../util/chart-render.js';

/** 4096 → "4K", 131072 → "128K", 1500 → "1.5k". */
export function fmtTokens(n: number): string {
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K`;
  if (n >= 1000) return `${Math.round(n / 100) / 10}k`;
  return String(n);
}

const title = (text: string, subtitle?: string) => ({
  title: { display: true, text, font: { size: 22, weight: 'bold' as const }, padding: { top: 8, bottom: subtitle ? 4 : 14 } },
  subtitle: { display: subtitle !== undefined, text: subtitle ?? '', font: { size: 15 }, color: '#555', padding: { bottom: 12 } },
});
const axisTitle = (text: string) => ({ display: true, text, font: { size: 17, weight: 'bold' as const } });

type Cfg = ChartConfiguration;

/** Log-scale ticks at 1-2-5 × 10^k inside the axis range. */
function oneTwoFiveTicks(axis: Scale): void {
  if (!(axis.min > 0) || !(axis.max > 0)) return;
  const ticks: Array<{ value: number }> = [];
  for (let e = Math.floor(Math.log10(axis.min)); e <= Math.ceil(Math.log10(axis.max)); e++) {
    for (const d of [1, 2, 5]) {
      const v = d * 10 ** e;
      if (v >= axis.min * 0.999 && v <= axis.max * 1.001) ticks.push({ value: v });
    }
  }
  if (ticks.length >= 2) axis.ticks = ticks;
}

/** Log-scale ticks at powers of two (token positions and top-k are powers of two). */
function pow2Ticks(axis: Scale): void {
  const lo = Math.ceil(Math.log2(Math.max(1, axis.min)));
  const hi = Math.floor(Math.log2(Math.max(1, axis.max)));
  const ticks: Array<{ value: number }> = [];
  for (let e = lo; e <= hi; e++) ticks.push({ value: 2 ** e });
  if (ticks.length > 0) axis.ticks = ticks;
}

// ---------------------------------------------------------------- score bars + error bars

/** Draws [lo, hi] whiskers over each bar; intervals[datasetIndex][index] in data units. */
function errorBarPlugin(intervals: Array<Array<[number, number] | null>>): Plugin {
  return {
    id: 'dsabenchErrorBars',
    afterDatasetsDraw(chart: Chart) {
      const ctx = chart.ctx;
      const y = chart.scales.y as Scale;
      ctx.save();
      ctx.strokeStyle = '#222';
      ctx.lineWidth = 2;
      intervals.forEach((list, di) => {
        const meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        list.forEach((iv, i) => {
          const el = meta.data[i] as unknown as { x: number; width?: number } | undefined;
          if (!iv || !el) return;
          const x = el.x;
          const cap = Math.min(10, (el.width ?? 20) / 4);
          const top = y.getPixelForValue(iv[1]);
          const bottom = y.getPixelForValue(iv[0]);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, bottom);
          ctx.moveTo(x - cap, top);
          ctx.lineTo(x + cap, top);
          ctx.moveTo(x - cap, bottom);
          ctx.lineTo(x + cap, bottom);
          ctx.stroke();
        });
      });
      ctx.restore();
    },
  };
}

export function scoreChart(model: ReportModel): Cfg | null {
  if (model.rows.length === 0 || model.suites.length === 0) return null;
  const intervals: Array<Array<[number, number] | null>> = [];
  const datasets = model.rows.map((row, i) => {
    intervals.push(model.suites.map((s) => {
      const c = row.cells[s];
      return c ? [c.ci95[0] * 100, c.ci95[1] * 100] : null;
    }));
    return {
      label: row.label,
      data: model.suites.map((s) => (row.cells[s] ? row.cells[s]!.mean * 100 : null)),
      backgroundColor: colour(i),
      borderColor: colour(i),
      borderWidth: 1,
    };
  });
  return {
    type: 'bar',
    data: { labels: model.suites, datasets },
    options: {
      plugins: {
        ...title('Mean score per suite', 'bars: mean over attempts · whiskers: 95% confidence interval over items'),
        legend: { position: 'bottom' },
      },
      scales: {
        x: { title: axisTitle('Suite') },
        y: { min: 0, max: 100, title: axisTitle('Score (%)') },
      },
    },
    plugins: [errorBarPlugin(intervals)],
  } as Cfg;
}

// ---------------------------------------------------------------- latency

const LATENCY_NAMES = { e2e_ms: 'End-to-end latency', ttft_ms: 'Time to first token (TTFT)', tpot_ms: 'Time per output token (TPOT)' } as const;
export type LatencyMetric = keyof typeof LATENCY_NAMES;

/** Empirical CDF of one latency metric per row; at most 200 points per row. */
export function latencyCdfChart(model: ReportModel, metric: LatencyMetric): Cfg | null {
  const series = model.rows
    .map((row, i) => ({ row, i, xs: Float64Array.from(model.latencySamples[row.key]?.[metric] ?? []).sort() }))
    .filter((s) => s.xs.length > 0);
  if (series.length === 0) return null;
  const datasets = series.map(({ row, i, xs }) => {
    const n = xs.length;
    const step = Math.max(1, Math.floor(n / 200));
    const data: Array<{ x: number; y: number }> = [];
    for (let k = 0; k < n; k += step) data.push({ x: xs[k]!, y: ((k + 1) / n) * 100 });
    if (data[data.length - 1]!.y !== 100) data.push({ x: xs[n - 1]!, y: 100 });
    return { label: `${row.label} (n=${n})`, data, borderColor: colour(i), backgroundColor: colour(i), pointRadius: 0, borderWidth: 3, stepped: true as const };
  });
  const all = series.flatMap((s) => [s.xs[0]!, s.xs[s.xs.length - 1]!]);
  const useLog = Math.min(...all) > 0 && Math.max(...all) / Math.min(...all) > 50;
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      plugins: { ...title(`${LATENCY_NAMES[metric]}: distribution`, 'share of requests completed within x milliseconds (empirical CDF); dotted lines: p50 and p90'), legend: { position: 'bottom' } },
      scales: {
        x: { type: useLog ? 'logarithmic' : 'linear', title: axisTitle(`${LATENCY_NAMES[metric]} (ms${useLog ? ', log scale' : ''})`) },
        y: { min: 0, max: 100, title: axisTitle('Requests at or below x (%)') },
      },
    },
    plugins: [{
      id: 'dsabenchQuantileLines',
      afterDatasetsDraw(chart: Chart) {
        const ctx = chart.ctx;
        const y = chart.scales.y as Scale;
        const area = chart.chartArea;
        ctx.save();
        ctx.setLineDash([4, 6]);
        ctx.strokeStyle = '#888';
        ctx.lineWidth = 1;
        for (const q of [50, 90]) {
          const py = y.getPixelForValue(q);
          ctx.beginPath();
          ctx.moveTo(area.left, py);
          ctx.lineTo(area.right, py);
          ctx.stroke();
        }
        ctx.restore();
      },
    }],
  } as Cfg;
}

/** p50/p90/p99 end-to-end latency per row (works from summaries alone). */
export function latencyPercentileChart(model: ReportModel): Cfg | null {
  const rows = model.rows.filter((r) => r.overall.latency.e2e_ms.p50 !== null);
  if (rows.length === 0) return null;
  const stats = [['p50', '#4e79a7'], ['p90', '#f28e2b'], ['p99', '#e15759']] as const;
  return {
    type: 'bar',
    data: {
      labels: rows.map((r) => r.label),
      datasets: stats.map(([s, c]) => ({ label: s, data: rows.map((r) => r.overall.latency.e2e_ms[s]), backgroundColor: c })),
    },
    options: {
      indexAxis: 'y',
      plugins: { ...title('End-to-end latency percentiles per provider', 'all suites of the row together'), legend: { position: 'bottom' } },
      scales: { x: { beginAtZero: true, title: axisTitle('End-to-end latency (ms)') }, y: { title: axisTitle('Provider') } },
    },
  } as Cfg;
}

// ---------------------------------------------------------------- cost study

function costSeries(studies: readonly CostStudy[], value: (p: CostStudy['points'][number]) => number | null | undefined) {
  const datasets: Array<Record<string, unknown>> = [];
  studies.forEach((study) => {
    for (const mode of ['decode', 'prefill'] as const) {
      for (const attention of ['dense', 'sparse'] as const) {
        const pts = study.points
          .filter((p) => { const v = value(p); return p.mode === mode && p.attention === attention && typeof v === 'number' && v > 0; })
          .sort((a, b) => a.position - b.position)
          .map((p) => ({ x: p.position, y: value(p)! }));
        if (pts.length === 0) continue;
        const c = attention === 'dense' ? '#e15759' : '#4e79a7';
        datasets.push({
          label: `${studies.length > 1 ? study.profile + ' · ' : ''}${mode} · ${attention === 'dense' ? 'dense attention' : 'sparse (DSA)'}`,
          data: pts,
          borderColor: c,
          backgroundColor: c,
          borderDash: mode === 'prefill' ? [10, 6] : [],
          pointStyle: mode === 'prefill' ? 'rectRot' : 'circle',
          pointRadius: 5,
          borderWidth: 3,
        });
      }
    }
  });
  return datasets;
}

function costChart(studies: readonly CostStudy[], file: string, titleText: string, yLabel: string, value: (p: CostStudy['points'][number]) => number | null | undefined, note = ''): { file: string; cfg: Cfg } | null {
  const datasets = costSeries(studies, value);
  if (datasets.length === 0) return null;
  const hw = [...new Set(studies.map((s) => `${s.profile}${s.hardware ? ' on ' + s.hardware : ''}`))].join('; ');
  return {
    file,
    cfg: {
      type: 'line',
      data: { datasets },
      options: {
        parsing: false,
        plugins: { ...title(titleText, `${hw}${note} · solid: decode, dashed: prefill · red: dense, blue: sparse`), legend: { position: 'bottom' } },
        scales: {
          x: { type: 'logarithmic', title: axisTitle('Token position (tokens, log scale)'), afterBuildTicks: pow2Ticks, ticks: { callback: (v: number | string) => fmtTokens(Number(v)) } },
          y: { type: 'logarithmic', title: axisTitle(yLabel), afterBuildTicks: oneTwoFiveTicks, ticks: { autoSkip: false, callback: (v: number | string) => String(Number(Number(v).toPrecision(3))) } },
        },
      },
    } as unknown as Cfg,
  };
}

export function costCharts(studies: readonly CostStudy[]): Array<{ file: string; cfg: Cfg }> {
  if (studies.length === 0) return [];
  // Money estimated from measured attention (layers × time + non-attention at the dense rate) × machine price when the study has it; else the projection, labelled as such.
  const measuredUsd = studies.some((s) => s.points.some((p) => typeof p.usd_per_mtok === 'number'));
  return [
    costChart(studies, 'cost-time.png', 'Attention cost per token vs position: dense vs sparse', 'Median time per step (ms, log scale)', (p) => p.ms_median),
    costChart(studies, 'cost-flops.png', 'Attention FLOPs per token vs position: dense vs sparse', 'GFLOP per query token per layer (log scale)', (p) => p.flops / 1e9),
    measuredUsd
      ? costChart(studies, 'cost-usd.png', 'Cost per million tokens vs position: dense vs sparse (estimate built on measured attention)', 'USD per million tokens (log scale)', (p) => p.usd_per_mtok)
      : costChart(studies, 'cost-usd.png', 'Cost per million tokens vs position: dense vs sparse (projected)', 'USD per million tokens (log scale)', (p) => p.projected_usd_per_mtok, ` · ${studies.find((s) => s.projection_label)?.projection_label ?? 'projection, not a measurement'}`),
  ].filter((c): c is { file: string; cfg: Cfg } => c !== null);
}

export function qualityChart(studies: readonly CostStudy[]): Cfg | null {
  const withQ = studies.filter((s) => (s.quality?.length ?? 0) > 0);
  if (withQ.length === 0) return null;
  const datasets: Array<Record<string, unknown>> = [];
  withQ.forEach((s, i) => {
    const q = [...s.quality!].sort((a, b) => a.k - b.k);
    const prefix = withQ.length > 1 ? `${s.profile} · ` : '';
    datasets.push({ label: `${prefix}attention mass recalled (%)`, data: q.map((p) => ({ x: p.k, y: p.mass_recall * 100 })), borderColor: colour(i * 2), backgroundColor: colour(i * 2), yAxisID: 'y', borderWidth: 3, pointRadius: 5 });
    datasets.push({ label: `${prefix}relative output error (%)`, data: q.map((p) => ({ x: p.k, y: p.rel_error * 100 })), borderColor: colour(i * 2 + 1), backgroundColor: colour(i * 2 + 1), yAxisID: 'y1', borderDash: [10, 6], borderWidth: 3, pointRadius: 5, pointStyle: 'rectRot' });
  });
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      plugins: { ...title('Sparse attention quality vs top-k', 'how much of the dense attention mass the selected tokens hold, and the output error it leaves'), legend: { position: 'bottom' } },
      scales: {
        x: { type: 'logarithmic', title: axisTitle('Selected tokens per query, top-k (log scale)'), afterBuildTicks: pow2Ticks, ticks: { callback: (v: number | string) => fmtTokens(Number(v)) } },
        y: { min: 0, max: 100, position: 'left', title: axisTitle('Attention mass recalled (%)') },
        y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: axisTitle('Relative output error (%)') },
      },
    },
  } as unknown as Cfg;
}

// ---------------------------------------------------------------- long context

const POINT_STYLES = ['circle', 'triangle', 'rectRot', 'rect', 'star', 'crossRot'] as const;

export function accuracyLengthChart(model: ReportModel): Cfg | null {
  if (model.longContext.length === 0) return null;
  const lengths = [...new Set(model.longContext.flatMap((s) => s.byLength.map((b) => b.length)))].sort((a, b) => a - b);
  const labelOf = new Map(model.rows.map((r) => [r.key, r.label]));
  const multiSuite = new Set(model.longContext.map((s) => s.suite)).size > 1;
  // Dense and sparse often score the same at a length, and Chart.js draws the first series on
  // top: so each later series gets a larger marker of another shape, and every series but the
  // last a dashed line, so that a series hidden under another still shows around and between.
  const n = model.longContext.length;
  const datasets = model.longContext.map((s, i) => {
    const m = new Map(s.byLength.map((b) => [b.length, b.mean * 100]));
    return {
      label: `${labelOf.get(s.row) ?? s.row}${multiSuite ? ' · ' + s.suite : ''}`,
      data: lengths.map((l) => m.get(l) ?? null),
      borderColor: colour(i),
      backgroundColor: colour(i),
      borderWidth: 3,
      borderDash: i < n - 1 ? [8, 6] : [],
      pointStyle: POINT_STYLES[i % POINT_STYLES.length],
      pointRadius: 6 + 3 * i,
      clip: false as const, // markers at 100% stay whole above the plot area
      spanGaps: true,
    };
  });
  return {
    type: 'line',
    data: { labels: lengths.map(fmtTokens), datasets },
    options: {
      plugins: { ...title('Long-context accuracy vs context length', 'mean score of the attempts at each target context length'), legend: { position: 'bottom', labels: { usePointStyle: true } } },
      scales: { x: { title: axisTitle('Context length (tokens)') }, y: { min: 0, max: 100, title: axisTitle('Accuracy (%)') } },
    },
  } as Cfg;
}

/** Red (0%) → amber (50%) → green (100%). */
export function heatColour(v: number): string {
  const t = Math.max(0, Math.min(1, v));
  const lerp = (a: number, b: number, u: number) => Math.round(a + (b - a) * u);
  const [r, g, b] = t < 0.5
    ? [lerp(215, 253, t * 2), lerp(48, 204, t * 2), lerp(39, 92, t * 2)]
    : [lerp(253, 26, (t - 0.5) * 2), lerp(204, 150, (t - 0.5) * 2), lerp(92, 65, (t - 0.5) * 2)];
  return `rgb(${r},${g},${b})`;
}

export function needleHeatmap(series: LongContextSeries, rowLabel: string): Cfg | null {
  if (series.grid.length === 0) return null;
  const lengths = [...new Set(series.grid.map((g) => g.length))].sort((a, b) => a - b);
  const depths = [...new Set(series.grid.map((g) => g.depth))].sort((a, b) => a - b);
  const cells = series.grid.map((g) => ({ x: lengths.indexOf(g.length), y: depths.indexOf(g.depth), v: g.mean, n: g.n }));
  const plugin: Plugin = {
    id: 'dsabenchHeatmap',
    afterDatasetsDraw(chart: Chart) {
      const ctx = chart.ctx;
      const xs = chart.scales.x as Scale;
      const ys = chart.scales.y as Scale;
      const w = Math.abs(xs.getPixelForValue(1) - xs.getPixelForValue(0));
      const h = Math.abs(ys.getPixelForValue(1) - ys.getPixelForValue(0));
      ctx.save();
      for (const c of cells) {
        const cx = xs.getPixelForValue(c.x);
        const cy = ys.getPixelForValue(c.y);
        ctx.fillStyle = heatColour(c.v);
        ctx.fillRect(cx - w / 2 + 1, cy - h / 2 + 1, w - 2, h - 2);
        if (w > 40 && h > 18) {
          ctx.fillStyle = '#111';
          ctx.font = `${Math.min(16, Math.floor(h * 0.6))}px "${FONT}"`;
          ctx.textAlign = 'center';
          ctx.textBaseline = 'middle';
          ctx.fillText(`${Math.round(c.v * 100)}`, cx, cy);
        }
      }
      // Colour key on the right: 0% at the bottom, 100% at the top.
      const area = chart.chartArea;
      const kx = area.right + 30;
      const kh = area.bottom - area.top;
      const grad = ctx.createLinearGradient(0, area.top, 0, area.bottom);
      for (let i = 0; i <= 10; i++) grad.addColorStop(i / 10, heatColour(1 - i / 10));
      ctx.fillStyle = grad;
      ctx.fillRect(kx, area.top, 22, kh);
      ctx.fillStyle = '#222';
      ctx.font = `15px "${FONT}"`;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      ctx.fillText('100%', kx + 28, area.top + 6);
      ctx.fillText('50%', kx + 28, area.top + kh / 2);
      ctx.fillText('0%', kx + 28, area.bottom - 6);
      ctx.restore();
    },
  };
  return {
    type: 'scatter',
    data: { datasets: [{ label: 'cells', data: cells.map((c) => ({ x: c.x, y: c.y })), pointRadius: 0 }] },
    options: {
      layout: { padding: { right: 100 } },
      plugins: { ...title(`Needle retrieval: depth × context length — ${rowLabel}`, `${series.suite} · cell: accuracy (%) of the attempts at that depth and length`), legend: { display: false }, tooltip: { enabled: false } },
      scales: {
        x: { type: 'linear', min: -0.5, max: lengths.length - 0.5, grid: { display: false }, title: axisTitle('Context length (tokens)'), afterBuildTicks: (axis: Scale) => { axis.ticks = lengths.map((_, i) => ({ value: i })); }, ticks: { callback: (v: number | string) => { const i = Number(v); return Number.isInteger(i) && lengths[i] !== undefined ? fmtTokens(lengths[i]!) : ''; } } },
        y: { type: 'linear', reverse: true, min: -0.5, max: depths.length - 0.5, grid: { display: false }, title: axisTitle('Needle depth (% of context, top = start)'), afterBuildTicks: (axis: Scale) => { axis.ticks = depths.map((_, i) => ({ value: i })); }, ticks: { callback: (v: number | string) => { const i = Number(v); return Number.isInteger(i) && depths[i] !== undefined ? `${depths[i]}%` : ''; } } },
      },
    },
    plugins: [plugin],
  } as Cfg;
}

// ---------------------------------------------------------------- rendering

/** Every chart that applies to the model, rendered. File names are stable. */
export function renderCharts(model: ReportModel): ChartImage[] {
  const out: ChartImage[] = [];
  const add = (file: string, cfg: Cfg | null): void => {
    if (!cfg) return;
    const t = (cfg.options?.plugins?.title?.text as string | undefined) ?? file;
    out.push({ file, title: t, png: renderChart(cfg) });
  };
  add('scores.png', scoreChart(model));
  add('latency-percentiles.png', latencyPercentileChart(model));
  for (const m of ['e2e_ms', 'ttft_ms', 'tpot_ms'] as const) add(`latency-${m.replace('_ms', '')}-cdf.png`, latencyCdfChart(model, m));
  add('accuracy-vs-length.png', accuracyLengthChart(model));
  const labelOf = new Map(model.rows.map((r) => [r.key, r.label]));
  model.longContext.forEach((s, i) => add(`needle-heatmap-${i + 1}.png`, needleHeatmap(s, labelOf.get(s.row) ?? s.row)));
  for (const c of costCharts(model.cost)) add(c.file, c.cfg);
  add('quality-vs-topk.png', qualityChart(model.cost));
  return out;
}
