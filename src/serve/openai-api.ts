/**
 * The OpenAI chat-completions wire format, as far as `dsabench serve` speaks it: request
 * validation (every bad field is a 400 naming it, OpenAI-style) and the response / chunk
 * objects. No I/O here, so it is tested without a socket.
 *
 * Accepted request fields: model, messages (system | developer | user | assistant | tool,
 * content as a string, null or text parts), temperature, top_p, max_tokens (or
 * max_completion_tokens), stop, seed, stream, stream_options.include_usage, n (1 only).
 * Other fields (user, presence_penalty, …) are ignored as most local servers do; tools are
 * refused since the built-in model cannot call them.
 */
import type { GenerateRequest } from '../model/generate.js';
import type { ChatMessage } from '../model/tokens.js';
import type { Completion, Usage } from '../types.js';

export interface ApiError {
  status: number;
  message: string;
  type: 'invalid_request_error' | 'not_found_error' | 'server_error';
  param: string | null;
  code: string | null;
}

export interface ParsedChatRequest {
  model: string;
  request: GenerateRequest;
  stream: boolean;
  includeUsage: boolean;
}

export function apiError(status: number, message: string, param: string | null = null, code: string | null = null): ApiError {
  const type = status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { status, message, type, param, code };
}

/** `{"error": {...}}` body of an ApiError. */
export function errorBody(e: ApiError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ROLES: Record<string, ChatMessage['role']> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant', tool: 'user' };
const MAX_STOPS = 4;

function contentOf(v: unknown, param: string): string | ApiError {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    let out = '';
    for (let i = 0; i < v.length; i++) {
      const part = v[i];
      if (!isObj(part) || part['type'] !== 'text' || typeof part['text'] !== 'string')
        return apiError(400, `${param}[${i}] must be a text part {"type": "text", "text": "..."} (the model reads text only)`, `${param}[${i}]`);
      out += part['text'];
    }
    return out;
  }
  return apiError(400, `${param} must be a string, null or an array of text parts`, param);
}

function num(body: Record<string, unknown>, key: string, lo: number, hi: number, loOpen = false): number | undefined | ApiError {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v > hi || (loOpen ? v <= lo : v < lo))
    return apiError(400, `${key} must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(v)}`, key);
  return v;
}

const isErr = (v: unknown): v is ApiError => isObj(v) && typeof v['status'] === 'number' && typeof v['message'] === 'string';

/**
 * Validates a parsed JSON body. `models` are the names this server answers to (the first is
 * the one echoed back when the request names no model… which OpenAI requires, so it is a 400).
 */
export function parseChatRequest(body: unknown, models: readonly string[]): ParsedChatRequest | ApiError {
  if (!isObj(body)) return apiError(400, 'request body must be a JSON object');
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return apiError(400, 'model must be a non-empty string', 'model');
  if (!models.includes(model)) return apiError(404, `The model \`${model}\` does not exist; this server serves ${models.map((m) => `\`${m}\``).join(', ')}`, 'model', 'model_not_found');
  const msgs = body['messages'];
  if (!Array.isArray(msgs) || msgs.length === 0) return apiError(400, 'messages must be a non-empty array', 'messages');
  const messages: ChatMessage[] = [];
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i];
    if (!isObj(m)) return apiError(400, `messages[${i}] must be an object`, `messages[${i}]`);
    const role = typeof m['role'] === 'string' ? ROLES[m['role']] : undefined;
    if (!role) return apiError(400, `messages[${i}].role must be one of ${Object.keys(ROLES).join(', ')}, got ${JSON.stringify(m['role'])}`, `messages[${i}].role`);
    const content = contentOf(m['content'], `messages[${i}].content`);
    if (typeof content !== 'string') return content;
    messages.push({ role, content });
  }
  const request: GenerateRequest = { messages };
  const temperature = num(body, 'temperature', 0, 2);
  if (isErr(temperature)) return temperature;
  if (temperature !== undefined) request.temperature = temperature;
  const topP = num(body, 'top_p', 0, 1, true);
  if (isErr(topP)) return topP;
  if (topP !== undefined) request.top_p = topP;
  for (const key of ['max_tokens', 'max_completion_tokens']) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return apiError(400, `${key} must be a positive integer, got ${JSON.stringify(v)}`, key);
    request.max_tokens = v;
  }
  const seed = body['seed'];
  if (seed !== undefined && seed !== null) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) return apiError(400, `seed must be an integer, got ${JSON.stringify(seed)}`, 'seed');
    request.seed = seed >>> 0;
  }
  const stop = body['stop'];
  if (stop !== undefined && stop !== null) {
    const list = typeof stop === 'string' ? [stop] : stop;
    if (!Array.isArray(list) || !list.every((s): s is string => typeof s === 'string') || list.length > MAX_STOPS)
      return apiError(400, `stop must be a string or an array of at most ${MAX_STOPS} strings`, 'stop');
    if (list.length > 0) request.stop = list;
  }
  const n = body['n'];
  if (n !== undefined && n !== null && n !== 1) return apiError(400, `n must be 1 (one choice per request), got ${JSON.stringify(n)}`, 'n');
  const tools = body['tools'];
  if (Array.isArray(tools) && tools.length > 0) return apiError(400, 'tools are not supported by the built-in model', 'tools');
  const stream = body['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') return apiError(400, `stream must be a boolean, got ${JSON.stringify(stream)}`, 'stream');
  const so = body['stream_options'];
  let includeUsage = false;
  if (so !== undefined && so !== null) {
    if (!isObj(so)) return apiError(400, 'stream_options must be an object', 'stream_options');
    const iu = so['include_usage'];
    if (iu !== undefined && typeof iu !== 'boolean') return apiError(400, `stream_options.include_usage must be a boolean, got ${JSON.stringify(iu)}`, 'stream_options.include_usage');
    includeUsage = iu === true;
  }
  return { model, request, stream: stream === true, includeUsage };
}

/** A failed generation → the HTTP error to answer with (context overflow is the client's fault). */
export function generationError(c: Completion): ApiError {
  const msg = c.error ?? 'generation failed';
  if (/^prompt is \d+ tokens but the model's context is/.test(msg)) return apiError(400, msg, 'messages', 'context_length_exceeded');
  return apiError(500, msg);
}

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

function usageOf(c: Completion): Usage {
  return c.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}

export function completionBody(meta: ResponseMeta, c: Completion): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: { role: 'assistant', content: c.text }, logprobs: null, finish_reason: c.finish_reason ?? 'stop' }],
    usage: usageOf(c),
  };
}

/** One `chat.completion.chunk`; `usage: null` on every chunk but the last when usage is asked for. */
export function chunkBody(meta: ResponseMeta, delta: Record<string, string>, finish: string | null, includeUsage: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
  if (includeUsage) out['usage'] = null;
  return out;
}

export function usageChunkBody(meta: ResponseMeta, c: Completion): Record<string, unknown> {
  return { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, choices: [], usage: usageOf(c) };
}
