/**
 * The settings of one run, as stored in run.json `config`, and the steps after it. Types only
 * (the defaults are in defaults.ts): the run, the queue, the merge and the CLI all share them,
 * so they live apart from the module that executes a run.
 */
import type { ProviderConfig } from '../providers/index.js';
import type { SuiteOverride } from '../suites/load.js';
import type { GenerationSettings } from '../types.js';

export interface ProviderEntry {
  spec: string;
  options?: ProviderConfig;
}

/** The resolved configuration of a run, stored as run.json `config`. */
export interface RunSettings {
  suites: string[];
  providers: ProviderEntry[];
  limit: number | null;
  repeats: number;
  concurrency: number;
  workers: number;
  seed: number;
  /** SQLite response cache file (openai providers); null = no cache. */
  cache: string | null;
  /** Do not read cached responses (fresh calls, still written to the cache). */
  no_cache: boolean;
  unsafe_no_sandbox: boolean;
  keep_workdirs: boolean;
  /** Count cached attempts' latency, tokens and cost in the summary as if fresh (default false). */
  count_cached?: boolean;
  /** Unsupported attempts do not fail the run (default false: `dsabench run` exits 1). */
  allow_unsupported?: boolean;
  generation?: GenerationSettings;
  /** Per-suite adjustments from the run config's suite entries, keyed by suite spec. */
  suite_options?: Record<string, SuiteRunOptions>;
  /** Steps after the evaluation (config `cost` / `report`; run by the CLI, see src/cli/default-job.ts). */
  post?: PostSteps;
  /** Queued run: the Redis URL of the queue, without its password (src/runner/queue/). */
  queue?: string;
  /** This run is shard `i/n` of the attempts (runner/shard.ts); not hashed: shards of one run share config_hash. */
  shard?: string;
}

/** One suite's adjustments for a run: generator options and generation merged over suite.json, first `limit` items. */
export interface SuiteRunOptions extends SuiteOverride {
  limit?: number;
}

/** The config's `cost` step: the cost study after the run (same settings as `dsabench cost`). */
export interface CostStepConfig {
  model?: string;
  profile?: string;
  positions?: string;
  mode?: string;
  quality?: boolean;
  k?: string;
  repeats?: number;
  threads?: number;
  hardware?: string;
  workload?: boolean;
}

/** The config's `report` step: true = every format into <run dir>/report/. */
export type ReportStepConfig = boolean | { formats?: Array<'html' | 'md' | 'csv' | 'json'>; title?: string };

/** The steps after a run's evaluation (stored in run.json as config.post). */
export interface PostSteps {
  cost?: CostStepConfig;
  report?: ReportStepConfig;
}
