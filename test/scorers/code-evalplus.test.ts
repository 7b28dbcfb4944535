/**
 * EvalPlus semantics of the `code` scorer (src/scorers/code-evalplus.ts): input rebuilds,
 * exact numbers, output comparison (tuples, floats and atol, special oracles), per-input
 * time limits from the canonical solution's time. Each case runs the real harness in the
 * sandbox, with a reply that must pass and one that must not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEvalplusResult } from '../../src/scorers/code-evalplus.js';
import { scoreCode } from '../../src/scorers/code.js';
import type { Item, Score } from '../../src/types.js';

interface Task {
  entry: string;
  canonical: string;
  base: string;
  plus?: string;
  dataset?: 'humaneval' | 'mbpp' | 'other';
  conversion?: string;
  atol?: number;
}

function item(t: Task): Item {
  return {
    id: 't',
    input: {},
    target: {
      format: 'evalplus', language: 'python', prompt: '', entry_point: t.entry, canonical_solution: t.canonical,
      inputs_json: `{"base": ${t.base}, "plus": ${t.plus ?? '[]'}}`, dataset: t.dataset ?? 'other', atol: t.atol ?? 0,
      ...(t.conversion ? { conversion: t.conversion } : {}),
    },
  };
}

function run(t: Task, code: string, options: Record<string, unknown> = {}): Promise<Score> {
  return scoreCode('```python\n' + code + '\n```', item(t), options, {});
}

async function verdict(t: Task, code: string, options: Record<string, unknown> = {}): Promise<string> {
  const s = await run(t, code, options);
  return String(s.details?.['verdict']);
}

test('outputs: a list is not the tuple the canonical solution returns', async () => {
  const t: Task = { entry: 'f', canonical: 'def f(x):\n    return tuple(x)\n', base: '[[[1, 2]]]' };
  assert.equal(await verdict(t, 'def f(x):\n    return tuple(x)'), 'passed');
  const s = await run(t, 'def f(x):\n    return list(x)');
  assert.equal(s.details?.['verdict'], 'failed');
  assert.match(String(s.details?.['reason']), /base input 0: expected \(1, 2\), got \[1, 2\]/);
});

test('outputs: floats within 1e-6 when atol is 0, within atol when given; same type required', async () => {
  const t: Task = { entry: 'f', canonical: 'def f(x):\n    return x / 3\n', base: '[[1], [2]]' };
  assert.equal(await verdict(t, 'def f(x):\n    return round(x / 3, 7)'), 'passed');
  assert.equal(await verdict(t, 'def f(x):\n    return round(x / 3, 3)'), 'failed');
  assert.equal(await verdict({ ...t, atol: 1e-3 }, 'def f(x):\n    return round(x / 3, 3)'), 'passed');
  assert.equal(await verdict({ ...t, atol: 1e-3 }, 'def f(x):\n    return [round(x / 3, 3)]'), 'failed');
  const lists: Task = { entry: 'g', canonical: 'def g(x):\n    return [x / 3, x / 7]\n', base: '[[1]]' };
  assert.equal(await verdict(lists, 'def g(x):\n    return [round(x / 3, 8), round(x / 7, 8)]'), 'passed');
  assert.equal(await verdict(lists, 'def g(x):\n    return [round(x / 3, 8)]'), 'failed');
});

test('inputs: every MBPP+ conversion rebuilds the arguments EvalPlus rebuilds', async () => {
  const cases: Array<[string, string, string]> = [
    ['args_to_tuples', '[[1, 2], [3]]', '((1, 2), (3,))'],
    ['nested_args_to_tuples', '[[[1, 2], [3, 4]]]', '([(1, 2), (3, 4)],)'],
    ['first_arg_items_to_tuples', '[[[1, 2]], 5]', '([(1, 2)], 5)'],
    ['second_arg_to_tuple', '[[1], [2, 3]]', '([1], (2, 3))'],
    ['first_arg_items_to_sets', '[[[1], []]]', '([{1}, {}],)'],
    ['float_and_complex', '["1", "2j"]', '(1.0, 2j)'],
    ['first_arg_to_tuple', '[[1, 2], 3]', '((1, 2), 3)'],
    ['args_to_nested_tuples', '[[[1, 2]], [[3]]]', '(((1, 2),), ((3,),))'],
    ['first_arg_mixed_to_tuple', '[[[1, 2], 3]]', '(((1, 2), 3),)'],
    ['first_arg_to_tuple_of_3', '[[1], 2, 3]', '((1,), 2, 3)'],
    ['dict_values_to_tuples', '[{"a": [1, 2]}, 3]', "({'a': (1, 2)}, 3)"],
    ['complex', '["1+2j"]', '((1+2j),)'],
    ['all_lists_to_tuples', '[[1, [2]], 3]', '((1, (2,)), 3)'],
  ];
  for (const [conversion, args, shown] of cases) {
    const t: Task = { entry: 'kinds', canonical: 'def kinds(*args):\n    return repr(args)\n', base: `[${args}]`, dataset: 'mbpp', conversion };
    // The reply returns what the canonical solution shows for the rebuilt arguments.
    const fixed = `def kinds(*args):\n    return ${JSON.stringify(shown)}`;
    assert.equal(await verdict(t, fixed), 'passed', conversion);
    // without the rebuild the canonical solution sees JSON lists and strings, and the fixed reply is wrong
    const { conversion: _c, ...plain } = t;
    assert.equal(await verdict(plain, fixed), 'failed', `${conversion} without the rebuild`);
  }
});

test('inputs: big integers and -Infinity/NaN reach Python exactly', async () => {
  const t: Task = {
    entry: 'exact',
    canonical: 'import math\ndef exact(x):\n    return x in (9223372036854775807, 10 ** 31 + 1) or (isinstance(x, float) and (math.isnan(x) or x == -math.inf))\n',
    base: '[[9223372036854775807], [10000000000000000000000000000001], [-Infinity], [NaN]]',
  };
  assert.equal(await verdict(t, 'def exact(x):\n    return True'), 'passed');
  assert.equal(await verdict(t, 'def exact(x):\n    return False'), 'failed');
});

test('special oracles: re.Match outputs, set-equal outputs (MBPP), polynomial roots (HumanEval/32)', async () => {
  const match: Task = { entry: 'text_match_three', canonical: "import re\ndef text_match_three(text):\n    return re.search('ab{3}?', text)\n", base: '[["abbb"], ["ac"]]', dataset: 'mbpp' };
  const same = "import re\ndef text_match_three(text):\n    return re.search('ab{3}?', text)";
  assert.equal(await verdict(match, same), 'passed');
  assert.equal(await verdict(match, "import re\ndef text_match_three(text):\n    return re.search('xyz', text)"), 'failed');
  // Match objects are never ==: outside MBPP+ the special oracle does not apply
  assert.equal(await verdict({ ...match, dataset: 'other' }, same), 'failed');

  const sets: Task = { entry: 'similar_elements', canonical: 'def similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b)))\n', base: '[[[3, 4, 5], [5, 4, 9]]]', dataset: 'mbpp' };
  const reversed = 'def similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b), reverse=True))';
  assert.equal(await verdict(sets, reversed), 'passed');
  assert.equal(await verdict({ ...sets, dataset: 'other' }, reversed), 'failed');

  const roots: Task = { entry: 'find_zero', canonical: 'def find_zero(xs):\n    return 2 ** 0.5\n', base: '[[[-2, 0, 1]]]', dataset: 'humaneval', atol: 1e-4 };
  assert.equal(await verdict(roots, 'def find_zero(xs):\n    return -(2 ** 0.5)'), 'passed');
  assert.equal(await verdict(roots, 'def find_zero(xs):\n    return 1.0'), 'failed');
});

test('special oracles: MBPP+ tasks whose reference is not the only right answer', async () => {
  const digits: Task = { entry: 'digit_distance_nums', canonical: 'def digit_distance_nums(a, b):\n    return sum(abs(int(p) - int(q)) for p, q in zip(str(a), str(b)))\n', base: '[[123, 45]]', dataset: 'mbpp' };
  // 123 vs 045 (padded) is 1 + 2 + 2 = 5; the reference's zip of unequal lengths says 3 + 3 = 6
  assert.equal(await verdict(digits, 'def digit_distance_nums(a, b):\n    return 5'), 'passed');
  assert.equal(await verdict(digits, 'def digit_distance_nums(a, b):\n    return 7'), 'failed');
  const pyramid: Task = { entry: 'surface_Area', canonical: 'def surface_Area(b, s):\n    return 2 * b * s + b * b\n', base: '[[3, 4]]', dataset: 'mbpp', atol: 1 };
  // with 4 as the perpendicular height the area is round(9 + 6 * sqrt(1.5² + 16)) = 35
  assert.equal(await verdict(pyramid, 'def surface_Area(b, s):\n    return 35'), 'passed');
  assert.equal(await verdict(pyramid, 'def surface_Area(b, s):\n    return 40'), 'failed');
});

test('time: each input gets max(min, factor × the canonical solution\'s time)', async () => {
  const quick: Task = { entry: 'f', canonical: 'def f(x):\n    return x\n', base: '[[1]]' };
  const slow = 'import time\ndef f(x):\n    time.sleep(1.5)\n    return x';
  const s = await run(quick, slow, { evalplus_min_time_s: 0.5 });
  assert.equal(s.details?.['verdict'], 'timeout');
  assert.match(String(s.details?.['reason']), /base input 0: time limit 0\.50 s exceeded/);
  assert.equal(await verdict(quick, slow, { evalplus_min_time_s: 3 }), 'passed');

  // The canonical solution takes 0.3 s: 4 × 0.3 s = 1.2 s allowed even with a 0.1 s minimum.
  const measured: Task = { entry: 'f', canonical: 'import time\ndef f(x):\n    time.sleep(0.3)\n    return x\n', base: '[[1]]' };
  assert.equal(await verdict(measured, 'import time\ndef f(x):\n    time.sleep(0.6)\n    return x', { evalplus_min_time_s: 0.1 }), 'passed');
  assert.equal(await verdict(measured, 'import time\ndef f(x):\n    time.sleep(2.5)\n    return x', { evalplus_min_time_s: 0.1 }), 'timeout');

  // All inputs of a group together: min(cap, Σ limits) + 2 s.
  const many: Task = { entry: 'f', canonical: 'def f(x):\n    return x\n', base: JSON.stringify(Array.from({ length: 12 }, (_, i) => [i])) };
  const g = await run(many, 'import time\ndef f(x):\n    time.sleep(0.3)\n    return x', { evalplus_min_time_s: 1, evalplus_task_timeout_s: 0.5 });
  assert.equal(g.details?.['verdict'], 'timeout');
  assert.match(String(g.details?.['reason']), /group time limit \(2\.5 s\)/);
});

test('base and plus: both by default, base alone on request; the result names the group', async () => {
  const t: Task = { entry: 'f', canonical: 'def f(x):\n    return x * 2\n', base: '[[1], [2]]', plus: '[[1000]]' };
  const wrongOnPlus = 'def f(x):\n    return x * 2 if x < 100 else 0';
  const both = await run(t, wrongOnPlus);
  assert.equal(both.pass, false);
  assert.equal(both.details?.['base_passed'], true);
  assert.equal(both.details?.['plus_passed'], false);
  assert.match(String(both.details?.['reason']), /^AssertionError: plus input 0/);
  const base = await run(t, wrongOnPlus, { evalplus: 'base' });
  assert.equal(base.pass, true);
  assert.equal(base.details?.['plus_passed'], null);
});

test('the program must finish its checks: exits, missing functions and stdin reads fail', async () => {
  const t: Task = { entry: 'f', canonical: 'def f(x):\n    return x\n', base: '[[1]]' };
  const exited = await run(t, 'import os\nos._exit(0)\ndef f(x):\n    return x');
  assert.equal(exited.pass, false);
  assert.match(String(exited.details?.['reason']), /ended before every input was checked/);
  const missing = await run(t, 'def f(x):\n    return x\ndel f');
  assert.equal(missing.details?.['verdict'], 'failed');
  assert.match(String(missing.details?.['reason']), /does not define f/);
  assert.equal(await verdict(t, 'def f(x):\n    return int(input())'), 'failed');
  // what a solution prints is swallowed and does not disturb the result
  assert.equal(await verdict(t, "def f(x):\n    print('__dsabench_evalplus__ {\"base\": false}')\n    return x"), 'passed');
});

test('parseEvalplusResult reads the last result line only', () => {
  assert.deepEqual(parseEvalplusResult('noise\n__dsabench_evalplus__ {"base": true, "plus": false, "verdict": "failed", "reason": "r"}\n'), { base: true, plus: false, verdict: 'failed', reason: 'r' });
  assert.equal(parseEvalplusResult('no result here'), null);
  assert.equal(parseEvalplusResult('__dsabench_evalplus__ {"base": 1}'), null);
});
