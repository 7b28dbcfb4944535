/**
 * Options accepted by `createProvider`. `config` mirrors the `providers.<id>` block of a
 * run config file; every field is optional and has a documented default.
 */
export interface ProviderConfig {
  /** Base URL of an OpenAI-compatible server, e.g. `http://127.0.0.1:8000/v1`. */
  base_url?: string;
  /** Name of the env var holding the API key (default DEEPSEEK_API_KEY for deepseek models, else OPENAI_API_KEY). */
  api_key_env?: string;
  /** Per-request timeout in ms (default 600000); a request's `settings.timeout_ms` wins. */
  timeout_ms?: number;
  /** Retries after the first try on 429/5xx/network errors (default 4). */
  max_retries?: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Requests started per minute; unset = unlimited. */
  rpm?: number;
  /** Stream with SSE (default true). */
  stream?: boolean;
  /** Ask for usage in the last streamed chunk (`stream_options.include_usage`, default true);
   *  turn off for servers that reject the field. */
  include_usage?: boolean;
  /** Merged into every request body (e.g. `{ "thinking": { "type": "enabled" } }`). */
  extra_body?: Record<string, unknown>;
  /** Backoff base delay in ms (default 500) and cap (default 30000). */
  backoff_base_ms?: number;
  backoff_max_ms?: number;
}

export interface ProviderOptions {
  config?: ProviderConfig;
  /** SQLite response cache file; null/undefined = no cache. Applied to `openai` only. */
  cachePath?: string | null;
  /** Do not read from the cache (still writes fresh results). */
  noCache?: boolean;
  /** Mixed into every cache key (e.g. a solver or prompt version). */
  cacheKeyExtra?: unknown;
  /** Environment to read API keys from (default process.env); tests pass their own. */
  env?: Record<string, string | undefined>;
}
