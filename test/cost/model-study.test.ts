/**
 * The cost study on the built-in model: profile from config.json, captured real attention
 * turned into the fidelity study's inputs, whole-model decode timing, `dsabench cost --model`.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { costAction } from '../../src/cli/cost.js';
import { capturedToInputs, formatModelMarkdown, measureModelDecode, measureModelPrefill, measureRealQuality, modelOfSpec, modelProfile, runModelStudy, type ModelCostReport } from '../../src/cost/model-study.js';
import { attentionShape } from '../../src/cost/profiles.js';
import { measureQuality, tsQualityOps } from '../../src/cost/quality.js';
import { saveModel } from '../../src/model/checkpoint.js';
import { QUICK_CONFIG } from '../../src/model/config.js';
import { createNativeModel, modelLayout, numParams, type CapturedAttention } from '../../src/model/native.js';
import { haveNativeModel } from '../helpers/native-model.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-cost-model-'));
after(() => rmSync(root, { recursive: true, force: true }));

const haveModel = haveNativeModel();

describe('model cost study: pure parts', () => {
  it('profile follows config.json (MLA in MQA form, fp32 caches)', () => {
    const p = modelProfile(QUICK_CONFIG, 'quick', 12345);
    const s = attentionShape(p);
    assert.deepEqual([s.form, s.heads, s.dqk, s.dv], ['mqa-mla', QUICK_CONFIG.num_attention_heads, QUICK_CONFIG.kv_lora_rank + QUICK_CONFIG.qk_rope_head_dim, QUICK_CONFIG.kv_lora_rank]);
    assert.deepEqual(p.indexer, { heads: QUICK_CONFIG.index_n_heads, dim: QUICK_CONFIG.index_head_dim, topk: QUICK_CONFIG.index_topk });
    assert.equal(p.max_context, QUICK_CONFIG.max_position_embeddings);
    assert.equal(p.cache.bytes_per_token, (QUICK_CONFIG.kv_lora_rank + QUICK_CONFIG.qk_rope_head_dim) * 4);
    assert.equal(p.active_params, 12345);
  });

  it('model specs: native, native:<m>?opts, bare names; bad forms named', () => {
    assert.equal(modelOfSpec('native'), 'dsa-mini');
    assert.equal(modelOfSpec('native:/x/m?attention=dense'), '/x/m');
    assert.equal(modelOfSpec('quick'), 'quick');
    assert.throws(() => modelOfSpec('native:m?bogus=1'), /unknown option "bogus"/);
    assert.throws(() => modelOfSpec('m?attention=dense'), /expected native:<model>/);
  });

  it('captured attention → inputs keeping the last queries (qStart moves, rows sliced)', () => {
    const T = 5, H = 2, D = 3, HI = 2, DI = 4, L = 9;
    const seq = (n: number, base: number): Float32Array => Float32Array.from({ length: n }, (_, i) => base + i);
    const c: CapturedAttention = { T, L, qStart: L - T, H, D, dv: 2, HI, DI, scale: 0.5, q: seq(T * H * D, 0), kv: seq(L * D, 1000), qI: seq(T * HI * DI, 2000), kI: seq(L * DI, 3000), w: seq(T * HI, 4000) };
    const x = capturedToInputs(c, 2);
    assert.deepEqual(x.shape, { L, T: 2, H, dc: D, dp: 0, dv: 2, hi: HI, di: DI });
    assert.equal(x.qStart, L - 2);
    assert.equal(x.q.length, 2 * H * D);
    assert.equal(x.q[0], 3 * H * D); // query 3 of 5 is the first kept
    assert.equal(x.qI[0], 2000 + 3 * HI * DI);
    assert.equal(x.w[0], 4000 + 3 * HI);
    assert.equal(x.kv, c.kv);
    assert.equal(x.scale, 0.5);
    assert.equal(capturedToInputs(c, 99).shape.T, T);
  });
});

describe('model cost study on a quick random-init model', { skip: haveModel ? false : 'native model not built' }, () => {
  const dir = join(root, 'quick');
  const layout = modelLayout(QUICK_CONFIG);
  const params = new Float32Array(numParams(layout));
  const model = haveModel ? createNativeModel(QUICK_CONFIG, params) : undefined;
  if (model) {
    model.initParams(3);
    saveModel(dir, QUICK_CONFIG, layout, params, { step: 0, stage: 'init' });
  }

  it('fidelity on real captured attention: engine and TypeScript ops agree; recall grows with k; the oracle bounds it', async () => {
    const ks = [8, 32, 128, 512];
    const q = await measureRealQuality(model!, QUICK_CONFIG, { ops: tsQualityOps(), kValues: ks, length: 512, tasks: ['niah_single_1'], queries: 4 });
    assert.equal(q.layers.length, QUICK_CONFIG.num_hidden_layers);
    assert.equal(q.prompts.length, 1);
    assert.ok(q.prompts[0]!.tokens > 300 && q.prompts[0]!.tokens <= 512, JSON.stringify(q.prompts));
    const ksUsed = ks.filter((k) => k < q.prompts[0]!.tokens);
    assert.deepEqual(q.rows.map((r) => r.k), ksUsed);
    for (let i = 0; i < q.rows.length; i++) {
      const r = q.rows[i]!;
      assert.ok(r.mass_recall > 0 && r.mass_recall <= 1 + 1e-9, JSON.stringify(r));
      assert.ok(r.oracle_mass_recall >= r.mass_recall - 1e-9, JSON.stringify(r));
      if (i > 0) assert.ok(r.mass_recall >= q.rows[i - 1]!.mass_recall - 1e-9);
      if (i > 0) assert.ok(r.rel_error <= q.rows[i - 1]!.rel_error + 1e-6);
    }
    // The same captured tensors scored by the native engine's kernels give the same rows.
    const { loadEngine } = await import('../../src/cost/engine-timer.js');
    const eng = await loadEngine(1);
    assert.ok(eng.ops, eng.reason);
    const e = await measureRealQuality(model!, QUICK_CONFIG, { ops: eng.ops!, kValues: ks, length: 512, tasks: ['niah_single_1'], queries: 4 });
    for (let i = 0; i < q.rows.length; i++) {
      assert.ok(Math.abs(e.rows[i]!.mass_recall - q.rows[i]!.mass_recall) < 1e-3, `${JSON.stringify(e.rows[i])} vs ${JSON.stringify(q.rows[i])}`);
      assert.ok(Math.abs(e.rows[i]!.rel_error - q.rows[i]!.rel_error) < 1e-2);
    }
    // With k past every position the selection is everything: no error left.
    const s = model!.session({ maxLength: 64, attention: 'dense', capture: true });
    s.forward(Int32Array.from({ length: 64 }, (_, i) => i % 256));
    const full = await measureQuality(capturedToInputs(s.captured!(0), 8), tsQualityOps(), [64]);
    assert.ok(Math.abs(full[0]!.mass_recall - 1) < 1e-9 && full[0]!.rel_error < 1e-5, JSON.stringify(full));
  });

  it('whole-model decode timing: both attentions at every position within the context', () => {
    const pts = measureModelDecode(model!, QUICK_CONFIG, [64, 256, 999_999], { repeats: 1 });
    assert.deepEqual(pts.map((p) => `${p.position}:${p.attention}`), ['64:dense', '64:sparse', '256:dense', '256:sparse']);
    for (const p of pts) assert.ok(p.ms_per_token > 0 && Math.abs(p.tokens_per_s * p.ms_per_token - 1000) < 1e-6);
    assert.equal(pts.find((p) => p.attention === 'sparse')!.topk, QUICK_CONFIG.index_topk);
  });

  it('whole-model prefill timing: a real prompt, both attentions, cumulative time to each position within the context', async () => {
    const { points, prompt } = await measureModelPrefill(model!, QUICK_CONFIG, [256, 64, 999_999]);
    assert.ok(prompt && prompt.tokens >= 256 && /niah_single_1/.test(prompt.id), JSON.stringify(prompt));
    assert.deepEqual(points.map((p) => `${p.position}:${p.attention}`), ['64:dense', '64:sparse', '256:dense', '256:sparse']);
    for (const p of points) assert.ok(p.ms > 0 && Math.abs(p.tokens_per_s * p.ms - 1000 * p.position) < 1e-6 * p.position);
    for (const a of ['dense', 'sparse']) {
      const [short, long] = points.filter((p) => p.attention === a);
      assert.ok(long!.ms > short!.ms, 'the time to 256 tokens includes the time to 64');
    }
    assert.equal(points.find((p) => p.attention === 'sparse')!.topk, QUICK_CONFIG.index_topk);
  });

  it('dsabench cost --model --quality writes cost.json/cost.md with the model\'s own profile, decode timing and real-attention rows', async () => {
    const out = join(root, 'cost');
    let printed = '';
    const rep = (await costAction({ profile: 'deepseek-v3.2', model: `native:${dir}?attention=dense`, positions: '256,1K', mode: 'decode', repeats: '1', hardware: 'none', quality: true, k: '16,64', out, measure: true }, (s) => (printed += s))) as ModelCostReport;
    assert.equal(rep.profile, dir);
    assert.deepEqual(rep.settings.positions, [256, 1024]);
    assert.ok(rep.points.every((p) => p.ms_median !== null && p.ms_median > 0));
    assert.deepEqual(rep.quality!.map((r) => r.k), [16, 64]);
    assert.equal(rep.model_quality_setup!.source, 'model');
    assert.equal(rep.quality_layers!.length, QUICK_CONFIG.num_hidden_layers);
    assert.equal(rep.model_decode!.length, 4);
    assert.equal(rep.model_prefill, undefined, 'decode only: no whole-model prefill');
    const pre = (await costAction({ profile: 'x', model: dir, positions: '256', mode: 'prefill', repeats: '1', hardware: 'none', measure: true }, () => {})) as ModelCostReport;
    assert.deepEqual(pre.model_prefill!.map((p) => `${p.position}:${p.attention}`), ['256:dense', '256:sparse']);
    assert.ok(pre.model_prefill_prompt!.tokens >= 256);
    // the per-layer curves were timed on the model's own captured inputs, and say so
    assert.match(pre.timing_inputs!, /^layer 1 of 2 on niah_single_1\/\S+ \(\d+ tokens\)$/);
    assert.ok(pre.points.every((p) => p.ms_median !== null && p.ms_median > 0));
    assert.match(formatModelMarkdown(pre), /Per-layer timing inputs: the model's own attention inputs, layer 1/);
    assert.equal(rep.timing_inputs !== undefined, true, 'decode studies time real inputs too');
    assert.match(formatModelMarkdown(pre), /## Model prefill \(whole model, a real prompt from an empty cache\)[\s\S]*\| 256 \|/);
    const json = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8')) as ModelCostReport;
    assert.deepEqual(json.quality, rep.quality);
    const md = readFileSync(join(out, 'cost.md'), 'utf8');
    assert.match(md, /Fidelity vs k on the model's real attention/);
    assert.match(md, /Model decode \(whole model/);
    assert.doesNotMatch(md, /synthetic local/);
    assert.equal(printed, md);
    // Positions past the model's context are refused with the limit named.
    await assert.rejects(costAction({ profile: 'x', model: dir, positions: '8K', mode: 'decode', hardware: 'none', measure: false }, () => {}), /within the model's context \(4096/);
  });

  it('runModelStudy without a timer: analytic points, no decode timing', async () => {
    const rep = await runModelStudy({ model: dir, modes: ['decode'], positions: [512], chunk: 16, repeats: 1, threads: 1 });
    assert.equal(rep.measured, false);
    assert.equal(rep.model_decode, undefined);
    assert.equal(rep.quality, undefined);
    assert.equal(rep.model!.params, numParams(layout));
  });
});
