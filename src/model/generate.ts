/**
 * One chat completion with the built-in model: chat → tokens (encodeChat) → prefill in a KV
 * cache session → decode loop (sample, stream text, feed the token back) until <|eos|>, a
 * stop sequence, max_tokens or the end of the cache.
 *
 * Returns a Completion like any provider: text, finish_reason 'stop' | 'length', usage
 * (prompt tokens = the encoded chat, completion tokens = tokens sampled, the end token
 * included) and timings (ttft = prefill + first sampled token, itl = time between sampled
 * tokens, tpot = (e2e − ttft)/(tokens − 1)). A prompt longer than the context, a bad
 * setting or a native failure comes back as `error`, never as an exception.
 */
import type { ChatMessage as ApiMessage, Completion, Usage } from '../types.js';
import type { AttentionMode, NativeModel, NativeSession } from './native.js';
import { createSampler, StopTextStream } from './sampling.js';
import { encodeChat, type ChatMessage } from './tokens.js';

/** Reply length when a request sets no max_tokens (bytes: about a paragraph). */
export const DEFAULT_MAX_TOKENS = 512;
/** Inter-token latencies kept per completion (as the openai provider). */
const MAX_ITL = 8192;

export interface GenerateRequest {
  messages: readonly ChatMessage[];
  /** Default 0 (greedy). */
  temperature?: number;
  /** Default 1. */
  top_p?: number;
  /** Default DEFAULT_MAX_TOKENS, and never past the model's context. */
  max_tokens?: number;
  stop?: readonly string[];
  /** PRNG seed for temperature > 0 (default 0). */
  seed?: number;
}

/** How the model runs: fixed per provider / server, not per request. */
export interface RunOptions {
  attention: AttentionMode;
  /** Top-k of sparse attention (default: the model's index_topk). */
  topk?: number;
  /** Intra-op threads of one request (default 1). */
  threads?: number;
}

export interface GenerateHooks {
  /** Called with each piece of final text as it is produced (non-empty strings). */
  onDelta?: (text: string) => void;
  /** Checked between tokens: true ends the generation with error "aborted". */
  cancelled?: () => boolean;
}

/** The part of a model the generator needs (NativeModel satisfies it; tests pass fakes). */
export interface GenerativeModel {
  session: NativeModel['session'];
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** dsabench chat messages → the model's chat roles (tool results are read as user turns). */
export function toModelMessages(messages: readonly ApiMessage[]): ChatMessage[] {
  return messages.map((m) => ({ role: m.role === 'tool' ? 'user' : m.role, content: m.content ?? '' }));
}

function failed(error: string, t0: number, usage?: Usage): Completion {
  const c: Completion = { text: '', finish_reason: null, timings: { ttft_ms: null, tpot_ms: null, e2e_ms: round3(performance.now() - t0) }, error };
  if (usage) c.usage = usage;
  return c;
}

/** The error of a prompt that leaves no room for a reply (`dsabench serve` answers it with 400). */
export function contextOverflow(promptTokens: number, contextLength: number): string {
  return `prompt is ${promptTokens} tokens but the model's context is ${contextLength} tokens (max_position_embeddings); shorten the prompt`;
}

/** Checks request settings; a reason string when one is invalid. */
export function checkRequest(r: GenerateRequest): string | null {
  if (r.temperature !== undefined && !(Number.isFinite(r.temperature) && r.temperature >= 0)) return `temperature must be a number ≥ 0, got ${r.temperature}`;
  if (r.top_p !== undefined && !(r.top_p > 0 && r.top_p <= 1)) return `top_p must be in (0, 1], got ${r.top_p}`;
  if (r.max_tokens !== undefined && !(Number.isInteger(r.max_tokens) && r.max_tokens >= 1)) return `max_tokens must be a positive integer, got ${r.max_tokens}`;
  if (r.seed !== undefined && !Number.isInteger(r.seed)) return `seed must be an integer, got ${r.seed}`;
  if (r.messages.length === 0) return 'messages must not be empty';
  return null;
}

/**
 * Generates one reply. `contextLength` is the model's max_position_embeddings: the prompt
 * plus the reply never exceed it.
 */
export function generate(model: GenerativeModel, contextLength: number, req: GenerateRequest, run: RunOptions, hooks: GenerateHooks = {}): Completion {
  const t0 = performance.now();
  const bad = checkRequest(req);
  if (bad) return failed(bad, t0);
  const prompt = encodeChat(req.messages);
  const usage: Usage = { prompt_tokens: prompt.length, completion_tokens: 0, total_tokens: prompt.length };
  if (prompt.length >= contextLength) {
    return failed(contextOverflow(prompt.length, contextLength), t0, usage);
  }
  const maxTokens = Math.min(req.max_tokens ?? DEFAULT_MAX_TOKENS, contextLength - prompt.length);
  const sample = createSampler({ temperature: req.temperature ?? 0, top_p: req.top_p ?? 1, seed: req.seed ?? 0 });
  const stream = new StopTextStream(req.stop);
  const itl: number[] = [];
  let ttft: number | null = null;
  let last = 0;
  let finish: 'stop' | 'length' = 'length';
  const emit = (d: string): void => {
    if (d !== '') hooks.onDelta?.(d);
  };
  let session: NativeSession | undefined;
  try {
    // The last sampled token is never fed back, so the cache needs prompt + maxTokens − 1.
    session = model.session({ maxLength: prompt.length + maxTokens - 1 || 1, attention: run.attention, threads: run.threads ?? 1, ...(run.topk !== undefined ? { topk: run.topk } : {}) });
    let logits = session.forward(Int32Array.from(prompt));
    for (;;) {
      const tok = sample(logits);
      const now = performance.now();
      if (ttft === null) ttft = now - t0;
      else if (itl.length < MAX_ITL) itl.push(round3(now - last));
      last = now;
      usage.completion_tokens++;
      const step = stream.push(tok);
      emit(step.delta);
      if (step.stopped) {
        finish = 'stop';
        break;
      }
      if (usage.completion_tokens >= maxTokens) {
        const end = stream.finish();
        emit(end.delta);
        if (end.stopped) finish = 'stop';
        break;
      }
      if (hooks.cancelled?.()) {
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
        return failed('aborted', t0, usage);
      }
      logits = session.forward(Int32Array.of(tok));
    }
  } catch (e) {
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    return failed(`native model failed: ${e instanceof Error ? e.message : String(e)}`, t0, usage);
  } finally {
    // The KV cache and activations (~18 MB for a 1.6K-token prompt) are freed here, not when
    // the GC next runs: a server or a run would otherwise grow with every request.
    session?.close();
  }
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const e2e = performance.now() - t0;
  const n = usage.completion_tokens;
  return {
    text: stream.text,
    finish_reason: finish,
    usage,
    timings: {
      ttft_ms: ttft === null ? null : round3(ttft),
      tpot_ms: ttft !== null && n > 1 ? round3((e2e - ttft) / (n - 1)) : null,
      itl_ms: itl,
      e2e_ms: round3(e2e),
    },
    error: null,
  };
}
