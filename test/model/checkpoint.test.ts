/** Model directories: round trip, resume state, and a clear error for every broken checkpoint. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, truncateSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DsabenchError } from '../../src/errors.js';
import { QUICK_CONFIG, type ModelConfig } from '../../src/model/config.js';
import { numParams } from '../../src/model/native.js';
import { readSafetensorsFile, writeSafetensorsFile, type StTensor } from '../../src/engine/safetensors.js';
import { toBf16 } from '../../src/engine/bf16.js';
import { loadModel, saveModel, saveTrainState, loadTrainState, resolveModelDir } from '../../src/model/checkpoint.js';
import { testLayout } from './train-fake.js';

const layoutFn = testLayout;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'dsabench-ckpt-'));
}

function saved(config: ModelConfig = QUICK_CONFIG): { dir: string; params: Float32Array } {
  const dir = tmp();
  const layout = layoutFn(config);
  const params = new Float32Array(numParams(layout));
  for (let i = 0; i < params.length; i++) params[i] = Math.sin(i) * 0.1;
  saveModel(dir, config, layout, params, { step: 7, stage: 'pretrain' });
  return { dir, params };
}

function expectCk(fn: () => unknown, ...needles: string[]): DsabenchError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof DsabenchError, `expected a DsabenchError, got ${String(err)}`);
  assert.equal(err.code, 'E_CHECKPOINT', err.message);
  for (const n of needles) assert.ok(err.message.includes(n), `message "${err.message}" should name ${n}`);
  return err;
}

/** Rewrites model.safetensors through `edit` (tensors map, metadata). */
function editWeights(dir: string, edit: (t: Map<string, StTensor>) => void): void {
  const f = join(dir, 'model.safetensors');
  const st = readSafetensorsFile(f);
  edit(st.tensors);
  writeSafetensorsFile(f, st.tensors, st.metadata);
}

test('save → load round trip keeps config, every parameter and the metadata', () => {
  const { dir, params } = saved();
  const m = loadModel(dir, { layoutFn });
  assert.deepEqual(m.config, QUICK_CONFIG);
  assert.deepEqual(m.params, params);
  assert.equal(m.metadata['format'], 'dsabench-dsa');
  assert.equal(m.metadata['step'], '7');
  assert.equal(m.metadata['stage'], 'pretrain');
  assert.equal(m.layout.length, layoutFn(QUICK_CONFIG).length);
  // atomic writes leave no temporary files behind
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors']);
  // tensors are stored under their layout names with their shapes
  const st = readSafetensorsFile(join(dir, 'model.safetensors'));
  for (const t of m.layout) assert.deepEqual(st.tensors.get(t.name)?.shape, t.shape, t.name);
});

test('a model spec is a directory path or a name under data/models', () => {
  const { dir } = saved();
  assert.equal(resolveModelDir(dir), dir);
  expectCk(() => loadModel(join(dir, 'nope'), { layoutFn }), 'not found');
  expectCk(() => loadModel('no-such-model-xyz', { layoutFn }), 'no-such-model-xyz');
});

test('missing config.json or model.safetensors is named', () => {
  const a = tmp();
  expectCk(() => loadModel(a, { layoutFn }), 'config.json');
  writeFileSync(join(a, 'config.json'), JSON.stringify(QUICK_CONFIG));
  expectCk(() => loadModel(a, { layoutFn }), 'model.safetensors');
});

test('a truncated model.safetensors names the file and the first tensor cut off', () => {
  const { dir } = saved();
  const f = join(dir, 'model.safetensors');
  truncateSync(f, statSync(f).size - 100);
  const e = expectCk(() => loadModel(dir, { layoutFn }), 'model.safetensors', 'truncated', 'head.weight');
  assert.equal(e.field, 'head.weight.data_offsets');
  truncateSync(f, 5);
  expectCk(() => loadModel(dir, { layoutFn }), 'model.safetensors', 'truncated');
});

test('a missing tensor is named', () => {
  const { dir } = saved();
  editWeights(dir, (t) => t.delete('layers.1.ffn.w2.weight'));
  const e = expectCk(() => loadModel(dir, { layoutFn }), 'layers.1.ffn.w2.weight', 'missing');
  assert.equal(e.field, 'layers.1.ffn.w2.weight');
});

test('an unknown extra tensor is named', () => {
  const { dir } = saved();
  editWeights(dir, (t) => t.set('layers.9.attn.extra.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) }));
  expectCk(() => loadModel(dir, { layoutFn }), 'unknown tensor layers.9.attn.extra.weight');
});

test('config.json whose shapes disagree with the weights names the tensor and the config fields', () => {
  const { dir } = saved();
  const cfg = { ...QUICK_CONFIG, q_lora_rank: 48 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  const e = expectCk(() => loadModel(dir, { layoutFn }),
    'tensor layers.0.attn.wq_a.weight has shape [32,64]', 'hidden_size=64', 'q_lora_rank=48', 'needs [48,64]');
  assert.equal(e.field, 'layers.0.attn.wq_a.weight');
  assert.ok(!e.message.includes('intermediate_size'), e.message);
});

test('BF16 weights are accepted and widened; other dtypes are rejected by name', () => {
  const { dir, params } = saved();
  const layout = layoutFn(QUICK_CONFIG);
  editWeights(dir, (t) => {
    const w = t.get('embed.weight')!;
    t.set('embed.weight', { dtype: 'BF16', shape: w.shape, data: toBf16(w.data as Float32Array).data });
  });
  const m = loadModel(dir, { layoutFn });
  const e = layout.find((t) => t.name === 'embed.weight')!;
  for (let i = 0; i < e.size; i += 97) assert.ok(Math.abs(m.params[e.offset + i]! - params[e.offset + i]!) < 1e-3);
  editWeights(dir, (t) => {
    const w = t.get('norm.weight')!;
    t.set('norm.weight', { dtype: 'I32', shape: w.shape, data: new Int32Array(w.data.length) });
  });
  expectCk(() => loadModel(dir, { layoutFn }), 'norm.weight', 'dtype I32');
});

test('NaN weights are named with the element', () => {
  const { dir } = saved();
  editWeights(dir, (t) => {
    (t.get('layers.0.attn.indexer.wk.weight')!.data as Float32Array)[3] = NaN;
  });
  expectCk(() => loadModel(dir, { layoutFn }), 'layers.0.attn.indexer.wk.weight', 'element 3');
});

test('a bad config.json field is a config error naming the field', () => {
  const { dir } = saved();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...QUICK_CONFIG, hiden_size: 3 }));
  assert.throws(() => loadModel(dir, { layoutFn }), (e: unknown) => e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID' && e.message.includes('hiden_size'));
});

test('train state round trip and errors', () => {
  const { dir } = saved();
  const n = numParams(layoutFn(QUICK_CONFIG));
  const m = new Float32Array(n).map((_, i) => i * 1e-3);
  const v = new Float32Array(n).map((_, i) => i * 1e-6);
  const state = { step: 12, stage: 1, cursor: [3, 4], rng: 123456789 };
  saveTrainState(dir, m, v, state, { step: 12 });
  const r = loadTrainState(dir, n);
  assert.deepEqual(r.m, m);
  assert.deepEqual(r.v, v);
  assert.deepEqual(r.state, state);
  assert.equal(r.metadata['step'], '12');
  expectCk(() => loadTrainState(dir, n + 1), 'adamw.m', `[${n + 1}]`);
  const f = join(dir, 'train-state.safetensors');
  writeFileSync(f, readFileSync(f).subarray(0, 200));
  expectCk(() => loadTrainState(dir, n), 'train-state.safetensors', 'truncated');
  expectCk(() => loadTrainState(tmp(), n), 'train-state.safetensors', 'missing');
});
