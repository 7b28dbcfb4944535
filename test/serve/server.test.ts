import { strict as assert } from 'node:assert';
import { Agent, request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { encodeChat } from '../../src/model/tokens.js';
import { createOpenAiProvider } from '../../src/providers/openai.js';
import { NativeProvider } from '../../src/providers/native.js';
import { startServer, type ChatEngine, type RunningServer } from '../../src/serve/server.js';
import type { Completion, CompletionRequest } from '../../src/types.js';

const loader = new URL('../helpers/fake-model-loader.js', import.meta.url).href;
let provider: NativeProvider;
let server: RunningServer;
/** Every generation the servers started: its prompt and how it ended. */
const generations: Array<{ prompt: string; result: Promise<Completion> }> = [];
const engine: ChatEngine = {
  model: 'dsa-test',
  generate: (r, h) => {
    const result = provider.generate(r, h);
    generations.push({ prompt: r.messages[r.messages.length - 1]!.content, result });
    return result;
  },
};

before(async () => {
  provider = new NativeProvider({ spec: { model: 'echo-slow', attention: 'sparse', topk: 16, threads: 1 }, dir: 'echo-slow', loader, workers: 1 });
  server = await startServer({ engine, port: 0, aliases: [provider.id] });
});

/** How the generations of prompts starting with `prefix` ended. */
const endedWith = (prefix: string): Promise<Completion[]> => Promise.all(generations.filter((g) => g.prompt.startsWith(prefix)).map((g) => g.result));
after(async () => {
  await server.close();
  await provider.close();
});

function req(text: string, settings: CompletionRequest['settings'] = {}): CompletionRequest {
  return { messages: [{ role: 'user', content: text }], settings, item: { id: 'x', input: {}, target: '' }, suite: 's', attempt: 0 };
}

const post = (body: unknown): Promise<Response> =>
  fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('dsabench serve (fake model in the worker pool, real loopback HTTP)', () => {
  it('the openai provider streams from it: text, usage, per-token timings', async () => {
    const client = createOpenAiProvider('dsa-test', server.url, { env: {} });
    const c = await client.complete(req('hello world'));
    assert.equal(c.error, null);
    assert.equal(c.text, 'echo: hello world');
    assert.equal(c.finish_reason, 'stop');
    const p = encodeChat([{ role: 'user', content: 'hello world' }]).length;
    assert.deepEqual(c.usage, { prompt_tokens: p, completion_tokens: 18, total_tokens: p + 18 });
    // One SSE event per token: the client saw 17 content chunks (16 gaps), 2 ms apart at least.
    assert.equal(c.timings.itl_ms!.length, 16);
    // 17 forwards of ≥ 2 ms each happen after the request is sent, so e2e ≥ 34 ms however the
    // chunks are delivered; e2e − ttft is not bounded below: a busy event loop (this process
    // runs the server and the client) can hold the first chunks back and deliver them in a burst.
    assert.ok(c.timings.ttft_ms! > 0 && c.timings.e2e_ms >= 17 * 2 && c.timings.e2e_ms >= c.timings.ttft_ms!, JSON.stringify(c.timings));
    const s = await client.complete(req('hello world', { stop: ['wor'], max_tokens: 50, temperature: 0 }));
    assert.deepEqual([s.text, s.finish_reason], ['echo: hello ', 'stop']);
    const l = await client.complete(req('hello world', { max_tokens: 3 }));
    assert.deepEqual([l.text, l.finish_reason, l.usage?.completion_tokens], ['ech', 'length', 3]);
  });

  it('non-streaming through the openai provider, and by the provider id as model name', async () => {
    const client = createOpenAiProvider(provider.id, server.url, { env: {}, config: { stream: false } });
    const c = await client.complete(req('abc'));
    assert.equal(c.error, null);
    assert.equal(c.text, 'echo: abc');
    assert.equal(c.usage!.completion_tokens, 10);
    const raw = (await (await post({ model: 'dsa-test', messages: [{ role: 'user', content: 'q' }] })).json()) as Record<string, unknown>;
    assert.equal(raw['object'], 'chat.completion');
    assert.equal(raw['model'], 'dsa-test');
    assert.match(String(raw['id']), /^chatcmpl-/);
    assert.deepEqual((raw['choices'] as unknown[])[0], { index: 0, message: { role: 'assistant', content: 'echo: q' }, logprobs: null, finish_reason: 'stop' });
  });

  it('SSE wire format: role chunk, deltas, finish chunk, usage chunk, [DONE]', async () => {
    const res = await post({ model: 'dsa-test', messages: [{ role: 'user', content: 'ab' }], stream: true, stream_options: { include_usage: true } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: Array<{ delta: { content?: string; role?: string }; finish_reason: string | null }>; usage: unknown });
    assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: 'assistant', content: '' });
    const text = chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('');
    assert.equal(text, 'echo: ab');
    assert.equal(chunks.filter((c) => c.choices[0]?.delta.content).length, 8);
    const fin = chunks.at(-2)!;
    assert.equal(fin.choices[0]!.finish_reason, 'stop');
    assert.equal(fin.usage, null);
    const u = chunks.at(-1)!;
    assert.deepEqual(u.choices, []);
    assert.equal((u.usage as { completion_tokens: number }).completion_tokens, 9);
  });

  it('errors: 400 naming the field, bad JSON, context overflow, 404 route and model, 405, /v1/models', async () => {
    const r1 = await post({ model: 'dsa-test', messages: [{ role: 'user', content: 'x' }], temperature: 9 });
    assert.equal(r1.status, 400);
    const e1 = (await r1.json()) as { error: { param: string; type: string; message: string } };
    assert.equal(e1.error.param, 'temperature');
    assert.equal(e1.error.type, 'invalid_request_error');
    assert.equal((await post('{nope')).status, 400);
    const r2 = await post({ model: 'dsa-test', messages: [{ role: 'user', content: 'x'.repeat(5000) }], stream: true });
    assert.equal(r2.status, 400);
    assert.equal(((await r2.json()) as { error: { code: string } }).error.code, 'context_length_exceeded');
    const r3 = await post({ model: 'other', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(r3.status, 404);
    assert.equal(((await r3.json()) as { error: { code: string } }).error.code, 'model_not_found');
    const r4 = await fetch(`${server.url}/completions`, { method: 'POST', body: '{}' });
    assert.equal(r4.status, 404);
    assert.ok(((await r4.json()) as { error: { message: string } }).error.message.includes('unknown route'));
    const r5 = await fetch(`${server.url}/chat/completions`);
    assert.equal(r5.status, 405);
    await r5.body?.cancel();
    const models = (await (await fetch(`${server.url}/models`)).json()) as { object: string; data: Array<{ id: string; object: string }> };
    assert.equal(models.object, 'list');
    assert.deepEqual(models.data.map((m) => [m.id, m.object]), [['dsa-test', 'model']]);
    // A failed context-overflow request through the client is an error value, not retried.
    const client = createOpenAiProvider('dsa-test', server.url, { env: {}, config: { max_retries: 0 } });
    assert.match((await client.complete(req('y'.repeat(5000)))).error!, /HTTP 400.*context/);
  });

  it('a 2 MB prompt is a 400 context_length_exceeded, streamed or not, and the openai client does not retry it', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const want = encodeChat([{ role: 'user', content: big }]).length;
    // Without a context length the server passes it on and the worker refuses it.
    for (const stream of [false, true]) {
      const r = await post({ model: 'dsa-test', messages: [{ role: 'user', content: big }], stream });
      assert.equal(r.status, 400, `stream ${stream}`);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      const e = ((await r.json()) as { error: { code: string; param: string; message: string } }).error;
      assert.deepEqual([e.code, e.param], ['context_length_exceeded', 'messages']);
      assert.match(e.message, new RegExp(`^prompt is ${want} tokens but the model's context is 4096 tokens`));
    }
    // With one, the server refuses it before generating.
    let calls = 0;
    const capped = await startServer({
      engine: { model: 'dsa-test', contextLength: 4096, generate: (r, h) => (calls++, provider.generate(r, h)) },
      port: 0,
    });
    try {
      const url = `${capped.url}/chat/completions`;
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'dsa-test', messages: [{ role: 'user', content: big }], stream: true }) });
      assert.equal(r.status, 400);
      const e = ((await r.json()) as { error: { code: string; message: string } }).error;
      assert.equal(e.code, 'context_length_exceeded');
      assert.match(e.message, new RegExp(`^prompt is ${want} tokens`));
      // Exactly at the context is refused too (no room for a reply); one token less is served.
      const fits = 'z'.repeat(4096 - encodeChat([{ role: 'user', content: '' }]).length);
      const at = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'dsa-test', messages: [{ role: 'user', content: `${fits}z` }] }) });
      assert.equal(at.status, 400);
      await at.body?.cancel();
      assert.equal(calls, 0);
      const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'dsa-test', messages: [{ role: 'user', content: fits.slice(1) }], max_tokens: 1 }) });
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
      assert.equal(calls, 1);
      // Through the openai client (its default retries are on): one request, an error value.
      const before = calls;
      const client = createOpenAiProvider('dsa-test', capped.url, { env: {} });
      assert.match((await client.complete(req(big))).error!, /HTTP 400.*context/);
      assert.equal(calls, before);
    } finally {
      await capped.close();
    }
  });

  it('a body over the limit is a 413 the client receives, and the connection is left usable', async () => {
    // The default limit (32 MiB) and a 40 MiB body, sent by fetch while the server answers.
    const body = JSON.stringify({ model: 'dsa-test', messages: [{ role: 'user', content: 'a'.repeat(40 * 1024 * 1024) }] });
    const r = await post(body);
    assert.equal(r.status, 413);
    const e = ((await r.json()) as { error: { message: string; type: string } }).error;
    assert.match(e.message, /larger than 33554432 bytes/);
    // Chunked (no Content-Length): the limit is found mid-upload; node:http keeps writing.
    const small = await startServer({ engine: { model: 'dsa-test', generate: (q, h) => provider.generate(q, h) }, port: 0, maxBodyBytes: 1024 * 1024 });
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const send = (chunks: number, chunk: string): Promise<{ status: number; text: string }> => new Promise((resolve, reject) => {
        const rq = httpRequest(`${small.url}/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        rq.on('error', reject);
        for (let i = 0; i < chunks; i++) rq.write(chunk);
        rq.end();
      });
      const big = await send(64, 'b'.repeat(128 * 1024)); // 8 MiB
      assert.equal(big.status, 413, big.text);
      assert.match(big.text, /larger than 1048576 bytes/);
      // The same keep-alive connection then serves a normal request.
      const ok = await send(1, JSON.stringify({ model: 'dsa-test', messages: [{ role: 'user', content: 'after' }], stream: false }));
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.text, /echo: after/);
      agent.destroy();
    } finally {
      await small.close();
    }
  });

  it('a client that disconnects cancels its generation', async () => {
    assert.equal(provider.workers, 1);
    // Occupy the worker with a long stream (1500 tokens × 2 ms), queue a second, then hang up both.
    const ctrls = [new AbortController(), new AbortController()];
    const streams = ctrls.map((ctrl) => fetch(`${server.url}/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: ctrl.signal,
      body: JSON.stringify({ model: 'dsa-test', messages: [{ role: 'user', content: 'z'.repeat(1500) }], stream: true, max_tokens: 2000 }),
    }).then((res) => res.body!.getReader().read()));
    await Promise.race(streams);
    await new Promise((r) => setTimeout(r, 50));
    for (const c of ctrls) c.abort();
    await Promise.allSettled(streams);
    // Both generations end as aborted, the running one long before its 1,507-token reply
    // (asserted on the generations themselves, not on a clock: a loaded machine is slow either way).
    const ended = await endedWith('zzz');
    assert.equal(ended.length, 2);
    for (const c of ended) {
      assert.equal(c.error, 'aborted');
      assert.ok((c.usage?.completion_tokens ?? 0) < 1507, `${c.usage?.completion_tokens} tokens generated`);
    }
    const client = createOpenAiProvider('dsa-test', server.url, { env: {} });
    const [a, b] = await Promise.all([client.complete(req('1')), client.complete(req('2'))]);
    assert.deepEqual([a.text, b.text], ['echo: 1', 'echo: 2']);
  });

  it('close() ends in-flight streams and frees the worker', async () => {
    const second = await startServer({ engine, port: 0 });
    const res = await fetch(`${second.url}/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dsa-test', messages: [{ role: 'user', content: 'w'.repeat(1500) }], stream: true, max_tokens: 2000 }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    await second.close();
    let body = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) break;
      body += new TextDecoder().decode(value);
    }
    assert.ok(!body.includes('[DONE]'));
    const [g] = await endedWith('www');
    assert.equal(g!.error, 'aborted');
    assert.ok((g!.usage?.completion_tokens ?? 0) < 1507, `${g!.usage?.completion_tokens} tokens generated`);
    const c = await createOpenAiProvider('dsa-test', server.url, { env: {} }).complete(req('after'));
    assert.equal(c.text, 'echo: after');
  });
});
