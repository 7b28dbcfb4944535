import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { validator } from '../../src/suites/schema.js';
import type { AttemptRecord, RunManifest, RunSummary } from '../../src/types.js';
import { runCli, writeTrivialSuite } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-run-'));
after(() => rmSync(root, { recursive: true, force: true }));

function readRun(dir: string): { manifest: RunManifest; samples: AttemptRecord[]; summary: RunSummary; csv: string[] } {
  return {
    manifest: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunManifest,
    samples: readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord),
    summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary,
    csv: readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n'),
  };
}

describe('dsabench run (real CLI)', () => {
  it('oracle and nop on the example suite: files valid against the published schemas', async () => {
    const out = join(root, 'r1');
    const res = await runCli(['run', '--suite', 'example', '--provider', 'oracle', 'nop', '--repeats', '2', '--workers', '1', '--out', out, '--cache', join(root, 'c.sqlite')]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /example\s+oracle\s+40\s+100\.0%/);
    assert.match(res.stdout, /example\s+nop\s+40\s+0\.0%/);
    assert.match(res.stderr, /80\/80 100%/); // final progress line (not a TTY: plain lines)
    const { manifest, samples, summary, csv } = readRun(out);
    const [vRun, vSample, vSummary] = [validator('run'), validator('sample'), validator('summary')];
    assert.ok(vRun(manifest), JSON.stringify(vRun.errors));
    for (const s of samples) assert.ok(vSample(s), JSON.stringify(vSample.errors));
    assert.ok(vSummary(summary), JSON.stringify(vSummary.errors));
    assert.equal(manifest.status, 'complete');
    assert.deepEqual(manifest.providers, ['oracle', 'nop']);
    assert.deepEqual(manifest.suites, ['example']);
    assert.match(manifest.config_hash, /^[0-9a-f]{16}$/);
    assert.equal((manifest.machine as { cpus: number }).cpus > 0, true);
    assert.equal(samples.length, 80);
    assert.equal(new Set(samples.map((s) => `${s.provider}/${s.item_id}/${s.attempt}`)).size, 80);
    assert.ok(samples.every((s) => s.run_id === manifest.run_id));
    assert.deepEqual(summary.suites.map((s) => [s.provider, s.mean, s.pass_at_k]), [['oracle', 1, { '1': 1, '2': 1 }], ['nop', 0, { '1': 0, '2': 0 }]]);
    assert.deepEqual(summary.suites[0]!.breakdowns, { by_metadata: { digits: { '1': { n: 20, mean: 1 }, '2': { n: 20, mean: 1 } } } });
    assert.equal(csv.length, 81);
  });

  it('replay re-scores a previous run\'s samples.jsonl without any model', async () => {
    const first = join(root, 'to-replay');
    assert.equal((await runCli(['run', '-s', 'example', '-p', 'oracle', '--repeats', '2', '-q', '--workers', '0', '--out', first])).code, 0);
    const out = join(root, 'replayed');
    const res = await runCli(['run', '-s', 'example', '-p', `replay:${join(first, 'samples.jsonl')}`, '--repeats', '2', '-q', '--workers', '0', '--out', out]);
    assert.equal(res.code, 0, res.stderr);
    const { samples, summary } = readRun(out);
    assert.equal(samples.length, 40);
    assert.ok(samples.every((s) => s.error === null && s.score.pass));
    assert.equal(summary.suites[0]!.mean, 1);
  });

  it('the same settings give the same config hash; --limit and --seed change it', async () => {
    const hashes: string[] = [];
    for (const extra of [[], [], ['--limit', '3'], ['--seed', '4']]) {
      const out = join(root, `h${hashes.length}`);
      const res = await runCli(['run', '-s', 'example', '-p', 'nop', '-q', '--workers', '0', '--out', out, ...extra]);
      assert.equal(res.code, 0, res.stderr);
      hashes.push(readRun(out).manifest.config_hash);
    }
    assert.equal(hashes[0], hashes[1]);
    assert.notEqual(hashes[0], hashes[2]);
    assert.notEqual(hashes[0], hashes[3]);
  });

  it('--config file with flags overriding it; a bad config exits 2 naming the field', async () => {
    const cfg = join(root, 'run-config.json');
    writeFileSync(cfg, JSON.stringify({ suites: ['example'], providers: ['oracle', { spec: 'nop' }], limit: 5, repeats: 1, workers: 0 }));
    const out = join(root, 'cfg');
    const res = await runCli(['run', '--config', cfg, '--limit', '2', '--quiet', '--json', '--out', out]);
    assert.equal(res.code, 0, res.stderr);
    const summary = JSON.parse(res.stdout) as RunSummary;
    assert.deepEqual(summary.suites.map((s) => [s.provider, s.n]), [['oracle', 2], ['nop', 2]]);
    assert.equal(res.stderr, '');
    writeFileSync(cfg, JSON.stringify({ suites: ['example'], repeats: 'three' }));
    const bad = await runCli(['run', '--config', cfg]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /E_CONFIG_INVALID: .*run-config\.json: \/repeats: expected integer, got "three"/);
  });

  it('exit 2 for bad suites, providers and flags, with the place in the message', async () => {
    const broken = join(root, 'broken');
    writeTrivialSuite(broken, 3);
    writeFileSync(join(broken, 'items.jsonl'), '{"input":{"x":1},"target":"1"}\n{"input":{"y":1},"target":"1"}\n');
    const cases: Array<[string[], RegExp]> = [
      [['run', '-s', broken, '-p', 'oracle'], /E_ITEMS_INVALID: .*items\.jsonl:2: \/input\/x: prompt template uses \{x\}/],
      [['run', '-s', 'no-such-suite'], /E_SUITE_NOT_FOUND/],
      [['run', '-s', 'example', '-p', 'telepathy:x'], /E_PROVIDER_SPEC/],
      [['run', '--repeats', '0'], /expected an integer >= 1/],
      [['run', '--resume', root, '-s', 'example'], /--resume continues the stored configuration/],
      [['run', '--bogus-flag'], /unknown option/],
      [['run', '-s', 'example', '-p', 'nop', '--out', join(root, 'r1')], /already holds a run; continue it with --resume/],
    ];
    for (const [args, re] of cases) {
      const res = await runCli(args);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, re);
    }
  });

  it('every command has help with examples', async () => {
    for (const c of [['run'], ['list'], ['list', 'suites'], ['validate'], ['score']]) {
      const res = await runCli([...c, '--help']);
      assert.equal(res.code, 0);
      assert.match(res.stdout, /Examples:\n\s+\$ dsabench /, c.join(' '));
    }
  });
});

describe('dsabench validate / score / list (real CLI)', () => {
  it('validate: a good suite passes every check; a suite where nop scores fails with exit 1', async () => {
    const good = await runCli(['validate', 'example', '--workers', '0']);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /example: VALID\n {2}PASS schema: suite\.json and 20 items valid\n {2}PASS oracle: 20\/20 pass \(expected 100%\)\n {2}PASS nop: 0\/20 pass \(expected 0%\)/);

    const leaky = writeTrivialSuite(join(root, 'leaky'), 3);
    writeFileSync(join(leaky, 'items.jsonl'), '{"id":"a","input":{"x":1},"target":"1","reference":"1"}\n{"id":"b","input":{"x":2},"target":"","reference":""}\n{"id":"c","input":{"x":3},"target":"3","reference":"4"}\n');
    const bad = await runCli(['validate', leaky, '--workers', '0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /INVALID/);
    assert.match(bad.stdout, /FAIL oracle: 2\/3 pass \(expected 100%\)\n\s+item c: value 0, output "4"/);
    assert.match(bad.stdout, /FAIL nop: 1\/3 pass \(expected 0%\)\n\s+item b: value 1, output ""/);

    const broken = join(root, 'not-a-suite');
    mkdirSync(broken);
    writeFileSync(join(broken, 'suite.json'), '{"name": "x"}');
    const schema = await runCli(['validate', broken]);
    assert.equal(schema.code, 1);
    assert.match(schema.stdout, /FAIL schema: E_SUITE_INVALID: .*suite\.json: \/kind: missing required field/);
  });

  it('score: one JSON line per input, in order', async () => {
    const file = join(root, 'preds.jsonl');
    writeFileSync(file, ['{"id":"a","output":"42","target":"42"}', '{"id":7,"output":"Yes","target":["yes","y"]}', '{"output":"x","target":"y"}', ''].join('\n'));
    const res = await runCli(['score', '--scorer', 'exact_match', '--in', file, '--options', '{"ignore_case":true}']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown), [
      { id: 'a', value: 1, pass: true, details: {} },
      { id: '7', value: 1, pass: true, details: {} },
      { id: '2', value: 0, pass: false, details: {} },
    ]);
    writeFileSync(file, '{"id":"a","output":42,"target":"42"}\n');
    const bad = await runCli(['score', '--scorer', 'exact_match', '--in', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /preds\.jsonl:1: \/output: expected a string "output"/);
  });

  it('list suites / scorers / providers', async () => {
    const userDir = join(root, 'user-suites');
    writeTrivialSuite(join(userDir, 'mine'), 4, 'mine');
    const suites = await runCli(['list', 'suites', '--dir', userDir, '--json']);
    assert.equal(suites.code, 0, suites.stderr);
    const listed = JSON.parse(suites.stdout) as Array<{ name: string; builtin: boolean; items: number }>;
    assert.ok(listed.some((s) => s.name === 'example' && s.builtin && s.items === 20));
    assert.ok(listed.some((s) => s.name === join(userDir, 'mine') && !s.builtin && s.items === 4));
    const scorers = await runCli(['list', 'scorers']);
    assert.ok(scorers.stdout.split('\n').includes('exact_match'));
    const providers = await runCli(['list', 'providers']);
    assert.match(providers.stdout, /oracle\s+answers each item's reference/);
  });
});
