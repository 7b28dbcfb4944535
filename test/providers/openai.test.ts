import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createProvider } from '../../src/providers/index.js';
import type { ProviderConfig } from '../../src/providers/types.js';
import type { ChatMessage, CompletionRequest, Provider, ToolSpec } from '../../src/types.js';
import { lastUserContent, start, type FakeOpenAiServer } from '../helpers/fake-openai-server.js';

let server: FakeOpenAiServer;

before(async () => {
  server = await start();
});
after(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  server.setHandler(() => ({ text: 'ok' }));
});

/** Fast retries unless a test wants the real policy. */
function provider(config: ProviderConfig = {}, env: Record<string, string> = { FAKE_KEY: 'sk-test' }): Promise<Provider> {
  return createProvider(`openai:fake-model@${server.url}`, {
    config: { api_key_env: 'FAKE_KEY', backoff_base_ms: 5, backoff_max_ms: 2000, ...config },
    env,
  });
}

function request(extra: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    messages: [{ role: 'user', content: 'What is 2+2?' }],
    settings: { temperature: 0, max_tokens: 64 },
    item: { id: 'i1', input: {}, target: '4' },
    suite: 'math',
    attempt: 0,
    ...extra,
  };
}

test('streaming: text, usage, TTFT/ITL/TPOT, and the request the server saw', async () => {
  const p = await provider();
  server.script({ text: 'The answer is 4', firstTokenDelayMs: 60, tokenDelayMs: 20, usage: { prompt_tokens: 11, completion_tokens: 4 } });
  const c = await p.complete(request());
  assert.equal(c.error, null);
  assert.equal(c.text, 'The answer is 4');
  assert.equal(c.finish_reason, 'stop');
  assert.deepEqual(c.usage, { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15, reasoning_tokens: 0 });
  const t = c.timings;
  assert.ok(t.ttft_ms !== null && t.ttft_ms >= 55, `ttft ${t.ttft_ms}`);
  // The server sleeps 60 ms before the first token and 20 ms before each of the 3 others:
  // lower bounds that hold however late the client is scheduled.
  assert.ok(t.e2e_ms >= 115 && t.e2e_ms > t.ttft_ms, `e2e ${t.e2e_ms}`);
  assert.equal(t.itl_ms?.length, 3);
  const itlSum = (t.itl_ms ?? []).reduce((a, b) => a + b, 0);
  assert.ok((t.itl_ms ?? []).every((g) => g >= 0));
  assert.ok(itlSum <= t.e2e_ms - t.ttft_ms + 0.01, `itl sum ${itlSum}`);
  assert.ok(t.tpot_ms !== null);
  assert.ok(Math.abs(t.tpot_ms - (t.e2e_ms - t.ttft_ms) / 3) < 0.01, 'tpot = (e2e − ttft)/(tokens − 1)');

  assert.equal(server.requests.length, 1);
  const r = server.requests[0]!;
  assert.equal(r.path, '/v1/chat/completions');
  assert.equal(r.headers['authorization'], 'Bearer sk-test');
  assert.deepEqual(r.body, {
    model: 'fake-model',
    messages: [{ role: 'user', content: 'What is 2+2?' }],
    temperature: 0,
    max_tokens: 64,
    stream: true,
    stream_options: { include_usage: true },
  });
});

test('without include_usage: no usage field, TPOT from the streamed chunk count', async () => {
  const p = await provider({ include_usage: false });
  server.script({ text: 'a b c d e', tokenDelayMs: 2 });
  const c = await p.complete(request());
  assert.equal(c.error, null);
  assert.equal(c.usage, undefined);
  assert.equal(server.requests[0]!.body!['stream_options'], undefined);
  const t = c.timings;
  assert.ok(t.ttft_ms !== null && t.tpot_ms !== null);
  assert.ok(Math.abs(t.tpot_ms - (t.e2e_ms - t.ttft_ms) / 4) < 0.01, '5 chunks → 4 intervals');
});

test('DeepSeek reasoning_content is collected apart from the answer, with reasoning tokens', async () => {
  const p = await provider();
  server.script({ reasoning: 'two plus two is four', text: '4' });
  const c = await p.complete(request());
  assert.equal(c.error, null);
  assert.equal(c.reasoning, 'two plus two is four');
  assert.equal(c.text, '4');
  assert.equal(c.usage?.reasoning_tokens, 5);
  assert.equal(c.usage?.completion_tokens, 6);
  assert.equal(c.timings.itl_ms?.length, 5, 'reasoning chunks count as tokens');
});

const tools: ToolSpec[] = [
  { type: 'function', function: { name: 'run', description: 'run a shell command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } } },
];

test('tool calls are assembled from deltas; tools and prior tool turns pass through unchanged', async () => {
  const p = await provider();
  server.script({
    reasoning: 'need to look',
    toolCalls: [
      { id: 'call_a', name: 'run', arguments: '{"cmd": "ls -la /tmp"}' },
      { id: 'call_b', name: 'run', arguments: '{"cmd": "pwd"}' },
    ],
  });
  const history: ChatMessage[] = [
    { role: 'user', content: 'list files' },
    { role: 'assistant', content: '', reasoning_content: 'earlier thought', tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'run', arguments: '{"cmd":"id"}' } }] },
    { role: 'tool', tool_call_id: 'call_0', content: 'uid=0' },
  ];
  const c = await p.complete(request({ messages: history, tools }));
  assert.equal(c.error, null);
  assert.equal(c.finish_reason, 'tool_calls');
  assert.equal(c.reasoning, 'need to look');
  assert.deepEqual(c.tool_calls, [
    { id: 'call_a', type: 'function', function: { name: 'run', arguments: '{"cmd": "ls -la /tmp"}' } },
    { id: 'call_b', type: 'function', function: { name: 'run', arguments: '{"cmd": "pwd"}' } },
  ]);
  const body = server.requests[0]!.body!;
  assert.deepEqual(body['tools'], tools);
  assert.deepEqual(body['messages'], history, 'reasoning_content and tool_calls kept across tool turns');
});

test('non-streaming mode: same content, no TTFT', async () => {
  const p = await provider({ stream: false, extra_body: { thinking: { type: 'enabled' } } });
  server.script({ reasoning: 'hmm', text: 'four', toolCalls: [{ id: 'c1', name: 'run', arguments: '{}' }] });
  const c = await p.complete(request());
  assert.equal(c.error, null);
  assert.equal(c.text, 'four');
  assert.equal(c.reasoning, 'hmm');
  assert.deepEqual(c.tool_calls, [{ id: 'c1', type: 'function', function: { name: 'run', arguments: '{}' } }]);
  assert.equal(c.usage?.reasoning_tokens, 1);
  assert.equal(c.timings.ttft_ms, null);
  assert.equal(c.timings.tpot_ms, null);
  assert.ok(c.timings.e2e_ms > 0);
  const body = server.requests[0]!.body!;
  assert.equal(body['stream'], false);
  assert.equal(body['stream_options'], undefined);
  assert.deepEqual(body['thinking'], { type: 'enabled' }, 'extra_body is merged into the request');
});

test('429 with Retry-After: the wait is honoured, then the answer comes through', async () => {
  const p = await provider();
  server.script({ status: 429, retryAfter: 1 }, { text: 'after wait' });
  const c = await p.complete(request());
  assert.equal(c.error, null);
  assert.equal(c.text, 'after wait');
  assert.equal(server.requests.length, 2);
  const gap = server.requests[1]!.receivedAt - server.requests[0]!.finishedAt!;
  assert.ok(gap >= 950, `retried after ${gap} ms, Retry-After said 1000`);
  assert.ok(gap < 3000, `retried after ${gap} ms`);
});

test('5xx is retried with backoff; persistent 5xx becomes an error value naming the tries', async () => {
  const p = await provider({ max_retries: 2 });
  server.script({ status: 500 }, { status: 503 }, { text: 'recovered' });
  const ok = await p.complete(request());
  assert.equal(ok.text, 'recovered');
  assert.equal(server.requests.length, 3);

  server.requests.length = 0;
  server.setHandler(() => ({ status: 502 }));
  const bad = await p.complete(request());
  assert.equal(bad.text, '');
  assert.match(bad.error ?? '', /^HTTP 502: .*scripted status 502.* \(after 3 tries\)$/);
  assert.equal(server.requests.length, 3);
});

test('4xx other than 408/409/429 is not retried; a missing key is named', async () => {
  const p = await provider({}, {});
  server.script({ status: 401 });
  const c = await p.complete(request());
  assert.equal(server.requests.length, 1);
  assert.match(c.error ?? '', /^HTTP 401/);
  assert.match(c.error ?? '', /FAKE_KEY is not set/);
  assert.equal(server.requests[0]!.headers['authorization'], undefined);
});

test('a connection dropped mid-stream is retried, and ends as an error value when it keeps happening', async () => {
  const p = await provider({ max_retries: 1 });
  server.script({ text: 'one two three four', dropAfterChunks: 2 }, { text: 'whole answer' });
  const ok = await p.complete(request());
  assert.equal(ok.error, null);
  assert.equal(ok.text, 'whole answer', 'partial text of the dropped try is discarded');

  server.requests.length = 0;
  server.setHandler(() => ({ text: 'one two three four', dropAfterChunks: 1 }));
  const bad = await p.complete(request());
  assert.equal(bad.text, '');
  assert.match(bad.error ?? '', /(network error|stream ended before completion).*\(after 2 tries\)/);
  assert.equal(server.requests.length, 2);
});

test('a dropped connection in non-streaming mode is an error value too', async () => {
  const p = await provider({ stream: false, max_retries: 0 });
  server.script({ text: 'x', dropAfterChunks: 0 });
  const c = await p.complete(request());
  assert.equal(c.text, '');
  assert.ok(c.error !== null && c.error.length > 0);
});

test('a malformed chunk becomes an error value, not a crash', async () => {
  const p = await provider();
  server.script({ text: 'a b c', malformedAfterChunks: 1 });
  const c = await p.complete(request());
  assert.equal(c.text, '');
  assert.match(c.error ?? '', /malformed SSE chunk/);
  assert.equal(server.requests.length, 1, 'a malformed answer is not retried');

  server.script({ rawBody: '{"choices": [', rawContentType: 'application/json' });
  const j = await (await provider({ stream: false })).complete(request());
  assert.match(j.error ?? '', /malformed response body/);
});

test('a server that never answers times out as an error value', async () => {
  const p = await provider({ timeout_ms: 5000 });
  server.script({ hang: true });
  const t = performance.now();
  const c = await p.complete(request({ settings: { timeout_ms: 200 } }));
  const took = performance.now() - t;
  assert.equal(c.error, 'timeout after 200 ms');
  // Below the provider's own 5 s timeout, which must not be the one that fired; any tighter
  // upper bound would measure how busy the machine is.
  assert.ok(took >= 190 && took < 5000, `took ${took}`);
});

test('an aborted request ends at once with an error value', async () => {
  const p = await provider();
  server.script({ hang: true });
  const ctrl = new AbortController();
  setTimeout(() => ctrl.abort(), 50);
  const c = await p.complete(request({ signal: ctrl.signal }));
  assert.equal(c.error, 'aborted');
});

test('connection refused is retried, then an error value', async () => {
  // A port that was just free and is now closed.
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  const p = await createProvider(`openai:m@http://127.0.0.1:${port}/v1`, { config: { max_retries: 2, backoff_base_ms: 5 }, env: {} });
  const c = await p.complete(request());
  assert.match(c.error ?? '', /^network error: .*\(after 3 tries\)$/);
});

test('the concurrency limit is observed at the server', async () => {
  const p = await provider({ concurrency: 3 });
  server.setHandler((r) => ({ text: `echo ${lastUserContent(r)}`, firstTokenDelayMs: 30, tokenDelayMs: 5 }));
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => p.complete(request({ attempt: i, messages: [{ role: 'user', content: `q${i}` }] }))),
  );
  results.forEach((c, i) => assert.equal(c.text, `echo q${i}`, c.error ?? ''));
  assert.equal(server.requests.length, 10);
  assert.equal(server.maxInFlight() <= 3, true, `server saw ${server.maxInFlight()} at once`);
  assert.ok(server.maxInFlight() >= 2, 'requests did overlap');
});

test('the requests-per-minute limit spaces request starts', async () => {
  // One every 600 ms: long enough that, without the limit, a loaded machine does not spread
  // the three starts that far by itself (at load average 14 on 2 cores they spread over
  // 110-460 ms; 300 ms apart missed the bug in 1 run of 5 there).
  const p = await provider({ rpm: 100, concurrency: 8 });
  // When the provider sends each request (it calls the global fetch at that moment): that is
  // what the limit governs, and no network or server delay blurs it.
  const starts: number[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    starts.push(performance.now());
    return realFetch(input, init);
  };
  const t0 = performance.now();
  try {
    await Promise.all([0, 1, 2].map((i) => p.complete(request({ attempt: i }))));
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.equal(starts.length, 3);
  // The k-th request may not start before t0 + k·600 ms (3 ms for Node's whole-ms timers).
  // Load only delays starts, so this holds on a busy machine, where the old check (the span
  // of arrivals at the server ≥ 180 ms) failed when the first request was slower to arrive
  // than the others. The limiter's arithmetic is tested on an injected clock in limiter.test.ts.
  starts.forEach((s, k) => assert.ok(s - t0 >= k * 600 - 3, `request ${k} started ${(s - t0).toFixed(1)} ms after the first was asked for`));
});

test('a server that ignores stream:true and answers JSON is still read', async () => {
  const p = await provider();
  server.script({ rawBody: JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'plain' }, finish_reason: 'stop' }] }) });
  const c = await p.complete(request());
  assert.equal(c.error, null);
  assert.equal(c.text, 'plain');
});

test('tries and the time across them: TTFT/e2e of the last try, total_ms from the first try on', async () => {
  const p = await provider({ max_retries: 3 });
  // Two failures that each take ≥ 80 ms, then an answer: the answer's e2e is its own try's,
  // total_ms covers the failed tries and the backoff waits too.
  server.script({ status: 500, firstTokenDelayMs: 80 }, { status: 503, firstTokenDelayMs: 80 }, { text: 'third time' });
  const c = await p.complete(request());
  assert.equal(c.error, null);
  assert.equal(c.tries, 3);
  assert.ok(c.timings.total_ms !== undefined && c.timings.total_ms >= 160, `total ${c.timings.total_ms}`);
  assert.ok(c.timings.total_ms >= c.timings.e2e_ms, 'the total includes the last try');

  const once = await p.complete(request());
  assert.deepEqual([once.tries, once.timings.total_ms], [1, undefined], 'one try: e2e is the total');
});

test('a failed attempt records the time until it failed and its tries, not 0 ms', async () => {
  const p = await provider({ max_retries: 1 });
  server.setHandler(() => ({ status: 502, firstTokenDelayMs: 100 }));
  const c = await p.complete(request());
  assert.match(c.error ?? '', /after 2 tries/);
  assert.equal(c.tries, 2);
  assert.ok(c.timings.e2e_ms >= 90, `e2e of the last try ${c.timings.e2e_ms}`);
  assert.ok(c.timings.total_ms !== undefined && c.timings.total_ms >= 180, `total ${c.timings.total_ms}`);

  server.script({ hang: true });
  const t = await p.complete(request({ settings: { timeout_ms: 150 } }));
  assert.equal(t.error, 'timeout after 150 ms');
  assert.equal(t.tries, 1);
  assert.ok(t.timings.e2e_ms >= 140, `a timeout is not 0 ms: ${t.timings.e2e_ms}`);
});

test('a stream whose chunks all carry an empty choices array is an error, as without streaming', async () => {
  const p = await provider();
  const id = 'chatcmpl-empty';
  const sse = [
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', choices: [] })}\n\n`,
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 } })}\n\n`,
    'data: [DONE]\n\n',
  ].join('');
  server.script({ rawBody: sse, rawContentType: 'text/event-stream' });
  const c = await p.complete(request());
  assert.equal(c.text, '');
  assert.match(c.error ?? '', /no chunk carried choices\[0\]/);
  assert.equal(server.requests.length, 1, 'malformed, so not retried within the attempt (--retry-errors reruns it)');

  server.script({ rawBody: JSON.stringify({ id, choices: [] }) });
  const j = await (await provider({ stream: false })).complete(request());
  assert.match(j.error ?? '', /no choices\[0\]\.message/);

  // The usage-only last chunk of a normal stream has choices: [] too, and is fine.
  server.script({ text: 'fine' });
  const ok = await p.complete(request());
  assert.deepEqual([ok.error, ok.text], [null, 'fine']);
});

test('a reply without usage is marked usage_unknown (streamed or not); one with usage is not', async () => {
  const p = await provider();
  server.script({ text: 'no usage here', usage: null });
  const c = await p.complete(request());
  assert.equal(c.error, null);
  assert.equal(c.usage, undefined);
  assert.equal(c.usage_unknown, true);

  server.script({ text: 'plain', usage: null });
  const j = await (await provider({ stream: false })).complete(request());
  assert.deepEqual([j.error, j.usage, j.usage_unknown], [null, undefined, true]);

  server.script({ text: 'counted' });
  const u = await p.complete(request());
  assert.equal(u.usage_unknown, undefined);
  assert.ok(u.usage);
});
