/**
 * Suite specs → validated suites.
 *
 * A spec is one of:
 * - a built-in name (`math`): data/suites/<name>/ in the package;
 * - a folder path (`./my-suite`, or the path of its suite.json);
 * - `<loader>:<file>` (`gsm8k:test.jsonl`): a loader from LOADERS over a user file, with
 *   loader options after a `?` (`mbpp:mbpp.jsonl?split=test&skip_invalid=true`).
 *
 * A folder holds suite.json (schemas/suite.schema.json) and its items: items.jsonl
 * (schemas/item.schema.json, one object per line; .gz or a JSON array also read), a seeded
 * generator (GENERATORS) or a loader over a file next to it (kind, scorer and prompt then
 * default to the loader's, loader-info.ts). Every problem is a DsabenchError naming file,
 * line, field (JSON pointer) and what was expected; all invalid records of a file are
 * reported together (records.ts). Items without an id get their 0-based line number.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DsabenchError } from '../errors.js';
import { getScorerEntry, scorerNames } from '../scorers/index.js';
import { SOLVERS, solverNames } from '../solvers/index.js';
import { templateVariables } from '../solvers/template.js';
import type { GenerationSettings, Item, Suite, SuiteConfig } from '../types.js';
import { packagePath } from '../util/package.js';
import { loaderInfo } from './loader-info.js';
import { InvalidRecordsError, readRecords } from './records.js';
import { GENERATORS, LOADERS } from './registry.js';
import { lineOfPointer, parseJsonFile, validateOrThrow } from './schema.js';

export interface LoadSuiteOptions {
  /** The run's seed. A generator suite whose suite.json pins a seed draws from that seed plus
   *  this one (run seed 0, the default, gives suite.json's items as they are; `--seed 7` a new
   *  set); one that pins none draws from this seed alone. */
  seed?: number;
  /** A run's adjustments of this suite (run config suite entries), merged over suite.json. */
  override?: SuiteOverride;
  /** Where to say that invalid records were left out (skip_invalid); default stderr. */
  warn?: (line: string) => void;
}

/** Run-config adjustments of one suite: `generator_options` over generator.options, `generation` over generation. */
export interface SuiteOverride {
  generator_options?: Record<string, unknown>;
  generation?: GenerationSettings;
}

/** suite.json with a run's override merged in; `file` names where the override came from in errors. */
export function applySuiteOverride(config: SuiteConfig, o: SuiteOverride | undefined, file?: string): SuiteConfig {
  if (!o) return config;
  const out: SuiteConfig = { ...config };
  if (o.generator_options !== undefined) {
    if (!config.generator) {
      throw new DsabenchError('E_CONFIG_INVALID', `the run config's entry for suite "${config.name}" gives generator_options, but that suite has no generator (expected a generated suite such as long-context or math)`, { ...(file ? { file } : {}), field: 'generator_options' });
    }
    out.generator = { ...config.generator, options: { ...(config.generator.options ?? {}), ...o.generator_options } };
  }
  if (o.generation !== undefined) out.generation = { ...(config.generation ?? {}), ...o.generation };
  return out;
}

/** Folder of the built-in suites shipped in the package. */
export function builtinSuitesDir(): string {
  return packagePath('data', 'suites');
}

const BARE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Names of the built-in suites present (folders of data/suites/ with a suite.json). */
export function builtinSuiteNames(): string[] {
  return suiteFolders(builtinSuitesDir()).map((d) => basename(d));
}

/** Sub-folders of `dir` that hold a suite.json, sorted by name. */
export function suiteFolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'suite.json')))
    .map((e) => join(dir, e.name))
    .sort();
}

/**
 * The spec with relative paths made absolute (`./s` → `/home/u/s`, `gsm8k:t.jsonl` →
 * `gsm8k:/home/u/t.jsonl`), so a run resumed from another folder finds its suites.
 * Built-in names and unresolvable specs are returned as they are.
 */
export function absoluteSuiteSpec(spec: string): string {
  const ls = parseLoaderSpec(spec);
  if (ls && ls.loader in LOADERS) return `${ls.loader}:${resolve(ls.file)}${ls.query}`;
  const isPathLike = spec.includes('/') || spec.includes('\\') || spec.startsWith('.');
  if (!isPathLike && BARE_NAME.test(spec) && existsSync(join(builtinSuitesDir(), spec, 'suite.json'))) return spec;
  return existsSync(spec) ? resolve(spec) : spec;
}

/** Resolve a spec and load the suite: config validated, items validated and expanded. */
/** A `<loader>:<file>[?key=value&…]` spec taken apart; null when the spec is not one (or is an existing path). */
export function parseLoaderSpec(spec: string): { loader: string; file: string; options: Record<string, unknown>; query: string } | null {
  const colon = spec.indexOf(':');
  if (colon <= 0 || existsSync(spec)) return null;
  const loader = spec.slice(0, colon);
  if (!/^[A-Za-z][\w-]*$/.test(loader)) return null;
  let file = spec.slice(colon + 1);
  let query = '';
  const q = file.lastIndexOf('?');
  // A `?` that is part of an existing file's name is not a query.
  if (q >= 0 && !existsSync(file)) {
    query = file.slice(q);
    file = file.slice(0, q);
  }
  const options: Record<string, unknown> = {};
  for (const part of query.slice(1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const raw = eq < 0 ? 'true' : decodeURIComponent(part.slice(eq + 1));
    options[key] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  return { loader, file, options, query };
}

export async function loadSuite(spec: string, opts: LoadSuiteOptions = {}): Promise<Suite> {
  // `<loader>:<file>`, unless the whole spec is an existing path (a folder named "a:b").
  const ls = parseLoaderSpec(spec);
  if (ls) return loadFromLoader(spec, ls.loader, ls.file, ls.options, opts);
  const isPathLike = spec.includes('/') || spec.includes('\\') || spec.startsWith('.');
  if (!isPathLike && BARE_NAME.test(spec)) {
    const dir = join(builtinSuitesDir(), spec);
    if (existsSync(join(dir, 'suite.json'))) return loadSuiteDir(dir, spec, opts);
  }
  if (existsSync(spec)) {
    const st = statSync(spec);
    const dir = st.isDirectory() ? spec : dirname(spec);
    if (!existsSync(join(dir, 'suite.json'))) {
      throw new DsabenchError('E_SUITE_NOT_FOUND', `no suite.json in this folder (a suite folder holds suite.json and items.jsonl)`, { file: resolve(dir) });
    }
    return loadSuiteDir(dir, spec, opts);
  }
  const builtins = builtinSuiteNames();
  throw new DsabenchError(
    'E_SUITE_NOT_FOUND',
    `unknown suite "${spec}": expected a built-in name (${builtins.join(', ') || 'none installed'}), a suite folder, or <loader>:<file> with a loader from: ${Object.keys(LOADERS).sort().join(', ') || 'none'}`,
  );
}

/** Read and validate suite.json (schema, scorer name and options, solver name). */
export function readSuiteConfig(file: string): SuiteConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DsabenchError('E_SUITE_NOT_FOUND', `cannot read suite.json (${(err as Error).message})`, { file, cause: err });
  }
  const raw = withLoaderDefaults(parseJsonFile(text, file, 'E_SUITE_INVALID'));
  let config: SuiteConfig;
  try {
    config = validateOrThrow<SuiteConfig>('suite', raw, 'E_SUITE_INVALID', { file });
  } catch (err) {
    // The schema names the field; the line lets an editor jump to it.
    if (!(err instanceof DsabenchError) || err.field === undefined) throw err;
    throw new DsabenchError(err.code, err.message, { file, line: lineOfPointer(text, err.field), field: err.field });
  }
  checkNames(config, file);
  checkScorerOptions(config, file, text);
  return config;
}

/**
 * Parse the scorer's options with its table entry, here at load, so a typo stops the run
 * before its first attempt instead of scoring every attempt 0 with the same error. The
 * error names the file, the line (when the text is at hand), the scorer and the option.
 */
function checkScorerOptions(config: SuiteConfig, file: string, text?: string): void {
  try {
    getScorerEntry(config.scorer.name).parseOptions(config.scorer.options ?? {});
  } catch (err) {
    if (!(err instanceof DsabenchError) || err.code !== 'E_OPTION') throw err;
    const field = `/scorer/options${err.field === undefined || err.field === '/' ? '' : err.field}`;
    const line = text === undefined ? undefined : lineOfPointer(text, field);
    throw new DsabenchError('E_SUITE_INVALID', err.message, { file, ...(line !== undefined ? { line } : {}), field });
  }
}

/**
 * suite.json with a known loader may leave out kind, scorer, prompt and generation: they
 * come from the loader (what `<loader>:<file>` uses). Given fields win, whole.
 */
function withLoaderDefaults(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const o = raw as Record<string, unknown>;
  const loader = o['loader'];
  const name = loader !== null && typeof loader === 'object' ? (loader as Record<string, unknown>)['name'] : undefined;
  const info = typeof name === 'string' ? loaderInfo(name) : undefined;
  if (!info) return raw;
  const d = info.defaults();
  const out: Record<string, unknown> = { ...o };
  for (const k of ['kind', 'scorer', 'prompt', 'generation', 'solver'] as const) {
    if (out[k] === undefined && d[k] !== undefined) out[k] = structuredClone(d[k]);
  }
  return out;
}

function checkNames(config: SuiteConfig, file: string): void {
  if (config.loader && !(config.loader.name in LOADERS)) {
    throw new DsabenchError('E_SUITE_INVALID', `unknown loader "${config.loader.name}" (expected one of: ${Object.keys(LOADERS).sort().join(', ')}; dsabench list loaders says what each reads)`, { file, field: '/loader/name' });
  }
  if (!scorerNames().includes(config.scorer.name)) {
    throw new DsabenchError('E_SCORER_UNKNOWN', `unknown scorer "${config.scorer.name}" (expected one of: ${scorerNames().join(', ')})`, { file, field: '/scorer/name' });
  }
  if (config.solver !== undefined && !(config.solver in SOLVERS)) {
    throw new DsabenchError('E_SUITE_INVALID', `solver "${config.solver}" is not available (expected one of: ${solverNames().join(', ')})`, { file, field: '/solver' });
  }
  const sources = (['items', 'generator', 'loader'] as const).filter((k) => config[k] !== undefined);
  if (sources.length > 1) {
    throw new DsabenchError('E_SUITE_INVALID', `give only one of items, generator, loader (got ${sources.join(' and ')})`, { file, field: `/${sources[1]}` });
  }
}

/** The seed a generator draws from: suite.json's pinned seed offset by the run's (uint32). */
export function generatorSeed(suiteSeed: number | undefined, runSeed: number | undefined): number {
  return ((suiteSeed ?? 0) + (runSeed ?? 0)) >>> 0;
}

async function loadSuiteDir(dir: string, spec: string, opts: LoadSuiteOptions): Promise<Suite> {
  const suiteFile = join(dir, 'suite.json');
  const config = applySuiteOverride(readSuiteConfig(suiteFile), opts.override);
  let items: Item[];
  if (config.generator) {
    const gen = GENERATORS[config.generator.name];
    if (!gen) {
      throw new DsabenchError('E_SUITE_INVALID', `unknown generator "${config.generator.name}" (expected one of: ${Object.keys(GENERATORS).sort().join(', ') || 'none'})`, { file: suiteFile, field: '/generator/name' });
    }
    const seed = generatorSeed(config.generator.seed, opts.seed);
    const made = await gen(seed, config.generator.options ?? {});
    items = checkItems(made, config, `${suiteFile} (generator ${config.generator.name})`);
  } else if (config.loader) {
    const loader = LOADERS[config.loader.name];
    if (!loader) {
      throw new DsabenchError('E_SUITE_INVALID', `unknown loader "${config.loader.name}" (expected one of: ${Object.keys(LOADERS).sort().join(', ') || 'none'})`, { file: suiteFile, field: '/loader/name' });
    }
    const file = resolve(dir, config.loader.file);
    const loaded = await loader(file, config.loader.options ?? {});
    items = checkItems(loaded.items, config, file);
    if (loaded.skipped && loaded.skipped.length > 0) {
      warnSkipped(config.name, file, loaded.skipped, opts);
      return { config, dir: resolve(dir), spec, items, skipped: loaded.skipped };
    }
  } else {
    items = readItemsFile(resolve(dir, config.items ?? 'items.jsonl'), config);
  }
  return { config, dir: resolve(dir), spec, items };
}

function warnSkipped(name: string, file: string, skipped: readonly string[], opts: LoadSuiteOptions): void {
  const warn = opts.warn ?? ((line: string) => process.stderr.write(line + '\n'));
  const shown = skipped.slice(0, 5).join('; ');
  warn(`suite ${name}: left out ${skipped.length} invalid record${skipped.length === 1 ? '' : 's'} of ${file} (skip_invalid): ${shown}${skipped.length > 5 ? '; …' : ''}`);
}

async function loadFromLoader(spec: string, loaderName: string, file: string, loaderOptions: Record<string, unknown>, opts: LoadSuiteOptions = {}): Promise<Suite> {
  const loader = LOADERS[loaderName];
  if (!loader) {
    throw new DsabenchError('E_SUITE_NOT_FOUND', `unknown loader "${loaderName}" in suite spec "${spec}" (expected one of: ${Object.keys(LOADERS).sort().join(', ') || 'none'}; dsabench list loaders says what each reads)`);
  }
  if (!existsSync(file)) throw new DsabenchError('E_FILE_NOT_FOUND', `file not found for loader ${loaderName}`, { file });
  const loaded = await loader(file, loaderOptions);
  const raw = { name: loaderSuiteName(loaderName, file, loaderOptions), ...loaded.config };
  const config = applySuiteOverride(validateOrThrow<SuiteConfig>('suite', raw, 'E_SUITE_INVALID', { file, what: `loader ${loaderName} config` }), opts.override);
  checkNames(config, file);
  checkScorerOptions(config, file);
  const items = checkItems(loaded.items, config, file);
  if (loaded.skipped && loaded.skipped.length > 0) {
    warnSkipped(config.name, file, loaded.skipped, opts);
    return { config, spec, items, skipped: loaded.skipped };
  }
  return { config, spec, items };
}

/**
 * `<loader>:<file name>`, then each option that changes the items (`:split-test`), so the
 * test split and the whole file are two suites; skip_invalid does not change the name.
 */
function loaderSuiteName(loader: string, file: string, options: Record<string, unknown>): string {
  const parts = Object.entries(options)
    .filter(([k]) => k !== 'skip_invalid')
    .map(([k, v]) => `${k}-${String(v)}`.replace(/[^A-Za-z0-9._-]/g, '_'));
  return [`${loader}:${basename(file).replace(/[^A-Za-z0-9._:/-]/g, '_')}`, ...parts].join(':');
}

/** Parse and check items.jsonl line by line. */
export function readItemsFile(file: string, config: SuiteConfig): Item[] {
  if (!existsSync(file)) {
    throw new DsabenchError('E_FILE_NOT_FOUND', 'cannot read items file (no such file); expected items.jsonl next to suite.json, or "items"/"generator"/"loader" in suite.json', { file });
  }
  const read = readRecords(file);
  if (read.problems.length === 1) throw read.problems[0]!;
  if (read.problems.length > 1) throw new InvalidRecordsError(file, read.problems, false);
  if (read.rows.length === 0) throw new DsabenchError('E_ITEMS_INVALID', 'suite has no items (expected one JSON object per line)', { file });
  return checkLines(read.rows.map((r) => ({ value: r.value, line: r.where.line ?? r.index + 1, index: r.index })), config, file);
}

/** Items from a generator or loader: same checks; `line` is the item's 1-based position. */
function checkItems(items: readonly unknown[], config: SuiteConfig, file: string): Item[] {
  if (!Array.isArray(items) || items.length === 0) throw new DsabenchError('E_ITEMS_INVALID', 'suite has no items', { file });
  return checkLines(items.map((value, index) => ({ value, line: index + 1, index })), config, file);
}

/** Schema, unique ids and template variables, per item; ids default to the 0-based index. */
function checkLines(lines: ReadonlyArray<{ value: unknown; line: number; index: number }>, config: SuiteConfig, file: string): Item[] {
  const vars = [...new Set([...templateVariables(config.prompt.template), ...(config.prompt.system ? templateVariables(config.prompt.system) : [])])];
  const seen = new Map<string, number>();
  const items: Item[] = [];
  const problems: DsabenchError[] = [];
  for (const { value, line, index } of lines) {
    try {
      const raw = validateOrThrow<Omit<Item, 'id'> & { id?: string | number }>('item', value, 'E_ITEMS_INVALID', { file, line });
      const id = raw.id === undefined ? String(index) : String(raw.id);
      const first = seen.get(id);
      if (first !== undefined) {
        throw new DsabenchError('E_ITEMS_INVALID', `duplicate item id "${id}" (first used on line ${first}); expected unique ids`, { file, line, field: '/id' });
      }
      seen.set(id, line);
      for (const v of vars) {
        if (!(v in raw.input)) {
          throw new DsabenchError(
            'E_ITEMS_INVALID',
            `prompt template uses {${v}} but this item's input has no "${v}" (input has: ${Object.keys(raw.input).join(', ') || 'nothing'}); write {{${v}}} for literal braces`,
            { file, line, field: `/input/${v}` },
          );
        }
      }
      const item: Item = { id, input: raw.input, target: raw.target };
      if (raw.reference !== undefined) item.reference = raw.reference;
      if (raw.metadata !== undefined) item.metadata = raw.metadata;
      items.push(item);
    } catch (err) {
      if (!(err instanceof DsabenchError)) throw err;
      problems.push(err);
    }
  }
  // One bad item is reported alone, as before; several are listed together.
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new InvalidRecordsError(file, problems, false);
  return items;
}

export interface SuiteListing {
  name: string;
  kind: string;
  dir: string;
  builtin: boolean;
  items: number | string;
  description?: string;
  error?: string;
}

/** Suites found in the package (built-in) and in user folders (each a folder of suite folders, or a suite folder). */
export function listSuites(userDirs: readonly string[] = []): SuiteListing[] {
  const out: SuiteListing[] = [];
  const add = (dir: string, builtin: boolean): void => {
    try {
      const config = readSuiteConfig(join(dir, 'suite.json'));
      let items: number | string;
      if (config.generator) items = `generator ${config.generator.name}`;
      else if (config.loader) items = `loader ${config.loader.name}`;
      else {
        const f = resolve(dir, config.items ?? 'items.jsonl');
        items = existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').length : 0;
      }
      out.push({ name: builtin ? basename(dir) : dir, kind: config.kind, dir, builtin, items, description: config.description });
    } catch (err) {
      out.push({ name: builtin ? basename(dir) : dir, kind: '?', dir, builtin, items: 0, error: (err as Error).message });
    }
  };
  for (const d of suiteFolders(builtinSuitesDir())) add(d, true);
  for (const u of userDirs) {
    if (existsSync(join(u, 'suite.json'))) add(u, false);
    else for (const d of suiteFolders(u)) add(d, false);
  }
  return out;
}
