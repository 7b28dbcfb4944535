/**
 * `dsabench run --resume` after the suite files changed: refused (exit 2) naming the suite,
 * nothing in the run folder touched; --rerun-changed reruns only the changed suite, and
 * run.json's config_hash is then the hash of what every sample was evaluated on.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AttemptRecord, RunManifest } from '../../src/types.js';
import { runCli, writeTrivialSuite } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-resume-changed-'));
after(() => rmSync(root, { recursive: true, force: true }));

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const manifestOf = (dir: string): RunManifest => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunManifest;

describe('--resume after the suite files changed', () => {
  it('is refused naming the suite; --rerun-changed reruns that suite only and re-hashes', async () => {
    const a = writeTrivialSuite(join(root, 'a'), 4, 'alpha');
    const b = writeTrivialSuite(join(root, 'b'), 4, 'beta');
    const out = join(root, 'run');
    const common = ['-p', 'oracle', '--workers', '0', '--no-cache', '-q'];
    const first = await runCli(['run', '-s', a, b, ...common, '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    const m0 = manifestOf(out);
    assert.deepEqual(Object.keys(m0.suite_hashes ?? {}).sort(), ['alpha', 'beta']);
    // As if the run had stopped after 6 of its 8 attempts.
    const samples = join(out, 'samples.jsonl');
    const kept = lines(samples).slice(0, 6);
    writeFileSync(samples, kept.join('\n') + '\n');
    // An edited item of suite alpha.
    const items = join(a, 'items.jsonl');
    const edited = lines(items).map((l, i) => (i === 1 ? JSON.stringify({ id: 't1', input: { x: 1 }, target: 'one', reference: 'one' }) : l));
    writeFileSync(items, edited.join('\n') + '\n');

    const refused = await runCli(['run', '--resume', out, '--workers', '0', '-q']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /E_USAGE: .*run: resume: the suite files changed since this run started \(config hash \w+ → \w+\): suite "alpha" changed \(its suite\.json or items differ\)/);
    assert.match(refused.stderr, /--rerun-changed/);
    assert.doesNotMatch(refused.stderr, /suite "beta"/);
    assert.deepEqual(lines(samples), kept, 'samples.jsonl untouched');
    assert.deepEqual(manifestOf(out), m0, 'run.json untouched');

    const rerun = await runCli(['run', '--resume', out, '--rerun-changed', '--workers', '0']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, /suite files changed \(suite "alpha" changed .*\): running their 4 finished attempts again/);
    const after = lines(samples);
    const recs = after.map((l) => JSON.parse(l) as AttemptRecord);
    assert.equal(recs.length, 8);
    assert.deepEqual(after.filter((l) => (JSON.parse(l) as AttemptRecord).suite === 'beta').slice(0, 2), kept.filter((l) => (JSON.parse(l) as AttemptRecord).suite === 'beta'), 'beta\'s finished attempts kept as they were');
    assert.equal(recs.find((r) => r.suite === 'alpha' && r.item_id === 't1')!.output, 'one', 'alpha ran on the edited items');
    const m1 = manifestOf(out);
    assert.notEqual(m1.config_hash, m0.config_hash);
    assert.equal(m1.status, 'complete');

    // The hash now is what a fresh run of the same files gets.
    const fresh = join(root, 'fresh');
    assert.equal((await runCli(['run', '-s', a, b, ...common, '--out', fresh])).code, 0);
    assert.equal(manifestOf(fresh).config_hash, m1.config_hash);
    // And a plain resume of it raises nothing.
    const again = await runCli(['run', '--resume', out, '--workers', '0', '-q']);
    assert.equal(again.code, 0, again.stderr);
  });

  it('--rerun-changed without --resume is a usage error', async () => {
    const r = await runCli(['run', '-s', 'example', '-p', 'oracle', '--rerun-changed']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--rerun-changed needs --resume/);
  });
});
