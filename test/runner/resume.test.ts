/** The resume check: which suites changed, what is dropped, and the refusal's wording. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DsabenchError } from '../../src/errors.js';
import { checkResume, suiteChanges } from '../../src/runner/resume.js';
import type { AttemptRecord } from '../../src/types.js';

const rec = (suite: string, item: string): AttemptRecord => ({ suite, item_id: item } as unknown as AttemptRecord);

describe('resume check', () => {
  it('same hash: nothing changed, nothing dropped', () => {
    assert.deepEqual(suiteChanges({ a: '1' }, { a: '1' }, 'h', 'h'), []);
    assert.deepEqual(checkResume('/r', { config_hash: 'h', suite_hashes: { a: '1' } }, { a: '1' }, 'h', [rec('a', 'x')], false).drop.size, 0);
  });

  it('names changed, new and vanished suites', () => {
    const c = suiteChanges({ a: '1', b: '2', old: '3' }, { a: '1', b: '9', renamed: '3' }, 'h0', 'h1');
    assert.deepEqual(c.map((x) => x.suite).sort(), ['b', 'old', 'renamed']);
  });

  it('a run.json without per-suite hashes: every suite counts as changed', () => {
    const r = checkResume('/r', { config_hash: 'h0' }, { a: '1', b: '2' }, 'h1', [rec('a', 'x'), rec('b', 'y')], true);
    assert.deepEqual([...r.drop].sort(), ['a', 'b']);
  });

  it('same suites but another hash (settings): every finished attempt is dropped', () => {
    const r = checkResume('/r', { config_hash: 'h0', suite_hashes: { a: '1' } }, { a: '1' }, 'h1', [rec('a', 'x')], true);
    assert.ok(r.drop.has('a'));
    assert.deepEqual(r.changes, ['the stored settings hash differently']);
  });

  it('refuses without rerunChanged, counting the affected attempts', () => {
    assert.throws(
      () => checkResume('/runs/r1', { config_hash: 'h0', suite_hashes: { a: '1', b: '2' } }, { a: '1', b: '3' }, 'h1', [rec('a', 'x'), rec('b', 'y'), rec('b', 'z')], false),
      (e: unknown) => e instanceof DsabenchError && e.code === 'E_USAGE' && e.file === '/runs/r1' && e.field === 'resume'
        && /config hash h0 → h1\): suite "b" changed \(its suite\.json or items differ\)\. The 2 finished attempt\(s\) of that suite were made with the old files/.test(e.message)
        && /--resume \/runs\/r1 --rerun-changed/.test(e.message),
    );
  });
});
