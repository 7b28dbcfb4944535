import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { packagePath } from '../../src/util/package.js';
import { mathScorer, isEquivalent, extractFlexible, extractStrict, lastBoxed, normalizeAnswer } from '../../src/scorers/math/index.js';
import { DsabenchError } from '../../src/errors.js';
import type { Item } from '../../src/types.js';

interface Row { prediction: string; gold: string; expected: boolean; rule: string }

const item = (target: unknown): Item => ({ id: 't1', input: {}, target });

test('math scorer agrees with the fixture table on at least 98% of rows', async () => {
  const rows = readFileSync(packagePath('test/fixtures/math-equivalence.jsonl'), 'utf8')
    .trim().split('\n').map((l) => JSON.parse(l) as Row);
  assert.ok(rows.length >= 300, `fixture has ${rows.length} rows`);
  assert.ok(rows.some((r) => !r.expected) && rows.some((r) => r.expected));
  const wrong: string[] = [];
  for (const r of rows) {
    const s = await mathScorer(r.prediction, item(r.gold), {}, {});
    if (s.pass !== r.expected) wrong.push(`${r.rule}: ${r.prediction} vs ${r.gold}`);
  }
  const agreement = 1 - wrong.length / rows.length;
  assert.ok(agreement >= 0.98, `agreement ${agreement}; disagreements:\n${wrong.join('\n')}`);
});

test('pairs that must not match', async () => {
  for (const [p, g] of [['\\frac{1}{2}', '0.51'], ['(1,2)', '[1,2]'], ['12', '1,2'], ['1,2', '12'], ['3.14', '\\pi']]) {
    assert.equal((await isEquivalent(p!, g!)).equivalent, false, `${p} vs ${g}`);
  }
});

test('extraction: last balanced boxed, fbox, boxed without braces, fallbacks in order', () => {
  assert.equal(lastBoxed('a \\boxed{1} b \\boxed{\\frac{1}{2}}'), '\\frac{1}{2}');
  assert.equal(lastBoxed('\\fbox{7}'), '7');
  assert.equal(lastBoxed('so $\\boxed 5$.'), '5');
  assert.equal(lastBoxed('no box'), null);
  assert.equal(extractStrict('The final answer is 3'), null);
  assert.deepEqual(extractFlexible('The final answer is $3$.'), { answer: '3', method: 'final_answer' });
  assert.deepEqual(extractFlexible('Answer: 12'), { answer: '12', method: 'answer_colon' });
  assert.deepEqual(extractFlexible('blah\n#### 1,234'), { answer: '1,234', method: 'hashes' });
  assert.deepEqual(extractFlexible('it is 4 then 5'), { answer: '5', method: 'last_number' });
  assert.equal(extractFlexible('nothing here'), null);
});

test('MATH normalisation rules', () => {
  assert.equal(normalizeAnswer('\\left( \\dfrac12, \\sqrt3 \\right)').s, '(\\frac{1}{2},\\sqrt{3})');
  assert.equal(normalizeAnswer('x = 0.5').s, '\\frac{1}{2}');
  assert.equal(normalizeAnswer('5\\text{ cm}').s, '5');
  assert.equal(normalizeAnswer('3/4').s, '\\frac{3}{4}');
  assert.deepEqual(normalizeAnswer('25\\%'), { s: '25', percent: true });
});

test('details carry strict and flexible metrics and the extracted answers; mode strict switches', async () => {
  const flexOnly = await mathScorer('The final answer is 42.', item('42'), {}, {});
  assert.equal(flexOnly.pass, true);
  assert.deepEqual(flexOnly.details?.['metrics'], { strict: 0, flexible: 1 });
  assert.equal((flexOnly.details?.['extracted'] as { flexible: string }).flexible, '42');
  const strict = await mathScorer('The final answer is 42.', item('42'), { mode: 'strict' }, {});
  assert.equal(strict.pass, false);
  assert.equal(strict.value, 0);
  const boxed = await mathScorer('\\boxed{42}', item('\\boxed{42}'), { mode: 'strict' }, {});
  assert.deepEqual(boxed.details?.['metrics'], { strict: 1, flexible: 1 });
  const nop = await mathScorer('', item('42'), {}, {});
  assert.equal(nop.value, 0);
});

test('bad inputs: non-string target and bad mode name the field', async () => {
  await assert.rejects(async () => mathScorer('1', item({ a: 1 }), {}, {}), (e: unknown) => e instanceof DsabenchError && e.field === 'target');
  await assert.rejects(async () => mathScorer('1', item(''), {}, {}), (e: unknown) => e instanceof DsabenchError && e.code === 'E_ITEMS_INVALID');
  await assert.rejects(async () => mathScorer('1', item('1'), { mode: 'loose' }, {}), (e: unknown) => e instanceof DsabenchError && e.field === 'scorer.options.mode');
  assert.equal((await mathScorer('\\boxed{204}', item(204), {}, {})).pass, true);
});
