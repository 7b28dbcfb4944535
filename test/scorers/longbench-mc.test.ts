import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractChoiceFlexible, extractChoiceStrict, longbenchMc } from '../../src/scorers/longbench-mc.js';
import { DsabenchError } from '../../src/errors.js';

test('official extraction: "The correct answer is (X)", then without parentheses, asterisks removed', () => {
  assert.equal(extractChoiceStrict('Reasoning... The correct answer is (B).'), 'B');
  assert.equal(extractChoiceStrict('**The correct answer is C**'), 'C');
  assert.equal(extractChoiceStrict('Answer: B'), null);
});

test('flexible fallbacks: "Answer: X", a lone letter, the last (X)', () => {
  assert.equal(extractChoiceFlexible('Answer: (D)'), 'D');
  assert.equal(extractChoiceFlexible('the answer is a'), 'A');
  assert.equal(extractChoiceFlexible('B'), 'B');
  assert.equal(extractChoiceFlexible('(C).'), 'C');
  assert.equal(extractChoiceFlexible('Between (A) and (C), I pick (C)'), 'C');
  assert.equal(extractChoiceFlexible('no idea'), null);
});

test('scorer: strict and flexible metrics, mode switch, bad target', async () => {
  const item = { id: 'q', input: {}, target: 'B' };
  const s = await longbenchMc('Answer: B', item, {}, {});
  assert.deepEqual(s.details?.['metrics'], { strict: 0, flexible: 1 });
  assert.equal(s.pass, true);
  assert.equal((await longbenchMc('Answer: B', item, { mode: 'strict' }, {})).pass, false);
  assert.equal((await longbenchMc('The correct answer is (A)', item, {}, {})).value, 0);
  await assert.rejects(async () => longbenchMc('A', { ...item, target: 'E' }, {}, {}), (e: unknown) => e instanceof DsabenchError && e.field === 'target');
});
