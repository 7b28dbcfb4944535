/**
 * `dsabench train --quick` end to end through the CLI: the loss falls during pre-training,
 * the model directory is complete and loadable, and a run stopped midway and resumed ends
 * bitwise identical to a straight run (same data position, moments and step count).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { DsabenchError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/model/checkpoint.js';
import { QUICK_CONFIG } from '../../src/model/config.js';
import { createNativeModel, modelLayout, numParams } from '../../src/model/native.js';
import { initFrom, isDenseStep, parseTrainConfig, readMetrics, readTrainConfig } from '../../src/model/train.js';
import { QUICK_TRAIN_CONFIG } from '../../src/cli/train.js';
import { packagePath } from '../../src/util/package.js';
import { nativeModelAvailable } from './train-fake.js';

const skip = nativeModelAvailable() ? false : 'native model not built (build/Release/dsa_engine.node without modelLayout)';
const tmp = (): string => mkdtempSync(join(tmpdir(), 'dsabench-train-'));
const cli = (...args: string[]): Promise<number> => main([process.argv[0]!, 'dsabench', 'train', ...args]);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

let straight: string | undefined;
async function straightRun(): Promise<string> {
  if (straight) return straight;
  const out = tmp();
  assert.equal(await cli('--quick', '--out', out, '--threads', '1'), 0);
  straight = out;
  return out;
}

test('quick training: files, falling loss, all three stages logged, loadable model', { skip }, async () => {
  const out = await straightRun();
  for (const f of ['config.json', 'model.safetensors', 'train-state.safetensors', 'train.json', 'metrics.jsonl', 'loss.png', 'kl.png'])
    assert.ok(existsSync(join(out, f)), `${f} written`);
  for (const png of ['loss.png', 'kl.png'])
    assert.deepEqual([...readFileSync(join(out, png)).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${png} is a PNG`);
  const cfg = readTrainConfig(QUICK_TRAIN_CONFIG);
  const total = cfg.stages.reduce((s, st) => s + st.steps, 0);
  const { steps } = readMetrics(join(out, 'metrics.jsonl'));
  assert.deepEqual(steps.map((l) => l.step), Array.from({ length: total }, (_, i) => i + 1));
  assert.deepEqual([...new Set(steps.map((l) => l.stage))], ['pretrain', 'warmup', 'sparse']);
  const pre = steps.filter((l) => l.stage === 'pretrain').map((l) => l.lm_loss);
  assert.ok(mean(pre.slice(-10)) < mean(pre.slice(0, 10)) - 0.5, `pretrain loss falls: first ${mean(pre.slice(0, 10))} → last ${mean(pre.slice(-10))}`);
  assert.ok(steps.filter((l) => l.stage !== 'pretrain').every((l) => l.kl_loss > 0), 'KL logged in warm-up and sparse');
  for (const l of steps) assert.ok(Number.isFinite(l.grad_norm) && l.tokens_per_s > 0 && l.lr > 0);
  // held-out evaluation lines: every eval_every steps and at each stage's end
  const { evals } = readMetrics(join(out, 'metrics.jsonl'));
  assert.deepEqual(evals.map((e) => e.step), [25, 30, 40, 50]);
  assert.deepEqual(evals.map((e) => e.eval.attention), ['dense', 'dense', 'dense', 'sparse']);
  for (const e of evals) {
    assert.equal(e.eval.examples, 4);
    assert.ok(e.eval.accuracy >= 0 && e.eval.accuracy <= 1);
    assert.ok(e.eval.answer_loss > 0 && e.eval.answer_loss < 10, `answer loss ${e.eval.answer_loss}`);
    assert.ok(e.eval.answer_token_accuracy >= 0 && e.eval.answer_token_accuracy <= 1);
  }
  const m = loadModel(out);
  assert.equal(m.metadata['step'], String(total));
  assert.deepEqual(m.config, cfg.model);
});

test('stopped at a step and resumed == trained straight through (bitwise)', { skip }, async () => {
  const a = await straightRun();
  const b = tmp();
  // stop inside the pre-training stage off the checkpoint grid, then again inside warm-up
  assert.equal(await cli('--quick', '--out', b, '--threads', '1', '--stop-at-step', '23'), 0);
  assert.equal(loadModel(b).metadata['step'], '23');
  // lines logged after the last checkpoint by a killed run are dropped on resume
  appendFileSync(join(b, 'metrics.jsonl'), JSON.stringify({ step: 24, stage: 'pretrain', loss: 99 }) + '\n');
  assert.equal(await cli('--quick', '--out', b, '--threads', '1', '--resume', '--stop-at-step', '35', '--no-charts'), 0);
  assert.equal(await cli('--quick', '--out', b, '--threads', '1', '--resume'), 0);
  const pa = loadModel(a).params;
  const pb = loadModel(b).params;
  assert.equal(Buffer.compare(Buffer.from(pa.buffer), Buffer.from(pb.buffer)), 0, 'identical parameters');
  const la = readMetrics(join(a, 'metrics.jsonl')).steps;
  const lb = readMetrics(join(b, 'metrics.jsonl')).steps;
  assert.deepEqual(lb.map((l) => l.step), la.map((l) => l.step));
  assert.deepEqual(lb.map((l) => l.loss), la.map((l) => l.loss));
});

/** Runs `dsabench train --quick` in a child process and sends `signal` once step `atStep` is logged. */
function trainAndSignal(out: string, signal: NodeJS.Signals, atStep: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [packagePath('bin', 'dsabench.js'), 'train', '--quick', '--out', out, '--threads', '1', '--no-charts'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && new RegExp(`step ${atStep}/`).test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolveRun({ code, signal: sig, stderr }));
  });
}

async function assertSameAsStraight(b: string): Promise<void> {
  const a = await straightRun();
  const pa = loadModel(a).params;
  const pb = loadModel(b).params;
  assert.equal(Buffer.compare(Buffer.from(pa.buffer), Buffer.from(pb.buffer)), 0, 'identical parameters');
  const la = readMetrics(join(a, 'metrics.jsonl')).steps;
  const lb = readMetrics(join(b, 'metrics.jsonl')).steps;
  assert.deepEqual(lb.map((l) => [l.step, l.loss]), la.map((l) => [l.step, l.loss]));
}

test('SIGKILL mid-run: --resume continues from the last checkpoint to the same model', { skip }, async () => {
  const out = tmp();
  const r = await trainAndSignal(out, 'SIGKILL', 25);
  assert.equal(r.signal, 'SIGKILL');
  const at = Number(loadModel(out).metadata['step']);
  assert.ok(at >= 20 && at < 50, `last checkpoint at step ${at}`);
  assert.equal(await cli('--quick', '--out', out, '--threads', '1', '--resume', '--no-charts'), 0);
  await assertSameAsStraight(out);
});

test('SIGINT checkpoints after the current step and exits cleanly; --resume finishes', { skip }, async () => {
  const out = tmp();
  const r = await trainAndSignal(out, 'SIGINT', 10);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /SIGINT: stopping after this step/);
  assert.match(r.stderr, /continue with --resume/);
  const at = Number(loadModel(out).metadata['step']);
  assert.ok(at >= 10 && at < 50, `checkpoint at step ${at}`);
  assert.equal(await cli('--quick', '--out', out, '--threads', '1', '--resume', '--no-charts'), 0);
  await assertSameAsStraight(out);
});

test('an existing checkpoint needs --resume or --force; --resume needs a checkpoint', { skip }, async () => {
  const out = await straightRun();
  assert.equal(await cli('--quick', '--out', out, '--threads', '1'), 2);
  assert.equal(await cli('--quick', '--out', tmp(), '--resume'), 2);
});

test('training config errors name the field', () => {
  const raw = JSON.parse(readFileSync(QUICK_TRAIN_CONFIG, 'utf8')) as Record<string, unknown>;
  const bad = (edit: (o: Record<string, unknown>) => void, field: string): void => {
    const o = structuredClone(raw);
    edit(o);
    assert.throws(() => parseTrainConfig(o, 'train.json'), (e: unknown) => e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID' && e.field === field && e.message.includes(field), field);
  };
  bad((o) => { o['batchsize'] = 3; }, 'batchsize');
  bad((o) => { (o['stages'] as Array<Record<string, unknown>>)[1]!['lrr'] = 1; }, 'stages[1].lrr');
  bad((o) => { (o['stages'] as Array<Record<string, unknown>>)[0]!['stage'] = 'finetune'; }, 'stages[0].stage');
  bad((o) => { (o['stages'] as Array<Record<string, unknown>>)[0]!['mixture'] = { niah_single_7: 1 }; }, 'stages[0].mixture.niah_single_7');
  bad((o) => { (o['stages'] as Array<Record<string, unknown>>)[2]!['lengths'] = [384, 99999]; }, 'stages[2].lengths[1]');
  bad((o) => { (o['stages'] as Array<Record<string, unknown>>)[0]!['topk'] = 8; }, 'stages[0].topk');
  bad((o) => { (o['stages'] as Array<Record<string, unknown>>)[0]!['dense_fraction'] = 0.5; }, 'stages[0].dense_fraction');
  bad((o) => { (o['stages'] as Array<Record<string, unknown>>)[2]!['dense_fraction'] = 1.5; }, 'stages[2].dense_fraction');
  bad((o) => { (o['stages'] as Array<Record<string, unknown>>).reverse(); }, 'stages[1].stage');
  bad((o) => { (o['model'] as Record<string, unknown>)['hidden'] = 8; }, 'hidden');
  bad((o) => { (o['model'] as Record<string, unknown>)['logn_attention_base'] = 1; }, 'logn_attention_base');
  bad((o) => { (o['stages'] as Array<Record<string, unknown>>)[2]!['dense_lengths'] = [256]; }, 'stages[2].dense_lengths');
  bad((o) => { Object.assign((o['stages'] as Array<Record<string, unknown>>)[2]!, { dense_fraction: 0.5, dense_lengths: [256, 8] }); }, 'stages[2].dense_lengths[1]');
  // a model given as a path is read relative to the training config
  const dir = tmp();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw['model']));
  const c = parseTrainConfig({ ...raw, model: 'config.json' }, join(dir, 'train.json'));
  assert.deepEqual(c.model, parseTrainConfig(raw).model);
  // the shipped recipe parses and follows the DSA order: pre-training, then the dense warm-up, then sparse training
  const kinds = readTrainConfig(join(QUICK_TRAIN_CONFIG, '..', '..', 'dsa-mini', 'train.json')).stages.map((s) => s.stage);
  assert.deepEqual([...new Set(kinds)], ['pretrain', 'warmup', 'sparse']);
});

test('dense_fraction interleaves dense steps evenly through a sparse stage', () => {
  const pattern = (f: number, n: number): string => Array.from({ length: n }, (_, i) => (isDenseStep(f, i) ? 'D' : 's')).join('');
  assert.equal(pattern(0, 6), 'ssssss');
  assert.equal(pattern(0.5, 6), 'sDsDsD');
  assert.equal(pattern(0.25, 8), 'sssDsssD');
  assert.equal(pattern(1, 3), 'DDD');
});

test('a sparse stage with dense_fraction: dense steps train without the indexer KL, sparse steps with it', { skip }, async () => {
  const raw = JSON.parse(readFileSync(QUICK_TRAIN_CONFIG, 'utf8')) as Record<string, unknown>;
  const sparse = (raw['stages'] as Array<Record<string, unknown>>).find((st) => st['stage'] === 'sparse')!;
  const dir = tmp();
  const file = join(dir, 'train.json');
  writeFileSync(file, JSON.stringify({ ...raw, eval_every: 0, stages: [{ ...sparse, steps: 6, warmup_steps: 0, dense_fraction: 0.5 }] }));
  const out = join(dir, 'model');
  assert.equal(await cli('--config', file, '--out', out, '--threads', '1', '--no-charts'), 0);
  const { steps } = readMetrics(join(out, 'metrics.jsonl'));
  assert.deepEqual(steps.map((l) => (l.kl_loss > 0 ? 's' : 'D')).join(''), 'sDsDsD');
  assert.deepEqual(steps.map((l) => (l.dense ? 'D' : 's')).join(''), 'sDsDsD', 'dense steps are marked in metrics.jsonl');
  for (const l of steps) assert.ok(Number.isFinite(l.lm_loss) && l.lm_loss > 0);
});

test('init continues from a checkpoint: main weights copied, a reshaped indexer starts fresh, a main shape mismatch is refused', { skip }, () => {
  const base = { ...QUICK_CONFIG };
  const baseLayout = modelLayout(base);
  const baseParams = new Float32Array(numParams(baseLayout));
  createNativeModel(base, baseParams).initParams(3);
  const dir = tmp();
  saveModel(dir, base, baseLayout, baseParams, { step: 0 });

  const reshaped = { ...base, index_head_dim: base.index_head_dim * 2, rope_theta: 500, logn_attention_base: 64 };
  const layout = modelLayout(reshaped);
  const params = new Float32Array(numParams(layout));
  createNativeModel(reshaped, params).initParams(9);
  const fresh = Float32Array.from(params);
  assert.match(initFrom(dir, layout, params), /indexer tensors? reshaped, freshly initialised/);
  const src = new Map(baseLayout.map((t) => [t.name, t]));
  for (const t of layout) {
    const got = params.subarray(t.offset, t.offset + t.size);
    const s = src.get(t.name)!;
    const sameShape = s.shape.join() === t.shape.join();
    const want = sameShape ? baseParams.subarray(s.offset, s.offset + s.size) : fresh.subarray(t.offset, t.offset + t.size);
    assert.deepEqual(got, want, `${t.name}: ${sameShape ? 'copied from the checkpoint' : 'kept fresh'}`);
    if (t.group === 'main') assert.ok(sameShape, t.name);
  }
  assert.ok(layout.some((t) => t.group === 'indexer' && src.get(t.name)!.shape.join() !== t.shape.join()));

  const wider = { ...base, hidden_size: base.hidden_size * 2 };
  const wl = modelLayout(wider);
  assert.throws(() => initFrom(dir, wl, new Float32Array(numParams(wl))), (e: unknown) => e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID' && /only indexer tensors may change shape/.test(e.message));
});
