import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlainJson, parsePythonJson, toPlain, toPythonJson } from '../../src/util/lossless-json.js';

test('big integers keep every digit through parse and back to Python JSON', () => {
  const text = '[[9223372036854775807], [10000000000000000000000000000001], [-123456789012345678901234567890]]';
  assert.equal(toPythonJson(parsePythonJson(text)), text);
  // JSON.parse would have written 9223372036854775807 back as 9223372036854776000.
  assert.notEqual(JSON.stringify(JSON.parse(text)), text);
});

test('float texts stay floats: 5.0 is not written back as the int 5', () => {
  assert.equal(toPythonJson(parsePythonJson('{"a": 5.0, "b": 1e+31, "c": 0.30000000000000004}')), '{"a": 5.0, "b": 1e+31, "c": 0.30000000000000004}');
});

test('NaN, Infinity and -Infinity are accepted outside strings, left alone inside them', () => {
  const v = parsePythonJson('{"x": [NaN, Infinity, -Infinity, 1], "s": "NaN and -Infinity"}') as { x: unknown[]; s: string };
  assert.ok(Number.isNaN(v.x[0]));
  assert.equal(v.x[1], Number.POSITIVE_INFINITY);
  assert.equal(v.x[2], Number.NEGATIVE_INFINITY);
  assert.equal(v.s, 'NaN and -Infinity');
  assert.equal(toPythonJson(v), '{"x": [NaN, Infinity, -Infinity, 1], "s": "NaN and -Infinity"}');
  // a string that merely holds an escaped quote before the token is still a string
  assert.equal((parsePythonJson('["a\\"NaN", NaN]') as unknown[])[0], 'a"NaN');
});

test('toPlain: exact doubles become numbers, larger integers their exact decimal strings', () => {
  assert.deepEqual(toPlain(parsePythonJson('{"id": 11, "f": 0.5, "big": 9223372036854775807, "neg": -10000000000000000000001}')), {
    id: 11, f: 0.5, big: '9223372036854775807', neg: '-10000000000000000000001',
  });
  // a long float rounds as Python's float() does, rather than becoming a string
  assert.equal(toPlain(parsePythonJson('1.00000000000000000001')), 1);
});

test('parsePlainJson: JSON.parse where nothing can be lost, lossless otherwise, NaN accepted', () => {
  assert.deepEqual(parsePlainJson('{"a": [1, 2.5, "x"]}'), { a: [1, 2.5, 'x'] });
  assert.deepEqual(parsePlainJson('{"a": 12345678901234567890}'), { a: '12345678901234567890' });
  assert.ok(Number.isNaN((parsePlainJson('[NaN]') as number[])[0]));
});

test('text that is not JSON still throws, with the position', () => {
  assert.throws(() => parsePythonJson('{"a": nan}'), /position/);
  assert.throws(() => parsePythonJson('[1, 2'), SyntaxError);
  assert.throws(() => parsePlainJson('{"a": Inf}'));
});
