/** The text (and JSON) of `dsabench list loaders`: each loader's format, an example, its options. */
import { DsabenchError } from '../errors.js';
import { LOADER_INFO, type LoaderInfo } from '../suites/loader-info.js';
import { LOADERS } from '../suites/registry.js';

export interface LoaderDescription {
  name: string;
  /** Other names of the same loader. */
  aliases: string[];
  kind: string;
  format: string;
  example: string;
  record: string;
  options: Record<string, string>;
  scorer: string;
}

function describe(name: string, info: LoaderInfo): LoaderDescription {
  const aliases = name === 'terminal' ? Object.keys(LOADERS).filter((n) => n !== 'terminal' && LOADERS[n] === LOADERS['terminal']) : [];
  return { name, aliases, kind: info.kind, format: info.format, example: info.example, record: info.record, options: info.options, scorer: info.defaults().scorer.name };
}

function block(d: LoaderDescription): string {
  const lines = [
    `${d.name}${d.aliases.length ? ` (also ${d.aliases.join(', ')})` : ''}  [${d.kind}, scorer ${d.scorer}]`,
    `  reads:    ${d.format}`,
    `  example:  dsabench run -s '${d.example}' -p oracle`,
    `  record:   ${d.record}`,
  ];
  const opts = Object.entries(d.options);
  if (opts.length > 0) {
    lines.push('  options:  (suite.json "loader": {"options": {…}}, or <loader>:<file>?key=value&…)');
    for (const [k, v] of opts) lines.push(`    ${k}: ${v}`);
  }
  return lines.join('\n') + '\n';
}

/** All loaders, or the one named (E_USAGE when there is none of that name). */
export function loaderDescriptions(name?: string): { text: string; json: LoaderDescription[] } {
  let names = Object.keys(LOADER_INFO).sort();
  if (name !== undefined) {
    const canonical = name === 'terminal-bench' || name === 'harbor' ? 'terminal' : name;
    if (!names.includes(canonical)) {
      throw new DsabenchError('E_USAGE', `unknown loader "${name}" (expected one of: ${Object.keys(LOADERS).sort().join(', ')})`, { field: 'name' });
    }
    names = [canonical];
  }
  const json = names.map((n) => describe(n, LOADER_INFO[n]!));
  const intro = name === undefined
    ? 'Loaders read the files datasets are published in. Use one as <loader>:<file> in -s, or as "loader" in a suite.json\n' +
      '(kind, scorer and prompt then default to the loader\'s). Every file loader reads JSONL or one JSON array, gzip-compressed or not,\n' +
      'with numbers as Python\'s json reads them (big integers exact; NaN, Infinity).\n\n'
    : '';
  return { text: intro + json.map(block).join('\n'), json };
}
