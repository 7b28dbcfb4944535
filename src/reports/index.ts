/**
 * Report generation: runs (dirs, globs) → ReportModel → charts → reporters' files.
 *
 *   const res = await generateReport({ runs: ['results/*'], outDir: 'report', formats: ['html', 'md'] });
 *   res.files  // ['report/charts/scores.png', …, 'report/report.html', 'report/report.md']
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderCharts } from './charts.js';
import { loadCostStudy } from './cost.js';
import { loadRuns } from '../results/load.js';
import { buildReportModel } from './model.js';
import { loadPublishedScores } from './published.js';
import { ALL_FORMATS, REPORTERS, type ReportFormat, type ReporterContext } from './reporters/index.js';
import type { MdCharts } from './reporters/types.js';
import type { ChartImage, LoadedRun, ReportModel } from './types.js';

export interface ReportOptions {
  /** Run directories, globs, summary.json files, or folders of run directories. */
  runs: readonly string[];
  outDir: string;
  formats?: readonly ReportFormat[];
  /** Cost study output folders (or cost.json files). */
  cost?: readonly string[];
  title?: string;
  /** Include the published reference rows (default true). */
  published?: boolean;
  maxTranscriptChars?: number;
  /** Charts in report.md: embed (default), link or none. */
  mdCharts?: MdCharts;
  now?: () => Date;
}

export interface ReportResult {
  files: string[];
  model: ReportModel;
  charts: ChartImage[];
  runs: LoadedRun[];
  timings_ms: { load: number; model: number; charts: number; write: number; total: number };
}

export async function generateReport(opts: ReportOptions): Promise<ReportResult> {
  const t0 = performance.now();
  const formats = opts.formats ?? ALL_FORMATS;
  const reporters = formats.map((f) => REPORTERS[f]());
  const runs = loadRuns(opts.runs);
  const cost = (opts.cost ?? []).map((c) => loadCostStudy(c));
  for (const r of reporters) r.onRunsLoaded?.(runs);
  const t1 = performance.now();
  const model = buildReportModel(runs, {
    title: opts.title,
    published: opts.published === false ? null : loadPublishedScores(),
    cost,
    now: opts.now,
  });
  const t2 = performance.now();
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const charts = reporters.some((r) => r.needsCharts) ? renderCharts(model) : [];
  if (charts.length > 0) {
    mkdirSync(join(outDir, 'charts'), { recursive: true });
    for (const c of charts) {
      const f = join(outDir, 'charts', c.file);
      writeFileSync(f, c.png);
      files.push(f);
    }
  }
  const t3 = performance.now();
  const ctx: ReporterContext = { outDir, runs, charts, maxTranscriptChars: opts.maxTranscriptChars ?? 4000, mdCharts: opts.mdCharts ?? 'embed' };
  for (const r of reporters) if (r.onReport) files.push(...(await r.onReport(model, ctx)));
  for (const r of reporters) r.onEnd?.(files);
  const t4 = performance.now();
  return { files, model, charts, runs, timings_ms: { load: t1 - t0, model: t2 - t1, charts: t3 - t2, write: t4 - t3, total: t4 - t0 } };
}

export { loadRun, loadRuns, resolveRunPaths } from '../results/load.js';
export { buildReportModel } from './model.js';
export { renderCharts } from './charts.js';
export { REPORTERS, parseFormats } from './reporters/index.js';
export type * from './types.js';
