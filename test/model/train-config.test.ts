/**
 * The training config's schema (schemas/train.schema.json) and its parser: defaults come from
 * the schema, the schema's mixture lists exactly the data generator's tasks, the shipped
 * recipes pass, and each kind of mistake names its field and says what was expected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DsabenchError } from '../../src/errors.js';
import { MIXTURE_TASKS } from '../../src/model/data.js';
import { fieldPath, parseTrainConfig, readTrainConfig, TRAIN_SCHEMA_FILE } from '../../src/model/train-config.js';
import { packagePath } from '../../src/util/package.js';

const schema = JSON.parse(readFileSync(packagePath('schemas', TRAIN_SCHEMA_FILE), 'utf8')) as {
  properties: Record<string, { default?: unknown }>;
  definitions: { mixture: { allOf: Array<{ properties?: Record<string, unknown> }> } };
};
const QUICK = packagePath('data', 'models', 'quick', 'train.json');
const quick = (): Record<string, unknown> => JSON.parse(readFileSync(QUICK, 'utf8')) as Record<string, unknown>;
const stages = (o: Record<string, unknown>): Array<Record<string, unknown>> => o['stages'] as Array<Record<string, unknown>>;

/** The error parseTrainConfig throws for `raw` (fails the test when it throws none). */
function errorOf(raw: unknown): DsabenchError {
  try {
    parseTrainConfig(raw, 'train.json');
  } catch (e) {
    assert.ok(e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID', String(e));
    return e;
  }
  assert.fail('expected an E_CONFIG_INVALID error');
}

test('the schema lists exactly the mixture tasks the data generator knows', () => {
  assert.deepEqual(Object.keys(schema.definitions.mixture.allOf[0]!.properties ?? {}), [...MIXTURE_TASKS]);
});

test('left-out fields take the schema defaults; min_lr defaults to lr / 10; the input is not modified', () => {
  const raw = {
    model: quick()['model'],
    batch: 2,
    stages: [{ stage: 'pretrain', steps: 10, lr: 0.002, lengths: [64], mixture: { copy: 1 } }],
  };
  const before = structuredClone(raw);
  const c = parseTrainConfig(raw);
  assert.deepEqual(raw, before);
  for (const k of ['seed', 'threads', 'checkpoint_every', 'eval_every', 'eval_examples', 'log_every', 'prompt_weight', 'answer_weight', 'beta1', 'beta2', 'eps'] as const)
    assert.equal(c[k], schema.properties[k]!.default, k);
  assert.deepEqual(c.stages[0], {
    stage: 'pretrain', steps: 10, lr: 0.002, min_lr: 0.0002, warmup_steps: 0, weight_decay: 0.1, clip: 1, lengths: [64], mixture: { copy: 1 },
  });
  assert.equal(c.init, undefined);
});

test('a stage may set its own prompt_weight; the others keep the top-level one', () => {
  const raw = quick();
  stages(raw)[0]!['prompt_weight'] = 0.002;
  const c = parseTrainConfig(raw);
  assert.equal(c.stages[0]!.prompt_weight, 0.002);
  assert.equal(c.stages[1]!.prompt_weight, undefined);
  stages(raw)[1]!['prompt_weight'] = -0.5;
  const err = errorOf(raw);
  assert.equal(err.field, 'stages[1].prompt_weight');
  assert.match(err.message, /expected a number in \[0, 100\].*got -0\.5/);
});

test('the shipped recipes pass', () => {
  for (const name of ['quick', 'dsa-mini-1k', 'dsa-mini']) {
    const c = readTrainConfig(packagePath('data', 'models', name, 'train.json'));
    assert.ok(c.stages.length > 0, name);
  }
});

test('each mistake names its field and says what was expected', () => {
  const cases: Array<[string, (o: Record<string, unknown>) => void, string, RegExp]> = [
    ['unknown top-level option', (o) => { o['batchsize'] = 3; }, 'batchsize', /unknown option; expected one of model, seed, threads, batch, stages,/],
    ['missing model', (o) => { delete o['model']; }, 'model', /is required; expected a string or an object \(a path to the model's config\.json/],
    ['wrong type', (o) => { o['batch'] = '4'; }, 'batch', /expected an integer ≥ 1 .*got "4"/],
    ['out of range', (o) => { stages(o)[0]!['lr'] = 2; }, 'stages[0].lr', /expected a number in \[0, 1\].*got 2/],
    ['unknown stage kind', (o) => { stages(o)[0]!['stage'] = 'finetune'; }, 'stages[0].stage', /expected one of pretrain, warmup, sparse, got "finetune"/],
    ['missing stage field', (o) => { delete stages(o)[1]!['mixture']; }, 'stages[1].mixture', /is required; expected an object/],
    ['unknown mixture task', (o) => { stages(o)[0]!['mixture'] = { niah_single_7: 1 }; }, 'stages[0].mixture.niah_single_7', /unknown mixture component; expected one of niah_single_1,/],
    ['negative weight', (o) => { stages(o)[0]!['mixture'] = { copy: -1 }; }, 'stages[0].mixture.copy', /expected a number ≥ 0 .*got -1/],
    ['all weights zero', (o) => { stages(o)[0]!['mixture'] = { copy: 0 }; }, 'stages[0].mixture', /needs at least one component with a weight > 0/],
    ['row too short', (o) => { stages(o)[0]!['lengths'] = [8]; }, 'stages[0].lengths[0]', /expected an integer ≥ 16 .*got 8/],
    ['row past the model', (o) => { stages(o)[0]!['lengths'] = [256, 99999]; }, 'stages[0].lengths[1]', /expected an integer in \[16, max_position_embeddings=4096\], got 99999/],
    ['topk outside a sparse stage', (o) => { stages(o)[1]!['topk'] = 8; }, 'stages[1].topk', /only the sparse stage selects top-k keys/],
    ['dense_lengths without dense steps', (o) => { stages(o)[2]!['dense_lengths'] = [256]; }, 'stages[2].dense_lengths', /only a sparse stage with dense_fraction > 0 has dense steps/],
    ['min_lr above lr', (o) => { stages(o)[0]!['min_lr'] = 0.01; }, 'stages[0].min_lr', /expected a number in \[0, 0\.003\] \(at most lr\), got 0\.01/],
    ['warm-up longer than the stage', (o) => { stages(o)[0]!['warmup_steps'] = 31; }, 'stages[0].warmup_steps', /must be at most steps \(30\), got 31/],
    ['stages out of order', (o) => { stages(o).reverse(); }, 'stages[1].stage', /stages must come in the order pretrain → warmup → sparse \(warmup after sparse\)/],
  ];
  for (const [what, edit, field, message] of cases) {
    const o = quick();
    edit(o);
    const e = errorOf(o);
    assert.equal(e.field, field, what);
    assert.equal(e.file, 'train.json', what);
    assert.match(e.message, message, what);
    assert.ok(e.message.startsWith(`train.json: field "${field}": `), `${what}: ${e.message}`);
  }
});

test('JSON pointers become the paths messages use', () => {
  assert.equal(fieldPath(''), '(root)');
  assert.equal(fieldPath('/batch'), 'batch');
  assert.equal(fieldPath('/stages/1/lengths/0'), 'stages[1].lengths[0]');
  assert.equal(fieldPath('/stages/0/mixture/a~1b'), 'stages[0].mixture.a/b');
});
