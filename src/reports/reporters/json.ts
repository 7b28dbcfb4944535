/**
 * report.json: the ReportModel for other tools, without the raw latency samples (they are
 * in the runs' samples.jsonl) and with chart file names.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportModel } from '../types.js';
import type { Reporter, ReporterContext } from './types.js';

export function reportJson(model: ReportModel, charts: readonly string[] = []): string {
  const { latencySamples: _omit, ...rest } = model;
  return JSON.stringify({ ...rest, charts }, null, 2) + '\n';
}

export function jsonReporter(): Reporter {
  return {
    name: 'json',
    onReport(model: ReportModel, ctx: ReporterContext): string[] {
      const file = join(ctx.outDir, 'report.json');
      writeFileSync(file, reportJson(model, ctx.charts.map((c) => `charts/${c.file}`)));
      return [file];
    },
  };
}
