/**
 * The built-in model end to end on a QUICK_CONFIG random-init model directory: `dsabench run`
 * with the native provider (dense and sparse), `dsabench cost --runs` on that run, and
 * `dsabench serve` evaluated by `dsabench run` through the openai provider.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { saveModel } from '../../src/model/checkpoint.js';
import { QUICK_CONFIG } from '../../src/model/config.js';
import { createNativeModel, modelLayout, numParams } from '../../src/model/native.js';
import type { AttemptRecord } from '../../src/types.js';
import { runCli, startCli } from './cli-helpers.js';
import { haveNativeModel } from '../helpers/native-model.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-native-'));
after(() => rmSync(root, { recursive: true, force: true }));

const haveModel = haveNativeModel();

function records(dir: string): AttemptRecord[] {
  return readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord);
}

describe('built-in model end to end (QUICK_CONFIG, random init)', { skip: haveModel ? false : 'native model not built' }, () => {
  it('run native dense + sparse, cost --runs, then serve it and run through the openai provider', async () => {
    const model = join(root, 'quick');
    const layout = modelLayout(QUICK_CONFIG);
    const params = new Float32Array(numParams(layout));
    createNativeModel(QUICK_CONFIG, params).initParams(7);
    saveModel(model, QUICK_CONFIG, layout, params, { step: 0, stage: 'init' });
    const suite = join(root, 'suite');
    mkdirSync(suite);
    writeFileSync(join(suite, 'suite.json'), JSON.stringify({ name: 'tiny', kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'Say {x}' }, generation: { max_tokens: 16, temperature: 0 } }));
    writeFileSync(join(suite, 'items.jsonl'), [0, 1, 2, 3].map((i) => JSON.stringify({ id: `t${i}`, input: { x: i }, target: String(i) })).join('\n') + '\n');

    const dense = `native:${model}?attention=dense`;
    const sparse = `native:${model}?threads=1`;
    const out = join(root, 'run-native');
    const res = await runCli(['run', '--suite', suite, '--provider', dense, sparse, '--out', out, '--workers', '0', '--no-cache', '-q']);
    assert.equal(res.code, 0, res.stderr);
    const recs = records(out);
    assert.equal(recs.length, 8);
    const ids = [...new Set(recs.map((r) => r.provider))].sort();
    assert.deepEqual(ids, [`native:${model}?attention=dense`, `native:${model}?attention=sparse&topk=${QUICK_CONFIG.index_topk}`]);
    for (const r of recs) {
      assert.equal(r.error, null);
      assert.ok(r.usage!.prompt_tokens === 8 && r.usage!.completion_tokens >= 1 && r.usage!.completion_tokens <= 16, JSON.stringify(r.usage));
      assert.ok(r.timings!.ttft_ms !== null && r.timings!.e2e_ms >= r.timings!.ttft_ms);
    }
    // Prompt (8) + reply (≤ 16) ≤ k = 32: sparse attends to every key, so it answers as dense does.
    const byItem = (p: string): string[] => recs.filter((r) => r.provider.includes(p)).sort((a, b) => a.item_id.localeCompare(b.item_id)).map((r) => r.output);
    assert.deepEqual(byItem('sparse'), byItem('dense'));

    const cost = await runCli(['cost', '--no-measure', '--positions', '1K,4K', '--runs', out, '--json']);
    assert.equal(cost.code, 0, cost.stderr);
    assert.ok(cost.stdout.includes(out) || cost.stdout.includes('run-native'), cost.stdout.slice(0, 300));

    const server = startCli(['serve', '--model', dense, '--port', '0', '--name', 'quick', '--workers', '1']);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        const t = setTimeout(() => reject(new Error(`serve did not start: ${buf}`)), 20_000);
        server.child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const m = /listening on (http:\/\/\S+\/v1)/.exec(buf);
          if (m) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        });
        void server.done.then((r) => reject(new Error(`serve exited ${r.code}: ${r.stderr}`)));
      });
      const models = (await (await fetch(`${url}/models`)).json()) as { data: Array<{ id: string }> };
      assert.deepEqual(models.data.map((m) => m.id), ['quick']);
      // `serve` knows the model's context (QUICK_CONFIG: 4096 tokens): a 2 MB prompt is a 400.
      const big = await fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }], stream: true }) });
      assert.equal(big.status, 400);
      const bigErr = ((await big.json()) as { error: { code: string; message: string } }).error;
      assert.equal(bigErr.code, 'context_length_exceeded');
      assert.match(bigErr.message, /^prompt is 2097155 tokens but the model's context is 4096 tokens/);
      const out2 = join(root, 'run-served');
      const r2 = await runCli(['run', '--suite', suite, '--provider', `openai:quick@${url}`, '--out', out2, '--workers', '0', '--no-cache', '--cache', join(root, 'c.sqlite'), '-q'], { env: { OPENAI_API_KEY: '' } });
      assert.equal(r2.code, 0, r2.stderr);
      const served = records(out2).sort((a, b) => a.item_id.localeCompare(b.item_id));
      assert.equal(served.length, 4);
      for (const r of served) {
        assert.equal(r.error, null);
        assert.equal(r.usage!.prompt_tokens, 8);
        assert.ok(r.timings!.ttft_ms !== null);
      }
      // Same model, same greedy decoding: the served answers are the in-process ones.
      assert.deepEqual(served.map((r) => r.output), byItem('dense'));
      assert.deepEqual(served.map((r) => r.usage!.completion_tokens), recs.filter((r) => r.provider.includes('dense')).sort((a, b) => a.item_id.localeCompare(b.item_id)).map((r) => r.usage!.completion_tokens));
    } finally {
      server.child.kill('SIGTERM');
    }
    const end = await server.done;
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stderr, /SIGTERM, shutting down/);
  });
});
