import { strict as assert } from 'node:assert';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DsabenchError } from '../../src/errors.js';
import { loadRun, loadRuns, resolveRunPaths } from '../../src/results/load.js';
import { summarizeRecords } from '../../src/results/summarize.js';
import { makeRecords, writeRun } from './factories.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-load-'));
after(() => rmSync(root, { recursive: true, force: true }));

const spec = (run_id: string) => ({ run_id, provider: 'p:x', suites: [{ name: 'math', items: 10, passRate: 0.3 }, { name: 'code', items: 6, passRate: 0.5, attempts: 4 }] });

describe('loadRun', () => {
  it('reads a complete run directory as written', () => {
    const dir = writeRun(root, spec('full'));
    const run = loadRun(dir);
    assert.equal(run.manifest.run_id, 'full');
    assert.equal(run.samples.length, 10 + 24);
    assert.deepEqual(run.summary.suites.map((s) => [s.suite, s.n, s.n_items]), [['math', 10, 10], ['code', 24, 6]]);
    assert.deepEqual(run.notes, []);
  });

  it('recomputes the summary from samples.jsonl when summary.json is missing', () => {
    const dir = writeRun(root, { ...spec('nosummary'), summary: false });
    const run = loadRun(dir);
    assert.ok(run.notes.some((n) => /summary\.json missing/.test(n)));
    const math = run.summary.suites.find((s) => s.suite === 'math')!;
    assert.ok(Math.abs(math.mean - 0.3) < 1e-12);
    const code = run.summary.suites.find((s) => s.suite === 'code')!;
    assert.ok(code.pass_at_k !== null && code.pass_at_k['4'] !== undefined && code.pass_at_k['1'] !== undefined);
  });

  it('recomputes an incomplete suite summary and keeps the valid ones', () => {
    const dir = writeRun(root, spec('partial'));
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    delete s.suites[1].latency;
    s.suites[0].mean = 0.99; // a valid entry is kept as written (the runner's numbers win)
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(s));
    const run = loadRun(dir);
    assert.equal(run.summary.suites.find((x) => x.suite === 'math')!.mean, 0.99);
    assert.ok(run.summary.suites.find((x) => x.suite === 'code')!.latency.e2e_ms.n === 24);
    assert.ok(run.notes.some((n) => /suites\[1\] incomplete \(\/latency\)/.test(n)));
  });

  it('synthesises the manifest when run.json is missing and no summary has one', () => {
    const dir = writeRun(root, { ...spec('nomanifest'), manifest: false, summary: false });
    const run = loadRun(dir);
    assert.equal(run.manifest.run_id, 'nomanifest');
    assert.deepEqual(run.manifest.suites, ['math', 'code']);
  });

  it('drops a truncated last line (run killed mid-write)', () => {
    const dir = writeRun(root, { ...spec('trunc'), summary: false });
    appendFileSync(join(dir, 'samples.jsonl'), '{"run_id":"trunc","suite":"math","ite');
    assert.equal(loadRun(dir).samples.length, 34);
  });

  it('names the file and line of a broken attempt record', () => {
    const dir = writeRun(root, spec('broken'));
    appendFileSync(join(dir, 'samples.jsonl'), JSON.stringify({ suite: 'math', item_id: 'x', provider: 'p:x', score: { value: 'high' } }) + '\n');
    assert.throws(() => loadRun(dir), (e: unknown) => e instanceof DsabenchError && e.code === 'E_INPUT_INVALID' && e.file === join(dir, 'samples.jsonl') && e.line === 35 && e.field === '/score');
  });

  it('names the file of broken JSON and of a summary it cannot repair', () => {
    const dir = writeRun(root, spec('badjson'));
    writeFileSync(join(dir, 'run.json'), '{ not json');
    assert.throws(() => loadRun(dir), (e: unknown) => e instanceof DsabenchError && e.file === join(dir, 'run.json') && /not valid JSON/.test(e.message));
    const dir2 = writeRun(root, spec('badsummary'));
    unlinkSync(join(dir2, 'samples.jsonl'));
    writeFileSync(join(dir2, 'summary.json'), JSON.stringify({ suites: [{ suite: 'math' }] }));
    assert.throws(() => loadRun(dir2), (e: unknown) => e instanceof DsabenchError && e.file === join(dir2, 'summary.json') && e.field === '/suites/0/provider');
  });

  it('rejects a directory that is not a run, and a missing path', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    assert.throws(() => loadRun(empty), (e: unknown) => e instanceof DsabenchError && e.code === 'E_INPUT_INVALID' && e.file === empty);
    assert.throws(() => loadRun(join(root, 'missing')), (e: unknown) => e instanceof DsabenchError && e.code === 'E_FILE_NOT_FOUND');
  });

  it('loads a summary.json on its own (no samples)', () => {
    const dir = writeRun(root, spec('summaryonly'));
    const run = loadRun(join(dir, 'summary.json'));
    assert.equal(run.samples.length, 0);
    assert.equal(run.summary.suites.length, 2);
  });
});

describe('resolveRunPaths', () => {
  it('expands globs and folders of runs, sorted, without duplicates', () => {
    const base = join(root, 'many');
    for (const id of ['run-2', 'run-1', 'other']) writeRun(base, { ...spec(id) });
    assert.deepEqual(resolveRunPaths([join(base, 'run-*')]).map((p) => p.slice(base.length + 1)), ['run-1', 'run-2']);
    assert.deepEqual(resolveRunPaths([base, join(base, 'run-1')]).map((p) => p.slice(base.length + 1)), ['other', 'run-1', 'run-2']);
    assert.equal(loadRuns([join(base, '*')]).length, 3);
    assert.throws(() => resolveRunPaths([join(base, 'zzz-*')]), (e: unknown) => e instanceof DsabenchError && e.code === 'E_FILE_NOT_FOUND');
  });
});

describe('summarizeRecords', () => {
  it('computes mean, CI, pass@k, latency percentiles and cost', () => {
    const recs = makeRecords({ run_id: 'x', provider: 'p', suites: [{ name: 's', items: 20, passRate: 0.5, attempts: 2, costPerItem: 0.5 }] });
    const s = summarizeRecords('s', 'p', recs);
    assert.equal(s.n, 40);
    assert.equal(s.n_items, 20);
    assert.ok(s.ci95[0] < s.mean && s.mean < s.ci95[1]);
    assert.deepEqual(Object.keys(s.pass_at_k!), ['1', '2']);
    assert.equal(s.cost.total, 20);
    assert.equal(s.cost.per_item, 1);
    assert.equal(s.latency.e2e_ms.n, 40);
    assert.ok(s.latency.e2e_ms.p50! <= s.latency.e2e_ms.p90! && s.latency.e2e_ms.p90! <= s.latency.e2e_ms.p99!);
  });
});
