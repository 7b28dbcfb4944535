/**
 * `openai:<model>[@<baseURL>]`: any OpenAI-compatible chat-completions server (DeepSeek API,
 * vLLM, SGLang, llama.cpp server, Ollama).
 *
 * One attempt = POST {base}/chat/completions, streamed with SSE by default. Measures TTFT,
 * inter-token latencies, TPOT = (e2e − ttft)/(tokens − 1) and e2e of the last try, the
 * number of tries and the time across them (timings.total_ms); a reply without usage is
 * marked `usage_unknown`;
 * collects `reasoning_content` (DeepSeek thinking) and assembles tool calls from deltas.
 * 429/408/5xx and network failures are retried with backoff honouring Retry-After; a
 * concurrency semaphore and an optional requests-per-minute limiter bound the load.
 * Every failure ends as `Completion.error`, never as a thrown exception.
 */

import { ResponseCache, withCache } from '../cache/response-cache.js';
import { DsabenchError } from '../errors.js';
import type { Completion, CompletionRequest, Provider, ToolCall, Usage } from '../types.js';
import { errorCompletion, instantTimings } from '../util/completion.js';
import { RateLimiter, Semaphore } from './limiter.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, sleep, type BackoffPolicy } from './retry.js';
import { SseParser } from './sse.js';
import type { ProviderConfig, ProviderOptions } from './types.js';

/** `<model>` or `<model>@<baseURL>` → parts, or a reason string when malformed. */
export function parseOpenAiSpec(rest: string): { model: string; baseUrl?: string } | string {
  const at = rest.search(/@https?:\/\//);
  const model = at < 0 ? rest : rest.slice(0, at);
  const baseUrl = at < 0 ? undefined : rest.slice(at + 1);
  if (model === '') return 'openai needs a model name';
  if (at < 0 && rest.includes('@')) return 'the part after "@" must be an http(s):// base URL';
  return baseUrl === undefined ? { model } : { model, baseUrl };
}

export const OPENAI_DEFAULTS = {
  timeout_ms: 600_000,
  max_retries: 4,
  concurrency: 8,
  stream: true,
  backoff_base_ms: 500,
  backoff_max_ms: 30_000,
} as const;

/** Inter-token latencies kept per attempt (longer answers keep the first this many). */
const MAX_ITL = 8192;

export interface OpenAiProviderInit {
  /** Provider id recorded in results (the spec, e.g. `openai:deepseek-chat`). */
  id: string;
  model: string;
  baseUrl: string;
  apiKey?: string;
  apiKeyEnv: string;
  timeoutMs: number;
  maxRetries: number;
  concurrency: number;
  rpm?: number;
  stream: boolean;
  includeUsage: boolean;
  extraBody?: Record<string, unknown>;
  backoff: BackoffPolicy;
}

/** The outcome of one HTTP try. */
type TryOutcome =
  | { ok: true; completion: Completion }
  | { ok: false; error: string; retryable: boolean; retryAfterMs?: number };

/** Failure found while reading a 200 response (bad chunk, error event, cut stream). */
class ResponseError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function snippet(text: string, n = 300): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > n ? t.slice(0, n) + '…' : t;
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as Error & { cause?: unknown }).cause;
  const c = cause instanceof Error ? `: ${cause.message}` : '';
  return `${e.message}${c}`;
}

/** OpenAI `usage` object → Usage (reasoning from completion_tokens_details). */
export function parseUsage(u: unknown): Usage | undefined {
  if (!isObj(u)) return undefined;
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const prompt = num(u['prompt_tokens']) ?? 0;
  const completion = num(u['completion_tokens']) ?? 0;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: num(u['total_tokens']) ?? prompt + completion };
  const details = u['completion_tokens_details'];
  const reasoning = isObj(details) ? num(details['reasoning_tokens']) : undefined;
  if (reasoning !== undefined) usage.reasoning_tokens = reasoning;
  return usage;
}

/** Collects tool-call deltas ({index, id?, function: {name?, arguments?}}) into whole calls. */
class ToolCallAssembler {
  private readonly calls = new Map<number, ToolCall>();

  add(deltas: unknown): boolean {
    if (!Array.isArray(deltas)) return false;
    let any = false;
    for (const d of deltas) {
      if (!isObj(d)) continue;
      const idx = typeof d['index'] === 'number' ? d['index'] : this.calls.size === 0 ? 0 : this.indexOfId(d['id']);
      let call = this.calls.get(idx);
      if (!call) {
        call = { id: '', type: 'function', function: { name: '', arguments: '' } };
        this.calls.set(idx, call);
      }
      if (typeof d['id'] === 'string' && d['id'] !== '') call.id = d['id'];
      const fn = d['function'];
      if (isObj(fn)) {
        if (typeof fn['name'] === 'string') call.function.name += fn['name'];
        if (typeof fn['arguments'] === 'string') call.function.arguments += fn['arguments'];
      }
      any = true;
    }
    return any;
  }

  private indexOfId(id: unknown): number {
    for (const [i, c] of this.calls) if (c.id === id) return i;
    return typeof id === 'string' ? this.calls.size : Math.max(0, this.calls.size - 1);
  }

  result(): ToolCall[] | undefined {
    if (this.calls.size === 0) return undefined;
    return [...this.calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  }
}

export class OpenAiProvider implements Provider {
  readonly id: string;
  readonly model: string;
  readonly baseUrl: string;
  private readonly init: OpenAiProviderInit;
  private readonly sem: Semaphore;
  private readonly rate: RateLimiter | undefined;

  constructor(init: OpenAiProviderInit) {
    this.init = init;
    this.id = init.id;
    this.model = init.model;
    this.baseUrl = init.baseUrl.replace(/\/+$/, '');
    this.sem = new Semaphore(init.concurrency);
    this.rate = init.rpm === undefined ? undefined : new RateLimiter(init.rpm);
  }

  /** What, besides the request, changes the answer: part of the response-cache key. */
  cacheIdentity(): Record<string, unknown> {
    return { base_url: this.baseUrl, extra_body: this.init.extraBody ?? null };
  }

  /** Highest number of requests this provider had in flight at once. */
  get peakConcurrency(): number {
    return this.sem.peak;
  }

  /** The JSON body sent for a request (exported shape for tests and debugging). */
  requestBody(req: CompletionRequest, stream: boolean): Record<string, unknown> {
    const s = req.settings;
    const body: Record<string, unknown> = { model: this.model, messages: req.messages };
    if (s.temperature !== undefined) body['temperature'] = s.temperature;
    if (s.top_p !== undefined) body['top_p'] = s.top_p;
    if (s.max_tokens !== undefined) body['max_tokens'] = s.max_tokens;
    if (s.stop !== undefined && s.stop.length > 0) body['stop'] = s.stop;
    if (s.seed !== undefined) body['seed'] = s.seed;
    if (req.tools !== undefined && req.tools.length > 0) body['tools'] = req.tools;
    body['stream'] = stream;
    if (stream && this.init.includeUsage) body['stream_options'] = { include_usage: true };
    return { ...body, ...(this.init.extraBody ?? {}) };
  }

  /**
   * The answer after up to 1 + max_retries tries. TTFT/TPOT/e2e are the last try's; `tries`
   * and `timings.total_ms` (first try's start to last try's end, backoff included) say what
   * the retries cost. A failure carries the time until it failed, never 0 ms.
   */
  async complete(req: CompletionRequest): Promise<Completion> {
    const { maxRetries, backoff } = this.init;
    let firstStart: number | undefined;
    let lastE2e = 0;
    const across = (c: Completion, tries: number): Completion => {
      c.tries = tries;
      if (tries > 1 && firstStart !== undefined) c.timings.total_ms = round3(performance.now() - firstStart);
      return c;
    };
    const failed = (error: string, tries: number): Completion => across(errorCompletion(error, instantTimings(round3(lastE2e))), tries);
    for (let retry = 0; ; retry++) {
      let outcome: TryOutcome;
      try {
        outcome = await this.sem.run(async () => {
          const wait = this.rate?.reserve() ?? 0;
          if (wait > 0) await sleep(wait, req.signal);
          const t0 = performance.now();
          firstStart ??= t0;
          try {
            return await this.tryOnce(req, t0);
          } finally {
            lastE2e = performance.now() - t0;
          }
        }, req.signal);
      } catch {
        return failed('aborted', retry);
      }
      const tries = retry + 1;
      if (outcome.ok) return across(outcome.completion, tries);
      if (!outcome.retryable || retry >= maxRetries) {
        return failed(tries > 1 ? `${outcome.error} (after ${tries} tries)` : outcome.error, tries);
      }
      try {
        await sleep(backoffDelay(retry, backoff, outcome.retryAfterMs), req.signal);
      } catch {
        return failed(`aborted while waiting to retry after: ${outcome.error}`, tries);
      }
    }
  }

  private async tryOnce(req: CompletionRequest, t0: number): Promise<TryOutcome> {
    const timeoutMs = req.settings.timeout_ms ?? this.init.timeoutMs;
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new Error(`timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    const onOuterAbort = (): void => ctrl.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: this.init.stream ? 'text/event-stream' : 'application/json',
    };
    if (this.init.apiKey) headers['authorization'] = `Bearer ${this.init.apiKey}`;
    try {
      const res = await fetch(`${this.baseUrl}/chat/completions`, {
        method: 'POST',
        headers,
        body: JSON.stringify(this.requestBody(req, this.init.stream)),
        signal: ctrl.signal,
      });
      if (!res.ok) {
        const text = await res.text().catch(() => '');
        let msg = `HTTP ${res.status}${text ? `: ${snippet(text)}` : ''}`;
        if ((res.status === 401 || res.status === 403) && !this.init.apiKey) {
          msg += ` (no API key: env var ${this.init.apiKeyEnv} is not set)`;
        }
        const out: TryOutcome = { ok: false, error: msg, retryable: isRetryableStatus(res.status) };
        const ra = parseRetryAfter(res.headers.get('retry-after'));
        if (ra !== undefined) out.retryAfterMs = ra;
        return out;
      }
      const type = res.headers.get('content-type') ?? '';
      // Some servers ignore `stream: true` and answer with plain JSON: accept either.
      const completion = type.includes('text/event-stream')
        ? await this.readStream(res, t0)
        : this.readJson(await res.text(), t0);
      return { ok: true, completion };
    } catch (e) {
      if (timedOut) return { ok: false, error: `timeout after ${timeoutMs} ms`, retryable: false };
      if (req.signal?.aborted) return { ok: false, error: 'aborted', retryable: false };
      if (e instanceof ResponseError) return { ok: false, error: e.message, retryable: e.retryable };
      return { ok: false, error: `network error: ${describe(e)}`, retryable: true };
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  /** Non-streaming response body → Completion. */
  private readJson(text: string, t0: number): Completion {
    const e2e = performance.now() - t0;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new ResponseError(`malformed response body (not JSON): ${snippet(text, 200)}`, false);
    }
    if (!isObj(data)) throw new ResponseError('malformed response body (not a JSON object)', false);
    if (isObj(data['error'])) throw new ResponseError(`server error: ${snippet(String(data['error']['message'] ?? JSON.stringify(data['error'])))}`, true);
    const choices = data['choices'];
    const choice = Array.isArray(choices) && isObj(choices[0]) ? choices[0] : undefined;
    const msg = choice && isObj(choice['message']) ? choice['message'] : undefined;
    if (!choice || !msg) throw new ResponseError('malformed response body (no choices[0].message)', false);
    const tools = new ToolCallAssembler();
    if (Array.isArray(msg['tool_calls'])) tools.add(msg['tool_calls'].map((c: unknown, i: number) => (isObj(c) ? { index: i, ...c } : c)));
    const c: Completion = {
      text: typeof msg['content'] === 'string' ? msg['content'] : '',
      finish_reason: typeof choice['finish_reason'] === 'string' ? choice['finish_reason'] : null,
      timings: { ttft_ms: null, tpot_ms: null, e2e_ms: round3(e2e) },
      error: null,
    };
    if (typeof msg['reasoning_content'] === 'string' && msg['reasoning_content'] !== '') c.reasoning = msg['reasoning_content'];
    const calls = tools.result();
    if (calls) c.tool_calls = calls;
    const usage = parseUsage(data['usage']);
    if (usage) c.usage = usage;
    else c.usage_unknown = true;
    return c;
  }

  /** SSE response → Completion, with token timings. */
  private async readStream(res: Response, t0: number): Promise<Completion> {
    if (!res.body) throw new ResponseError('empty response body', true);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let text = '';
    let reasoning = '';
    const tools = new ToolCallAssembler();
    let finish: string | null | undefined;
    let usage: Usage | undefined;
    let done = false;
    let firstAt: number | undefined;
    let lastAt: number | undefined;
    let tokenEvents = 0;
    // A stream none of whose chunks carries choices[0] has no answer at all (the usage-only
    // chunk legitimately has `choices: []`): an error, as the same body is without streaming.
    let sawChoice = false;
    const itl: number[] = [];

    const handle = (data: string): void => {
      if (data.trim() === '[DONE]') {
        done = true;
        return;
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        throw new ResponseError(`malformed SSE chunk (not JSON): ${snippet(data, 200)}`, false);
      }
      if (!isObj(chunk)) throw new ResponseError(`malformed SSE chunk (not an object): ${snippet(data, 200)}`, false);
      if (isObj(chunk['error'])) {
        throw new ResponseError(`server error in stream: ${snippet(String(chunk['error']['message'] ?? JSON.stringify(chunk['error'])))}`, true);
      }
      const u = parseUsage(chunk['usage']);
      if (u) usage = u;
      const choices = chunk['choices'];
      if (!Array.isArray(choices) || choices.length === 0) return;
      const choice = choices[0];
      if (!isObj(choice)) throw new ResponseError(`malformed SSE chunk (bad choices[0]): ${snippet(data, 200)}`, false);
      sawChoice = true;
      const delta = isObj(choice['delta']) ? choice['delta'] : {};
      let produced = false;
      if (typeof delta['content'] === 'string' && delta['content'] !== '') {
        text += delta['content'];
        produced = true;
      }
      if (typeof delta['reasoning_content'] === 'string' && delta['reasoning_content'] !== '') {
        reasoning += delta['reasoning_content'];
        produced = true;
      }
      if (tools.add(delta['tool_calls'])) produced = true;
      if (typeof choice['finish_reason'] === 'string') finish = choice['finish_reason'];
      if (produced) {
        const now = performance.now();
        if (firstAt === undefined) firstAt = now;
        else if (lastAt !== undefined && itl.length < MAX_ITL) itl.push(round3(now - lastAt));
        lastAt = now;
        tokenEvents++;
      }
    };

    try {
      while (!done) {
        const { value, done: eof } = await reader.read();
        if (eof) {
          for (const ev of parser.push(decoder.decode())) if (!done) handle(ev.data);
          for (const ev of parser.flush()) if (!done) handle(ev.data);
          break;
        }
        for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
          handle(ev.data);
          if (done) break;
        }
      }
    } finally {
      // After [DONE] (or a failure) stop reading; frees the connection.
      reader.cancel().catch(() => undefined);
    }
    if (!done && finish === undefined) {
      throw new ResponseError('stream ended before completion (connection closed without [DONE])', true);
    }
    if (!sawChoice) throw new ResponseError('malformed stream (no chunk carried choices[0]: no answer)', false);
    const end = performance.now();
    const e2e = end - t0;
    const ttft = firstAt === undefined ? null : firstAt - t0;
    const tokens = usage?.completion_tokens ?? tokenEvents;
    const tpot = ttft !== null && tokens > 1 ? (e2e - ttft) / (tokens - 1) : null;
    const c: Completion = {
      text,
      finish_reason: finish ?? null,
      timings: { ttft_ms: ttft === null ? null : round3(ttft), tpot_ms: tpot === null ? null : round3(tpot), itl_ms: itl, e2e_ms: round3(e2e) },
      error: null,
    };
    if (reasoning !== '') c.reasoning = reasoning;
    const calls = tools.result();
    if (calls) c.tool_calls = calls;
    if (usage) c.usage = usage;
    else c.usage_unknown = true; // e.g. include_usage off, or a server that ignores it
    return c;
  }
}

function checkNumber(cfg: ProviderConfig, key: keyof ProviderConfig, min: number, integer: boolean): number | undefined {
  const v = cfg[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw new DsabenchError('E_CONFIG_INVALID', `expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${JSON.stringify(v)}`, { field: `provider.${key}` });
  }
  return v;
}

/**
 * Resolve spec + config + env into a provider. Base URL precedence: the spec's `@url`,
 * then config.base_url, then env OPENAI_BASE_URL, then the vendor default for the model.
 * Wraps it in the response cache when options.cachePath is set.
 */
export function createOpenAiProvider(model: string, specBaseUrl: string | undefined, options: ProviderOptions): Provider {
  const cfg = options.config ?? {};
  const env = options.env ?? process.env;
  const deepseek = model.toLowerCase().startsWith('deepseek');
  const baseUrl = specBaseUrl ?? cfg.base_url ?? env['OPENAI_BASE_URL'] ?? (deepseek ? 'https://api.deepseek.com/v1' : 'https://api.openai.com/v1');
  if (!/^https?:\/\//.test(baseUrl)) {
    throw new DsabenchError('E_CONFIG_INVALID', `base URL must start with http:// or https://, got ${JSON.stringify(baseUrl)}`, { field: 'provider.base_url' });
  }
  const apiKeyEnv = cfg.api_key_env ?? (deepseek ? 'DEEPSEEK_API_KEY' : 'OPENAI_API_KEY');
  const apiKey = env[apiKeyEnv];
  if (cfg.extra_body !== undefined && !isObj(cfg.extra_body)) {
    throw new DsabenchError('E_CONFIG_INVALID', 'expected an object', { field: 'provider.extra_body' });
  }
  for (const key of ['stream', 'include_usage'] as const) {
    if (cfg[key] !== undefined && typeof cfg[key] !== 'boolean') {
      throw new DsabenchError('E_CONFIG_INVALID', 'expected true or false', { field: `provider.${key}` });
    }
  }
  const init: OpenAiProviderInit = {
    id: `openai:${model}${specBaseUrl ? `@${specBaseUrl}` : ''}`,
    model,
    baseUrl,
    apiKeyEnv,
    timeoutMs: checkNumber(cfg, 'timeout_ms', 1, false) ?? OPENAI_DEFAULTS.timeout_ms,
    maxRetries: checkNumber(cfg, 'max_retries', 0, true) ?? OPENAI_DEFAULTS.max_retries,
    concurrency: checkNumber(cfg, 'concurrency', 1, true) ?? OPENAI_DEFAULTS.concurrency,
    stream: cfg.stream ?? OPENAI_DEFAULTS.stream,
    includeUsage: cfg.include_usage ?? true,
    backoff: {
      baseMs: checkNumber(cfg, 'backoff_base_ms', 0, false) ?? OPENAI_DEFAULTS.backoff_base_ms,
      maxMs: checkNumber(cfg, 'backoff_max_ms', 0, false) ?? OPENAI_DEFAULTS.backoff_max_ms,
    },
  };
  if (apiKey) init.apiKey = apiKey;
  const rpm = checkNumber(cfg, 'rpm', Number.MIN_VALUE, false);
  if (rpm !== undefined) init.rpm = rpm;
  if (cfg.extra_body !== undefined) init.extraBody = cfg.extra_body;
  const provider = new OpenAiProvider(init);
  if (options.cachePath === null || options.cachePath === undefined) return provider;
  const cacheOpts: { noCache?: boolean; keyExtra?: unknown; ownsCache: boolean } = { ownsCache: true };
  if (options.noCache !== undefined) cacheOpts.noCache = options.noCache;
  if (options.cacheKeyExtra !== undefined) cacheOpts.keyExtra = options.cacheKeyExtra;
  return withCache(provider, ResponseCache.open(options.cachePath), cacheOpts);
}
