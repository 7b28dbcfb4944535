/** The real `dsabench gate` and `dsabench report` processes: exit codes and written files. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { packagePath } from '../../src/util/package.js';
import { writeRun, type SuiteSpec } from '../reports/factories.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-gate-'));
after(() => rmSync(root, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [packagePath('bin', 'dsabench.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const suites = (passing: number, e2eMs = 800): SuiteSpec[] => [
  { name: 'math', items: 200, passing: (i) => i < passing, e2eMs },
  { name: 'code', items: 40, passRate: 0.5, attempts: 2, e2eMs },
];

describe('dsabench gate (CLI)', () => {
  const base = writeRun(root, { run_id: 'base', provider: 'openai:a', suites: suites(140) });
  const same = writeRun(root, { run_id: 'same', provider: 'openai:a', suites: suites(140) });
  const worse = writeRun(root, { run_id: 'worse', provider: 'openai:a', suites: suites(120) });

  it('exits 0 with no regression and writes gate.md and JUnit', () => {
    const md = join(root, 'ok.md');
    const xml = join(root, 'ok.xml');
    const r = cli('gate', '--baseline', base, '--current', same, '--md', md, '--junit', xml);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /gate: no regression/);
    assert.match(readFileSync(md, 'utf8'), /# dsabench gate: ✅ no regression/);
    assert.match(readFileSync(xml, 'utf8'), /<testsuites name="dsabench gate: base → same" tests="\d+" failures="0"/);
  });

  it('exits 1 on a 10-point drop, naming the suite', () => {
    const md = join(root, 'bad.md');
    const r = cli('gate', '-b', base, '-c', worse, '--md', md);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /REGRESSION math score \[openai:a\]: score fell 10\.0 pts/);
    assert.match(readFileSync(md, 'utf8'), /## Regressions\n\n- \*\*math\*\* `score`/);
  });

  it('reads --config and a summary.json baseline', () => {
    const cfg = join(root, 'gate.json');
    writeFileSync(cfg, JSON.stringify({ tolerance: 0.15 }));
    const r = cli('gate', '-b', join(base, 'summary.json'), '-c', worse, '--config', cfg, '--json', join(root, 'g.json'));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const res = JSON.parse(readFileSync(join(root, 'g.json'), 'utf8'));
    assert.equal(res.checks.find((c: { metric: string; suite: string }) => c.metric === 'score' && c.suite === 'math').test, 'two-proportion-z');
  });

  it('exits 2 on bad input: missing run, bad config, missing flag', () => {
    const missing = cli('gate', '-b', join(root, 'nope'), '-c', same);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /E_FILE_NOT_FOUND/);
    const cfg = join(root, 'bad.json');
    writeFileSync(cfg, '{"alpha": 7}');
    const bad = cli('gate', '-b', base, '-c', same, '--config', cfg);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /E_CONFIG_INVALID: .*bad\.json: \/alpha: gate config: expected a number in \(0, 1\)/);
    assert.equal(cli('gate', '-b', base).status, 2);
  });
});

describe('dsabench report (CLI)', () => {
  it('exits 2 naming the broken file, and on an unknown format', () => {
    const dir = writeRun(root, { run_id: 'broken', provider: 'p', suites: [{ name: 'math', items: 3 }] });
    writeFileSync(join(dir, 'samples.jsonl'), '{"suite": "math"}\n');
    const r = cli('report', dir, '--out', join(root, 'x'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /samples\.jsonl:1: \/item_id:/);
    assert.equal(cli('report', base(), '--format', 'pdf', '--out', join(root, 'y')).status, 2);
  });

  it('writes only the formats asked for', () => {
    const out = join(root, 'md-only');
    const r = cli('report', base(), '--format', 'md,csv', '--out', out, '--no-published', '--md-charts', 'link');
    assert.equal(r.status, 0, r.stderr);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.doesNotMatch(md, /published/);
    assert.match(md, /\n- \[Mean score per suite\]\(charts\/scores\.png\)\n/);
    assert.doesNotMatch(md, /!\[/);
    assert.equal(cli('report', base(), '--md-charts', 'inline', '--out', out).status, 2);
    assert.match(r.stdout, /report\.md\n.*leaderboard\.csv\n$/);
  });
});

function base(): string {
  return join(root, 'base');
}
