/**
 * Reporters: an interface of optional hooks plus a name → implementation map
 * (reporters/index.ts). `generateReport` loads runs, builds one ReportModel, renders the
 * charts once if any reporter wants them, then calls each reporter's hooks in order.
 */
import type { ChartImage, LoadedRun, ReportModel } from '../types.js';

export type ReportFormat = 'html' | 'md' | 'csv' | 'json';

export interface ReporterContext {
  outDir: string;
  runs: readonly LoadedRun[];
  /** Rendered charts (empty when no reporter asked for them). */
  charts: readonly ChartImage[];
  /** Longest output/transcript text kept per attempt in the drill-down. */
  maxTranscriptChars: number;
  /**
   * Charts in report.md: `embed` as images (charts/*.png next to it), `link` as plain links
   * (a job summary cannot show files of the workspace), `none` to leave them out.
   */
  mdCharts: MdCharts;
}

export type MdCharts = 'embed' | 'link' | 'none';

export interface Reporter {
  readonly name: ReportFormat;
  /** True when the reporter shows the PNG charts. */
  readonly needsCharts?: boolean;
  /** Called once with the loaded runs, before the model is built. */
  onRunsLoaded?(runs: readonly LoadedRun[]): void;
  /** Writes the reporter's files; returns their paths. */
  onReport?(model: ReportModel, ctx: ReporterContext): string[] | Promise<string[]>;
  /** Called after every reporter has written its files. */
  onEnd?(files: readonly string[]): void;
}
