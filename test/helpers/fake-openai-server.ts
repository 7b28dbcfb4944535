/**
 * A real loopback HTTP server speaking the OpenAI chat-completions API, for tests.
 *
 *   const server = await start();
 *   server.script({ text: 'hello world' }, { status: 429, retryAfter: 1 }, { dropAfterChunks: 2 });
 *   // … point a provider at server.url (http://127.0.0.1:<port>/v1) …
 *   server.requests;       // what the server got, in order
 *   await server.close();
 *
 * Each POST …/chat/completions takes the next scripted reply (FIFO); when the script is
 * empty it uses the handler given to `start` (default: answer "ok"). Streaming (SSE) or
 * plain JSON follows the request's `stream` flag. Replies can carry reasoning_content,
 * tool calls, usage with reasoning tokens, an HTTP error with Retry-After, a connection
 * dropped mid-stream, a malformed chunk, delays, or no answer at all (timeouts).
 *
 * The server runs in the test's own event loop: start the CLI under test with the async
 * `spawn`/`execFile`, never `spawnSync`/`execFileSync`, or the server cannot answer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToolCall {
  id?: string;
  name: string;
  /** JSON text of the arguments; streamed in a few pieces. */
  arguments: string;
}

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens?: number;
  total_tokens?: number;
}

export interface FakeReply {
  /** HTTP status; anything but 200 answers with an OpenAI-style error body. */
  status?: number;
  /** Retry-After header: seconds, or a string sent as is (an HTTP date). */
  retryAfter?: number | string;
  headers?: Record<string, string>;
  /** Answer text; streamed one word (with its trailing space) per chunk. */
  text?: string;
  /** DeepSeek `reasoning_content`, streamed before the text. */
  reasoning?: string;
  toolCalls?: FakeToolCall[];
  /** Usage to report; default counts the streamed pieces; null omits usage. */
  usage?: FakeUsage | null;
  finishReason?: string;
  /** Delay before the first chunk / between chunks (ms). */
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
  /** Destroy the connection after this many content chunks (no [DONE]). */
  dropAfterChunks?: number;
  /** Send a non-JSON `data:` line after this many content chunks, then carry on. */
  malformedAfterChunks?: number;
  /** Never answer (the client must time out). */
  hang?: boolean;
  /** Send exactly this body (status 200, content-type per `rawContentType`). */
  rawBody?: string;
  rawContentType?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (null when it was not JSON). */
  body: Record<string, unknown> | null;
  /** ms since the server started, when the request arrived / its reply ended. */
  receivedAt: number;
  finishedAt?: number;
}

/** Text of the last user message of a recorded request ('' when none), for handlers that answer per prompt. */
export function lastUserContent(req: RecordedRequest): string {
  const msgs = req.body && Array.isArray(req.body['messages']) ? (req.body['messages'] as unknown[]) : [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i];
    if (m && typeof m === 'object' && (m as Record<string, unknown>)['role'] === 'user') {
      const c = (m as Record<string, unknown>)['content'];
      return typeof c === 'string' ? c : '';
    }
  }
  return '';
}

export type FakeHandler = (req: RecordedRequest, index: number) => FakeReply;

export interface FakeOpenAiServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:41234/v1. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Queue replies for the next requests, in order. */
  script(...replies: FakeReply[]): void;
  /** Replace the handler used when the script is empty. */
  setHandler(handler: FakeHandler): void;
  /** Forget recorded requests, queued replies and the in-flight peak; keep the handler. */
  reset(): void;
  /** Replies still queued. */
  pending(): number;
  /** Highest number of chat requests being answered at once. */
  maxInFlight(): number;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Words with their trailing whitespace: the "tokens" the server streams. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+\s*|\s+/g) ?? [];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function promptTokens(body: Record<string, unknown> | null): number {
  const msgs = body && Array.isArray(body['messages']) ? body['messages'] : [];
  const chars = msgs.reduce((n: number, m: unknown) => n + JSON.stringify(m).length, 0);
  return Math.max(1, Math.ceil(chars / 4));
}

export async function start(opts: { handler?: FakeHandler } = {}): Promise<FakeOpenAiServer> {
  const t0 = Date.now();
  const queue: FakeReply[] = [];
  let handler: FakeHandler = opts.handler ?? (() => ({ text: 'ok' }));
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let peak = 0;
  let seq = 0;

  const server = createServer((req, res) => {
    void serve(req, res).catch(() => res.destroy());
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = req.url ?? '/';
    if (req.method === 'GET' && path.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model' }] }));
      return;
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      return;
    }
    let body: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = null;
    }
    const rec: RecordedRequest = { method: req.method, path, headers: req.headers, body, receivedAt: Date.now() - t0 };
    requests.push(rec);
    const index = requests.length - 1;
    const reply = queue.length > 0 ? queue.shift()! : handler(rec, index);
    inFlight++;
    peak = Math.max(peak, inFlight);
    const done = (): void => {
      inFlight--;
      rec.finishedAt = Date.now() - t0;
    };
    res.on('close', () => {
      if (rec.finishedAt === undefined) done();
    });
    await answer(reply, body, res);
  }

  async function answer(reply: FakeReply, body: Record<string, unknown> | null, res: ServerResponse): Promise<void> {
    if (reply.hang) return; // the client times out; close() destroys the socket
    if (reply.firstTokenDelayMs) await sleep(reply.firstTokenDelayMs);
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
    const status = reply.status ?? 200;
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ error: { message: `scripted status ${status}`, type: 'fake_error', code: status } }));
      return;
    }
    if (reply.rawBody !== undefined) {
      res.writeHead(200, { 'content-type': reply.rawContentType ?? 'application/json', ...headers });
      res.end(reply.rawBody);
      return;
    }
    const model = typeof body?.['model'] === 'string' ? body['model'] : 'fake-model';
    const id = `chatcmpl-fake-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const reasoningPieces = splitTokens(reply.reasoning ?? '');
    const textPieces = splitTokens(reply.text ?? '');
    const toolCalls = (reply.toolCalls ?? []).map((t, i) => ({ id: t.id ?? `call_${seq}_${i}`, name: t.name, arguments: t.arguments }));
    const usageOut =
      reply.usage === null
        ? undefined
        : (() => {
            const u = reply.usage ?? {
              prompt_tokens: promptTokens(body),
              completion_tokens: reasoningPieces.length + textPieces.length + toolCalls.length,
              reasoning_tokens: reasoningPieces.length,
            };
            return {
              prompt_tokens: u.prompt_tokens,
              completion_tokens: u.completion_tokens,
              total_tokens: u.total_tokens ?? u.prompt_tokens + u.completion_tokens,
              completion_tokens_details: { reasoning_tokens: u.reasoning_tokens ?? 0 },
            };
          })();
    const finish = reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');

    if (body?.['stream'] !== true) {
      const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? (toolCalls.length ? null : '') };
      if (reply.reasoning !== undefined) message['reasoning_content'] = reply.reasoning;
      if (toolCalls.length > 0) {
        message['tool_calls'] = toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
      }
      const out: Record<string, unknown> = { id, object: 'chat.completion', created, model, choices: [{ index: 0, message, finish_reason: finish }] };
      if (usageOut) out['usage'] = usageOut;
      if (reply.dropAfterChunks !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.write(JSON.stringify(out).slice(0, 20));
        await sleep(10);
        res.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(out));
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
    const send = async (s: string, delay: boolean): Promise<void> => {
      if (delay && reply.tokenDelayMs) await sleep(reply.tokenDelayMs);
      res.write(s);
    };
    res.write(chunk({ role: 'assistant', content: '' }));
    // Content-bearing chunks, in order: reasoning, text, tool-call pieces.
    const pieces: Array<Record<string, unknown>> = [
      ...reasoningPieces.map((p) => ({ reasoning_content: p })),
      ...textPieces.map((p) => ({ content: p })),
    ];
    toolCalls.forEach((t, i) => {
      pieces.push({ tool_calls: [{ index: i, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }] });
      const cut = Math.ceil(t.arguments.length / 2);
      for (const part of [t.arguments.slice(0, cut), t.arguments.slice(cut)]) {
        if (part !== '') pieces.push({ tool_calls: [{ index: i, function: { arguments: part } }] });
      }
    });
    for (let i = 0; i < pieces.length; i++) {
      if (reply.dropAfterChunks !== undefined && i === reply.dropAfterChunks) {
        await sleep(10);
        res.destroy();
        return;
      }
      if (reply.malformedAfterChunks !== undefined && i === reply.malformedAfterChunks) {
        await send('data: {"id": "broken", "choices": [{"delta": {"content": "x"}\n\n', false);
      }
      await send(chunk(pieces[i]!), i > 0);
    }
    if (reply.dropAfterChunks !== undefined && reply.dropAfterChunks >= pieces.length) {
      await sleep(10);
      res.destroy();
      return;
    }
    if (reply.malformedAfterChunks !== undefined && reply.malformedAfterChunks >= pieces.length) {
      await send('data: not json at all\n\n', false);
    }
    await send(chunk({}, finish), false);
    const so = body['stream_options'];
    const wantsUsage = typeof so === 'object' && so !== null && (so as Record<string, unknown>)['include_usage'] === true;
    if (usageOut && wantsUsage) {
      await send(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOut })}\n\n`, false);
    }
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    script: (...replies) => {
      queue.push(...replies);
    },
    setHandler: (h) => {
      handler = h;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      peak = inFlight;
    },
    pending: () => queue.length,
    maxInFlight: () => peak,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
