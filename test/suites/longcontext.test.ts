import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longContextGenerator, parseDepths, parseLength, lengthLabel } from '../../src/suites/longcontext/generate.js';
import { longbench2Loader } from '../../src/suites/longcontext/longbench2.js';
import { TASKS } from '../../src/suites/longcontext/tasks.js';
import { GENERATORS, LOADERS } from '../../src/suites/registry.js';
import { getTokenizer } from '../../src/tokenizers/index.js';
import { stringMatchAll } from '../../src/scorers/string-match.js';
import { longbenchMc } from '../../src/scorers/longbench-mc.js';
import { readSuiteConfig } from '../../src/suites/load.js';
import { packagePath } from '../../src/util/package.js';
import { DsabenchError } from '../../src/errors.js';
import type { Item } from '../../src/types.js';

const meta = (i: Item): Record<string, unknown> => i.metadata ?? {};
const prompt = (i: Item): string => String(i.input['prompt']);

test('registered as generator long-context and loader longbench2', () => {
  assert.equal(GENERATORS['long-context'], longContextGenerator);
  assert.equal(LOADERS['longbench2'], longbench2Loader);
});

test('every task at 1K and 4K: exact DeepSeek-V3 prompt counts that fit the target, answers hidden in the prompt', async () => {
  const tok = await getTokenizer('deepseek-v3');
  const items = (await longContextGenerator(11, { lengths: [1024, '4K'], depths: 3 })) as Item[];
  assert.equal(items.length, 2 * (8 * 3 + 3 * 3));
  assert.deepEqual(new Set(items.map((i) => meta(i)['task'])), new Set(TASKS));
  for (const item of items) {
    const m = meta(item);
    const exact = tok.encode!(prompt(item)).length;
    assert.equal(m['prompt_tokens'], exact, `${item.id}: recorded ${String(m['prompt_tokens'])}, library encode ${exact}`);
    assert.ok(exact + Number(m['answer_budget']) <= Number(m['length']), `${item.id} over budget`);
    assert.ok(exact + Number(m['answer_budget']) >= 0.8 * Number(m['length']), `${item.id} too short: ${exact}`);
    assert.equal(m['tokenizer'], 'deepseek-v3');
    assert.equal(m['approximate'], false);
    const answers = item.target as string[];
    assert.ok(Array.isArray(answers) && answers.length > 0);
    for (const a of answers) assert.ok(prompt(item).toLowerCase().includes(a.toLowerCase()), `${item.id}: ${a} not in prompt`);
    // oracle 100%, nop 0%
    assert.equal((await stringMatchAll(item.reference!, item, {}, {})).value, 1);
    assert.equal((await stringMatchAll('', item, {}, {})).value, 0);
    if (String(m['task']).startsWith('niah_')) assert.ok(typeof m['depth'] === 'number');
    else assert.equal(m['depth'], undefined);
  }
  const multi = items.find((i) => i.id === 'niah_multivalue/4K/d50')!;
  assert.equal((multi.target as string[]).length, 4);
  assert.equal((await stringMatchAll((multi.target as string[])[0]!, multi, {}, {})).value, 0.25);
});

test('needle depth places the needle at that fraction of the context', async () => {
  const items = (await longContextGenerator(3, { tasks: ['niah_single_2'], lengths: [8192], depths: [0, 0.5, 1] })) as Item[];
  const where = items.map((i) => {
    const p = prompt(i);
    const start = p.indexOf('\n') + 1;
    const end = p.lastIndexOf('\n');
    return (p.indexOf((i.target as string[])[0]!) - start) / (end - start);
  });
  assert.ok(where[0]! < 0.02, `depth 0 at ${where[0]}`);
  assert.ok(Math.abs(where[1]! - 0.5) < 0.03, `depth 0.5 at ${where[1]}`);
  assert.ok(where[2]! > 0.97, `depth 1 at ${where[2]}`);
});

test('a 16K item lands within 1% of the target with an exact count', async () => {
  const tok = await getTokenizer('deepseek-v3');
  const [item] = (await longContextGenerator(5, { tasks: ['niah_multikey_2'], lengths: ['16K'], depths: [0.3] })) as Item[];
  const n = tok.encode!(prompt(item!)).length;
  assert.equal(meta(item!)['prompt_tokens'], n);
  assert.ok((n + 128) / 16384 >= 0.99 && n + 128 <= 16384, String(n));
  assert.equal(meta(item!)['length_label'], '16K');
});

test('seeded: same seed same items, another seed other items', async () => {
  const opts = { tasks: ['niah_single_1', 'vt'], lengths: [1024], depths: 2, tokenizer: 'byte' };
  const a = (await longContextGenerator(1, opts)) as Item[];
  const b = (await longContextGenerator(1, opts)) as Item[];
  const c = (await longContextGenerator(2, opts)) as Item[];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((i) => i.target), c.map((i) => i.target));
});

test('cwe and fwe answers are the most frequent words of the list', async () => {
  const items = (await longContextGenerator(9, { tasks: ['cwe', 'fwe'], lengths: [4096], samples: 2 })) as Item[];
  for (const item of items) {
    const words = prompt(item).split('\n')[1]!.trim().split(/\s+/);
    const counts = new Map<string, number>();
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    const sorted = [...counts.entries()].sort((x, y) => y[1] - x[1]);
    const k = (item.target as string[]).length;
    assert.equal(k, meta(item)['task'] === 'cwe' ? 10 : 3);
    assert.deepEqual(new Set(sorted.slice(0, k).map((e) => e[0])), new Set(item.target as string[]));
    assert.ok(sorted[k - 1]![1] > sorted[k]![1], 'the answers are strictly more frequent than the rest');
  }
});

test('byte and approximate tokenizers are recorded as such', async () => {
  const [b] = (await longContextGenerator(1, { tasks: ['niah_single_3'], lengths: [2048], depths: 1, tokenizer: 'byte' })) as Item[];
  assert.equal(meta(b!)['prompt_tokens'], Buffer.byteLength(prompt(b!)));
  assert.equal(meta(b!)['tokenizer'], 'byte');
  const [a] = (await longContextGenerator(1, { tasks: ['fwe'], lengths: [2048], samples: 1, tokenizer: 'approx' })) as Item[];
  assert.equal(meta(a!)['approximate'], true);
  assert.equal(meta(a!)['prompt_tokens'], Math.ceil(prompt(a!).length / 4));
});

test('bad options name the option; a length smaller than the question is refused', async () => {
  const bad = async (options: Record<string, unknown>, field: string): Promise<void> => {
    await assert.rejects(async () => longContextGenerator(1, options), (e: unknown) => {
      assert.ok(e instanceof DsabenchError, String(e));
      assert.equal(e.field, field);
      return true;
    });
  };
  await bad({ lengths: [4096, 100], tokenizer: 'byte' }, 'generator.options.lengths[1]');
  await bad({ lengths: ['4Q'] }, 'generator.options.lengths[0]');
  await bad({ lengths: [] }, 'generator.options.lengths');
  await bad({ tasks: ['niah_single_9'] }, 'generator.options.tasks');
  await bad({ depths: [0.5, 2] }, 'generator.options.depths');
  await bad({ samples: 0 }, 'generator.options.samples');
  await bad({ tokenizer: 'gpt-9' }, 'generator.options.tokenizer');
  await assert.rejects(async () => longContextGenerator(1, { lengths: [150], tasks: ['cwe'], tokenizer: 'byte' }), /smaller|more than the target/);
});

test('length and depth helpers', () => {
  assert.equal(parseLength('128K', 'x'), 131072);
  assert.equal(parseLength(3000, 'x'), 3000);
  assert.equal(lengthLabel(131072), '128K');
  assert.equal(lengthLabel(3000), '3000');
  assert.deepEqual(parseDepths(5), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(parseDepths(1), [0.5]);
});

test('built-in suite.json: generator spec, string_match_all, breakdowns by length, depth and task', () => {
  const config = readSuiteConfig(packagePath('data/suites/long-context/suite.json'));
  assert.equal(config.kind, 'long-context');
  assert.equal(config.scorer.name, 'string_match_all');
  assert.equal(config.generator?.name, 'long-context');
  assert.deepEqual(config.options?.['breakdown_by'], ['length', 'depth', 'task']);
  assert.deepEqual(config.generator?.options?.['lengths'], ['1K', '2K', '4K', '8K']);
});

test('longbench2 loader: jsonl and JSON array, zero-shot template fields, errors with place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-lb2-'));
  const row = { _id: 'x1', domain: 'Single-Document QA', sub_domain: 'Legal', difficulty: 'hard', length: 'short', question: 'Who?', choice_A: 'a', choice_B: 'b', choice_C: 'c', choice_D: 'd', answer: 'C', context: 'long text' };
  const jl = join(dir, 'lb.jsonl');
  writeFileSync(jl, JSON.stringify(row) + '\n');
  const arr = join(dir, 'lb.json');
  writeFileSync(arr, JSON.stringify([row, { ...row, _id: 'x2', answer: 'A' }]));
  const a = await longbench2Loader(jl, {});
  assert.equal(a.config.scorer.name, 'longbench_mc');
  assert.match(a.config.prompt.template, /\{context\}[\s\S]*\{question\}[\s\S]*\(D\) \{choice_D\}/);
  assert.deepEqual([a.items[0]!.id, a.items[0]!.target, meta(a.items[0]!)['difficulty']], ['x1', 'C', 'hard']);
  assert.equal((await longbenchMc(a.items[0]!.reference!, a.items[0]!, {}, {})).value, 1);
  assert.equal((await longbenchMc('', a.items[0]!, {}, {})).value, 0);
  const b = await longbench2Loader(arr, {});
  assert.deepEqual(b.items.map((i) => i.target), ['C', 'A']);
  writeFileSync(jl, JSON.stringify(row) + '\n' + JSON.stringify({ ...row, answer: 'E' }) + '\n');
  await assert.rejects(async () => longbench2Loader(jl, {}), (e: unknown) => e instanceof DsabenchError && e.line === 2 && e.field === '/answer');
  writeFileSync(jl, JSON.stringify({ ...row, context: 5 }) + '\n');
  await assert.rejects(async () => longbench2Loader(jl, {}), (e: unknown) => e instanceof DsabenchError && e.line === 1 && e.field === '/context');
  writeFileSync(jl, '');
  await assert.rejects(async () => longbench2Loader(jl, {}), (e: unknown) => e instanceof DsabenchError && e.file === jl);
});

test('longbench2 loader: max_context_tokens keeps the head and tail of long contexts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-lb2t-'));
  const context = 'HEAD ' + 'filler words here. '.repeat(400) + ' TAIL';
  const row = { _id: 'y', question: 'q', choice_A: 'a', choice_B: 'b', choice_C: 'c', choice_D: 'd', answer: 'B', context };
  const f = join(dir, 'lb.jsonl');
  writeFileSync(f, JSON.stringify(row) + '\n' + JSON.stringify({ ...row, _id: 'z', context: 'short' }) + '\n');
  const tok = await getTokenizer('deepseek-v3');
  const { items } = await longbench2Loader(f, { max_context_tokens: 100 });
  const cut = String(items[0]!.input['context']);
  assert.ok(cut.startsWith('HEAD') && cut.endsWith('TAIL'), cut);
  assert.ok(tok.count(cut) <= 102, String(tok.count(cut)));
  assert.equal(meta(items[0]!)['truncated'], true);
  assert.equal(items[1]!.input['context'], 'short');
  assert.equal(meta(items[1]!)['truncated'], false);
  const bytes = await longbench2Loader(f, { max_context_tokens: 64, tokenizer: 'byte' });
  assert.ok(Buffer.byteLength(String(bytes.items[0]!.input['context'])) <= 64);
  await assert.rejects(async () => longbench2Loader(f, { max_context_tokens: 'lots' }), (e: unknown) => e instanceof DsabenchError && e.field === 'loader.options.max_context_tokens');
});
