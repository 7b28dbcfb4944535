/**
 * `dsabench serve`'s HTTP server (node:http): an OpenAI-compatible API over a ChatEngine.
 *
 *   POST /v1/chat/completions   JSON, or SSE with `stream: true` (one chunk per piece of
 *                               text as the model produces it, a final chunk with
 *                               finish_reason, a usage chunk with stream_options.include_usage,
 *                               then `data: [DONE]`)
 *   GET  /v1/models             the served model;  GET /v1/models/<id>
 *   GET  /health                {"status":"ok"}
 *
 * A streamed response's headers are sent with its first piece of text, so a request that
 * fails before producing any (prompt past the context) still gets a proper 400/500 JSON
 * error; a failure after that ends the stream with an `error` chunk and no [DONE]. A client
 * that disconnects cancels its generation.
 *
 * Limits: a prompt of as many tokens as the model's context (or more) is a 400
 * `context_length_exceeded`, answered before any generation; a body over `maxBodyBytes`
 * (32 MiB) is a 413. The 413 is sent as soon as the limit is passed and the rest of the body
 * is read and dropped, so a client still uploading receives it (closing the socket with
 * unread data makes the kernel send a reset, which loses the answer); a client that sent
 * `Expect: 100-continue` with a too-large Content-Length gets the 413 instead of the 100.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contextOverflow, type GenerateRequest } from '../model/generate.js';
import { chatTokenCount } from '../model/tokens.js';
import type { Completion } from '../types.js';
import { apiError, chunkBody, completionBody, errorBody, generationError, parseChatRequest, usageChunkBody, type ApiError, type ParsedChatRequest, type ResponseMeta } from './openai-api.js';

/** What the server generates with (NativeProvider implements it; tests may pass others). */
export interface ChatEngine {
  /** The model name clients use (listed by /v1/models). */
  readonly model: string;
  generate(request: GenerateRequest, hooks: { onDelta?: (text: string) => void; signal?: AbortSignal }): Promise<Completion>;
  /** The model's context in tokens: longer prompts are refused (400) before reaching `generate`. */
  readonly contextLength?: number;
}

export interface ServeOptions {
  engine: ChatEngine;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Other names the model answers to (e.g. the provider spec). */
  aliases?: readonly string[];
  /** Largest request body accepted (default 32 MiB). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  server: Server;
  /** Base URL of the API, e.g. http://127.0.0.1:8000/v1 */
  url: string;
  port: number;
  /** Stops accepting, cancels in-flight generations, closes connections. Idempotent. */
  close(): Promise<void>;
}

class BodyError extends Error {
  constructor(readonly apiError: ApiError) {
    super(apiError.message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, e: ApiError, headers: Record<string, string> = {}): void {
  sendJson(res, e.status, errorBody(e), headers);
}

const tooLarge = (limit: number): BodyError => new BodyError(apiError(413, `request body larger than ${limit} bytes (the server's limit)`));

/** A Content-Length header over `limit` (a body without one is counted as it arrives). */
function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > limit;
}

/**
 * Reads and drops the rest of a refused body, so the answer already sent reaches a client that
 * is still uploading and the connection stays usable. A client that keeps sending past
 * `cap` bytes is cut off: by then it has had the answer for a long while.
 */
function drain(req: IncomingMessage, cap: number): void {
  let dropped = 0;
  req.removeAllListeners('data');
  req.on('data', (c: Buffer) => {
    dropped += c.length;
    if (dropped > cap) req.socket.destroy();
  });
  req.resume();
}

/** The body as text; rejects with BodyError(413) as soon as it passes `limit`, then drains the rest. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const refuse = (): void => {
      reject(tooLarge(limit));
      drain(req, Math.max(4 * limit, 64 * 1024 * 1024));
    };
    if (declaredTooLarge(req, limit)) return refuse();
    let chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks = [];
        return refuse();
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** What the request handlers share. */
interface ServerState {
  engine: ChatEngine;
  /** The names the model answers to (its own first). */
  names: string[];
  /** Largest request body (bytes). */
  limit: number;
  /** Generations in flight; close() aborts them. */
  active: Set<AbortController>;
}

/** A generation cancelled by close(): end what the client still listens to. */
function shutDown(res: ServerResponse): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) res.end();
  else sendError(res, apiError(503, 'server shutting down'), { connection: 'close' });
}

/** The chat request read, parsed and checked against the model; null once an error is answered. */
async function readChat(st: ServerState, req: IncomingMessage, res: ServerResponse): Promise<ParsedChatRequest | null> {
  let raw: string;
  try {
    raw = await readBody(req, st.limit);
  } catch (e) {
    // No `connection: close`: Node would close the socket as soon as the answer is written,
    // with the rest of the body unread, and the client would get a reset instead of the 413.
    if (e instanceof BodyError) sendError(res, e.apiError);
    return null;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (e) {
    sendError(res, apiError(400, `request body is not valid JSON: ${(e as Error).message}`));
    return null;
  }
  const parsed = parseChatRequest(body, st.names);
  if ('status' in parsed) {
    sendError(res, parsed);
    return null;
  }
  // Counted without encoding (a 2 MB prompt is 2M tokens): refused here, it costs no worker.
  if (st.engine.contextLength !== undefined) {
    const n = chatTokenCount(parsed.request.messages);
    if (n >= st.engine.contextLength) {
      sendError(res, apiError(400, contextOverflow(n, st.engine.contextLength), 'messages', 'context_length_exceeded'));
      return null;
    }
  }
  return parsed;
}

/** A streamed answer: headers and the role chunk with the first piece of text, one chunk per
 *  piece, the finish (and usage) chunks, then [DONE]; a failure after the headers ends the
 *  stream with an error chunk. */
async function streamChat(st: ServerState, parsed: ParsedChatRequest, meta: ResponseMeta, ctrl: AbortController, res: ServerResponse): Promise<void> {
  let headersSent = false;
  const write = (obj: unknown): void => {
    if (!res.writableEnded && !res.destroyed) res.write(`data: ${JSON.stringify(obj)}\n\n`);
  };
  const open = (): void => {
    if (headersSent) return;
    headersSent = true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    write(chunkBody(meta, { role: 'assistant', content: '' }, null, parsed.includeUsage));
  };
  const c = await st.engine.generate(parsed.request, {
    signal: ctrl.signal,
    onDelta: (text) => {
      open();
      write(chunkBody(meta, { content: text }, null, parsed.includeUsage));
    },
  });
  if (ctrl.signal.aborted) return shutDown(res);
  if (c.error !== null) {
    if (!headersSent) {
      sendError(res, generationError(c));
    } else {
      write(errorBody(generationError(c)));
      res.end();
    }
    return;
  }
  open();
  write(chunkBody(meta, {}, c.finish_reason ?? 'stop', parsed.includeUsage));
  if (parsed.includeUsage) write(usageChunkBody(meta, c));
  res.end('data: [DONE]\n\n');
}

async function chat(st: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parsed = await readChat(st, req, res);
  if (!parsed) return;
  // Without a seed, sampled replies differ between requests (as OpenAI's do).
  if (parsed.request.seed === undefined && (parsed.request.temperature ?? 0) > 0) parsed.request.seed = randomInt(2 ** 32);
  const meta: ResponseMeta = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: parsed.model };
  const ctrl = new AbortController();
  st.active.add(ctrl);
  // The response closing before we finish means the client went away: stop generating.
  res.on('close', () => {
    if (!res.writableFinished) ctrl.abort();
  });
  try {
    if (parsed.stream) return await streamChat(st, parsed, meta, ctrl, res);
    const c = await st.engine.generate(parsed.request, { signal: ctrl.signal });
    if (ctrl.signal.aborted) return shutDown(res);
    if (c.error !== null) sendError(res, generationError(c));
    else sendJson(res, 200, completionBody(meta, c));
  } finally {
    st.active.delete(ctrl);
  }
}

/** The request handler: routes, 405 for a wrong method, 404 for an unknown path. */
function router(st: ServerState, started: number): (req: IncomingMessage, res: ServerResponse) => void {
  const modelObj = { id: st.engine.model, object: 'model', created: started, owned_by: 'dsabench' };
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const route = (method: string, handler: () => void | Promise<void>): void => {
      if (req.method !== method) {
        sendError(res, apiError(405, `method ${req.method} not allowed on ${path} (use ${method})`), { allow: method });
        return;
      }
      Promise.resolve(handler()).catch((e: unknown) => {
        if (!res.headersSent) sendError(res, apiError(500, `internal error: ${e instanceof Error ? e.message : String(e)}`));
        else res.destroy();
      });
    };
    if (path === '/v1/chat/completions') return route('POST', () => chat(st, req, res));
    if (path === '/v1/models') return route('GET', () => sendJson(res, 200, { object: 'list', data: [modelObj] }));
    if (path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      return route('GET', () => (st.names.includes(id) ? sendJson(res, 200, { ...modelObj, id }) : sendError(res, apiError(404, `The model \`${id}\` does not exist`, 'model', 'model_not_found'))));
    }
    if (path === '/health') return route('GET', () => sendJson(res, 200, { status: 'ok' }));
    sendError(res, apiError(404, `unknown route ${req.method} ${path} (this server answers POST /v1/chat/completions, GET /v1/models)`, null, 'unknown_url'));
  };
}

export function startServer(opts: ServeOptions): Promise<RunningServer> {
  const engine = opts.engine;
  const limit = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const active = new Set<AbortController>();
  const st: ServerState = { engine, names: [engine.model, ...(opts.aliases ?? []).filter((a) => a !== engine.model)], limit, active };
  const handle = router(st, Math.floor(Date.now() / 1000));
  const server = createServer(handle);
  // `Expect: 100-continue` (curl does this for large bodies): refuse a too-large body before
  // the client sends it. It is never sent, so the connection closes instead of draining.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaredTooLarge(req, limit)) return sendError(res, tooLarge(limit).apiError, { connection: 'close' });
    res.writeContinue();
    handle(req, res);
  });
  server.keepAliveTimeout = 5000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8000, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      let closing: Promise<void> | null = null;
      resolve({
        server,
        port: addr.port,
        url: `http://${host}:${addr.port}/v1`,
        close: () => {
          closing ??= new Promise<void>((done) => {
            for (const c of active) c.abort();
            server.close(() => done());
            server.closeIdleConnections();
            // In-flight streams end when their generation sees the abort; cut what remains.
            setTimeout(() => server.closeAllConnections(), 1000).unref();
          });
          return closing;
        },
      });
    });
  });
}
