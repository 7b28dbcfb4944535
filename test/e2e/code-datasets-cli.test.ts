/**
 * The CLI on excerpts of the published code files (test/fixtures/code): `list`, `list
 * loaders`, `validate` with progress and per-failure reasons, and the error that lists every
 * invalid record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/util/package.js';
import { runCli } from './cli-helpers.js';

const fx = (name: string): string => packagePath('test', 'fixtures', 'code', name);

test('bare `dsabench list` says what can be listed, and exits 0', async () => {
  const r = await runCli(['list']);
  assert.equal(r.code, 0, r.stderr);
  for (const what of ['suites', 'loaders', 'scorers', 'providers']) assert.match(r.stdout, new RegExp(`dsabench list ${what}`));
  assert.equal((await runCli(['list', 'nonsense'])).code, 2);
});

test('`dsabench list loaders`: each loader with its format, an example and its options', async () => {
  const r = await runCli(['list', 'loaders']);
  assert.equal(r.code, 0, r.stderr);
  for (const name of ['gsm8k', 'math', 'math500', 'aime', 'longbench2', 'humaneval', 'mbpp', 'evalplus', 'livecodebench', 'terminal']) {
    assert.match(r.stdout, new RegExp(`^${name}( |$)`, 'm'), name);
  }
  assert.match(r.stdout, /also terminal-bench, harbor/);
  assert.match(r.stdout, /dsabench run -s 'evalplus:HumanEvalPlus\.jsonl\.gz' -p oracle/);
  assert.match(r.stdout, /split: all \(default\), test \(task ids 11-510/);
  const j = await runCli(['list', 'loaders', 'mbpp', '--json']);
  assert.equal(j.code, 0, j.stderr);
  const parsed = JSON.parse(j.stdout) as Array<{ name: string; options: Record<string, string> }>;
  assert.deepEqual(parsed.map((d) => d.name), ['mbpp']);
  assert.ok('split' in parsed[0]!.options && 'skip_invalid' in parsed[0]!.options);
  assert.equal((await runCli(['list', 'loaders', 'nosuch'])).code, 2);
});

test('`dsabench validate` on the published layouts: valid, with progress on stderr', async () => {
  const r = await runCli(['validate', `evalplus:${fx('mbppplus-excerpt.jsonl')}`, `mbpp:${fx('mbpp-excerpt.jsonl')}?split=test`, `humaneval:${fx('humaneval-excerpt.jsonl.gz')}`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /evalplus:.*mbppplus-excerpt\.jsonl.*: VALID/);
  assert.match(r.stdout, /PASS oracle: 7\/7 pass/);
  assert.match(r.stdout, /mbpp:mbpp-excerpt\.jsonl:split-test\): VALID/);
  assert.match(r.stdout, /PASS oracle: 2\/2 pass/);
  assert.match(r.stderr, /21\/21 attempts scored \(oracle, nop, negative control\)/);
});

test('`dsabench validate` names each failing item with the scorer\'s reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-validate-reasons-'));
  try {
    const file = join(dir, 'he.jsonl');
    const task = (id: string, body: string) => ({ task_id: id, prompt: 'def f(x):\n', canonical_solution: body, test: 'def check(c):\n    assert c(2) == 4\n', entry_point: 'f' });
    writeFileSync(file, [task('ok', '    return x * 2\n'), task('bad', '    return x + 3\n')].map((t) => JSON.stringify(t)).join('\n') + '\n');
    const r = await runCli(['validate', `humaneval:${file}`]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL oracle: 1\/2 pass/);
    assert.match(r.stdout, /item bad: value 0, output "```python\\ndef f\(x\):\\n    return x \+ 3\\n```"\n\s+reason: AssertionError/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file with invalid records: all listed in one failed schema check; ?skip_invalid=true runs the rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-invalid-'));
  try {
    const file = join(dir, 'mbpp.jsonl');
    const ok = { text: 'Square.', code: 'def sq(x):\n    return x * x', task_id: 11, test_setup_code: '', test_list: ['assert sq(3) == 9'], challenge_test_list: [] };
    writeFileSync(file, [ok, { ...ok, task_id: 12, test_list: 'assert sq(2) == 4' }, { ...ok, task_id: 13, text: undefined }].map((t) => JSON.stringify(t)).join('\n') + '\n');
    const r = await runCli(['validate', `mbpp:${file}`]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /2 invalid records: line 2 \/test_list: .*; line 3 \/prompt: .*skip_invalid/);
    const s = await runCli(['validate', `mbpp:${file}?skip_invalid=true`]);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stderr, /left out 2 invalid records/);
    assert.match(s.stdout, /PASS oracle: 1\/1 pass/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
