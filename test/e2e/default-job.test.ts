/**
 * `dsabench run` with nothing: the default job (data/runs/default.json) on a quick
 * random-init model (DSABENCH_DEFAULT_MODEL) — dense and sparse providers, long-context at
 * byte lengths, capped replies (a random model never ends its reply), the cost study and the
 * report in the run folder; and the oracle fallback when the model is not installed.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readConfigFile } from '../../src/cli/run-settings.js';
import { defaultJobFile } from '../../src/cli/default-job.js';
import { saveModel } from '../../src/model/checkpoint.js';
import { QUICK_CONFIG } from '../../src/model/config.js';
import { createNativeModel, modelLayout, numParams } from '../../src/model/native.js';
import type { ModelCostReport } from '../../src/cost/model-study.js';
import type { AttemptRecord } from '../../src/types.js';
import { runCli } from './cli-helpers.js';
import { haveNativeModel } from '../helpers/native-model.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-default-'));
after(() => rmSync(root, { recursive: true, force: true }));

const haveModel = haveNativeModel();

function records(dir: string): AttemptRecord[] {
  return readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord);
}

describe('dsabench run with nothing: the default job', { skip: haveModel ? false : 'native model not built' }, () => {
  it('evaluates the model dense and sparse, then writes cost.json/cost.md and the report into the run folder', async () => {
    const model = join(root, 'model');
    const layout = modelLayout(QUICK_CONFIG);
    const params = new Float32Array(numParams(layout));
    createNativeModel(QUICK_CONFIG, params).initParams(11);
    saveModel(model, QUICK_CONFIG, layout, params, { step: 0, stage: 'init' });
    const out = join(root, 'run');
    const t0 = Date.now();
    const res = await runCli(['run', '--limit', '2', '--out', out, '--workers', '1'], { cwd: root, env: { DSABENCH_DEFAULT_MODEL: model } });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /default job: .*default\.json on .*model \(dense and sparse\)/);
    assert.match(res.stderr, /code: first 8 items/);
    const job = readConfigFile(defaultJobFile());
    const recs = records(out);
    const dense = `native:${model}?attention=dense`;
    const sparse = `native:${model}?attention=sparse&topk=${QUICK_CONFIG.index_topk}`;
    assert.deepEqual([...new Set(recs.map((r) => r.provider))].sort(), [dense, sparse].sort());
    const suites = job.suites!.map((s) => (typeof s === 'string' ? s : s.suite));
    assert.deepEqual([...new Set(recs.map((r) => r.suite))].sort(), [...suites].sort());
    assert.equal(recs.length, suites.length * 2 * 2);
    for (const r of recs) assert.equal(r.error, null, `${r.suite} ${r.item_id}: ${r.error}`);

    // Long-context items are fitted in the model's byte tokens at its 1K training length.
    const lc = recs.filter((r) => r.suite === 'long-context');
    assert.equal(lc.length, 4);
    for (const r of lc) {
      assert.equal(r.metadata!['tokenizer'], 'byte');
      assert.equal(r.metadata!['length'], 1024);
      assert.ok(r.usage!.prompt_tokens > 700 && r.usage!.prompt_tokens + r.usage!.completion_tokens <= 1024, JSON.stringify(r.usage));
    }
    // Every reply is capped by the job's max_tokens: a random-init model never emits <|eos|>.
    const cap = (suite: string): number => {
      const e = job.suites!.find((s) => typeof s !== 'string' && s.suite === suite);
      return typeof e === 'string' ? Infinity : (e?.generation?.max_tokens ?? Infinity);
    };
    for (const r of recs) assert.ok(r.usage!.completion_tokens <= cap(r.suite), `${r.suite}: ${r.usage!.completion_tokens} > ${cap(r.suite)}`);
    assert.ok(recs.some((r) => r.usage!.completion_tokens === cap(r.suite)), 'some reply ran to its cap');

    // The cost study of the model itself, in the run folder.
    const cost = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8')) as ModelCostReport;
    assert.equal(cost.profile, model);
    assert.equal(cost.measured, true);
    assert.deepEqual(cost.quality!.map((q) => q.k), [16, 32, 64, 128, 256, 512]);
    assert.equal(cost.model_quality_setup!.source, 'model');
    assert.deepEqual([...new Set(cost.model_decode!.map((d) => d.attention))].sort(), ['dense', 'sparse']);
    assert.equal(cost.workload?.[0]?.attempts, recs.length);
    assert.match(readFileSync(join(out, 'cost.md'), 'utf8'), /real attention/);
    assert.ok(existsSync(join(out, 'cost.csv')));

    // The report, with the cost charts.
    for (const f of ['report.html', 'report.md', 'leaderboard.csv', 'report.json', 'charts/scores.png', 'charts/quality-vs-topk.png', 'charts/cost-time.png']) {
      assert.ok(existsSync(join(out, 'report', f)), f);
    }
    const md = readFileSync(join(out, 'report', 'report.md'), 'utf8');
    assert.ok(md.includes('attention=dense') && md.includes('attention=sparse'));
    const png = readFileSync(join(out, 'report', 'charts', 'quality-vs-topk.png'));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    // Where everything is, on stdout.
    assert.match(res.stdout, new RegExp(`cost study: ${join(out, 'cost.md').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.match(res.stdout, /report: .*report\.html/);
    assert.ok(Date.now() - t0 < 60_000);

    // run.json keeps the steps, so --resume does them as well.
    const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { config: { post?: { cost?: unknown; report?: unknown } } };
    assert.ok(manifest.config.post?.cost && manifest.config.post.report);
    rmSync(join(out, 'report'), { recursive: true });
    rmSync(join(out, 'cost.json'));
    const again = await runCli(['run', '--resume', out, '--workers', '1', '-q'], { cwd: root, env: { DSABENCH_DEFAULT_MODEL: model } });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(records(out).length, recs.length);
    assert.ok(existsSync(join(out, 'cost.json')) && existsSync(join(out, 'report', 'report.html')));
  });

  it('falls back to the oracle on every built-in suite (and the report) when the model is not installed', async () => {
    const empty = join(root, 'no-model');
    mkdirSync(empty, { recursive: true });
    const out = join(root, 'run-fallback');
    // An explicit --suite is not the default job: without -p it asks for a provider, never the oracle.
    const res = await runCli(['run', '--suite', 'example', '--limit', '1', '--out', join(root, 'not-default'), '-q'], { cwd: root, env: { DSABENCH_DEFAULT_MODEL: empty } });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /no provider given/);
    const fb = await runCli(['run', '--limit', '1', '--out', out, '--workers', '1', '-q'], { cwd: root, env: { DSABENCH_DEFAULT_MODEL: empty } });
    assert.equal(fb.code, 0, fb.stderr);
    assert.equal(fb.stderr.split('\n').filter((l) => /not installed/.test(l)).length, 1, fb.stderr);
    const recs = records(out);
    assert.deepEqual([...new Set(recs.map((r) => r.provider))], ['oracle']);
    assert.ok(new Set(recs.map((r) => r.suite)).size >= 5);
    assert.ok(existsSync(join(out, 'report', 'report.html')));
    assert.ok(!existsSync(join(out, 'cost.json')));
  });
});
