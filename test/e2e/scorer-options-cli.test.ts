/**
 * A typo in a scorer option stops `dsabench run` before its first attempt (exit 2, file,
 * line, field, what was expected) instead of scoring every attempt 0; `validate` and
 * `score --options` refuse it the same way.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, writeTrivialSuite } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-scorer-options-'));
after(() => rmSync(root, { recursive: true, force: true }));

function withScorer(dir: string, scorer: Record<string, unknown>): string {
  const f = join(dir, 'suite.json');
  const cfg = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
  writeFileSync(f, JSON.stringify({ ...cfg, scorer }, null, 2) + '\n');
  return dir;
}

describe('scorer option typos are refused before the run', () => {
  it('run: exit 2 naming suite.json, line and field; no attempt recorded', async () => {
    // Before: math with mode "loose" scored every attempt 0 with the same error.
    const suite = withScorer(writeTrivialSuite(join(root, 'loose'), 3), { name: 'math', options: { mode: 'loose' } });
    const out = join(root, 'run-loose');
    const r = await runCli(['run', '-s', suite, '-p', 'oracle', '--out', out, '--workers', '0', '-q']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`E_SUITE_INVALID: ${join(suite, 'suite.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7: /scorer/options/mode: scorer "math" option: expected one of "flexible", "strict", got "loose"`));
    assert.ok(!existsSync(join(out, 'samples.jsonl')), 'no attempt ran');
    // Before: exact_match ignored an unknown key and ran case-sensitively.
    const typo = withScorer(writeTrivialSuite(join(root, 'typo'), 3), { name: 'exact_match', options: { ignore_cse: true } });
    const t = await runCli(['run', '-s', typo, '-p', 'oracle', '--out', join(root, 'run-typo'), '--workers', '0', '-q']);
    assert.equal(t.code, 2, t.stderr);
    assert.match(t.stderr, /suite\.json:7: \/scorer\/options\/ignore_cse: scorer "exact_match" option: unknown field \(expected one of: ignore_case\)/);
  });

  it('validate: the schema check fails (exit 1)', async () => {
    const suite = withScorer(writeTrivialSuite(join(root, 'validate'), 3), { name: 'code', options: { timeout_s: '10' } });
    const r = await runCli(['validate', suite]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAIL schema: E_SUITE_INVALID: .*suite\.json:7: \/scorer\/options\/timeout_s: scorer "code" option: expected number, got "10"/);
  });

  it('score --options: exit 2 naming the option', async () => {
    const preds = join(root, 'preds.jsonl');
    writeFileSync(preds, '{"id":"1","output":"A","target":"a"}\n');
    const bad = await runCli(['score', '--scorer', 'exact_match', '--in', preds, '--options', '{"ignorecase":true}']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /E_USAGE: --options\/ignorecase: scorer "exact_match" option: unknown field \(expected one of: ignore_case\)/);
    const good = await runCli(['score', '--scorer', 'exact_match', '--in', preds, '--options', '{"ignore_case":true}']);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /"pass":true/);
  });
});
