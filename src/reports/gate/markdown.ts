/** gate.md: the verdict, one table row per check, mismatched items, and how it was decided. */
import type { GateCheck, GateResult } from './compare.js';
import { describeMissing } from './completeness.js';

const MAX_IDS = 50;

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}

function val(c: GateCheck, x: number | null): string {
  if (x === null) return '—';
  if (c.kind === 'score') return `${(x * 100).toFixed(1)}%`;
  if (c.kind === 'cost') return `$${x.toPrecision(3)}`;
  return `${x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1)} ms`;
}

function delta(c: GateCheck): string {
  if (c.delta === null) return '—';
  const s = c.kind === 'score' ? `${c.delta >= 0 ? '+' : ''}${(c.delta * 100).toFixed(1)} pts` : `${c.delta >= 0 ? '+' : ''}${(c.delta * 100).toFixed(1)}%`;
  const ci = c.ci ? (c.kind === 'score' ? ` [${(c.ci[0] * 100).toFixed(1)}, ${(c.ci[1] * 100).toFixed(1)}]` : ` [${(c.ci[0] * 100).toFixed(1)}%, ${(c.ci[1] * 100).toFixed(1)}%]`) : '';
  return s + ci;
}

export function renderGateMarkdown(res: GateResult): string {
  const out: string[] = [];
  const regressions = res.checks.filter((c) => c.status === 'regression');
  out.push(`# dsabench gate: ${res.ok ? '✅ no regression' : '❌ regression'}`, '');
  out.push(`Baseline \`${res.baseline.run_id}\`${res.baseline.has_samples ? '' : ' (summary only)'} → current \`${res.current.run_id}\`. Rule: **${res.rule}**, α = ${res.config.alpha}, score tolerance ${(res.config.tolerance * 100).toFixed(1)} pts.`, '');
  for (const [side, r] of [['Baseline', res.baseline], ['Current', res.current]] as const) {
    if (r.status !== 'complete') out.push(`> ⚠ ${side} run \`${r.run_id}\` has status **${r.status}**: its results may be partial.`, '');
  }
  if (regressions.length > 0) {
    out.push('## Regressions', '');
    for (const c of regressions) out.push(`- **${esc(c.suite)}** \`${esc(c.metric)}\` [${esc(c.provider)}]: ${esc(c.reason)}`);
    out.push('');
  }
  const whole = res.completeness;
  if (whole.incomplete !== null || whole.missing_items.length > 0) {
    out.push(`## Incomplete current run${whole.fails ? ' (fails the gate)' : ' (allowed)'}`, '');
    if (whole.incomplete !== null) out.push(`- the current run \`${res.current.run_id}\`: ${esc(whole.incomplete)}`);
    for (const m of whole.missing_items) out.push(`- ${esc(m.suite)} [${esc(m.provider)}]: ${m.count} item(s) of the baseline missing: ${esc(describeMissing(m, MAX_IDS))}`);
    out.push('');
  }
  if (res.missing.only_in_baseline.length > 0) {
    out.push(`## Missing from the current run${res.config.fail_on_missing_suites ? ' (fails the gate)' : ''}`, '', ...res.missing.only_in_baseline.map((s) => `- ${esc(s)}`), '');
  }
  if (res.missing.only_in_current.length > 0) out.push('## New in the current run (not gated)', '', ...res.missing.only_in_current.map((s) => `- ${esc(s)}`), '');
  out.push('## Checks', '');
  out.push('| Suite | Provider | Metric | Baseline | Current | Change [CI] | p | Test | Status |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const c of res.checks) {
    const status = c.status === 'regression' ? '❌ regression' : c.status === 'skipped' ? '⏭ skipped' : '✅ pass';
    out.push(`| ${esc(c.suite)} | ${esc(c.provider)} | ${esc(c.metric)} | ${val(c, c.baseline)} | ${val(c, c.current)} | ${delta(c)} | ${c.p === null ? '—' : c.p.toPrecision(3)} | ${c.test}${c.n_paired ? ` (${c.n_paired} paired)` : ''} | ${status} |`);
  }
  out.push('');
  if (res.mismatches.length > 0) {
    out.push(`## Items present in only one run${whole.fails && whole.n_missing > 0 ? ' (missing ones fail the gate)' : ''}`, '');
    for (const m of res.mismatches) {
      out.push(`<details><summary>${esc(m.suite)} [${esc(m.provider)}]: ${m.only_in_baseline.length} only in baseline, ${m.only_in_current.length} only in current</summary>`, '');
      const list = (ids: string[]) => (ids.length === 0 ? 'none' : ids.slice(0, MAX_IDS).map((i) => `\`${esc(i)}\``).join(', ') + (ids.length > MAX_IDS ? `, … ${ids.length - MAX_IDS} more` : ''));
      out.push(`- only in baseline: ${list(m.only_in_baseline)}`, `- only in current: ${list(m.only_in_current)}`, '', '</details>', '');
    }
  }
  out.push('<details><summary>How this was decided</summary>', '');
  out.push(res.rule === 'significant-drop'
    ? '- Score: a regression needs a drop larger than the tolerance **and** p < α. Paired on shared items (exact McNemar for single-attempt 0/1 scores, paired bootstrap otherwise); unpaired two-proportion z-test (or Welch z) when items do not match.'
    : '- Score: a regression needs the whole (1 − α) confidence interval of the paired change to lie below −tolerance.');
  out.push('- Latency (p50, p90) and cost per attempt: ratio current / baseline with an unpaired bootstrap interval; a regression needs the increase to exceed its relative threshold and the interval to exclude no change (or, under ci-below-tolerance, to lie above the threshold).');
  out.push('', '</details>', '');
  return out.join('\n');
}
