/**
 * `dsabench gate --baseline <run|summary.json> --current <run> [--config gate.json] [--junit FILE] [--md FILE]`
 * Exit code 0: no regression; 1: regression; 2: usage or input error.
 */
import type { Command } from 'commander';
import { runGate } from '../reports/gate/index.js';
import type { CommandModule } from './command.js';

interface GateFlags {
  baseline: string;
  current: string;
  config?: string;
  junit?: string;
  md?: string;
  json?: string;
  quiet?: boolean;
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
      .option('-q, --quiet', 'print only the verdict line')
      .addHelpText('after', `
Exit codes: 0 no regression, 1 regression, 2 usage or input error.

Examples:
  $ dsabench gate --baseline results/baseline --current results/pr-123
  $ dsabench gate -b baseline/summary.json -c results/pr-123 --config gate.json --junit gate.xml --md gate.md
  $ dsabench gate -b results/main -c results/pr --md "$GITHUB_STEP_SUMMARY"`)
      .action((flags: GateFlags) => {
        const res = runGate({ baseline: flags.baseline, current: flags.current, config: flags.config, junit: flags.junit, md: flags.md, json: flags.json });
        const regs = res.checks.filter((c) => c.status === 'regression');
        for (const [side, r] of [['baseline', res.baseline], ['current', res.current]] as const) {
          if (r.status !== 'complete') process.stderr.write(`warning: ${side} run ${r.run_id} has status "${r.status}": its results may be partial\n`);
        }
        if (!flags.quiet) {
          for (const c of res.checks) {
            const mark = c.status === 'regression' ? 'REGRESSION' : c.status === 'skipped' ? 'skipped' : 'ok';
            process.stdout.write(`${mark.padEnd(10)} ${c.suite} ${c.metric} [${c.provider}]: ${c.reason}\n`);
          }
          for (const m of res.mismatches) process.stdout.write(`items      ${m.suite} [${m.provider}]: ${m.only_in_baseline.length} only in baseline, ${m.only_in_current.length} only in current\n`);
          for (const s of res.missing.only_in_baseline) process.stdout.write(`missing    ${s}: in the baseline, not in the current run\n`);
        }
        process.stdout.write(res.ok ? `gate: no regression (${res.checks.length} checks)\n` : `gate: REGRESSION (${regs.length} of ${res.checks.length} checks${res.missing.only_in_baseline.length && res.config.fail_on_missing_suites ? `, ${res.missing.only_in_baseline.length} missing` : ''})\n`);
        process.exitCode = res.exit_code;
      });
  },
};

export default cmd;
