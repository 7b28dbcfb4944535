import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mathGenerator } from '../../src/suites/math/generate.js';
import { aimeLoader, gsm8kLoader, math500Loader, mathLoader } from '../../src/suites/math/loaders.js';
import { GENERATORS, LOADERS } from '../../src/suites/registry.js';
import { SCORERS } from '../../src/scorers/index.js';
import { mathScorer } from '../../src/scorers/math/index.js';
import { DsabenchError } from '../../src/errors.js';
import type { Item } from '../../src/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'dsabench-math-'));
const write = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const isErr = (where: { line?: number; field?: string; code?: string }) => (e: unknown): boolean => {
  assert.ok(e instanceof DsabenchError, String(e));
  if (where.code) assert.equal(e.code, where.code);
  if (where.line !== undefined) assert.equal(e.line, where.line);
  if (where.field !== undefined) assert.equal(e.field, where.field);
  assert.ok(e.file, 'error names the file');
  return true;
};

test('registered under the documented names', () => {
  assert.equal(GENERATORS['math'], mathGenerator);
  for (const name of ['gsm8k', 'math', 'math500', 'aime']) assert.ok(LOADERS[name], name);
  for (const name of ['math', 'string_match_all', 'string_match_part', 'longbench_mc']) assert.ok(name in SCORERS, name);
});

test('generator: ≥300 generated items over every family and 3 levels, plus ≥40 hand-written, seeded', async () => {
  const items = (await mathGenerator(7, {})) as Item[];
  const generated = items.filter((i) => i.metadata?.['source'] === 'generated');
  const hand = items.filter((i) => i.metadata?.['source'] === 'handwritten');
  assert.ok(generated.length >= 300, `generated ${generated.length}`);
  assert.ok(hand.length >= 40, `hand-written ${hand.length}`);
  assert.deepEqual(new Set(generated.map((i) => i.metadata?.['level'])), new Set([1, 2, 3]));
  assert.equal(new Set(generated.map((i) => i.metadata?.['family'])).size, 9);
  assert.equal(new Set(items.map((i) => i.id)).size, items.length, 'ids are unique');
  // answers with LaTeX structure are present among the hand-written ones
  const answers = hand.map((i) => String(i.target));
  for (const needle of ['\\frac', '\\sqrt', '\\infty', '\\{', '(', '\\pi']) assert.ok(answers.some((a) => a.includes(needle)), needle);
  const again = (await mathGenerator(7, {})) as Item[];
  assert.deepEqual(again, items);
  const other = (await mathGenerator(8, { competition: false })) as Item[];
  assert.notDeepEqual(other.map((i) => i.input), generated.map((i) => i.input));
});

test('oracle answers score 100% and empty answers 0% on every built-in item', async () => {
  const items = (await mathGenerator(2026, {})) as Item[];
  for (const item of items) {
    assert.ok(item.reference?.startsWith('\\boxed{'));
    const s = await mathScorer(item.reference!, item, {}, {});
    assert.equal(s.pass, true, `${item.id}: ${item.reference}`);
    assert.equal((await mathScorer('', item, {}, {})).value, 0);
  }
});

test('generator options are checked', async () => {
  await assert.rejects(async () => mathGenerator(1, { per_level: 0 }), (e: unknown) => e instanceof DsabenchError && e.field === 'generator.options.per_level');
  await assert.rejects(async () => mathGenerator(1, { families: ['calculus'] }), (e: unknown) => e instanceof DsabenchError && e.field === 'generator.options.families');
  const few = (await mathGenerator(1, { per_level: 2, levels: [1], families: ['systems'], competition: false })) as Item[];
  assert.equal(few.length, 2);
  assert.match(String(few[0]!.target), /^\(-?\d+, -?\d+\)$/);
});

test('gsm8k loader: gold after ####, commas removed; bad inputs name file, line and field', async () => {
  const f = write('gsm.jsonl', jsonl([
    { question: 'How many?', answer: 'Step 1 <<2*3=6>>6\n#### 1,200' },
    { question: 'And now?', answer: 'so\n#### -3' },
  ]));
  const { config, items } = await gsm8kLoader(f, {});
  assert.equal(config.kind, 'math');
  assert.equal(config.scorer.name, 'math');
  assert.match(config.prompt.template, /\{question\}\nPlease reason step by step, and put your final answer within \\boxed\{\}\./);
  assert.deepEqual(items.map((i) => [i.id, i.target, i.reference]), [['0', '1200', '\\boxed{1200}'], ['1', '-3', '\\boxed{-3}']]);
  await assert.rejects(async () => gsm8kLoader(write('empty.jsonl', ''), {}), isErr({ code: 'E_ITEMS_INVALID' }));
  await assert.rejects(async () => gsm8kLoader(write('g2.jsonl', jsonl([{ question: 'q', answer: '#### 1' }, { q: 'x', a: 'y' }])), {}), isErr({ line: 2, field: '/question' }));
  await assert.rejects(async () => gsm8kLoader(write('g3.jsonl', jsonl([{ question: 'q', answer: 5 }])), {}), isErr({ line: 1, field: '/answer' }));
  await assert.rejects(async () => gsm8kLoader(write('g4.jsonl', jsonl([{ question: 'q', answer: 'no marker' }])), {}), isErr({ line: 1, field: '/answer' }));
});

test('math loader: per-problem JSON tree (gold = last boxed) and MATH-500 jsonl', async () => {
  const root = join(tmp, 'MATH', 'test');
  mkdirSync(join(root, 'algebra'), { recursive: true });
  mkdirSync(join(root, 'geometry'), { recursive: true });
  writeFileSync(join(root, 'algebra', '1.json'), JSON.stringify({ problem: 'p1', level: 'Level 3', type: 'Algebra', solution: 'first \\boxed{1} then $\\boxed{\\frac{1}{2}}$' }));
  writeFileSync(join(root, 'geometry', '7.json'), JSON.stringify({ problem: 'p2', level: 'Level 5', type: 'Geometry', solution: 'so \\boxed{3\\sqrt{2}}.' }));
  const tree = await mathLoader(root, {});
  assert.deepEqual(tree.items.map((i) => [i.id, i.target, i.metadata?.['level']]), [['algebra/1', '\\frac{1}{2}', 3], ['geometry/7', '3\\sqrt{2}', 5]]);
  writeFileSync(join(root, 'geometry', '8.json'), JSON.stringify({ problem: 'p3', level: 'Level 1', type: 'Geometry', solution: 'no box' }));
  await assert.rejects(async () => mathLoader(root, {}), (e: unknown) => e instanceof DsabenchError && e.field === '/solution' && String(e.file).endsWith('8.json'));

  const m500 = write('m500.jsonl', jsonl([{ problem: 'q', solution: 's', answer: '\\left( 3, \\frac{\\pi}{2} \\right)', subject: 'Precalculus', level: 2, unique_id: 'test/precalculus/807.json' }]));
  for (const loader of [mathLoader, math500Loader]) {
    const { items } = await loader(m500, {});
    assert.equal(items[0]!.id, 'test/precalculus/807.json');
    assert.equal(items[0]!.target, '\\left( 3, \\frac{\\pi}{2} \\right)');
    assert.equal((await mathScorer('\\boxed{(3, \\frac{\\pi}{2})}', items[0]!, {}, {})).pass, true);
  }
  await assert.rejects(async () => math500Loader(write('m2.jsonl', jsonl([{ problem: 'q', answer: { x: 1 } }])), {}), isErr({ line: 1, field: '/answer' }));
});

test('aime loader: problem/answer, Problem/Answer, id/problem/solution/answer', async () => {
  const a = await aimeLoader(write('a25.jsonl', jsonl([{ problem: 'p', answer: '70' }])), {});
  assert.deepEqual([a.items[0]!.id, a.items[0]!.target], ['0', '70']);
  const b = await aimeLoader(write('a24.jsonl', jsonl([{ ID: '2024-I-1', Problem: 'p', Answer: 204 }])), {});
  assert.deepEqual([b.items[0]!.id, b.items[0]!.target], ['2024-I-1', '204']);
  const c = await aimeLoader(write('a3.jsonl', jsonl([{ id: 60, problem: 'p', solution: 's', answer: '033' }])), {});
  assert.deepEqual([c.items[0]!.id, c.items[0]!.target], ['60', '033']);
  assert.equal((await mathScorer('\\boxed{33}', c.items[0]!, {}, {})).pass, true);
  await assert.rejects(async () => aimeLoader(write('a4.jsonl', jsonl([{ problem: 'p', answer: null }])), {}), isErr({ line: 1, field: '/answer' }));
  await assert.rejects(async () => aimeLoader(write('a5.jsonl', jsonl([{ question: 'p', answer: '1' }])), {}), isErr({ line: 1, field: '/problem' }));
  await assert.rejects(async () => aimeLoader(write('a6.jsonl', '{"problem": "p", "answer": "1"}\n[1,2]\n'), {}), isErr({ line: 2 }));
});

test('built-in suite loads through the suite loader with the DeepSeek prompt and breakdowns', async () => {
  const { loadSuite } = await import('../../src/suites/load.js');
  const suite = await loadSuite('math');
  assert.equal(suite.config.kind, 'math');
  assert.equal(suite.config.scorer.name, 'math');
  assert.equal(suite.config.prompt.template, '{question}\nPlease reason step by step, and put your final answer within \\boxed{}.');
  assert.ok(suite.items.length >= 340);
  assert.deepEqual(suite.config.options?.['breakdown_by'], ['level', 'family']);
  const viaSpec = await loadSuite(`gsm8k:${write('spec.jsonl', jsonl([{ question: 'q', answer: '#### 7' }]))}`);
  assert.equal(viaSpec.items[0]!.target, '7');
});
