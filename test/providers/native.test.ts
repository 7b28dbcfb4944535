import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DsabenchError } from '../../src/errors.js';
import { saveModel } from '../../src/model/checkpoint.js';
import { QUICK_CONFIG } from '../../src/model/config.js';
import { createNativeModel, modelLayout, numParams, sessionStats } from '../../src/model/native.js';
import { createProvider } from '../../src/providers/index.js';
import { NativeProvider, nativeProviderId, parseNativeSpec } from '../../src/providers/native.js';
import type { CompletionRequest } from '../../src/types.js';
import { haveNativeModel } from '../helpers/native-model.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-native-provider-'));
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers) await c();
  rmSync(root, { recursive: true, force: true });
});

const loader = new URL('../helpers/fake-model-loader.js', import.meta.url).href;

function req(text: string, settings: CompletionRequest['settings'] = {}, attempt = 0): CompletionRequest {
  return { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: text }], settings, item: { id: 'i1', input: {}, target: '' }, suite: 's', attempt };
}

describe('native provider spec', () => {
  it('parses models and options; plain native is the shipped model, sparse', () => {
    assert.deepEqual(parseNativeSpec(''), { model: 'dsa-mini', attention: 'sparse', threads: 1 });
    assert.deepEqual(parseNativeSpec('m1?attention=dense&threads=2'), { model: 'm1', attention: 'dense', threads: 2 });
    assert.deepEqual(parseNativeSpec('./dir/m?topk=64'), { model: './dir/m', attention: 'sparse', threads: 1, topk: 64 });
    assert.deepEqual(parseNativeSpec('?attention=dense'), { model: 'dsa-mini', attention: 'dense', threads: 1 });
  });

  it('ids tell dense and sparse apart', () => {
    assert.equal(nativeProviderId({ model: 'dsa-mini', attention: 'sparse', topk: 128 }), 'native:dsa-mini?attention=sparse&topk=128');
    assert.equal(nativeProviderId({ model: 'dsa-mini', attention: 'dense' }), 'native:dsa-mini?attention=dense');
  });

  it('unknown options and bad values fail with E_PROVIDER_SPEC naming the option', async () => {
    const cases: Array<[string, RegExp, string]> = [
      ['native:m?atention=dense', /unknown option "atention"/, 'provider.atention'],
      ['native:m?attention=fast', /"attention" must be dense or sparse, got "fast"/, 'provider.attention'],
      ['native:m?topk=0', /"topk" must be an integer/, 'provider.topk'],
      ['native:m?threads=two', /"threads" must be an integer/, 'provider.threads'],
      ['native:m?threads=1&threads=2', /given twice/, 'provider.threads'],
      ['native:m?attention=dense&topk=8', /sparse attention only/, 'provider.topk'],
    ];
    for (const [spec, re, field] of cases) {
      await assert.rejects(createProvider(spec), (e: unknown) => {
        assert.ok(e instanceof DsabenchError, spec);
        assert.equal(e.code, 'E_PROVIDER_SPEC', spec);
        assert.match(e.message, re, spec);
        assert.equal(e.field, field, spec);
        return true;
      });
    }
    await assert.rejects(createProvider(`native:${join(root, 'nope')}`), (e: unknown) => e instanceof DsabenchError && e.code === 'E_PROVIDER_SPEC' && /not found/.test(e.message));
  });
});

describe('native provider (fake model in the worker pool)', () => {
  it('fills text, usage and streaming timings; settings pass through', async () => {
    const p = new NativeProvider({ spec: { model: 'echo', attention: 'sparse', topk: 16, threads: 1 }, dir: 'echo', loader, workers: 1 });
    closers.push(() => p.close());
    assert.equal(p.id, 'native:echo?attention=sparse&topk=16');
    const c = await p.complete(req('hi'));
    assert.equal(c.error, null);
    assert.equal(c.text, 'echo: be brief\n\nhi');
    assert.equal(c.finish_reason, 'stop');
    assert.equal(c.usage!.completion_tokens, c.text.length + 1);
    assert.ok(c.usage!.prompt_tokens > 10 && c.usage!.total_tokens === c.usage!.prompt_tokens + c.usage!.completion_tokens);
    assert.ok(c.timings.ttft_ms !== null && c.timings.tpot_ms !== null && c.timings.itl_ms!.length === c.text.length);
    const s = await p.complete(req('hi', { stop: ['brief'], max_tokens: 100 }));
    assert.deepEqual([s.text, s.finish_reason], ['echo: be ', 'stop']);
    const l = await p.complete(req('hi', { max_tokens: 4 }));
    assert.deepEqual([l.text, l.finish_reason], ['echo', 'length']);
    const t = await p.complete(req('x'.repeat(3000), { timeout_ms: 1 }));
    assert.ok(t.error === null || /timeout after 1 ms/.test(t.error), String(t.error));
  });
});

const haveModel = haveNativeModel();

describe('native provider (real native model, QUICK_CONFIG random init)', { skip: haveModel ? false : 'native model not built' }, () => {
  it('dense and sparse answer through the pool; with L ≤ k they agree token for token', async () => {
    const dir = join(root, 'quick');
    const layout = modelLayout(QUICK_CONFIG);
    const params = new Float32Array(numParams(layout));
    createNativeModel(QUICK_CONFIG, params).initParams(1);
    saveModel(dir, QUICK_CONFIG, layout, params, { step: 0, stage: 'init' });
    const dense = await createProvider(`native:${dir}?attention=dense`, { config: { concurrency: 1 } });
    const sparse = await createProvider(`native:${dir}`, { config: { concurrency: 1 } });
    closers.push(async () => { await dense.close?.(); await sparse.close?.(); });
    assert.equal(dense.id, `native:${dir}?attention=dense`);
    assert.equal(sparse.id, `native:${dir}?attention=sparse&topk=${QUICK_CONFIG.index_topk}`);
    const settings = { max_tokens: 8, temperature: 0 };
    const [a, b] = await Promise.all([dense.complete(req('1+1', settings)), sparse.complete(req('1+1', settings))]);
    assert.equal(a.error, null);
    assert.equal(b.error, null);
    assert.equal(a.usage!.prompt_tokens, b.usage!.prompt_tokens);
    assert.ok(a.usage!.prompt_tokens + 8 <= QUICK_CONFIG.index_topk);
    assert.equal(a.text, b.text);
    assert.equal(a.usage!.completion_tokens, b.usage!.completion_tokens);
    assert.ok(a.timings.ttft_ms! > 0);
    // A prompt past the context is a failed attempt value, not a crash.
    const long = await dense.complete(req('x'.repeat(QUICK_CONFIG.max_position_embeddings)));
    assert.match(long.error!, /context is 4096 tokens/);
    // A truncated checkpoint fails at provider creation, naming the file and the tensor.
    const broken = join(root, 'broken');
    mkdirSync(broken);
    copyFileSync(join(dir, 'config.json'), join(broken, 'config.json'));
    writeFileSync(join(broken, 'model.safetensors'), readFileSync(join(dir, 'model.safetensors')).subarray(0, 20000));
    await assert.rejects(createProvider(`native:${broken}`), (e: unknown) => {
      assert.ok(e instanceof DsabenchError);
      assert.equal(e.code, 'E_CHECKPOINT');
      assert.match(e.message, /model\.safetensors: .*(embed|layers)\.[\w.]*weight.*truncated/);
      return true;
    });
    // The pool still answers afterwards; seeded sampling is reproducible.
    const r1 = await sparse.complete(req('abc', { temperature: 1, seed: 3, max_tokens: 12 }));
    const r2 = await sparse.complete(req('abc', { temperature: 1, seed: 3, max_tokens: 12 }));
    assert.equal(r1.text, r2.text);
    assert.equal(r1.usage!.completion_tokens, r2.usage!.completion_tokens);
  });

  it('attempts leave no native session open in the worker threads, and the provider knows its context', async () => {
    const dir = join(root, 'quick-mem');
    const layout = modelLayout(QUICK_CONFIG);
    const params = new Float32Array(numParams(layout));
    createNativeModel(QUICK_CONFIG, params).initParams(2);
    saveModel(dir, QUICK_CONFIG, layout, params, { step: 0, stage: 'init' });
    const p = (await createProvider(`native:${dir}`, { config: { concurrency: 2 } })) as NativeProvider;
    closers.push(() => p.close());
    assert.equal(p.contextLength, QUICK_CONFIG.max_position_embeddings);
    // The addon is loaded once per process, so its counts cover the pool's threads too.
    const base = sessionStats();
    for (let round = 0; round < 6; round++) {
      const cs = await Promise.all([0, 1, 2, 3].map((i) => p.complete(req(`${round}.${i} ${'n'.repeat(1000)}`, { max_tokens: 16 }, i))));
      for (const c of cs) assert.equal(c.error, null);
      const now = sessionStats();
      assert.deepEqual([now.open, now.bytes], [base.open, base.bytes], `after round ${round + 1}`);
    }
  });
});
