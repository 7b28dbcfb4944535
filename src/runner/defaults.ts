/**
 * Defaults of `dsabench run` settings, in a module with no heavy imports so the CLI can show
 * them in --help without loading the scorers, providers and worker pool.
 */
import { availableParallelism } from 'node:os';
import type { RunSettings } from './settings.js';

/** Scoring worker threads by default: one per core. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** Defaults of every setting; suites fall back to DEFAULT_RUN, providers to the default job's (src/cli/run.ts). */
export const DEFAULT_SETTINGS: Omit<RunSettings, 'suites' | 'providers'> = {
  limit: null,
  repeats: 1,
  concurrency: 8,
  workers: defaultWorkers(),
  seed: 0,
  cache: '.dsabench-cache/responses.sqlite',
  no_cache: false,
  unsafe_no_sandbox: false,
  keep_workdirs: false,
};
