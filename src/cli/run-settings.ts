/**
 * Settings of `dsabench run`: flags over the --config file over defaults, and the default
 * suites/providers (DEFAULT_RUN).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DsabenchError } from '../errors.js';
import { DEFAULT_SETTINGS } from '../runner/defaults.js';
import type { ProviderEntry, RunSettings } from '../runner/run.js';
import { absoluteSuiteSpec, builtinSuiteNames } from '../suites/load.js';
import { parseJsonFile, validateOrThrow } from '../suites/schema.js';
import type { GenerationSettings } from '../types.js';

/**
 * What `dsabench run` evaluates when no --suite/--provider (and no --config) is given:
 * every built-in suite present under data/suites/, answered by the `oracle` provider
 * (no network). Change `providers` here when a built-in model provider is the default.
 */
export const DEFAULT_RUN: { suites: 'all-builtin' | string[]; providers: string[] } = {
  suites: 'all-builtin',
  providers: ['oracle'],
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
  config?: string;
  cache?: string | boolean;
  unsafeNoSandbox?: boolean;
  keepWorkdirs?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** The --config file (schemas/config.schema.json). */
export interface ConfigFile {
  suites?: string[];
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
  generation?: GenerationSettings;
}

export function readConfigFile(file: string): ConfigFile {
  if (!existsSync(file)) throw new DsabenchError('E_FILE_NOT_FOUND', 'config file not found', { file });
  const raw = parseJsonFile(readFileSync(file, 'utf8'), file, 'E_CONFIG_INVALID');
  return validateOrThrow<ConfigFile>('config', raw, 'E_CONFIG_INVALID', { file });
}

/** Flags over config file over defaults. */
export function resolveSettings(flags: RunFlags): { settings: RunSettings; out?: string } {
  const cfg: ConfigFile = flags.config ? readConfigFile(flags.config) : {};
  const providers: ProviderEntry[] = flags.provider
    ? flags.provider.map((spec) => {
        // A provider named on the command line keeps its options from the config file.
        const fromCfg = cfg.providers?.find((p) => typeof p !== 'string' && p.spec === spec);
        return fromCfg && typeof fromCfg !== 'string' ? fromCfg : { spec };
      })
    : (cfg.providers ?? DEFAULT_RUN.providers).map((p) => (typeof p === 'string' ? { spec: p } : p));
  let suites = flags.suite ?? cfg.suites;
  if (!suites) {
    suites = DEFAULT_RUN.suites === 'all-builtin' ? builtinSuiteNames() : DEFAULT_RUN.suites;
    if (suites.length === 0) throw new DsabenchError('E_USAGE', 'no built-in suites installed; give --suite <spec>', { field: 'suite' });
  }
  // Relative suite paths become absolute: --resume may run from another folder.
  suites = suites.map(absoluteSuiteSpec);
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
  if (cfg.generation) settings.generation = cfg.generation;
  const out = flags.out ?? cfg.out;
  return out === undefined ? { settings } : { settings, out };
}

