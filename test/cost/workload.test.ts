import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DsabenchError } from '../../src/errors.js';
import { layerCost, nonAttentionFlops } from '../../src/cost/analytic.js';
import { loadProfile } from '../../src/cost/profiles.js';
import { integrateRun, readRunAttempts, sumCurve, workloadCurves } from '../../src/cost/workload.js';
import { packageRoot as packageRootForTests } from '../../src/util/package.js';

const small = loadProfile('builtin-small');

function record(over: Record<string, unknown>): string {
  return JSON.stringify({
    run_id: 'r1', suite: 'math', item_id: '0', provider: 'nop', attempt: 0, input_hash: 'h', output: '',
    score: { value: 0, pass: false }, usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    timings: null, cost: null, error: null, ...over,
  });
}

function runDir(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'dsab-run-'));
  writeFileSync(join(dir, 'samples.jsonl'), lines.join('\n') + '\n');
  return dir;
}

test('sumCurve is exact on linear pieces', () => {
  const c = { xs: [1, 10, 20], ys: [1, 10, 30] };
  // Σ_{n=1..10} n = 55; Σ_{n=11..20} (10 + 2(n−10)) = 100 + 110 = 210
  assert.equal(sumCurve(c, 1, 10), 55);
  assert.equal(sumCurve(c, 11, 20), 210);
  assert.equal(sumCurve(c, 1, 20), 265);
  assert.equal(sumCurve(c, 5, 4), 0);
  // Extrapolates linearly past the end: n = 21, 22 → 32, 34.
  assert.equal(sumCurve(c, 21, 22), 66);
});

test('turns come from metadata.turns, else usage; attempts without counts are skipped', () => {
  const dir = runDir([
    record({ item_id: 'a' }),
    record({ item_id: 'b', suite: 'terminal', metadata: { turns: [{ prompt_tokens: 100, completion_tokens: 20 }, { prompt_tokens: 150, completion_tokens: 30 }] } }),
    record({ item_id: 'c', usage: null, error: 'boom' }),
  ]);
  const r = readRunAttempts(dir);
  assert.equal(r.run_id, 'r1');
  assert.equal(r.skipped, 1);
  assert.deepEqual(r.attempts.map((a) => a.turns), [
    [{ prompt_tokens: 10, completion_tokens: 5 }],
    [{ prompt_tokens: 100, completion_tokens: 20 }, { prompt_tokens: 150, completion_tokens: 30 }],
  ]);
});

test('attempts replayed from the response cache are left out and counted apart, unless the run counts them', () => {
  const lines = [
    record({ item_id: 'a' }),
    record({ item_id: 'b', cached: true, usage: { prompt_tokens: 1000, completion_tokens: 50, total_tokens: 1050 } }),
    record({ item_id: 'c', cached: false }),
  ];
  const dir = runDir(lines);
  const r = readRunAttempts(dir);
  assert.equal(r.cached, 1);
  assert.deepEqual(r.attempts.map((a) => a.item_id), ['a', 'c']);
  const run = integrateRun(r, workloadCurves(small, []));
  assert.equal(run.tokens.prompt, 20);
  assert.equal(run.cached, 1);
  // run.json with count_cached: true counts them like fresh ones
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ run_id: 'r1', config: { count_cached: true } }));
  const counted = readRunAttempts(dir);
  assert.equal(counted.cached, 0);
  assert.equal(integrateRun(counted, workloadCurves(small, [])).tokens.prompt, 1020);
  // only cached attempts: the error says why nothing is left
  const onlyCached = runDir([record({ cached: true })]);
  assert.throws(() => readRunAttempts(onlyCached), (e: unknown) => e instanceof DsabenchError && /1 of them replayed from the response cache/.test(e.message));
});

test('integration re-reads the growing context of each turn (FLOPs exact)', () => {
  const dir = runDir([record({ metadata: { turns: [{ prompt_tokens: 100, completion_tokens: 20 }, { prompt_tokens: 150, completion_tokens: 30 }] } })]);
  const run = integrateRun(readRunAttempts(dir), workloadCurves(small, []));
  // Dense FLOPs per token at n: layers·attn(n) + 2·active; Σ over n = 1..120 and n = 1..180.
  const per = (n: number) => small.layers * layerCost(small, { mode: 'decode', attention: 'dense', position: n }).flops + nonAttentionFlops(small);
  let expected = 0;
  for (let n = 1; n <= 120; n++) expected += per(n);
  for (let n = 1; n <= 180; n++) expected += per(n);
  assert.ok(Math.abs(run.cost.dense.flops - expected) / expected < 1e-9);
  assert.equal(run.tokens.prompt, 250);
  assert.equal(run.turns, 2);
  // Short contexts (< k = 64? no: k = 64 here) → sparse cheaper only past k.
  assert.equal(run.cost.ratio_basis, 'flops');
  assert.equal(run.suites.length, 1);
  assert.equal(run.items.length, 1);
});

test('longer contexts cost more; sparse never costs more than dense + indexer', () => {
  const dir = runDir([
    record({ item_id: 'short', usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } }),
    record({ item_id: 'long', usage: { prompt_tokens: 5000, completion_tokens: 10, total_tokens: 5010 } }),
  ]);
  const run = integrateRun(readRunAttempts(dir), workloadCurves(small, []));
  const [s, l] = run.items;
  assert.ok(l!.cost.dense.flops > s!.cost.dense.flops);
  assert.ok(l!.cost.sparse.flops < l!.cost.dense.flops);
  assert.ok(l!.cost.ratio > 1);
});

test('a run dir without token counts is a clear error', () => {
  const dir = runDir([record({ usage: null }), record({ usage: { total_tokens: 3 } })]);
  assert.throws(() => readRunAttempts(dir), (e: unknown) => e instanceof DsabenchError && e.code === 'E_INPUT_INVALID' && /token counts/.test(e.message) && e.file!.endsWith('samples.jsonl'));
  const empty = mkdtempSync(join(tmpdir(), 'dsab-run-'));
  assert.throws(() => readRunAttempts(empty), (e: unknown) => e instanceof DsabenchError && e.code === 'E_FILE_NOT_FOUND');
  assert.throws(() => readRunAttempts(join(empty, 'nope')), (e: unknown) => e instanceof DsabenchError && e.code === 'E_FILE_NOT_FOUND');
  const badTurns = runDir([record({ metadata: { turns: [{ prompt_tokens: -1, completion_tokens: 2 }] } })]);
  assert.throws(() => readRunAttempts(badTurns), (e: unknown) => e instanceof DsabenchError && e.field === '/metadata/turns/0' && e.line === 1);
  mkdirSync(join(empty, 'x'));
});

test('the shipped sample workload integrates: long contexts gain most from DSA', () => {
  const v32 = loadProfile('deepseek-v3.2');
  const r = readRunAttempts(join(packageRootForTests(), 'test', 'cost', 'fixtures', 'run-sample'));
  assert.equal(r.attempts.length, 17);
  assert.equal(r.skipped, 1);
  const run = integrateRun(r, workloadCurves(v32, [], undefined, undefined, 140_000));
  const by = Object.fromEntries(run.suites.map((s) => [s.suite, s.cost.ratio]));
  assert.ok(by['long-context']! > by['terminal']!);
  assert.ok(by['long-context']! > 3);
  assert.equal(run.turns, 8 + 6 + 36);
});
