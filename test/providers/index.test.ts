import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProvider } from '../../src/providers/index.js';
import { OpenAiProvider } from '../../src/providers/openai.js';
import { DsabenchError } from '../../src/errors.js';
import type { CompletionRequest, Item } from '../../src/types.js';

function req(item: Item, extra: Partial<CompletionRequest> = {}): CompletionRequest {
  return { messages: [{ role: 'user', content: 'q' }], settings: {}, item, suite: 'math', attempt: 0, ...extra };
}

const withRef: Item = { id: 'a', input: {}, target: '4', reference: 'The answer is 4' };
const noRef: Item = { id: 'b', input: {}, target: '5' };

test('oracle answers the reference, and an error value when there is none', async () => {
  const p = await createProvider('oracle');
  assert.equal(p.id, 'oracle');
  const ok = await p.complete(req(withRef));
  assert.equal(ok.text, 'The answer is 4');
  assert.equal(ok.error, null);
  const bad = await p.complete(req(noRef));
  assert.equal(bad.text, '');
  assert.equal(bad.error, 'item has no reference solution');
});

test('nop answers nothing', async () => {
  const p = await createProvider('nop');
  const c = await p.complete(req(withRef));
  assert.equal(c.text, '');
  assert.equal(c.error, null);
  assert.equal(c.timings.ttft_ms, null);
});

test('bad specs throw E_PROVIDER_SPEC listing the accepted forms', async () => {
  for (const spec of ['', 'gpt4', 'oracle:x', 'nop:1', 'replay:', 'openai:', 'openai:m@ftp://x', 'openai:m@']) {
    await assert.rejects(createProvider(spec), (e: unknown) => {
      assert.ok(e instanceof DsabenchError, spec);
      assert.equal(e.code, 'E_PROVIDER_SPEC', spec);
      assert.match(e.message, /oracle, nop, replay:<file\.jsonl>, openai:<model>, openai:<model>@<baseURL>/);
      return true;
    });
  }
});

test('openai base URL and key env: spec @url, then config, then OPENAI_BASE_URL, then vendor default', async () => {
  const env = { OPENAI_BASE_URL: 'http://env.example/v1', DEEPSEEK_API_KEY: 'k1' };
  const a = await createProvider('openai:m@http://127.0.0.1:9/v1/', { config: { base_url: 'http://cfg/v1' }, env });
  assert.ok(a instanceof OpenAiProvider);
  assert.equal(a.baseUrl, 'http://127.0.0.1:9/v1');
  assert.equal(a.id, 'openai:m@http://127.0.0.1:9/v1/');
  assert.equal(a.model, 'm');
  const b = await createProvider('openai:m', { config: { base_url: 'http://cfg/v1' }, env });
  assert.equal((b as OpenAiProvider).baseUrl, 'http://cfg/v1');
  const c = await createProvider('openai:m', { env });
  assert.equal((c as OpenAiProvider).baseUrl, 'http://env.example/v1');
  const d = await createProvider('openai:deepseek-reasoner', { env: {} });
  assert.equal((d as OpenAiProvider).baseUrl, 'https://api.deepseek.com/v1');
  assert.equal(d.id, 'openai:deepseek-reasoner');
  const e = await createProvider('openai:gpt-4o-mini', { env: {} });
  assert.equal((e as OpenAiProvider).baseUrl, 'https://api.openai.com/v1');
});

test('openai config values are validated', async () => {
  await assert.rejects(createProvider('openai:m', { config: { concurrency: 0 } }), (e: unknown) => {
    assert.ok(e instanceof DsabenchError);
    assert.equal(e.code, 'E_CONFIG_INVALID');
    assert.equal(e.field, 'provider.concurrency');
    return true;
  });
  await assert.rejects(createProvider('openai:m', { config: { base_url: 'localhost:8000' } }), /http:\/\/ or https:\/\//);
});

test('cachePath is ignored for oracle and nop (nothing to cache)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-prov-'));
  try {
    const p = await createProvider('oracle', { cachePath: join(dir, 'cache.sqlite') });
    await p.complete(req(withRef));
    assert.equal(existsSync(join(dir, 'cache.sqlite')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replay matches plain {id, output} lines by item id', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-replay-'));
  try {
    const file = join(dir, 'out.jsonl');
    writeFileSync(file, '{"id": "a", "output": "4"}\n{"id": 7, "output": "seven"}\n');
    const p = await createProvider(`replay:${file}`);
    assert.equal(p.id, `replay:${file}`, 'the id is the spec as given');
    assert.equal((await p.complete(req(withRef))).text, '4');
    assert.equal((await p.complete(req({ id: '7', input: {}, target: 0 }))).text, 'seven');
    assert.equal((await p.complete(req(withRef, { attempt: 3 }))).text, '4', 'lines without attempt match any attempt');
    const missing = await p.complete(req(noRef));
    assert.equal(missing.text, '');
    assert.match(missing.error ?? '', /^no recorded output for item b\b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replay of samples.jsonl matches by suite and attempt, keeps usage, timings and errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-replay-'));
  try {
    const file = join(dir, 'samples.jsonl');
    const line = (suite: string, attempt: number, output: string, error: string | null = null): string =>
      JSON.stringify({ run_id: 'r', suite, item_id: 'a', provider: 'openai:x', attempt, input_hash: 'h', output, score: { value: 0, pass: false },
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }, timings: { ttft_ms: 5, tpot_ms: 1, e2e_ms: 7 }, cost: null, error });
    writeFileSync(file, [line('math', 0, 'm0'), line('math', 1, 'm1'), line('code', 0, 'c0'), line('math', 2, '', 'HTTP 500')].join('\n') + '\n');
    const p = await createProvider(`replay:${file}`);
    const m1 = await p.complete(req(withRef, { attempt: 1 }));
    assert.equal(m1.text, 'm1');
    assert.deepEqual(m1.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    assert.equal(m1.timings.e2e_ms, 7);
    assert.equal((await p.complete(req(withRef, { suite: 'code' }))).text, 'c0');
    assert.equal((await p.complete(req(withRef, { attempt: 2 }))).error, 'HTTP 500');
    assert.match((await p.complete(req(withRef, { attempt: 5 }))).error ?? '', /no recorded output for item a/);
    assert.match((await p.complete(req(withRef, { suite: 'code', attempt: 1 }))).error ?? '', /no recorded output/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replay rejects broken files with file, line and field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-replay-'));
  try {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"id": "a", "output": "x"}\n{"id": "b"}\n');
    await assert.rejects(createProvider(`replay:${file}`), (e: unknown) => {
      assert.ok(e instanceof DsabenchError);
      assert.equal(e.file, file);
      assert.equal(e.line, 2);
      assert.equal(e.field, '/output');
      return true;
    });
    await assert.rejects(createProvider(`replay:${join(dir, 'missing.jsonl')}`), (e: unknown) => e instanceof DsabenchError && e.code === 'E_FILE_NOT_FOUND');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
