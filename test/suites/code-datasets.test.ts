/**
 * The code loaders on excerpts of the public files as published (test/fixtures/code,
 * licences in its README): gzip, JSON arrays, exact numbers, EvalPlus rebuilds, MBPP splits,
 * setup code and test imports; the oracle passes every item and wrong code fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DsabenchError } from '../../src/errors.js';
import { scoreCode } from '../../src/scorers/code.js';
import type { CodeTarget } from '../../src/scorers/code-program.js';
import { mbppPlusConversion } from '../../src/suites/code/evalplus.js';
import { mbppEntryPoint } from '../../src/suites/code/loaders.js';
import { LOADER_INFO, loaderInfo } from '../../src/suites/loader-info.js';
import { listSuites, loadSuite, parseLoaderSpec } from '../../src/suites/load.js';
import { LOADERS } from '../../src/suites/registry.js';
import type { Item, Suite } from '../../src/types.js';
import { packagePath } from '../../src/util/package.js';

const fx = (name: string): string => packagePath('test', 'fixtures', 'code', name);

async function oracleFailures(suite: Suite): Promise<string[]> {
  const out: string[] = [];
  for (const it of suite.items) {
    const s = await scoreCode(it.reference ?? '', it, {}, {});
    if (!s.pass) out.push(`${it.id}: ${String(s.details?.['reason'])}`);
  }
  return out;
}

const target = (it: Item): CodeTarget => it.target as CodeTarget;

test('humaneval: the published .jsonl.gz loads as is and its canonical solutions pass', async () => {
  const s = await loadSuite(`humaneval:${fx('humaneval-excerpt.jsonl.gz')}`);
  assert.deepEqual(s.items.map((i) => i.id), ['HumanEval/0', 'HumanEval/2']);
  assert.equal(s.config.name, 'humaneval:humaneval-excerpt.jsonl.gz');
  assert.deepEqual(await oracleFailures(s), []);
});

test('evalplus (HumanEval+): big integers reach the program exactly; the oracle passes, wrong code fails', async () => {
  const s = await loadSuite(`evalplus:${fx('humanevalplus-excerpt.jsonl')}`);
  assert.deepEqual(s.items.map((i) => i.id), ['HumanEval/2', 'HumanEval/32', 'HumanEval/53', 'HumanEval/79']);
  const he79 = target(s.items[3]!);
  assert.equal(he79.dataset, 'humaneval');
  assert.match(he79.inputs_json!, /\[9223372036854775807\], \[10000000000000000000000000000001\]/);
  assert.equal(he79.conversion, undefined);
  assert.deepEqual(await oracleFailures(s), []);
  // HumanEval/53 (add) with a float sum: wrong on its big integers only
  const wrong = await scoreCode('```python\ndef add(x: int, y: int):\n    return int(float(x) + float(y))\n```', s.items[2]!, {}, {});
  assert.equal(wrong.pass, false);
  assert.equal(wrong.details?.['base_passed'], true);
});

test('evalplus (MBPP+): -Infinity, plus_input {}, tuple and complex rebuilds, re.Match outputs', async () => {
  const s = await loadSuite(`evalplus:${fx('mbppplus-excerpt.jsonl')}`);
  const byId = new Map(s.items.map((i) => [i.id, i]));
  assert.equal(s.items.length, 7);
  assert.match(target(byId.get('Mbpp/404')!).inputs_json!, /-Infinity/);
  assert.equal(byId.get('Mbpp/793')!.metadata?.['plus_inputs'], 0);
  assert.equal(target(byId.get('Mbpp/106')!).conversion, 'second_arg_to_tuple');
  assert.equal(target(byId.get('Mbpp/124')!).conversion, 'float_and_complex');
  assert.equal(target(byId.get('Mbpp/2')!).conversion, 'args_to_tuples');
  assert.equal(target(byId.get('Mbpp/2')!).dataset, 'mbpp');
  assert.deepEqual(await oracleFailures(s), []);
  // Mbpp/106 wants a tuple back; a list of the same elements fails
  const asList = await scoreCode('```python\ndef add_lists(test_list, test_tup):\n    return list(test_tup) + test_list\n```', byId.get('Mbpp/106')!, {}, {});
  assert.equal(asList.pass, false);
  assert.match(String(asList.details?.['reason']), /expected \(/);
});

test('mbppPlusConversion follows the task number', () => {
  assert.equal(mbppPlusConversion('Mbpp/580'), 'all_lists_to_tuples');
  assert.equal(mbppPlusConversion('Mbpp/722'), 'dict_values_to_tuples');
  assert.equal(mbppPlusConversion('Mbpp/3'), undefined);
  assert.equal(mbppPlusConversion('HumanEval/2'), undefined);
});

test('mbpp (original): split=test keeps task ids 11-510; setup code runs after the solution', async () => {
  const all = await loadSuite(`mbpp:${fx('mbpp-excerpt.jsonl')}`);
  assert.deepEqual(all.items.map((i) => i.id), ['2', '11', '367', '511']);
  const testSplit = await loadSuite(`mbpp:${fx('mbpp-excerpt.jsonl')}?split=test`);
  assert.deepEqual(testSplit.items.map((i) => i.id), ['11', '367']);
  assert.equal(testSplit.config.name, 'mbpp:mbpp-excerpt.jsonl:split-test');
  const validation = await loadSuite(`mbpp:${fx('mbpp-excerpt.jsonl')}?split=validation`);
  assert.deepEqual(validation.items.map((i) => i.id), ['511']);
  // 367's setup code builds trees from the Node class the solution defines
  assert.match(target(all.items[2]!).test_setup_code!, /root = Node\(1\)/);
  assert.deepEqual(await oracleFailures(all), []);
  await assert.rejects(loadSuite(`mbpp:${fx('mbpp-excerpt.jsonl')}?split=dev`), (e: unknown) => e instanceof DsabenchError && e.field === 'loader.options.split');
});

test('mbpp (sanitized): the JSON array loads, test_imports are honoured', async () => {
  const s = await loadSuite(`mbpp:${fx('sanitized-mbpp-excerpt.json')}`);
  assert.deepEqual(s.items.map((i) => i.id), ['2', '98']);
  assert.deepEqual(target(s.items[1]!).test_imports, ['import math']);
  assert.equal(target(s.items[1]!).entry_point, 'multiply_num', 'the function inside math.isclose(...)');
  assert.deepEqual(await oracleFailures(s), []);
  // Without its imports the assert of task 98 (math.isclose) could not run: drop them and it fails.
  const { test_imports: _dropped, ...noImports } = target(s.items[1]!);
  const r = await scoreCode(s.items[1]!.reference!, { ...s.items[1]!, target: noImports }, {}, {});
  assert.equal(r.pass, false);
  assert.match(String(r.details?.['reason']), /NameError: name 'math'/);
});

test('mbppEntryPoint: the function the asserts call, preferring one the code defines', () => {
  assert.equal(mbppEntryPoint(['assert math.isclose(volume_sphere(10), 4188.79, rel_tol=0.001)'], 'def volume_sphere(r): ...'), 'volume_sphere');
  assert.equal(mbppEntryPoint(['assert set(similar_elements((3, 4), (4, 5))) == set((4,))'], undefined), 'similar_elements');
  assert.equal(mbppEntryPoint(['assert not text_match("ac")'], 'def helper(x): ...\ndef text_match(t): ...'), 'text_match');
  assert.equal(mbppEntryPoint(['assert sorted(f(1)) == [1]'], 'def f(x): ...'), 'f');
});

test('all invalid records at once; skip_invalid leaves them out and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-code-bad-'));
  try {
    const good = { task_id: 'T/0', prompt: 'def f():\n', canonical_solution: '    return 1\n', test: 'def check(c):\n    assert c() == 1\n', entry_point: 'f' };
    const rows = [good, { ...good, task_id: 'T/1', test: 5 }, 'not an object', { ...good, task_id: 'T/3', entry_point: undefined }];
    const file = join(dir, 'he.jsonl');
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n{broken\n');
    await assert.rejects(loadSuite(`humaneval:${file}`), (e: unknown) => {
      assert.ok(e instanceof DsabenchError);
      assert.match(e.message, /^4 invalid records: line 2 \/test: .*; line 3: expected a JSON object.*; line 4 \/entry_point: .*; line 5: line is not valid JSON/);
      return true;
    });
    const warned: string[] = [];
    const s = await loadSuite(`humaneval:${file}?skip_invalid=true`, { warn: (l) => warned.push(l) });
    assert.deepEqual(s.items.map((i) => i.id), ['T/0']);
    assert.equal(s.skipped?.length, 4);
    assert.equal(warned.length, 1);
    assert.match(warned[0]!, /left out 4 invalid records/);
    assert.equal(s.config.name, 'humaneval:he.jsonl', 'skip_invalid does not rename the suite');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a suite folder with a loader needs no prompt, kind or scorer: the loader\'s apply', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-code-folder-'));
  try {
    mkdirSync(join(dir, 's'));
    writeFileSync(join(dir, 's', 'suite.json'), JSON.stringify({ name: 'my-mbpp', loader: { name: 'mbpp', file: fx('mbpp-excerpt.jsonl'), options: { split: 'test' } } }));
    const s = await loadSuite(join(dir, 's'));
    assert.equal(s.config.kind, 'code');
    assert.equal(s.config.scorer.name, 'code');
    assert.equal(s.config.prompt.template, LOADER_INFO['mbpp']!.defaults().prompt.template);
    assert.equal(s.items.length, 2);
    const listed = listSuites([dir]);
    assert.equal(listed[listed.length - 1]!.kind, 'code');
    // a hand-written prompt still wins
    writeFileSync(join(dir, 's', 'suite.json'), JSON.stringify({ name: 'my-mbpp', prompt: { template: 'Solve: {prompt}' }, loader: { name: 'mbpp', file: fx('mbpp-excerpt.jsonl') } }));
    assert.equal((await loadSuite(join(dir, 's'))).config.prompt.template, 'Solve: {prompt}');
    // without a loader the fields stay required; an unknown loader is named
    writeFileSync(join(dir, 's', 'suite.json'), JSON.stringify({ name: 'x', items: 'items.jsonl' }));
    await assert.rejects(loadSuite(join(dir, 's')), (e: unknown) => e instanceof DsabenchError && e.code === 'E_SUITE_INVALID');
    writeFileSync(join(dir, 's', 'suite.json'), JSON.stringify({ name: 'x', loader: { name: 'nosuch', file: 'f' } }));
    await assert.rejects(loadSuite(join(dir, 's')), (e: unknown) => e instanceof DsabenchError && e.field === '/loader/name' && /unknown loader "nosuch"/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseLoaderSpec: loader, file and typed options', () => {
  const p = parseLoaderSpec('mbpp:/data/mbpp.jsonl?split=test&skip_invalid=true&n=3&flag');
  assert.deepEqual(p, { loader: 'mbpp', file: '/data/mbpp.jsonl', options: { split: 'test', skip_invalid: true, n: 3, flag: true }, query: '?split=test&skip_invalid=true&n=3&flag' });
  assert.deepEqual(parseLoaderSpec('gsm8k:test.jsonl')?.options, {});
  assert.equal(parseLoaderSpec('./folder'), null);
  assert.equal(parseLoaderSpec('math'), null);
});

test('every loader is described for `list loaders`, with defaults that validate', () => {
  for (const name of Object.keys(LOADERS)) {
    const info = loaderInfo(name);
    assert.ok(info, `${name} has no description`);
    assert.ok(info.example.startsWith(name === 'terminal-bench' || name === 'harbor' ? 'terminal:' : `${name}:`), `${name}'s example uses it`);
    assert.ok(info.defaults().prompt.template.length > 0);
  }
});
