import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTokenizer } from '../../src/tokenizers/index.js';
import { DsabenchError } from '../../src/errors.js';

test('byte tokenizer counts UTF-8 bytes and is exact', async () => {
  const t = await getTokenizer('byte');
  assert.equal(t.count('héllo'), 6);
  assert.deepEqual(t.encode?.('ab'), [97, 98]);
  assert.equal(t.approximate, false);
});

test('approx fallback is chars/4 and flagged approximate', async () => {
  const t = await getTokenizer('approx');
  assert.equal(t.count('abcdefghi'), 3);
  assert.equal(t.approximate, true);
});

test('deepseek-v3 tokenizer loads offline and counts without special tokens', async () => {
  const t = await getTokenizer('deepseek-v3');
  assert.equal(t.name, 'deepseek-v3');
  assert.equal(t.approximate, false);
  assert.equal(t.count('Hello'), 1);
  assert.equal(t.count(' The grass is green.'), 5);
  // sentence-level counts add up: what the haystack fitting relies on
  assert.equal(t.count(' The grass is green. The sky is blue.'), t.count(' The grass is green.') + t.count(' The sky is blue.'));
  assert.ok((t.encode?.('Hello world') ?? []).every((id) => Number.isInteger(id)));
});

test('unknown tokenizer names the option', async () => {
  await assert.rejects(getTokenizer('gpt-9', 'generator.options.tokenizer'), (e: unknown) => e instanceof DsabenchError && e.field === 'generator.options.tokenizer');
});

test('deepseek-v3 fast count agrees with the library encoder on varied text', async () => {
  const t = await getTokenizer('deepseek-v3');
  const samples = [
    'Hello, world! 12345678 ٣٤٥ 你好世界 こんにちは\n\n  x  \t\r\nfoo.bar(\'baz\') ...!!! café',
    'a\u00a0b', 'it\'s 3.14159 — “quoted” … ok', '  leading', 'trailing  ', '\n\n\n', '$$\\frac{1}{2}$$',
    'emoji 😀👍🏽 mixed', 'VAR ABCDE = 12345. VAR FGHIJ = VAR ABCDE.', ' One of the special magic uuids for 1b2c-3d is: 9f8e7d6c-aaaa-4bbb-8ccc-0123456789ab.',
    'a <｜begin▁of▁sentence｜> b', 'x <|EOT|> y',
  ];
  for (const s of samples) assert.equal(t.count(s), t.encode!(s).length, JSON.stringify(s));
});
