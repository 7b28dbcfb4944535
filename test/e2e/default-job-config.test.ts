/**
 * The default job's config (data/runs/default.json) and the run-config suite entries it
 * relies on: {suite, generator_options, generation, limit}, the cost/report steps, the
 * model override (DSABENCH_DEFAULT_MODEL) and the fallback when the model is missing.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readConfigFile, resolveSettings } from '../../src/cli/run-settings.js';
import { DsabenchError } from '../../src/errors.js';
import { defaultJobFile, describeSuites, replaceNativeModel, resolveDefaultJob, withModel } from '../../src/cli/default-job.js';
import { loadSuites } from '../../src/runner/run.js';
import { readModelConfig } from '../../src/model/config.js';
import { packagePath } from '../../src/util/package.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-default-cfg-'));
after(() => rmSync(root, { recursive: true, force: true }));

function cfgFile(name: string, v: unknown): string {
  const f = join(root, name);
  writeFileSync(f, JSON.stringify(v));
  return f;
}

describe('run config suite entries', () => {
  it('adjust generator options, generation and limit of the named suite; flags keep them', async () => {
    const file = cfgFile('entries.json', {
      suites: [
        { suite: 'long-context', generator_options: { tokenizer: 'byte', lengths: ['1K'], tasks: ['niah_single_1', 'vt'], depths: 2 }, generation: { max_tokens: 32 } },
        { suite: 'math', generator_options: { per_level: 1, competition: false }, limit: 5 },
        'example',
      ],
      providers: ['nop'],
    });
    const { settings } = resolveSettings({ config: file });
    assert.deepEqual(settings.suites, ['long-context', 'math', 'example']);
    assert.deepEqual(Object.keys(settings.suite_options!).sort(), ['long-context', 'math']);
    const suites = await loadSuites(settings.suites, settings.seed, settings.suite_options);
    const [lc, math, example] = suites;
    assert.equal(lc!.items.length, 2 + 2);
    for (const it of lc!.items) {
      assert.equal(it.metadata!['tokenizer'], 'byte');
      assert.equal(it.metadata!['length'], 1024);
      assert.ok((it.metadata!['prompt_tokens'] as number) <= 1024 - (it.metadata!['answer_budget'] as number));
      assert.equal(Buffer.byteLength(String(it.input['prompt'])), it.metadata!['prompt_tokens']);
    }
    // generation is merged over the suite's own (temperature kept, max_tokens replaced).
    assert.deepEqual(lc!.config.generation, { temperature: 0, max_tokens: 32 });
    assert.equal(math!.items.length, 5);
    assert.ok(math!.items.every((i) => i.metadata!['family'] !== 'competition'));
    assert.equal(example!.items.length, 20);
    // --suite naming an entry keeps its adjustments; entries not selected are dropped.
    const only = resolveSettings({ config: file, suite: ['math'] });
    assert.deepEqual(only.settings.suite_options, { math: { generator_options: { per_level: 1, competition: false }, limit: 5 } });
    // A config without entries adds no suite_options (config hashes of such runs are unchanged).
    assert.equal(resolveSettings({ config: cfgFile('plain.json', { suites: ['example'], providers: ['nop'] }) }).settings.suite_options, undefined);
  });

  it('refuses generator options on a suite without a generator, naming the field', async () => {
    const { settings } = resolveSettings({ config: cfgFile('bad-gen.json', { suites: [{ suite: 'example', generator_options: { x: 1 } }], providers: ['nop'] }) });
    await assert.rejects(loadSuites(settings.suites, 0, settings.suite_options), (e: unknown) => e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID' && e.field === 'generator_options' && /no generator/.test(e.message));
  });

  it('schema errors name the field: unknown entry key, limit < 1, unknown cost key, bad report format', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ suites: [{ suite: 'math', generatorOptions: {} }] }, /suites\/0/],
      [{ suites: [{ suite: 'math', limit: 0 }] }, /suites\/0/],
      [{ suites: [{ limit: 2 }] }, /suites\/0/],
      [{ cost: { model: 'native', quality: 'yes' } }, /cost/],
      [{ cost: { bogus: 1 } }, /cost/],
      [{ report: { formats: ['pdf'] } }, /report/],
    ];
    cases.forEach(([v, field], i) => {
      const file = cfgFile(`bad${i}.json`, v);
      assert.throws(() => readConfigFile(file), (e: unknown) => e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID' && e.file === file && field.test(`${e.field ?? ''} ${e.message}`), JSON.stringify(v));
    });
  });
});

describe('the default job file', () => {
  it('data/runs/default.json: dense and sparse on the shipped model, single needles at 1K-16K bytes, capped replies, cost and report steps', async () => {
    const cfg = readConfigFile(defaultJobFile());
    assert.deepEqual(cfg.providers, ['native:dsa-mini?attention=dense', 'native:dsa-mini?attention=sparse']);
    assert.equal(cfg.cost?.model, 'native:dsa-mini');
    assert.equal(cfg.cost?.quality, true);
    assert.equal(cfg.report, true);
    const { settings, cost, report } = resolveSettings({}, cfg);
    assert.deepEqual(settings.suites, ['long-context', 'math', 'code', 'terminal', 'example']);
    assert.ok(cost && report);
    for (const s of settings.suites) {
      const g = settings.suite_options![s]!.generation!;
      assert.ok(g.max_tokens !== undefined && g.max_tokens <= 256, `${s} caps its replies`);
    }
    // Single needles at five byte lengths, every prompt and its answer budget within its length
    // and within the model's context; the cost study times the same positions.
    const [lc] = await loadSuites(['long-context'], 0, settings.suite_options);
    assert.equal(lc!.items.length, 3 * 5 * 4);
    const lengths = [...new Set(lc!.items.map((i) => i.metadata!['length'] as number))];
    assert.deepEqual(lengths, [1024, 2048, 4096, 8192, 16384]);
    const modelContext = readModelConfig(packagePath('data', 'models', 'dsa-mini', 'config.json')).max_position_embeddings;
    for (const i of lc!.items) {
      const used = (i.metadata!['prompt_tokens'] as number) + (i.metadata!['answer_budget'] as number);
      assert.ok(i.metadata!['tokenizer'] === 'byte' && used <= (i.metadata!['length'] as number) && used <= modelContext, i.id);
    }
    assert.equal(cfg.cost?.positions, '1K,2K,4K,8K,16K');
    // What the job narrows is said in one line per suite.
    assert.deepEqual(describeSuites(cfg), [
      'long-context: tokenizer=byte lengths=(5) depths=4 tasks=niah_single_1,niah_single_2,niah_single_3, replies ≤ 64 tokens',
      'math: per_level=1 competition=false, replies ≤ 128 tokens',
      'code: first 8 items, replies ≤ 256 tokens',
      'terminal: first 3 items, replies ≤ 256 tokens',
      'example: replies ≤ 16 tokens',
    ]);
    // The same file through --config gives the same settings as the default job.
    const viaFlag = resolveSettings({ config: defaultJobFile() });
    assert.deepEqual(viaFlag.settings, settings);
    assert.deepEqual([viaFlag.cost, viaFlag.report], [cost, report]);
  });

  it('DSABENCH_DEFAULT_MODEL points the job at another model; a missing model falls back to the oracle with one notice', () => {
    assert.equal(replaceNativeModel('native:dsa-mini?attention=dense', '/m'), 'native:/m?attention=dense');
    assert.equal(replaceNativeModel('native', '/m'), 'native:/m');
    assert.equal(replaceNativeModel('native:other?attention=dense', '/m'), 'native:other?attention=dense');
    assert.equal(replaceNativeModel('oracle', '/m'), 'oracle');
    const model = join(root, 'model');
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, 'model.safetensors'), '');
    const job = resolveDefaultJob({ DSABENCH_DEFAULT_MODEL: model });
    assert.equal(job.notice, undefined);
    assert.equal(job.file, defaultJobFile());
    assert.deepEqual(job.config, withModel(readConfigFile(defaultJobFile()), model));
    assert.deepEqual(job.config.providers, [`native:${model}?attention=dense`, `native:${model}?attention=sparse`]);
    assert.equal(job.config.cost?.model, `native:${model}`);
    const missing = resolveDefaultJob({ DSABENCH_DEFAULT_MODEL: join(root, 'nothing-here') });
    assert.match(missing.notice!, /not installed .*oracle/);
    assert.deepEqual(missing.config, { providers: ['oracle'], report: true });
    const { settings } = resolveSettings({}, missing.config);
    assert.deepEqual(settings.providers, [{ spec: 'oracle' }]);
  });
});
