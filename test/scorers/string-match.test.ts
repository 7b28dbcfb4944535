import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringMatchAll, stringMatchPart } from '../../src/scorers/string-match.js';
import { DsabenchError } from '../../src/errors.js';
import type { Item } from '../../src/types.js';

const item = (target: unknown): Item => ({ id: 'i', input: {}, target });

test('string_match_all: fraction of references found, case-insensitive substring (RULER)', async () => {
  const it = item(['1234567', 'Apple-Tree', '42']);
  assert.deepEqual((await stringMatchAll('The numbers are 1234567 and apple-tree.', it, {}, {})).value, 2 / 3);
  const all = await stringMatchAll('1234567, APPLE-TREE, 42', it, {}, {});
  assert.equal(all.value, 1);
  assert.equal(all.pass, true);
  const none = await stringMatchAll('', it, {}, {});
  assert.equal(none.value, 0);
  assert.equal(none.pass, false);
  assert.deepEqual(none.details?.['missing'], ['1234567', 'Apple-Tree', '42']);
  assert.equal((await stringMatchAll('x 7 y', item('7'), {}, {})).value, 1);
});

test('string_match_part: 1 when any reference is found', async () => {
  const it = item(['alpha', 'beta']);
  assert.equal((await stringMatchPart('only BETA here', it, {}, {})).value, 1);
  assert.equal((await stringMatchPart('neither', it, {}, {})).value, 0);
  assert.equal((await stringMatchPart('', it, {}, {})).pass, false);
});

test('bad targets are refused naming the field', async () => {
  for (const t of [[], [''], [1], null, 5]) {
    await assert.rejects(async () => stringMatchAll('x', item(t), {}, {}), (e: unknown) => e instanceof DsabenchError && e.field === 'target');
  }
});
