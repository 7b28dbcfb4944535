import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DsabenchError } from '../../src/errors.js';
import { DEFAULT_GATE_CONFIG, parseGateConfig, runGate, type GateConfig } from '../../src/reports/gate/index.js';
import { writeRun, type SuiteSpec } from '../reports/factories.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-gate-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function run(suites: SuiteSpec[], opts: { provider?: string; seed?: number; summary?: boolean } = {}): string {
  counter++;
  return writeRun(root, { run_id: `r${counter}`, provider: opts.provider ?? 'openai:m', seed: opts.seed ?? 5, suites, summary: opts.summary });
}

const math = (over: Partial<SuiteSpec> = {}): SuiteSpec => ({ name: 'math', items: 200, passRate: 0.7, e2eMs: 1000, ...over });
const cfg = (over: Partial<GateConfig> = {}): GateConfig => ({ ...structuredClone(DEFAULT_GATE_CONFIG), ...over });

describe('gate: score regressions', () => {
  it('fails on a 10-point drop on 200 items (paired, exact McNemar)', () => {
    const base = run([math()]);
    const cur = run([math({ passing: (i) => i < 120 })]); // 140 → 120 passes: 20 items flip
    const res = runGate({ baseline: base, current: cur });
    assert.equal(res.exit_code, 1);
    assert.equal(res.ok, false);
    const score = res.checks.find((c) => c.metric === 'score')!;
    assert.equal(score.test, 'mcnemar-exact');
    assert.equal(score.status, 'regression');
    assert.deepEqual(score.discordant, { b: 20, c: 0 });
    assert.equal(score.n_paired, 200);
    assert.ok(Math.abs(score.delta! + 0.1) < 1e-12);
    assert.ok(score.p! < 1e-5, `p = ${score.p}`);
    // Latency was not touched: those checks pass.
    assert.ok(res.checks.filter((c) => c.kind === 'latency').every((c) => c.status === 'pass'));
  });

  it('passes a 1-item change', () => {
    const base = run([math()]);
    const cur = run([math({ passing: (i) => i < 139 })]);
    const res = runGate({ baseline: base, current: cur });
    assert.equal(res.exit_code, 0);
    const score = res.checks.find((c) => c.metric === 'score')!;
    assert.equal(score.status, 'pass');
    assert.deepEqual(score.discordant, { b: 1, c: 0 });
    assert.equal(score.p, 1);
  });

  it('passes identical runs with zero change everywhere', () => {
    const base = run([math(), { name: 'code', items: 50, passRate: 0.4, attempts: 3, e2eMs: 2000, costPerItem: 0.01 }]);
    const cur = run([math(), { name: 'code', items: 50, passRate: 0.4, attempts: 3, e2eMs: 2000, costPerItem: 0.01 }]);
    const res = runGate({ baseline: base, current: cur });
    assert.equal(res.exit_code, 0);
    assert.ok(res.checks.length >= 2 * (1 + 6) + 1, `checks: ${res.checks.length}`);
    for (const c of res.checks) {
      assert.equal(c.status, 'pass', `${c.suite} ${c.metric}: ${c.reason}`);
      assert.ok(Math.abs(c.delta ?? 0) < 1e-12, `${c.metric} delta ${c.delta}`);
    }
    assert.equal(res.checks.find((c) => c.suite === 'code' && c.metric === 'score')!.test, 'paired-bootstrap');
    assert.deepEqual(res.mismatches, []);
  });

  it('does not fail a drop beyond tolerance that is not significant', () => {
    const base = run([math({ items: 40, passRate: 0.5 })]);
    // 3 of 40 flip down, 1 flips up: −5 pts, McNemar p = 0.625.
    const cur = run([math({ items: 40, passing: (i) => (i < 17) || i === 30 })]);
    const res = runGate({ baseline: base, current: cur });
    const score = res.checks.find((c) => c.metric === 'score')!;
    assert.deepEqual(score.discordant, { b: 3, c: 1 });
    assert.equal(score.status, 'pass');
    assert.match(score.reason, /not significantly/);
  });

  it('uses the paired bootstrap for non-binary scores and catches a drop', () => {
    const base = run([math({ value: (i) => 0.5 + 0.4 * Math.sin(i) })]);
    const cur = run([math({ value: (i) => 0.4 + 0.4 * Math.sin(i) })]);
    const res = runGate({ baseline: base, current: cur });
    const score = res.checks.find((c) => c.metric === 'score')!;
    assert.equal(score.test, 'paired-bootstrap');
    assert.equal(score.status, 'regression');
    assert.ok(score.ci![1] < -0.09 && score.ci![0] > -0.11, `ci ${score.ci}`);
  });

  it('rule ci-below-tolerance fails only when the whole CI lies below −tolerance', () => {
    const base = run([math()]);
    const big = run([math({ passing: (i) => i < 120 })]);
    const small = run([math({ passing: (i) => i < 134 })]); // −3 pts: beyond 2-pt tolerance, CI reaches above it
    const rule: GateConfig = cfg({ rule: 'ci-below-tolerance' });
    assert.equal(runGate({ baseline: base, current: big, config: rule }).exit_code, 1);
    const r2 = runGate({ baseline: base, current: small, config: rule });
    assert.equal(r2.exit_code, 0);
    // The default rule calls the same −3 pts a regression (p < alpha, drop > tolerance).
    assert.equal(runGate({ baseline: base, current: small }).exit_code, 1);
  });

  it('per-suite tolerance and skip overrides apply', () => {
    const base = run([math()]);
    const cur = run([math({ passing: (i) => i < 120 })]);
    assert.equal(runGate({ baseline: base, current: cur, config: cfg({ suites: { math: { tolerance: 0.15 } } }) }).exit_code, 0);
    const skipped = runGate({ baseline: base, current: cur, config: cfg({ suites: { math: { skip: true } } }) });
    assert.equal(skipped.exit_code, 0);
    assert.equal(skipped.checks[0]!.status, 'skipped');
  });
});

describe('gate: latency and cost', () => {
  it('fails when latency doubles, with a bootstrap interval', () => {
    const base = run([math({ e2eMs: 1000 })]);
    const cur = run([math({ e2eMs: 2000 })]);
    const res = runGate({ baseline: base, current: cur });
    assert.equal(res.exit_code, 1);
    const p50 = res.checks.find((c) => c.metric === 'latency.e2e_ms.p50')!;
    assert.equal(p50.status, 'regression');
    assert.equal(p50.test, 'bootstrap-ratio');
    assert.ok(Math.abs(p50.delta! - 1) < 1e-9, `relative change ${p50.delta}`);
    assert.ok(p50.ci![0] > 0.5 && p50.ci![1] < 1.6, `ci ${p50.ci}`);
    assert.equal(res.checks.find((c) => c.metric === 'score')!.status, 'pass');
    // p90 doubles too (threshold +50%), and so do TTFT and TPOT in this construction.
    assert.equal(res.checks.find((c) => c.metric === 'latency.e2e_ms.p90')!.status, 'regression');
    assert.equal(res.checks.find((c) => c.metric === 'latency.ttft_ms.p50')!.status, 'regression');
  });

  it('passes a 10% latency change under the 25% threshold', () => {
    const res = runGate({ baseline: run([math({ e2eMs: 1000 })]), current: run([math({ e2eMs: 1100 })]) });
    assert.equal(res.exit_code, 0);
  });

  it('fails when cost per attempt rises beyond its threshold', () => {
    const res = runGate({ baseline: run([math({ costPerItem: 0.01 })]), current: run([math({ costPerItem: 0.02 })]) });
    const cost = res.checks.find((c) => c.metric === 'cost.per_attempt')!;
    assert.ok(Math.abs(cost.baseline! - 0.01) < 1e-12 && Math.abs(cost.current! - 0.02) < 1e-12);
    // Constant costs: the bootstrap interval is the point itself, which excludes no change.
    assert.equal(cost.status, 'regression');
    assert.equal(res.exit_code, 1);
  });
});

describe('gate: item sets and inputs', () => {
  it('lists items present in only one run and pairs on the shared ones', () => {
    const base = run([math()]);
    const cur = run([math({ idOffset: 50 })]);
    const res = runGate({ baseline: base, current: cur });
    assert.equal(res.mismatches.length, 1);
    const m = res.mismatches[0]!;
    assert.equal(m.only_in_baseline.length, 50);
    assert.equal(m.only_in_current.length, 50);
    assert.equal(m.only_in_baseline[0], 'math-0000');
    assert.equal(m.only_in_current[49], 'math-0249');
    assert.equal(res.checks.find((c) => c.metric === 'score')!.n_paired, 150);
    const md = join(root, 'mismatch.md');
    const junit = join(root, 'mismatch.xml');
    runGate({ baseline: base, current: cur, md, junit });
    assert.match(readFileSync(md, 'utf8'), /Items present in only one run[\s\S]*50 only in baseline, 50 only in current/);
    assert.match(readFileSync(junit, 'utf8'), /<testcase classname="dsabench\.gate\.math" name="items"/);
    // Opt-in failure on mismatched item sets.
    assert.equal(runGate({ baseline: base, current: cur, config: cfg({ fail_on_missing_items: true }) }).exit_code, 1);
  });

  it('falls back to an unpaired two-proportion test when no items match', () => {
    const base = run([math()]);
    const cur = run([math({ idOffset: 1000, passRate: 0.6 })]);
    const res = runGate({ baseline: base, current: cur });
    const score = res.checks.find((c) => c.metric === 'score')!;
    assert.equal(score.test, 'two-proportion-z');
    assert.equal(score.n_paired, 0);
    assert.ok(Math.abs(score.p! - 0.036) < 0.002, `p = ${score.p}`);
    assert.equal(score.status, 'regression');
    assert.match(score.reason, /unpaired: no shared items/);
  });

  it('accepts a summary.json baseline (unpaired, latency from point estimates)', () => {
    const base = run([math()]);
    const cur = run([math({ passing: (i) => i < 120, e2eMs: 3000 })]);
    const res = runGate({ baseline: join(base, 'summary.json'), current: cur });
    assert.equal(res.baseline.has_samples, false);
    const score = res.checks.find((c) => c.metric === 'score')!;
    assert.equal(score.test, 'two-proportion-z');
    const lat = res.checks.find((c) => c.metric === 'latency.e2e_ms.p50')!;
    assert.equal(lat.test, 'point-estimate');
    assert.equal(lat.status, 'regression');
    assert.equal(res.exit_code, 1);
  });

  it('fails when a suite of the baseline is missing from the current run', () => {
    const base = run([math(), { name: 'code', items: 20, passRate: 0.5 }]);
    const cur = run([math()]);
    const res = runGate({ baseline: base, current: cur });
    assert.deepEqual(res.missing.only_in_baseline, ['code [openai:m]']);
    assert.equal(res.exit_code, 1);
    assert.equal(runGate({ baseline: base, current: cur, config: cfg({ fail_on_missing_suites: false }) }).exit_code, 0);
  });

  it('writes JUnit XML with one testcase per suite and metric', () => {
    const base = run([math(), { name: 'code', items: 30, passRate: 0.5 }]);
    const cur = run([math({ passing: (i) => i < 120 }), { name: 'code', items: 30, passRate: 0.5 }]);
    const junit = join(root, 'gate.xml');
    const res = runGate({ baseline: base, current: cur, junit });
    const xml = readFileSync(junit, 'utf8');
    const cases = [...xml.matchAll(/<testcase classname="dsabench\.gate\.(\w+)" name="([^"]+)"/g)].map((m) => `${m[1]}:${m[2]}`);
    assert.deepEqual(cases.sort(), res.checks.map((c) => `${c.suite}:${c.metric}`).sort());
    assert.equal(new Set(cases).size, cases.length);
    assert.equal((xml.match(/<failure /g) ?? []).length, 1);
    assert.match(xml, /<testsuite name="math" tests="\d+" failures="1"/);
    assert.match(xml, /<testsuite name="code" tests="\d+" failures="0"/);
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
  });

  it('rejects a bad gate config with the file and field', () => {
    const file = join(root, 'bad-gate.json');
    writeFileSync(file, JSON.stringify({ alpha: 2 }));
    assert.throws(() => runGate({ baseline: run([math()]), current: run([math()]), config: file }), (e: unknown) => e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID' && e.field === '/alpha' && e.file === file);
    assert.throws(() => parseGateConfig({ tolerence: 0.1 }), (e: unknown) => e instanceof DsabenchError && e.field === '/tolerence');
    assert.throws(() => parseGateConfig({ latency: { metrics: ['e2e'] } }), (e: unknown) => e instanceof DsabenchError && e.field === '/latency/metrics/0');
    assert.deepEqual(parseGateConfig({}), DEFAULT_GATE_CONFIG);
  });

  it('warns in gate.md when a run did not complete', () => {
    const base = run([math()]);
    const cur = run([math()]);
    const manifestFile = join(cur, 'run.json');
    writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(readFileSync(manifestFile, 'utf8')), status: 'interrupted' }));
    const md = join(root, 'interrupted.md');
    const res = runGate({ baseline: base, current: cur, md });
    assert.equal(res.current.status, 'interrupted');
    assert.match(readFileSync(md, 'utf8'), /⚠ Current run `r\d+` has status \*\*interrupted\*\*/);
  });

  it('rejects a missing baseline with E_FILE_NOT_FOUND', () => {
    assert.throws(() => runGate({ baseline: join(root, 'nope'), current: run([math()]) }), (e: unknown) => e instanceof DsabenchError && e.code === 'E_FILE_NOT_FOUND');
  });
});
