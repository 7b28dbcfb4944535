import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/util/package.js';
import { parsePositions } from '../../src/cli/cost.js';

const bin = packagePath('bin', 'dsabench.js');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'cost', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('positions parse K and M suffixes', () => {
  assert.deepEqual(parsePositions('1K,2k, 128K,5000,1M'), [1024, 2048, 131072, 5000, 1048576]);
  assert.throws(() => parsePositions('4Q'), /not a position/);
});

test('dsabench cost --no-measure writes cost.json, cost.csv and tables', () => {
  const out = mkdtempSync(join(tmpdir(), 'dsab-cost-'));
  const r = run(['--no-measure', '--positions', '1K,4K,128K', '--out', out, '--hardware', 'h100']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /## decode/);
  assert.match(r.stdout, /Published vs projected/);
  const j = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
  assert.equal(j.profile, 'deepseek-v3.2');
  assert.equal(j.hardware, 'h100');
  assert.equal(j.published.hardware, 'h800'); // the published figures' GPU
  assert.equal(j.measured, false);
  assert.match(j.timer, /^unsupported/);
  assert.equal(j.points.length, 12);
  assert.equal(j.points[0].ms_median, null);
  const csv = readFileSync(join(out, 'cost.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 13);
  assert.match(csv[0]!, /^mode,position,length,attention/);
});

test('--json prints JSON; --quality adds fidelity rows', () => {
  const r = run(['--no-measure', '--profile', 'builtin-small', '--positions', '128,1K', '--mode', 'decode', '--json', '--quality', '--k', '16,64']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.profile, 'builtin-small');
  assert.deepEqual(j.quality.map((q: { k: number }) => q.k), [16, 64]);
  assert.equal(j.published, undefined);
});

test('--runs integrates a run; bad inputs exit 2 with clear messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsab-run-'));
  writeFileSync(join(dir, 'samples.jsonl'), JSON.stringify({ run_id: 'x', suite: 's', item_id: '1', usage: { prompt_tokens: 3000, completion_tokens: 500, total_tokens: 3500 } }) + '\n');
  const ok = run(['--no-measure', '--positions', '1K,8K', '--runs', dir, '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const j = JSON.parse(ok.stdout);
  assert.equal(j.workload[0].attempts, 1);
  assert.equal(j.workload[0].cost.ratio_basis, 'projected');

  const cases: Array<[string[], RegExp]> = [
    [['--profile', 'nope'], /E_PROFILE.*unknown profile "nope"/],
    [['--price-per-hour', '0'], /E_OPTION.*price-per-hour.*positive/],
    [['--price-per-hour', '-3'], /E_OPTION.*price/],
    [['--positions', '0,1K'], /E_OPTION.*position 0 is out of range/],
    [['--positions', '256K'], /E_OPTION.*position 262144 is out of range/],
    [['--mode', 'train'], /E_OPTION.*unknown mode "train"/],
    [['--hardware', 'tpu'], /E_PROFILE.*unknown hardware/],
    [['--repeats', '0'], /E_OPTION.*repeats/],
  ];
  for (const [args, re] of cases) {
    const r = run(['--no-measure', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const empty = mkdtempSync(join(tmpdir(), 'dsab-run-'));
  writeFileSync(join(empty, 'samples.jsonl'), JSON.stringify({ run_id: 'x', usage: null }) + '\n');
  const r = run(['--no-measure', '--runs', empty]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /E_INPUT_INVALID.*samples\.jsonl.*no attempt in this run has token counts/);
});

test('--schema prints the JSON Schema', () => {
  const r = run(['--schema']);
  assert.equal(r.status, 0);
  assert.equal(JSON.parse(r.stdout).title, 'dsabench cost.json');
});
