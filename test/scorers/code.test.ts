import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractCode, stripThinking } from '../../src/scorers/code-extract.js';
import { candidateSource, humanevalProgram, stdoutMatches, parseCodeTarget } from '../../src/scorers/code-program.js';
import { scoreCode } from '../../src/scorers/code.js';
import { getScorer } from '../../src/scorers/index.js';
import type { Item } from '../../src/types.js';

const PROMPT = 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """Add."""\n';
const heItem = (lang: 'python' | 'javascript' = 'python'): Item => (lang === 'python'
  ? { id: 'he', input: {}, target: { format: 'humaneval', language: 'python', prompt: PROMPT, test: 'def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n', entry_point: 'add' } }
  : { id: 'hejs', input: {}, target: { format: 'humaneval', language: 'javascript', prompt: 'function add(a, b) {\n', test: "const assert = require('node:assert');\nfunction check(c) { assert.strictEqual(c(2, 3), 5); }\n", entry_point: 'add' } });

test('extraction: fenced block of the right language, entry point preferred, bare text, think blocks', () => {
  const reply = 'Here:\n```js\nconst x = 1;\n```\n```python\nprint("usage")\n```\n```python\ndef add(a, b):\n    return a + b\n```\nDone.';
  assert.equal(extractCode(reply, 'python', 'add'), 'def add(a, b):\n    return a + b');
  assert.equal(extractCode(reply, 'javascript'), 'const x = 1;');
  assert.equal(extractCode('    return a + b\n', 'python'), '    return a + b\n');
  assert.equal(extractCode('```\nplain\n```', 'python'), 'plain');
  assert.equal(extractCode('```python\ndef f():\n    return 1', 'python'), 'def f():\n    return 1', 'unclosed fence runs to the end');
  assert.equal(extractCode('<think>```python\nwrong\n```</think>```python\nright\n```', 'python'), 'right');
  assert.equal(stripThinking('a<think>never closed'), 'a');
  assert.equal(extractCode('   \n', 'python'), '');
});

test('HumanEval assembly: body completions continue the prompt, full definitions do not double it', () => {
  const t = parseCodeTarget(heItem().target, 'he');
  const body = humanevalProgram(t, '    return a + b\n');
  assert.equal(body.split('def add').length, 2);
  assert.ok(body.startsWith(PROMPT + '    return a + b'));
  assert.match(body, /check\(add\);\n$/);
  const full = candidateSource(PROMPT, 'def add(a: int, b: int) -> int:\n    return a + b', 'add', 'python');
  assert.equal(full.split('def add').length, 2, 'prompt doubled');
  assert.ok(full.startsWith('from typing import List'), 'imports before the definition are kept');
  // a flush-left body gets indented
  assert.match(candidateSource(PROMPT, 'return a + b', 'add', 'python'), /\n {4}return a \+ b/);
  const js = candidateSource('/** doc */\nfunction add(a, b) {\n', 'function add(a, b) { return a + b; }', 'add', 'javascript');
  assert.equal(js.split('function add').length, 2);
});

test('stdout comparison: stripped lines, then token-wise decimals', () => {
  assert.equal(stdoutMatches('1 2\n3\n', '1 2\n3'), true);
  assert.equal(stdoutMatches('  1 2  \n3\n\n', '1 2\n3'), true);
  assert.equal(stdoutMatches('0.50000000001\n', '0.5'), true);
  assert.equal(stdoutMatches('1.0 2\n', '1 2'), true);
  assert.equal(stdoutMatches('1 2 3', '1 2'), false);
  assert.equal(stdoutMatches('abc', 'abd'), false);
  assert.equal(stdoutMatches('1\n2', '1'), false);
});

test('verdicts: passed, failed, timeout, error (no code, syntax error)', async () => {
  const it = heItem();
  const pass = await scoreCode('```python\ndef add(a, b):\n    return a + b\n```', it, {}, {});
  assert.equal(pass.pass, true);
  assert.equal(pass.value, 1);
  assert.equal(pass.details?.['verdict'], 'passed');
  const body = await scoreCode('    return a + b\n', it, {}, {});
  assert.equal(body.pass, true, String(body.details?.['reason']));
  const wrong = await scoreCode('```python\ndef add(a, b):\n    return a - b\n```', it, {}, {});
  assert.deepEqual([wrong.pass, wrong.value, wrong.details?.['verdict']], [false, 0, 'failed']);
  assert.match(String(wrong.details?.['reason']), /AssertionError/);
  const slow = await scoreCode('```python\ndef add(a, b):\n    while True: pass\n```', it, { timeout_s: 1 }, {});
  assert.equal(slow.details?.['verdict'], 'timeout');
  const none = await scoreCode('', it, {}, {});
  assert.deepEqual([none.pass, none.details?.['verdict']], [false, 'error']);
  const syntax = await scoreCode('```python\ndef add(a, b)\n    return a + b\n```', it, {}, {});
  assert.equal(syntax.details?.['verdict'], 'error');
  assert.match(String(syntax.details?.['reason']), /SyntaxError/);
  assert.equal(getScorer('code'), getScorer('code'));
});

test('JavaScript programs run under node', async () => {
  const it = heItem('javascript');
  const ok = await scoreCode('```javascript\nfunction add(a, b) {\n  return a + b;\n}\n```', it, {}, {});
  assert.equal(ok.pass, true, String(ok.details?.['reason']));
  const body = await scoreCode('  return a + b;\n}\n', it, {}, {});
  assert.equal(body.pass, true, String(body.details?.['reason']));
  const bad = await scoreCode('```js\nfunction add(a, b) { return a * b; }\n```', it, {}, {});
  assert.deepEqual([bad.pass, bad.details?.['verdict']], [false, 'failed']);
});

test('MBPP: setup + code + asserts; challenge tests only on request', async () => {
  const it: Item = { id: 'm', input: {}, target: { format: 'mbpp', language: 'python', test_setup_code: 'K = 2', test_list: ['assert twice(3) == 6'], challenge_test_list: ['assert twice(0) == 1'], entry_point: 'twice' } };
  const good = '```python\ndef twice(x):\n    return K * x\n```';
  assert.equal((await scoreCode(good, it, {}, {})).pass, true);
  assert.equal((await scoreCode(good, it, { challenge: true }, {})).pass, false);
});

test('EvalPlus: base and plus inputs compared with the canonical solution', async () => {
  const it: Item = {
    id: 'ep', input: {},
    target: { format: 'evalplus', language: 'python', prompt: 'def half(x):\n', canonical_solution: '    return x / 2\n', entry_point: 'half', base_input: [[2], [4]], plus_input: [[3], [1e9 + 1]], atol: 0 },
  };
  const good = await scoreCode('```python\ndef half(x):\n    return x * 0.5\n```', it, {}, {});
  assert.equal(good.pass, true, String(good.details?.['reason']));
  assert.deepEqual([good.details?.['base_passed'], good.details?.['plus_passed']], [true, true]);
  const intdiv = await scoreCode('```python\ndef half(x):\n    return x // 2\n```', it, {}, {});
  assert.equal(intdiv.pass, false);
  assert.deepEqual([intdiv.details?.['base_passed'], intdiv.details?.['plus_passed']], [true, false]);
  assert.equal((await scoreCode('```python\ndef half(x):\n    return x // 2\n```', it, { evalplus: 'base' }, {})).pass, true);
});

test('stdio and functional (LiveCodeBench-style) tests', async () => {
  const io: Item = { id: 's', input: {}, target: { format: 'stdio', language: 'python', tests: [{ input: '2 3\n', output: '5\n' }, { input: '10 -4\n', output: '6' }] } };
  const ok = await scoreCode('```python\na, b = map(int, input().split())\nprint(a + b)\n```', io, {}, {});
  assert.equal(ok.pass, true, String(ok.details?.['reason']));
  assert.equal(ok.details?.['tests_passed'], 2);
  const bad = await scoreCode('```python\na, b = map(int, input().split())\nprint(a * b if a == 10 else a + b)\n```', io, {}, {});
  assert.deepEqual([bad.pass, bad.details?.['tests_passed'], bad.details?.['reason']], [false, 1, 'test 1: wrong output']);
  const js: Item = { id: 'sj', input: {}, target: { format: 'stdio', language: 'javascript', tests: [{ input: '4\n', output: '16\n' }] } };
  const jsOk = await scoreCode("```js\nconst n = Number(require('fs').readFileSync(0, 'utf8')); console.log(n * n);\n```", js, {}, {});
  assert.equal(jsOk.pass, true, String(jsOk.details?.['reason']));
  const fn: Item = { id: 'f', input: {}, target: { format: 'functional', language: 'python', func_name: 'twoSum', tests: [{ input: '[2, 7, 11]\n9', output: '[0, 1]' }] } };
  const fOk = await scoreCode('```python\nclass Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i\n```', fn, {}, {});
  assert.equal(fOk.pass, true, String(fOk.details?.['reason']));
});

test('a bad target is an input error naming the field', () => {
  assert.throws(() => parseCodeTarget({ format: 'humaneval', language: 'python', prompt: 'x' }, 'i1'), /test/);
  assert.throws(() => parseCodeTarget({ format: 'humaneval', language: 'cobol' }, 'i2'), /language/);
  assert.throws(() => parseCodeTarget('nope', 'i3'), /object/);
});

test('a demo __main__ block in a function reply does not run; ESM export is accepted in JavaScript', async () => {
  const demo = '```python\ndef add(a, b):\n    return a + b\n\nif __name__ == "__main__":\n    print(add(int(input()), 1))\n```';
  const r = await scoreCode(demo, heItem(), {}, {});
  assert.equal(r.pass, true, String(r.details?.['reason']));
  const js = await scoreCode('```js\nexport function add(a, b) {\n  return a + b;\n}\n```', heItem('javascript'), {}, {});
  assert.equal(js.pass, true, String(js.details?.['reason']));
  // stdin programs still run as __main__
  const io: Item = { id: 's', input: {}, target: { format: 'stdio', language: 'python', tests: [{ input: '3\n', output: '4' }] } };
  const main = await scoreCode('```python\ndef main():\n    print(int(input()) + 1)\n\nif __name__ == "__main__":\n    main()\n```', io, {}, {});
  assert.equal(main.pass, true, String(main.details?.['reason']));
});

test('the unsafe opt-out still scores (no namespaces; rlimits and the wall clock only)', async () => {
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    const ok = await scoreCode('```python\ndef add(a, b):\n    return a + b\n```', heItem(), {}, { unsafeNoSandbox: true });
    assert.deepEqual([ok.pass, ok.details?.['isolation']], [true, 'none']);
    const bad = await scoreCode('```python\ndef add(a, b):\n    return 0\n```', heItem(), {}, { unsafeNoSandbox: true });
    assert.equal(bad.pass, false);
  } finally {
    process.stderr.write = orig;
  }
});
