import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuite } from '../../src/suites/load.js';
import { scoreCode } from '../../src/scorers/code.js';
import { LOADERS } from '../../src/suites/registry.js';
import type { Item, Score } from '../../src/types.js';

async function scoreAll(items: Item[], reply: (it: Item) => string, concurrency = 3): Promise<Score[]> {
  const out: Score[] = new Array<Score>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await scoreCode(reply(items[i]!), items[i]!, { timeout_s: 10 }, {});
    }
  }));
  return out;
}

test('built-in code suite: ≥60 Python and ≥20 JavaScript tasks, easy to hard; oracle 100%, nop 0%, wrong 0%', async () => {
  const suite = await loadSuite('code');
  assert.equal(suite.config.kind, 'code');
  assert.equal(suite.config.scorer.name, 'code');
  const py = suite.items.filter((i) => i.metadata?.['language'] === 'python');
  const js = suite.items.filter((i) => i.metadata?.['language'] === 'javascript');
  assert.ok(py.length >= 60, `${py.length} Python tasks`);
  assert.ok(js.length >= 20, `${js.length} JavaScript tasks`);
  for (const group of [py, js]) {
    const levels = group.map((i) => String(i.metadata?.['difficulty']));
    assert.deepEqual([...new Set(levels)], ['easy', 'medium', 'hard'], 'ordered easy → medium → hard');
  }
  const ids = new Set(suite.items.map((i) => i.id));
  assert.equal(ids.size, suite.items.length);

  const oracle = await scoreAll(suite.items, (it) => it.reference ?? '');
  const failedOracle = suite.items.filter((_, i) => !oracle[i]!.pass).map((it, i) => `${it.id}: ${String(oracle[i]!.details?.['reason'])}`);
  assert.deepEqual(failedOracle, [], 'every canonical solution passes');

  // A wrong solution (right signature, wrong result) fails every task; so does an empty reply.
  const wrong = await scoreAll(suite.items, (it) => {
    const t = it.target as { language: string; prompt: string };
    return t.language === 'python' ? '```python\n' + t.prompt + '    return None\n```' : '```javascript\n' + t.prompt + '  return undefined;\n}\n```';
  });
  const passedWrong = suite.items.filter((_, i) => wrong[i]!.pass).map((it) => it.id);
  assert.deepEqual(passedWrong, [], 'wrong solutions must fail');
  assert.ok(wrong.every((s) => s.details?.['verdict'] === 'failed'));
  const nop = await Promise.all(suite.items.slice(0, 5).map((it) => scoreCode('', it, {}, {})));
  assert.ok(nop.every((s) => !s.pass && s.details?.['verdict'] === 'error'));
});

function tmpFile(name: string, lines: unknown[]): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-code-loader-'));
  const file = join(dir, name);
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return { dir, file };
}

test('humaneval loader: HumanEval jsonl → items with the canonical solution as reference', async () => {
  const { dir, file } = tmpFile('he.jsonl', [
    { task_id: 'HumanEval/0', prompt: 'def inc(x):\n    """Add one."""\n', canonical_solution: '    return x + 1\n', test: 'def check(candidate):\n    assert candidate(1) == 2\n', entry_point: 'inc' },
  ]);
  try {
    const suite = await loadSuite(`humaneval:${file}`);
    assert.equal(suite.items[0]!.id, 'HumanEval/0');
    assert.deepEqual(suite.items[0]!.input, { prompt: 'def inc(x):\n    """Add one."""\n', language: 'python' });
    assert.match(suite.items[0]!.reference!, /^```python\ndef inc\(x\):[\s\S]*return x \+ 1\n```$/);
    assert.equal((await scoreCode(suite.items[0]!.reference!, suite.items[0]!, {}, {})).pass, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mbpp, evalplus and livecodebench loaders', async () => {
  const mb = tmpFile('mbpp.jsonl', [
    { task_id: 11, text: 'Write a function to square a number.', code: 'def square(x):\n    return x * x', test_setup_code: '', test_list: ['assert square(3) == 9', 'assert square(-2) == 4'], challenge_test_list: [] },
  ]);
  const ep = tmpFile('plus.jsonl', [
    { task_id: 'HumanEval/1', prompt: 'def dbl(x):\n', canonical_solution: '    return 2 * x\n', entry_point: 'dbl', base_input: [[1], [2]], plus_input: [[10 ** 6], [-3]], atol: 0 },
  ]);
  const lcb = tmpFile('lcb.jsonl', [
    { question_id: 'abc001_a', question_title: 'Sum', question_content: 'Read two integers and print their sum.', platform: 'atcoder', difficulty: 'easy', starter_code: '',
      public_test_cases: JSON.stringify([{ input: '1 2\n', output: '3\n', testtype: 'stdin' }]), private_test_cases: 'eJzLSM3JyQcABiwCFQ==', metadata: '{}',
      solution: 'a, b = map(int, input().split())\nprint(a + b)' },
    { question_id: 'lc1', question_title: 'Two sum', question_content: 'Return indices.', platform: 'leetcode', starter_code: 'class Solution:\n    def twoSum(self, nums, target):\n        ',
      public_test_cases: [{ input: '[3, 3]\n6', output: '[0, 1]', testtype: 'functional' }], metadata: { func_name: 'twoSum' },
      solution: 'class Solution:\n    def twoSum(self, nums, target):\n        return [0, 1]' },
  ]);
  try {
    const m = await loadSuite(`mbpp:${mb.file}`);
    assert.equal(m.items[0]!.id, '11');
    assert.equal((m.items[0]!.target as { entry_point: string }).entry_point, 'square');
    assert.match(String(m.items[0]!.input['tests']), /square\(3\)/);
    assert.equal((await scoreCode(m.items[0]!.reference!, m.items[0]!, {}, {})).pass, true);

    const e = await loadSuite(`evalplus:${ep.file}`);
    assert.equal((await scoreCode(e.items[0]!.reference!, e.items[0]!, {}, {})).pass, true);
    assert.equal((await scoreCode('```python\ndef dbl(x):\n    return x + 2 if x < 3 else 2 * x\n```', e.items[0]!, {}, {})).pass, false);

    const l = await loadSuite(`livecodebench:${lcb.file}`);
    assert.equal(l.items.length, 2);
    assert.equal((l.items[0]!.target as { format: string }).format, 'stdio');
    assert.equal((l.items[1]!.target as { format: string }).format, 'functional');
    for (const it of l.items) assert.equal((await scoreCode(it.reference!, it, {}, {})).pass, true, it.id);
    assert.equal((await scoreCode('```python\nprint(0)\n```', l.items[0]!, {}, {})).pass, false);
  } finally {
    for (const d of [mb.dir, ep.dir, lcb.dir]) rmSync(d, { recursive: true, force: true });
  }
});

test('loaders report the file, line and field of bad input', async () => {
  const { dir, file } = tmpFile('bad.jsonl', [
    { task_id: 'a', prompt: 'def f():\n', test: 'x', entry_point: 'f' },
    { task_id: 'b', prompt: 'def g():\n', entry_point: 'g' },
  ]);
  try {
    await assert.rejects(Promise.resolve().then(() => LOADERS['humaneval']!(file, {})), (err: Error & { line?: number; field?: string }) => {
      assert.equal(err.line, 2);
      assert.equal(err.field, '/test');
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
