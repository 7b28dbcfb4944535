/**
 * `dsabench validate`'s negative control: each item answered with another item's reference
 * must fail its scorer. A suite whose scorer passes any non-empty answer (here: a stray "a"
 * in every target list, so every reply containing the letter passes) checks out on the
 * oracle (100%) and nop (0%) but is reported as broken, and validate exits 1.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { swappedAnswers, UNRELATED_ANSWER } from '../../src/runner/negative-control.js';
import type { Item } from '../../src/types.js';
import { runCli, writeTrivialSuite } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-validate-negative-'));
after(() => rmSync(root, { recursive: true, force: true }));

function capitals(dir: string, targets: (city: string) => string[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'suite.json'), JSON.stringify({ name: 'capitals', kind: 'long-context', scorer: { name: 'string_match_part' }, prompt: { template: 'Capital of {country}?' } }));
  const rows = [['France', 'Paris'], ['Italy', 'Rome'], ['Norway', 'Oslo'], ['Spain', 'Madrid'], ['Japan', 'Tokyo']];
  writeFileSync(join(dir, 'items.jsonl'), rows.map(([country, city], i) => JSON.stringify({ id: `c${i}`, input: { country }, target: targets(city!), reference: `The capital is ${city}.` })).join('\n') + '\n');
  return dir;
}

describe('validate: the negative control', () => {
  it('reports a scorer that passes wrong answers as broken (exit 1), listing the items', async () => {
    const suite = capitals(join(root, 'stray'), (city) => [city, 'a']);
    const r = await runCli(['validate', suite, '--workers', '0']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /: INVALID\n/);
    assert.match(r.stdout, /PASS oracle: 5\/5 pass/);
    assert.match(r.stdout, /PASS nop: 0\/5 pass/);
    assert.match(r.stdout, /FAIL negative: 5\/5 pass \(expected 0%: each item answered with another item's reference\); the scorer passes wrong answers/);
    assert.match(r.stdout, /item c0: value 1, output "The capital is Rome\." \(item c1's reference\)/);
    const json = await runCli(['validate', suite, '--workers', '0', '--json']);
    assert.equal(json.code, 1);
    const [res] = JSON.parse(json.stdout) as Array<{ ok: boolean; checks: Array<{ check: string; ok: boolean }> }>;
    assert.deepEqual(res!.checks.map((c) => [c.check, c.ok]), [['schema', true], ['oracle', true], ['nop', true], ['negative', false]]);
  });

  it('passes a sound scorer on the same items', async () => {
    const suite = capitals(join(root, 'sound'), (city) => [city]);
    const r = await runCli(['validate', suite, '--workers', '0']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PASS negative: 0\/5 pass/);
  });

  it('a one-item suite gets a fixed unrelated reply', async () => {
    const r = await runCli(['validate', writeTrivialSuite(join(root, 'one'), 1), '--workers', '0']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /PASS negative: 0\/1 pass/);
  });

  it('never answers an item with a reference to the same target', () => {
    const items: Item[] = [
      { id: 'a', input: {}, target: '4', reference: '4' },
      { id: 'b', input: {}, target: '4', reference: '4' },
      { id: 'c', input: {}, target: '5', reference: '5' },
      { id: 'd', input: {}, target: '6' },
    ];
    const m = swappedAnswers(items);
    assert.deepEqual([...m].map(([id, v]) => [id, v.answer, v.from]), [['a', '5', 'c'], ['b', '5', 'c'], ['c', '4', 'a'], ['d', '4', 'a']]);
    assert.deepEqual(swappedAnswers([items[0]!, items[1]!]).get('a'), { answer: UNRELATED_ANSWER, from: null });
  });

  it('--help lists the checks', async () => {
    const r = await runCli(['validate', '--help']);
    assert.match(r.stdout, /negative +answering each item with another item's reference/);
  });
});
