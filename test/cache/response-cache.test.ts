import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResponseCache, withCache, cacheKey } from '../../src/cache/response-cache.js';
import { createProvider } from '../../src/providers/index.js';
import type { Completion, CompletionRequest, Provider } from '../../src/types.js';
import { start, type FakeOpenAiServer } from '../helpers/fake-openai-server.js';

let dir: string;
let server: FakeOpenAiServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dsabench-cache-'));
  server = await start();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

let fileNo = 0;
const freshPath = (): string => join(dir, `c${++fileNo}`, 'responses.sqlite');

/** Counts calls; answers "<n>" for the n-th call, or fails when told to. */
class CountingProvider implements Provider {
  readonly id = 'count:x';
  readonly model = 'x';
  calls = 0;
  failNext = false;
  async complete(_req: CompletionRequest): Promise<Completion> {
    this.calls++;
    await new Promise((r) => setTimeout(r, 1));
    if (this.failNext) {
      this.failNext = false;
      return { text: '', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 1 }, error: 'HTTP 500' };
    }
    return { text: `answer ${this.calls}`, usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }, timings: { ttft_ms: 4, tpot_ms: 1, e2e_ms: 9 }, error: null };
  }
}

function request(extra: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    messages: [{ role: 'user', content: 'q' }],
    settings: { temperature: 0.7 },
    item: { id: 'i', input: {}, target: 1 },
    suite: 's',
    attempt: 0,
    ...extra,
  };
}

test('miss then hit: the second identical request is served from the file, marked cached', async () => {
  const inner = new CountingProvider();
  const cache = ResponseCache.open(freshPath());
  const p = withCache(inner, cache);
  const a = await p.complete(request());
  assert.equal(a.cached, undefined);
  const b = await p.complete(request());
  assert.equal(inner.calls, 1);
  assert.equal(b.cached, true);
  assert.equal(b.text, 'answer 1');
  assert.deepEqual(b.usage, a.usage);
  assert.deepEqual(b.timings, a.timings);
  assert.deepEqual(p.cacheStats, { hits: 1, misses: 1, writes: 1 });
  assert.equal(p.id, inner.id);
  cache.close();
});

test('the attempt index is part of the key: repeated samples are not copies', async () => {
  const inner = new CountingProvider();
  const cache = ResponseCache.open(freshPath());
  const p = withCache(inner, cache);
  const r0 = await p.complete(request({ attempt: 0 }));
  const r1 = await p.complete(request({ attempt: 1 }));
  assert.notEqual(r0.text, r1.text);
  assert.equal(inner.calls, 2);
  assert.equal((await p.complete(request({ attempt: 1 }))).text, r1.text);
  assert.equal(inner.calls, 2);
  cache.close();
});

test('key covers settings, messages, tools and extra; not the timeout or the item/suite labels', () => {
  const inner = new CountingProvider();
  const k = cacheKey(inner, request());
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.notEqual(cacheKey(inner, request({ settings: { temperature: 0 } })), k);
  assert.notEqual(cacheKey(inner, request({ messages: [{ role: 'user', content: 'q2' }] })), k);
  assert.notEqual(cacheKey(inner, request({ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] })), k);
  assert.notEqual(cacheKey(inner, request(), { solver: 'v2' }), k);
  assert.equal(cacheKey(inner, request({ settings: { temperature: 0.7, timeout_ms: 5 } })), k);
  assert.equal(cacheKey(inner, request({ suite: 'other', item: { id: 'j', input: {}, target: 2 } })), k, 'same prompt, same answer');
  const other: Provider = { id: 'count:y', model: 'y', complete: inner.complete.bind(inner) };
  assert.notEqual(cacheKey(other, request()), k);
});

test('failed completions are not cached', async () => {
  const inner = new CountingProvider();
  const cache = ResponseCache.open(freshPath());
  const p = withCache(inner, cache);
  inner.failNext = true;
  assert.equal((await p.complete(request())).error, 'HTTP 500');
  const second = await p.complete(request());
  assert.equal(second.error, null);
  assert.equal(second.cached, undefined);
  assert.equal(inner.calls, 2);
  assert.equal(cache.size(), 1);
  cache.close();
});

test('noCache skips reads but still writes the fresh answer', async () => {
  const path = freshPath();
  const inner = new CountingProvider();
  const cache = ResponseCache.open(path);
  await withCache(inner, cache).complete(request());
  const forced = withCache(inner, cache, { noCache: true });
  const fresh = await forced.complete(request());
  assert.equal(inner.calls, 2);
  assert.equal(fresh.text, 'answer 2');
  assert.equal(fresh.cached, undefined);
  const later = await withCache(inner, cache).complete(request());
  assert.equal(later.text, 'answer 2', 'the forced answer replaced the old one');
  assert.equal(later.cached, true);
  cache.close();
});

test('concurrent use from one process: every answer stored, file reopens with all of them', async () => {
  const path = freshPath();
  const inner = new CountingProvider();
  const cache = ResponseCache.open(path);
  const p = withCache(inner, cache, { ownsCache: true });
  await Promise.all(Array.from({ length: 40 }, (_, i) => p.complete(request({ attempt: i }))));
  assert.equal(cache.size(), 40);
  await p.close?.();
  const again = ResponseCache.open(path);
  assert.equal(again.size(), 40);
  const p2 = withCache(new CountingProvider(), again);
  const hits = await Promise.all(Array.from({ length: 40 }, (_, i) => p2.complete(request({ attempt: i }))));
  assert.ok(hits.every((c) => c.cached === true));
  again.close();
});

test('answers written before a SIGKILL survive it', () => {
  const path = freshPath();
  const moduleUrl = new URL('../../src/cache/response-cache.js', import.meta.url).href;
  const script = `
    const { ResponseCache } = await import(${JSON.stringify(moduleUrl)});
    const c = ResponseCache.open(${JSON.stringify(path)});
    const p = { id: 'p', model: 'm' };
    for (let i = 0; i < 5; i++) c.put('k' + i, p, { text: 't' + i, timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 1 }, error: null });
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)) });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  const cache = ResponseCache.open(path);
  assert.equal(cache.size(), 5);
  assert.equal(cache.get('k4')?.text, 't4');
  cache.close();
});

test('createProvider caches openai answers in the given file, across provider instances', async () => {
  const path = freshPath();
  const spec = `openai:fake-model@${server.url}`;
  server.setHandler((_r, i) => ({ text: `reply ${i}` }));
  server.requests.length = 0;
  const p1 = await createProvider(spec, { cachePath: path, env: {} });
  const a = await p1.complete(request());
  assert.equal(a.text, 'reply 0');
  await p1.close?.();
  assert.ok(existsSync(path));

  const p2 = await createProvider(spec, { cachePath: path, env: {} });
  const b = await p2.complete(request());
  assert.equal(b.text, 'reply 0');
  assert.equal(b.cached, true);
  assert.equal(server.requests.length, 1, 'no second call to the server');
  const c = await p2.complete(request({ attempt: 1 }));
  assert.equal(c.text, 'reply 1');
  await p2.close?.();

  const p3 = await createProvider(spec, { cachePath: path, noCache: true, env: {} });
  const d = await p3.complete(request());
  assert.equal(d.text, 'reply 2');
  assert.equal(server.requests.length, 3);
  await p3.close?.();

  // A different base URL / extra body is a different cache entry.
  const p4 = await createProvider(spec, { cachePath: path, env: {}, config: { extra_body: { top_k: 5 } } });
  assert.equal((await p4.complete(request())).cached, undefined);
  await p4.close?.();
});
