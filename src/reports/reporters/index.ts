/** Reporter name → implementation. A new format is one file plus one line here. */
import { DsabenchError } from '../../errors.js';
import { csvReporter } from './csv.js';
import { htmlReporter } from './html.js';
import { jsonReporter } from './json.js';
import { markdownReporter } from './markdown.js';
import type { ReportFormat, Reporter } from './types.js';

export type { ReportFormat, Reporter, ReporterContext } from './types.js';

export const REPORTERS: Record<ReportFormat, () => Reporter> = {
  html: htmlReporter,
  md: markdownReporter,
  csv: csvReporter,
  json: jsonReporter,
};

export const ALL_FORMATS = Object.keys(REPORTERS) as ReportFormat[];

/** "html,md" → ['html', 'md']; unknown names are a usage error. */
export function parseFormats(spec: string): ReportFormat[] {
  const names = spec.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (names.length === 0) throw new DsabenchError('E_USAGE', `--format needs at least one of ${ALL_FORMATS.join(', ')}`, { field: '--format' });
  for (const n of names) {
    if (!(n in REPORTERS)) throw new DsabenchError('E_USAGE', `unknown report format "${n}" (expected ${ALL_FORMATS.join(', ')})`, { field: '--format' });
  }
  return [...new Set(names)] as ReportFormat[];
}
