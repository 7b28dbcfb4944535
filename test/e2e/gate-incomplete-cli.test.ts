/**
 * `dsabench gate` on real `dsabench run` folders: a --limit or interrupted current run fails
 * the gate (exit 1) naming the missing items, unless --allow-missing.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, writeTrivialSuite } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-gate-whole-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('dsabench gate: an incomplete current run fails', () => {
  const suite = join(root, 'suite');
  const base = join(root, 'base');
  const limited = join(root, 'limited');
  before(async () => {
    writeTrivialSuite(suite, 15);
    const common = ['-s', suite, '-p', 'oracle', '--workers', '0', '-q', '--no-cache'];
    const a = await runCli(['run', ...common, '--out', base]);
    assert.equal(a.code, 0, a.stderr);
    const b = await runCli(['run', ...common, '--limit', '2', '--out', limited]);
    assert.equal(b.code, 0, b.stderr);
  });

  it('a --limit 2 run of a 15-item suite: exit 1, the first 10 missing ids and a count', async () => {
    const r = await runCli(['gate', '-b', base, '-c', limited, '-q']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /INCOMPLETE current run \S+: made with --limit 2/);
    assert.match(r.stdout, /INCOMPLETE trivial \[oracle\]: 13 item\(s\) of the baseline missing from the current run: t10, t11, t12, t13, t14, t2, t3, t4, t5, t6 and 3 more/);
    assert.match(r.stdout, /gate: INCOMPLETE \(0 of \d+ checks, 13 item\(s\) missing\)/);
  });

  it('--allow-missing (or gate.json fail_on_missing_items: false) compares the shared items and exits 0', async () => {
    const r = await runCli(['gate', '-b', base, '-c', limited, '--allow-missing']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /allowed +trivial \[oracle\]: 13 item\(s\)/);
    assert.match(r.stdout, /gate: no regression \(\d+ checks\) \(allowed: 13 missing item\(s\), made with --limit 2\)/);
    const cfg = join(root, 'gate.json');
    writeFileSync(cfg, JSON.stringify({ fail_on_missing_items: false }));
    assert.equal((await runCli(['gate', '-b', base, '-c', limited, '--config', cfg, '-q'])).code, 0);
  });

  it('an interrupted current run fails even with every item present', async () => {
    const cur = join(root, 'interrupted');
    cpSync(base, cur, { recursive: true });
    const f = join(cur, 'run.json');
    writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), status: 'interrupted' }));
    const r = await runCli(['gate', '-b', base, '-c', cur, '-q']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /INCOMPLETE current run \S+: status "interrupted"/);
    assert.match(r.stdout, /gate: INCOMPLETE \(0 of \d+ checks, current run interrupted\)/);
    assert.equal((await runCli(['gate', '-b', base, '-c', cur, '-q', '--allow-missing'])).code, 0);
  });

  it('--help says so', async () => {
    const r = await runCli(['gate', '--help']);
    assert.match(r.stdout, /--allow-missing/);
    assert.match(r.stdout, /lacks items the baseline has/);
  });
});
