/**
 * JUnit XML for CI systems: one <testsuite> per dsabench suite, one <testcase> per metric
 * (score, latency.*.p50/p90, cost.per_attempt) with a <failure> for a regression and
 * <skipped/> for a skipped check; item-set mismatches and missing suites are testcases too.
 */
import type { GateCheck, GateResult } from './compare.js';

export function xmlEscape(s: string): string {
  // Also drop characters XML 1.0 forbids (control characters other than tab/newline/CR).
  return s
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function caseXml(classname: string, name: string, status: 'pass' | 'failure' | 'skipped', message: string, body = ''): string {
  const open = `    <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(name)}" time="0">`;
  if (status === 'failure') return `${open}\n      <failure message="${xmlEscape(message)}" type="regression">${xmlEscape(body || message)}</failure>\n    </testcase>`;
  if (status === 'skipped') return `${open}\n      <skipped message="${xmlEscape(message)}"/>\n    </testcase>`;
  return `${open}\n      <system-out>${xmlEscape(body || message)}</system-out>\n    </testcase>`;
}

function checkDetail(c: GateCheck): string {
  const f = (x: number | null) => (x === null ? 'n/a' : String(Number(x.toPrecision(6))));
  return `${c.reason}\nbaseline=${f(c.baseline)} current=${f(c.current)} delta=${f(c.delta)} ci=${c.ci ? `[${f(c.ci[0])}, ${f(c.ci[1])}]` : 'n/a'} p=${f(c.p)} test=${c.test} n_baseline=${c.n_baseline} n_current=${c.n_current} n_paired=${c.n_paired}`;
}

export function renderJunit(res: GateResult): string {
  const bySuite = new Map<string, string[]>();
  const counts = new Map<string, { tests: number; failures: number; skipped: number }>();
  const add = (suite: string, xml: string, status: 'pass' | 'failure' | 'skipped'): void => {
    bySuite.set(suite, [...(bySuite.get(suite) ?? []), xml]);
    const c = counts.get(suite) ?? { tests: 0, failures: 0, skipped: 0 };
    c.tests++;
    if (status === 'failure') c.failures++;
    if (status === 'skipped') c.skipped++;
    counts.set(suite, c);
  };
  const multiProvider = new Set(res.checks.map((c) => c.provider)).size > 1;
  for (const c of res.checks) {
    const status = c.status === 'regression' ? 'failure' : c.status === 'skipped' ? 'skipped' : 'pass';
    const name = multiProvider ? `${c.metric} [${c.provider}]` : c.metric;
    add(c.suite, caseXml(`dsabench.gate.${c.suite}`, name, status, c.reason, checkDetail(c)), status);
  }
  for (const m of res.mismatches) {
    // Items only in the current run never fail; items missing from it do (fail_on_missing_items).
    const status = res.config.fail_on_missing_items && m.only_in_baseline.length > 0 ? 'failure' : 'pass';
    const msg = `${m.only_in_baseline.length} item(s) only in the baseline, ${m.only_in_current.length} only in the current run`;
    const body = `${msg}\nonly in baseline: ${m.only_in_baseline.join(', ') || 'none'}\nonly in current: ${m.only_in_current.join(', ') || 'none'}`;
    add(m.suite, caseXml(`dsabench.gate.${m.suite}`, multiProvider ? `items [${m.provider}]` : 'items', status, msg, body), status);
  }
  if (res.completeness.incomplete !== null && res.current.status !== 'complete') {
    const status = res.completeness.fails ? 'failure' : 'pass';
    add('run', caseXml('dsabench.gate.run', 'complete', status, `current run ${res.current.run_id}: ${res.completeness.incomplete}`), status);
  }
  for (const m of res.completeness.missing_items.filter((x) => x.ids.length === 0)) {
    // Summary-only side: no per-item mismatch testcase exists, so the count gets its own.
    const status = res.completeness.fails ? 'failure' : 'pass';
    add(m.suite, caseXml(`dsabench.gate.${m.suite}`, multiProvider ? `items [${m.provider}]` : 'items', status, `${m.count} item(s) of the baseline missing from the current run`), status);
  }
  for (const s of res.missing.only_in_baseline) {
    const status = res.config.fail_on_missing_suites ? 'failure' : 'pass';
    const suite = s.replace(/ \[.*\]$/, '');
    add(suite, caseXml(`dsabench.gate.${suite}`, `present [${s}]`, status, `${s} is in the baseline but not in the current run`), status);
  }
  const total = { tests: 0, failures: 0, skipped: 0 };
  const suites = [...bySuite].map(([suite, cases]) => {
    const c = counts.get(suite)!;
    total.tests += c.tests;
    total.failures += c.failures;
    total.skipped += c.skipped;
    return `  <testsuite name="${xmlEscape(suite)}" tests="${c.tests}" failures="${c.failures}" errors="0" skipped="${c.skipped}" time="0">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const name = `dsabench gate: ${res.baseline.run_id} → ${res.current.run_id}`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(name)}" tests="${total.tests}" failures="${total.failures}" errors="0" skipped="${total.skipped}" time="0">\n${suites.join('\n')}\n</testsuites>\n`;
}
