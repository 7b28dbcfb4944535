/**
 * `dsabench gate --baseline <run|summary.json> --current <run> [--config gate.json] [--junit FILE] [--md FILE]`
 * Exit code 0: no regression; 1: regression, or a current run that is missing items of the
 * baseline or did not complete (unless --allow-missing); 2: usage or input error.
 */
import type { Command } from 'commander';
import { describeMissing, runGate } from '../reports/gate/index.js';
import type { CommandModule } from './command.js';

interface GateFlags {
  baseline: string;
  current: string;
  config?: string;
  junit?: string;
  md?: string;
  json?: string;
  quiet?: boolean;
  allowMissing?: boolean;
}

const cmd: CommandModule = {
  register(program: Command) {
    program
      .command('gate')
      .description('Compare a run against a baseline and fail (exit 1) on a significant regression in score, latency or cost')
      .requiredOption('-b, --baseline <run>', 'baseline run directory, or its summary.json (then tests are unpaired)')
      .requiredOption('-c, --current <run>', 'current run directory')
      .option('--config <file>', 'gate.json: alpha, tolerance, rule, latency/cost thresholds, per-suite overrides')
      .option('--junit <file>', 'write JUnit XML (one testcase per suite and metric)')
      .option('--md <file>', 'write the verdict as Markdown (for $GITHUB_STEP_SUMMARY)')
      .option('--json <file>', 'write the full result as JSON')
      .option('--allow-missing', 'do not fail when the current run lacks items of the baseline or did not complete (interrupted, --limit): list them only (gate.json fail_on_missing_items: false)')
      .option('-q, --quiet', 'print only the verdict line (and what is missing)')
      .addHelpText('after', `
A current run that did not complete (interrupted, failed) or lacks items the baseline has
(an interrupted or --limit run) fails the gate: items it never reached cannot regress. The
missing items are named (the first 10 per suite, and a count). Items only in the current
run are listed and never fail. --allow-missing turns the failure into a listing.

Exit codes: 0 no regression, 1 regression or missing items / incomplete current run, 2 usage or input error.

Latency and cost are compared over attempts each run measured: failed, unsupported and
cached attempts (replayed from the response cache, so timed and paid by an earlier run) are
left out; a run whose answers all came from the cache gets a skipped latency check.

Examples:
  $ dsabench gate --baseline results/baseline --current results/pr-123
  $ dsabench gate -b baseline/summary.json -c results/pr-123 --config gate.json --junit gate.xml --md gate.md
  $ dsabench gate -b results/main -c results/pr --md "$GITHUB_STEP_SUMMARY"
  $ dsabench gate -b results/main -c results/pr-quick --allow-missing   # a --limit run, compared on the items it has`)
      .action((flags: GateFlags) => {
        const res = runGate({ baseline: flags.baseline, current: flags.current, config: flags.config, junit: flags.junit, md: flags.md, json: flags.json, allowMissing: flags.allowMissing ?? false });
        const whole = res.completeness;
        const regs = res.checks.filter((c) => c.status === 'regression');
        for (const [side, r] of [['baseline', res.baseline], ['current', res.current]] as const) {
          if (r.status !== 'complete') process.stderr.write(`warning: ${side} run ${r.run_id} has status "${r.status}": its results may be partial\n`);
          if (r.n_cached > 0) process.stderr.write(`note: ${side} run ${r.run_id} has ${r.n_cached} attempts replayed from the response cache: their latency and cost are not compared\n`);
        }
        // Printed even with --quiet: this is why the gate fails (or, allowed, what it did not compare).
        const mark = whole.fails ? 'INCOMPLETE' : 'allowed';
        if (whole.incomplete !== null) process.stdout.write(`${mark.padEnd(10)} current run ${res.current.run_id}: ${whole.incomplete}\n`);
        for (const m of whole.missing_items) process.stdout.write(`${mark.padEnd(10)} ${m.suite} [${m.provider}]: ${m.count} item(s) of the baseline missing from the current run: ${describeMissing(m)}\n`);
        if (!flags.quiet) {
          for (const c of res.checks) {
            const mark = c.status === 'regression' ? 'REGRESSION' : c.status === 'skipped' ? 'skipped' : 'ok';
            process.stdout.write(`${mark.padEnd(10)} ${c.suite} ${c.metric} [${c.provider}]: ${c.reason}\n`);
          }
          for (const m of res.mismatches) process.stdout.write(`items      ${m.suite} [${m.provider}]: ${m.only_in_baseline.length} only in baseline, ${m.only_in_current.length} only in current\n`);
          for (const s of res.missing.only_in_baseline) process.stdout.write(`missing    ${s}: in the baseline, not in the current run\n`);
        }
        const suitesMissing = res.missing.only_in_baseline.length > 0 && res.config.fail_on_missing_suites;
        const why = [
          `${regs.length} of ${res.checks.length} checks`,
          ...(suitesMissing ? [`${res.missing.only_in_baseline.length} suite(s) missing`] : []),
          ...(whole.fails && whole.n_missing > 0 ? [`${whole.n_missing} item(s) missing`] : []),
          ...(whole.fails && res.current.status !== 'complete' ? [`current run ${res.current.status}`] : []),
        ];
        const skipped = whole.n_missing > 0 || whole.incomplete !== null;
        const allowed = !whole.fails && skipped ? ` (allowed: ${whole.n_missing} missing item(s)${whole.incomplete ? `, ${whole.incomplete}` : ''})` : '';
        // INCOMPLETE: nothing regressed on what was compared, but the current run is not whole.
        const verdict = regs.length === 0 && !suitesMissing && whole.fails ? 'INCOMPLETE' : 'REGRESSION';
        process.stdout.write(res.ok ? `gate: no regression (${res.checks.length} checks)${allowed}\n` : `gate: ${verdict} (${why.join(', ')})\n`);
        process.exitCode = res.exit_code;
      });
  },
};

export default cmd;
