import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DsabenchError } from '../../src/errors.js';
import { collectRecords, InvalidRecordsError, MAX_LISTED, parseRecords, readRecords, skipInvalidOption } from '../../src/suites/records.js';

const tmp = mkdtempSync(join(tmpdir(), 'dsabench-records-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const f = join(tmp, name);
  writeFileSync(f, content);
  return f;
}

const ROWS = '{"id": 1, "x": "a"}\n{"id": 2, "x": "b"}\n';

test('gzip is recognised by its bytes, whatever the name; the text is the same', () => {
  for (const name of ['r.jsonl.gz', 'r.jsonl']) {
    const r = readRecords(write(name, gzipSync(Buffer.from(ROWS))));
    assert.equal(r.format, 'jsonl');
    assert.deepEqual(r.rows.map((x) => x.value), [{ id: 1, x: 'a' }, { id: 2, x: 'b' }]);
    assert.deepEqual(r.rows.map((x) => x.where.line), [1, 2]);
  }
  assert.throws(() => readRecords(write('bad.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3]))), /does not decompress/);
});

test('a JSON array of records (compact or pretty-printed), with positions as pointers', () => {
  for (const text of ['[{"id": 1}, {"id": 2}]', '[\n  {\n    "id": 1\n  },\n  {\n    "id": 2\n  }\n]\n', '\ufeff[{"id": 1}, {"id": 2}]']) {
    const r = parseRecords(text, 'f.json');
    assert.equal(r.format, 'array');
    assert.deepEqual(r.rows.map((x) => [x.index, x.where.pointer, x.where.line]), [[0, '/0', undefined], [1, '/1', undefined]]);
  }
  // JSONL whose records are arrays is still JSONL
  const jl = parseRecords('[1, 2]\n[3]\n', 'f.jsonl');
  assert.equal(jl.format, 'jsonl');
  assert.equal(jl.rows.length, 2);
  // a broken array is one error, at its line
  assert.throws(() => parseRecords('[\n  {"id": 1},\n  {"id": 2\n]\n', 'f.json'), (e: unknown) => e instanceof DsabenchError && /not a valid JSON array/.test(e.message) && e.line === 4);
});

test('JSONL lines that are not JSON are collected, not thrown one by one', () => {
  const r = parseRecords('{"a": 1}\nnot json\n\n{"a": 2}\n{"a": \n', 'f.jsonl');
  assert.deepEqual(r.rows.map((x) => x.value), [{ a: 1 }, { a: 2 }]);
  assert.deepEqual(r.problems.map((p) => p.line), [2, 5]);
  // ids stay those of the whole file: the record after a bad line keeps its position
  assert.deepEqual(r.rows.map((x) => x.index), [0, 2]);
});

test('numbers: plain by default (big integers as exact strings), lossless on request', () => {
  const text = '{"n": 9223372036854775807, "v": -Infinity}\n';
  const plain = parseRecords(text, 'f').rows[0]!.value as Record<string, unknown>;
  assert.equal(plain['n'], '9223372036854775807');
  assert.equal(plain['v'], Number.NEGATIVE_INFINITY);
  const lossless = parseRecords(text, 'f', { lossless: true }).rows[0]!.value as Record<string, { value: string }>;
  assert.equal(lossless['n']!.value, '9223372036854775807');
});

function needX(row: { value: unknown; where: { file: string; line?: number } }): string {
  const v = (row.value as { x?: unknown }).x;
  if (typeof v !== 'string') throw new DsabenchError('E_ITEMS_INVALID', 'x must be a string', { file: row.where.file, ...(row.where.line !== undefined ? { line: row.where.line } : {}), field: '/x' });
  return v;
}

test('collectRecords: every invalid record in one error, listing the first MAX_LISTED', () => {
  const lines = Array.from({ length: 30 }, (_, i) => (i % 5 === 0 ? `{"x": "ok${i}"}` : `{"x": ${i}}`));
  lines[3] = 'garbage';
  const f = write('many.jsonl', lines.join('\n') + '\n');
  let caught: unknown;
  try {
    collectRecords(readRecords(f), f, needX, { skipInvalid: false });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InvalidRecordsError);
  assert.equal(caught.problems.length, 24);
  assert.equal(caught.line, 2, 'the error points at the first bad line');
  assert.match(caught.message, /^24 invalid records: line 2 \/x: x must be a string; /);
  assert.match(caught.message, /line 4: line is not valid JSON/);
  assert.match(caught.message, /… and 4 more/);
  assert.equal((caught.message.match(/line \d+/g) ?? []).length, MAX_LISTED);
  assert.match(caught.message, /skip_invalid/);
});

test('collectRecords with skip_invalid: the valid records, and a line per record left out', () => {
  const f = write('some.jsonl', '{"x": "a"}\n{"x": 1}\n{"x": "b"}\n');
  const { items, skipped } = collectRecords(readRecords(f), f, needX, { skipInvalid: true });
  assert.deepEqual(items, ['a', 'b']);
  assert.deepEqual(skipped, ['line 2 /x: x must be a string']);
  // null leaves a record out on purpose (another split), without a problem
  const only = collectRecords(readRecords(f), f, (r) => (r.index === 0 ? 'first' : null), { skipInvalid: false });
  assert.deepEqual(only.items, ['first']);
  assert.throws(() => collectRecords(readRecords(write('empty.jsonl', '\n\n')), 'empty.jsonl', needX, { skipInvalid: false }), /no records/);
});

test('skip_invalid must be a boolean', () => {
  assert.equal(skipInvalidOption({}), false);
  assert.equal(skipInvalidOption({ skip_invalid: true }), true);
  assert.throws(() => skipInvalidOption({ skip_invalid: 'yes' }), (e: unknown) => e instanceof DsabenchError && e.field === 'loader.options.skip_invalid');
});
