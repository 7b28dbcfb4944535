/**
 * Contracts shared by every part of dsabench. Keep these stable: suites, providers,
 * scorers, the runner and the reports all meet here.
 */

export type SuiteKind = 'math' | 'code' | 'terminal' | 'long-context';

// ---------------------------------------------------------------- chat messages

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ToolSpec {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  /** DeepSeek thinking models: kept across the tool calls of one task. */
  reasoning_content?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
}

export interface GenerationSettings {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  stop?: string[];
  seed?: number;
  /** Per-request timeout in milliseconds. */
  timeout_ms?: number;
}

// ---------------------------------------------------------------- suites

/**
 * One item of a suite. `input` holds the template variables (`{question}` etc.),
 * `target` what the scorer compares against, `reference` what the oracle answers.
 */
export interface Item {
  id: string;
  input: Record<string, unknown>;
  target: unknown;
  reference?: string;
  metadata?: Record<string, unknown>;
}

export interface ScorerSpec {
  name: string;
  options?: Record<string, unknown>;
}

/** `suite.json`, as validated by schemas/suite.schema.json. */
export interface SuiteConfig {
  name: string;
  kind: SuiteKind;
  description?: string;
  version?: string;
  scorer: ScorerSpec;
  prompt: { template: string; system?: string };
  generation?: GenerationSettings;
  license?: string;
  source?: string;
  /** Items file relative to the suite folder (default items.jsonl). */
  items?: string;
  /** Or a seeded generator. */
  generator?: { name: string; seed?: number; options?: Record<string, unknown> };
  /** Or a loader over a user file in a standard layout (gsm8k, math, humaneval…). */
  loader?: { name: string; file: string; options?: Record<string, unknown> };
  /** How an attempt is produced: one chat completion (default) or an agent loop. */
  solver?: 'chat' | 'terminal-agent';
  /** Free-form per-kind options (timeouts, languages…). */
  options?: Record<string, unknown>;
}

export interface Suite {
  config: SuiteConfig;
  /** Folder the suite came from (absent for generated / loader suites). */
  dir?: string;
  /** The spec the user gave (`math`, `./my-suite`, `gsm8k:test.jsonl`). */
  spec: string;
  items: Item[];
  /** Invalid records of the loader's file left out (loader option skip_invalid), one line each. */
  skipped?: string[];
}

// ---------------------------------------------------------------- providers

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens?: number;
  total_tokens: number;
}

export interface Timings {
  /** Time to first token (ms), null when the provider does not stream. */
  ttft_ms: number | null;
  /** Time per output token after the first: (e2e − ttft)/(tokens − 1). */
  tpot_ms: number | null;
  /** Inter-token latencies (ms), possibly summarised/truncated. */
  itl_ms?: number[];
  /** End to end of the last try (ms); for a failed try, until the failure. */
  e2e_ms: number;
  /** From the start of the first try to the end of the last, backoff waits included (ms);
   *  absent when there was one try (then it equals e2e_ms). */
  total_ms?: number;
}

export interface Completion {
  text: string;
  reasoning?: string;
  tool_calls?: ToolCall[];
  finish_reason?: string | null;
  usage?: Usage;
  timings: Timings;
  /** Per-attempt failure as a value: the run goes on. */
  error: string | null;
  /** Served from the response cache. */
  cached?: boolean;
  /** Requests made for this answer (1 + retries); absent = 1. */
  tries?: number;
  /** The model answered but reported no token usage (a stream without a usage chunk). */
  usage_unknown?: boolean;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  settings: GenerationSettings;
  /** The item being answered (oracle and replay answer from it). */
  item: Item;
  suite: string;
  /** Repeat index: part of the cache key so repeated samples differ. */
  attempt: number;
  signal?: AbortSignal;
}

export interface Provider {
  /** Stable id used in records and reports, e.g. `openai:deepseek-chat`. */
  readonly id: string;
  readonly model: string;
  /**
   * Set when no model answers: the stand-in solver (`-p oracle`, `-p nop`) that produces
   * this provider's attempts instead of the suite's solver (solvers/index.ts solverFor).
   */
  readonly standIn?: StandIn;
  complete(req: CompletionRequest): Promise<Completion>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- scoring

export interface Score {
  /** In [0, 1]. */
  value: number;
  pass: boolean;
  details?: Record<string, unknown>;
}

export interface ScoreContext {
  /** Private scratch folder for this attempt (code execution work dirs). */
  workDir?: string;
  /** Explicit opt-out of the sandbox (loudly logged by the CLI). */
  unsafeNoSandbox?: boolean;
  signal?: AbortSignal;
}

/** A scorer: a pure function of the model output and the item. */
export type ScoreFn = (
  output: string,
  item: Item,
  options: Record<string, unknown>,
  ctx: ScoreContext,
) => Score | Promise<Score>;

// ---------------------------------------------------------------- results

/** One line of samples.jsonl (schemas/sample.schema.json). */
export interface AttemptRecord {
  run_id: string;
  suite: string;
  item_id: string;
  provider: string;
  attempt: number;
  input_hash: string;
  output: string;
  score: Score;
  usage: Usage | null;
  timings: Timings | null;
  cost: number | null;
  error: string | null;
  /** Extra fields: reasoning, tool transcript, prompt token count, metadata. */
  reasoning?: string;
  transcript?: ChatMessage[];
  metadata?: Record<string, unknown>;
  /** Replayed from the response cache: its usage, timings and cost are those of an earlier
   *  run, so summaries leave it out of latency, tokens and cost (unless count_cached). */
  cached?: boolean;
  /** Requests made for this attempt (1 + retries, summed over an agent's turns; 0 when cached). */
  tries?: number;
  /** The model reported no token usage (an agent: on some turn), so `usage` is null or an
   *  undercount: unknown, not zero. */
  usage_unknown?: boolean;
  /** Why the attempt could not run here (e.g. a terminal task that needs a Docker image):
   *  scored 0 but left out of the mean, counted as n_unsupported. */
  unsupported?: string;
  started_at?: string;
  ended_at?: string;
}

export interface LatencyStats {
  n: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface SuiteSummary {
  suite: string;
  provider: string;
  kind?: SuiteKind;
  n: number;
  n_items: number;
  /** Attempts that ended in an error (scored 0, in the mean, left out of latency). */
  n_errors: number;
  /** Attempts replayed from the response cache (left out of latency, tokens and cost unless count_cached). */
  n_cached: number;
  /** Attempts that could not run here (left out of mean, CI, pass rate and pass@k). */
  n_unsupported: number;
  /** Answered attempts whose usage the model did not report (left out of tokens and cost). */
  n_no_usage: number;
  mean: number;
  stderr: number;
  ci95: [number, number];
  pass_rate: number;
  /** k → pass@k, present when repeats > 1 (unbiased estimator). */
  pass_at_k: Record<string, number> | null;
  latency: { ttft_ms: LatencyStats; tpot_ms: LatencyStats; e2e_ms: LatencyStats };
  tokens: { prompt: number; completion: number; reasoning: number; total: number };
  cost: { total: number | null; per_item: number | null; currency: 'USD' };
  /** Extra per-kind breakdowns (per length/depth for long context, strict/flexible…). */
  breakdowns?: Record<string, unknown>;
}

export interface RunManifest {
  run_id: string;
  created_at: string;
  finished_at?: string | null;
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  package_version: string;
  git_sha: string | null;
  config: Record<string, unknown>;
  config_hash: string;
  /** Hash of each suite's suite.json and items, by suite name (what --resume compares). */
  suite_hashes?: Record<string, string>;
  seed: number;
  engine: Record<string, unknown> | null;
  machine: Record<string, unknown>;
  suites: string[];
  providers: string[];
}

export interface RunSummary {
  manifest: RunManifest;
  suites: SuiteSummary[];
}

// ---------------------------------------------------------------- solving

/** What a solver produced for one attempt, before scoring. */
export interface SolveResult {
  /** The text the scorer grades (final answer, code, or the agent's last message). */
  output: string;
  /** Usage and timings summed over every model call of the attempt. */
  completion: Completion;
  transcript?: ChatMessage[];
  metadata?: Record<string, unknown>;
}

export interface SolveArgs {
  suite: Suite;
  item: Item;
  provider: Provider;
  /** Rendered prompt (system + user) from the suite's template. */
  messages: ChatMessage[];
  settings: GenerationSettings;
  attempt: number;
  /** Private work dir of this attempt (the terminal task's environment). */
  workDir: string;
  signal?: AbortSignal;
  unsafeNoSandbox?: boolean;
}

/** Produces an attempt: one chat completion (`chat`) or an agent loop (`terminal-agent`). */
export type Solver = (args: SolveArgs) => Promise<SolveResult>;

/**
 * The solvers that need no model: `oracle` applies each item's reference solution (a valid
 * suite scores 100%), `nop` does nothing (a valid suite scores 0%).
 */
export type StandIn = 'oracle' | 'nop';

/**
 * An entry of the solver table: the solver, and how each stand-in answers the same tasks
 * (the terminal agent runs the reference in the task's environment); without one, the
 * stand-in's answer is the reference text, or nothing. `sandbox`: why it runs the model's
 * commands in the sandbox, when it does (a run checks for a sandbox first).
 */
export type SolverEntry = Solver & { readonly [K in StandIn]?: Solver } & { readonly sandbox?: string };

/** A seeded generator of suite items (RULER-style, math drills…). */
export type ItemGenerator = (seed: number, options: Record<string, unknown>) => Item[] | Promise<Item[]>;

/**
 * A loader of a user file in a standard layout (GSM8K, MATH, HumanEval…). Items without an
 * id get their 0-based line number, as a string. Returns the items and the suite config
 * defaults for that layout (kind, scorer, prompt).
 */
export interface LoadedItems {
  config: Omit<SuiteConfig, 'name'> & { name?: string };
  items: Item[];
  /** Invalid records left out (loader option skip_invalid), one line each. */
  skipped?: string[];
}

export type ItemLoader = (file: string, options: Record<string, unknown>) => LoadedItems | Promise<LoadedItems>;
