/**
 * `dsabench report <run-dir|glob>… [--out DIR] [--format html,md,csv,json] [--cost DIR]`
 * Leaderboard across runs: report.html (self-contained), report.md, leaderboard.csv,
 * report.json and charts/*.png.
 */
import type { Command } from 'commander';
import { generateReport } from '../reports/index.js';
import { ALL_FORMATS, parseFormats } from '../reports/reporters/index.js';
import { DsabenchError } from '../errors.js';
import type { MdCharts } from '../reports/reporters/types.js';
import type { CommandModule } from './command.js';

interface ReportFlags {
  out: string;
  format: string;
  cost: string[];
  title?: string;
  published: boolean;
  maxTranscriptChars: string;
  mdCharts: string;
}

const cmd: CommandModule = {
  register(program: Command) {
    program
      .command('report')
      .description('Build a leaderboard report (HTML, Markdown, CSV, JSON, PNG charts) from one or more runs')
      .argument('<runs...>', 'run directories, globs (quoted), summary.json files, or folders holding run directories')
      .option('-o, --out <dir>', 'output directory', 'report')
      .option('-f, --format <list>', `comma-separated formats: ${ALL_FORMATS.join(',')}`, ALL_FORMATS.join(','))
      .option('--cost <dir>', 'cost study output directory (cost.json) for the cost and top-k charts; repeatable', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--title <text>', 'report title')
      .option('--no-published', 'leave out the published reference scores')
      .option('--md-charts <mode>', 'charts in report.md: embed (images), link (plain links, e.g. for $GITHUB_STEP_SUMMARY), none', 'embed')
      .option('--max-transcript-chars <n>', 'longest output/transcript text kept per attempt in report.html', '4000')
      .addHelpText('after', `
Examples:
  $ dsabench report results/run-2026-11-28a results/run-2026-11-28b --out report
  $ dsabench report 'results/*' --format md --md-charts link --out summary && cat summary/report.md >> "$GITHUB_STEP_SUMMARY"
  $ dsabench report results/ --cost cost-out --format html,csv`)
      .action(async (runs: string[], flags: ReportFlags) => {
        const formats = parseFormats(flags.format);
        if (!['embed', 'link', 'none'].includes(flags.mdCharts)) {
          throw new DsabenchError('E_USAGE', `--md-charts must be embed, link or none (got "${flags.mdCharts}")`, { field: '--md-charts' });
        }
        const max = Number(flags.maxTranscriptChars);
        const res = await generateReport({
          runs,
          outDir: flags.out,
          formats,
          cost: flags.cost,
          title: flags.title,
          published: flags.published,
          maxTranscriptChars: Number.isFinite(max) && max > 0 ? max : 4000,
          mdCharts: flags.mdCharts as MdCharts,
        });
        process.stdout.write(`report: ${res.runs.length} run(s), ${res.model.rows.length} provider row(s), ${res.model.suites.length} suite(s), ${res.charts.length} chart(s) in ${Math.round(res.timings_ms.total)} ms\n`);
        for (const f of res.files) process.stdout.write(`  ${f}\n`);
      });
  },
};

export default cmd;
