/**
 * Settings of `dsabench run`: flags over the --config file over defaults, and the default
 * suites/providers (DEFAULT_RUN).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DsabenchError } from '../errors.js';
import { DEFAULT_SETTINGS } from '../runner/defaults.js';
import type { CostStepConfig, ProviderEntry, ReportStepConfig, RunSettings, SuiteRunOptions } from '../runner/settings.js';
import { absoluteSuiteSpec, builtinSuiteNames } from '../suites/load.js';
import { redactRedisUrl } from '../runner/queue/url.js';
import { formatShard, parseShard } from '../runner/shard.js';
import { parseJsonFile, validateOrThrow } from '../suites/schema.js';
import type { GenerationSettings } from '../types.js';

export type { CostStepConfig, ReportStepConfig } from '../runner/settings.js';

/**
 * The suites `resolveSettings` falls back to when neither flags nor config name any: every
 * built-in suite present under data/suites/. There is no default provider here: the oracle
 * answers with the references and scores 100%, so it runs only when named (`-p oracle`, or
 * the default job's stated fallback); `dsabench run` passes the default job's providers.
 */
export const DEFAULT_RUN: { suites: 'all-builtin' | string[] } = {
  suites: 'all-builtin',
};

export interface RunFlags {
  suite?: string[];
  provider?: string[];
  limit?: number;
  repeats?: number;
  concurrency?: number;
  workers?: number;
  seed?: number;
  out?: string;
  resume?: string;
  retryErrors?: boolean;
  rerunChanged?: boolean;
  config?: string;
  cache?: string | boolean;
  unsafeNoSandbox?: boolean;
  keepWorkdirs?: boolean;
  countCached?: boolean;
  allowUnsupported?: boolean;
  quiet?: boolean;
  json?: boolean;
  /** Redis URL: run as the coordinator of a queued run (src/runner/queue/). */
  queue?: string;
  /** `i/n`: run one shard of the attempts (runner/shard.ts). */
  shard?: string;
}

/** A suite entry of the config file: a spec, adjusted for this run. */
export interface SuiteEntry {
  suite: string;
  generator_options?: Record<string, unknown>;
  generation?: GenerationSettings;
  limit?: number;
}


/** The --config file (schemas/config.schema.json). */
export interface ConfigFile {
  suites?: Array<string | SuiteEntry>;
  providers?: Array<string | ProviderEntry>;
  limit?: number;
  repeats?: number;
  concurrency?: number;
  workers?: number;
  seed?: number;
  out?: string;
  cache?: string | boolean;
  unsafe_no_sandbox?: boolean;
  keep_workdirs?: boolean;
  count_cached?: boolean;
  allow_unsupported?: boolean;
  generation?: GenerationSettings;
  cost?: CostStepConfig;
  report?: ReportStepConfig;
}

/** What resolveSettings returns: the run's settings, its folder, and the steps after it. */
export interface ResolvedRun {
  settings: RunSettings;
  out?: string;
  cost?: CostStepConfig;
  report?: ReportStepConfig;
}

export function readConfigFile(file: string): ConfigFile {
  if (!existsSync(file)) throw new DsabenchError('E_FILE_NOT_FOUND', 'config file not found', { file });
  const raw = parseJsonFile(readFileSync(file, 'utf8'), file, 'E_CONFIG_INVALID');
  return validateOrThrow<ConfigFile>('config', raw, 'E_CONFIG_INVALID', { file });
}

function entrySpec(e: string | SuiteEntry): string {
  return typeof e === 'string' ? e : e.suite;
}

/**
 * Flags over config file over defaults. `loaded` is a config already read (the default job
 * passes its own); otherwise --config is read. A --suite naming a config entry keeps its
 * adjustments (generator_options, generation, limit). With no provider in the flags or the
 * config, `defaultProviders` gives them (`dsabench run`: the default job's); without it that
 * is a usage error, never a silent oracle.
 */
export function resolveSettings(flags: RunFlags, loaded?: ConfigFile, defaultProviders?: () => ProviderEntry[]): ResolvedRun {
  const cfg: ConfigFile = loaded ?? (flags.config ? readConfigFile(flags.config) : {});
  const providers: ProviderEntry[] = flags.provider
    ? flags.provider.map((spec) => {
        // A provider named on the command line keeps its options from the config file.
        const fromCfg = cfg.providers?.find((p) => typeof p !== 'string' && p.spec === spec);
        return fromCfg && typeof fromCfg !== 'string' ? fromCfg : { spec };
      })
    : cfg.providers
      ? cfg.providers.map((p) => (typeof p === 'string' ? { spec: p } : p))
      : defaultProviders
        ? defaultProviders()
        : (() => {
            throw new DsabenchError('E_USAGE', 'no provider given; expected --provider <spec> (or "providers" in the --config file), e.g. -p openai:<model>, -p native:<model>, or -p oracle to answer with the references', { field: 'provider' });
          })();
  let suites = flags.suite ?? cfg.suites?.map(entrySpec);
  if (!suites) {
    suites = DEFAULT_RUN.suites === 'all-builtin' ? builtinSuiteNames() : DEFAULT_RUN.suites;
    if (suites.length === 0) throw new DsabenchError('E_USAGE', 'no built-in suites installed; give --suite <spec>', { field: 'suite' });
  }
  // Relative suite paths become absolute: --resume may run from another folder.
  suites = suites.map(absoluteSuiteSpec);
  const suiteOptions: Record<string, SuiteRunOptions> = {};
  for (const e of cfg.suites ?? []) {
    if (typeof e === 'string') continue;
    const spec = absoluteSuiteSpec(e.suite);
    if (!suites.includes(spec)) continue;
    const o: SuiteRunOptions = {};
    if (e.generator_options !== undefined) o.generator_options = e.generator_options;
    if (e.generation !== undefined) o.generation = e.generation;
    if (e.limit !== undefined) o.limit = e.limit;
    if (Object.keys(o).length > 0) suiteOptions[spec] = o;
  }
  const cacheSetting = flags.cache ?? cfg.cache;
  const settings: RunSettings = {
    ...DEFAULT_SETTINGS,
    suites,
    providers,
    limit: flags.limit ?? cfg.limit ?? DEFAULT_SETTINGS.limit,
    repeats: flags.repeats ?? cfg.repeats ?? DEFAULT_SETTINGS.repeats,
    concurrency: flags.concurrency ?? cfg.concurrency ?? DEFAULT_SETTINGS.concurrency,
    workers: flags.workers ?? cfg.workers ?? DEFAULT_SETTINGS.workers,
    seed: flags.seed ?? cfg.seed ?? DEFAULT_SETTINGS.seed,
    // --cache FILE picks the file; --no-cache (false) ignores cached responses but still records new ones.
    cache: typeof cacheSetting === 'string' ? resolve(cacheSetting) : resolve(DEFAULT_SETTINGS.cache ?? '.dsabench-cache/responses.sqlite'),
    no_cache: cacheSetting === false,
    unsafe_no_sandbox: flags.unsafeNoSandbox ?? cfg.unsafe_no_sandbox ?? false,
    keep_workdirs: flags.keepWorkdirs ?? cfg.keep_workdirs ?? false,
  };
  // Only when on, so run.json of runs that never used them stays as it was.
  if (flags.countCached ?? cfg.count_cached) settings.count_cached = true;
  if (flags.allowUnsupported ?? cfg.allow_unsupported) settings.allow_unsupported = true;
  if (cfg.generation) settings.generation = cfg.generation;
  // run.json keeps the queue's URL without its password (run folders are shared).
  if (flags.queue) settings.queue = redactRedisUrl(flags.queue);
  if (flags.shard) settings.shard = formatShard(parseShard(flags.shard));
  if (Object.keys(suiteOptions).length > 0) settings.suite_options = suiteOptions;
  const res: ResolvedRun = { settings };
  const out = flags.out ?? cfg.out;
  if (out !== undefined) res.out = out;
  if (cfg.cost !== undefined) res.cost = cfg.cost;
  if (cfg.report !== undefined && cfg.report !== false) res.report = cfg.report;
  // Kept in run.json so --resume runs the steps too (not hashed: they do not change what is evaluated).
  if (res.cost || res.report) settings.post = { ...(res.cost ? { cost: res.cost } : {}), ...(res.report ? { report: res.report } : {}) };
  return res;
}

