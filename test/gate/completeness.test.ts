/** The gate refuses a current run that is not whole: missing baseline items, an interrupted run. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_GATE_CONFIG, describeMissing, parseGateConfig, runGate } from '../../src/reports/gate/index.js';
import { writeRun, type SuiteSpec } from '../reports/factories.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-gate-whole-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function run(suites: SuiteSpec[]): string {
  counter++;
  return writeRun(root, { run_id: `w${counter}`, provider: 'openai:m', seed: 5, suites });
}
function setManifest(dir: string, patch: Record<string, unknown>): void {
  const f = join(dir, 'run.json');
  writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), ...patch }));
}
const math = (items: number): SuiteSpec => ({ name: 'math', items, passing: (i) => i % 10 < 7, e2eMs: 1000 });

describe('gate: a current run missing items of the baseline fails by default', () => {
  it('is on by default in gate.json', () => {
    assert.equal(DEFAULT_GATE_CONFIG.fail_on_missing_items, true);
    assert.equal(parseGateConfig({}).fail_on_missing_items, true);
  });

  it('fails a run that stopped after 60 of 200 items, naming the missing ones; allowMissing lists them only', () => {
    const base = run([math(200)]);
    const cur = run([math(60)]); // the same first 60 items, same scores: nothing regresses on them
    setManifest(cur, { config: { limit: 60 } });
    const res = runGate({ baseline: base, current: cur });
    assert.ok(res.checks.every((c) => c.status !== 'regression'), 'no check regresses on the shared items');
    assert.equal(res.exit_code, 1);
    assert.equal(res.completeness.fails, true);
    assert.equal(res.completeness.n_missing, 140);
    assert.equal(res.completeness.incomplete, 'made with --limit 60');
    const m = res.completeness.missing_items[0]!;
    assert.deepEqual([m.suite, m.provider, m.count, m.ids[0]], ['math', 'openai:m', 140, 'math-0060']);
    assert.equal(describeMissing(m, 3), 'math-0060, math-0061, math-0062 and 137 more');

    const md = join(root, 'partial.md');
    const xml = join(root, 'partial.xml');
    runGate({ baseline: base, current: cur, md, junit: xml });
    assert.match(readFileSync(md, 'utf8'), /## Incomplete current run \(fails the gate\)\n\n- the current run `w\d+`: made with --limit 60\n- math \[openai:m\]: 140 item\(s\) of the baseline missing: `?math-0060/);
    assert.match(readFileSync(xml, 'utf8'), /<testcase classname="dsabench\.gate\.math" name="items" time="0">\n\s*<failure /);

    const allowed = runGate({ baseline: base, current: cur, allowMissing: true });
    assert.equal(allowed.exit_code, 0);
    assert.equal(allowed.completeness.fails, false);
    assert.equal(allowed.completeness.n_missing, 140, 'still listed');
    const cfgFile = join(root, 'allow.json');
    writeFileSync(cfgFile, JSON.stringify({ fail_on_missing_items: false }));
    assert.equal(runGate({ baseline: base, current: cur, config: cfgFile }).exit_code, 0);
  });

  it('fails an interrupted current run even when it holds every item', () => {
    const base = run([math(50)]);
    const cur = run([math(50)]);
    setManifest(cur, { status: 'interrupted' });
    const res = runGate({ baseline: base, current: cur });
    assert.equal(res.completeness.incomplete, 'status "interrupted"');
    assert.equal(res.exit_code, 1);
    const xml = join(root, 'interrupted.xml');
    runGate({ baseline: base, current: cur, junit: xml });
    assert.match(readFileSync(xml, 'utf8'), /<testcase classname="dsabench\.gate\.run" name="complete" time="0">\n\s*<failure message="current run w\d+: status &quot;interrupted&quot;"/);
    assert.equal(runGate({ baseline: base, current: cur, allowMissing: true }).exit_code, 0);
  });

  it('an interrupted baseline is only a warning (it is the reference, not the run under test)', () => {
    const base = run([math(50)]);
    const cur = run([math(50)]);
    setManifest(base, { status: 'interrupted' });
    assert.equal(runGate({ baseline: base, current: cur }).exit_code, 0);
  });

  it('items only in the current run (a suite that grew) do not fail', () => {
    const base = run([math(50)]);
    const cur = run([math(80)]);
    const res = runGate({ baseline: base, current: cur });
    assert.equal(res.mismatches[0]!.only_in_current.length, 30);
    assert.equal(res.completeness.n_missing, 0);
    assert.equal(res.exit_code, 0);
  });

  it('a baseline and a current run made with the same --limit are whole', () => {
    const base = run([math(20)]);
    const cur = run([math(20)]);
    setManifest(base, { config: { limit: 20 } });
    setManifest(cur, { config: { limit: 20 } });
    const res = runGate({ baseline: base, current: cur });
    assert.equal(res.completeness.incomplete, null);
    assert.equal(res.exit_code, 0);
  });

  it('with a summary.json baseline (no ids) the shortfall in n_items is counted', () => {
    const base = run([math(100)]);
    const cur = run([math(70)]);
    const res = runGate({ baseline: join(base, 'summary.json'), current: cur });
    assert.deepEqual(res.completeness.missing_items.map((m) => [m.suite, m.count, m.ids.length]), [['math', 30, 0]]);
    assert.equal(res.exit_code, 1);
    assert.match(describeMissing(res.completeness.missing_items[0]!), /^30 item\(s\)/);
  });
});
