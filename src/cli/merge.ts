/**
 * `dsabench merge DIR… --out DIR`: join shard folders (`dsabench run --shard i/n`) into one run
 * folder that `report` and `gate` treat as an unsharded run (src/runner/merge.ts).
 *
 * Exit codes: 0 merged, every shard complete and present; 1 merged, but a shard is missing
 * or incomplete (run.json status "interrupted"); 2 refused (different configurations,
 * overlapping attempts, bad folders).
 */
import type { Command } from 'commander';
import type { CommandModule } from './command.js';

interface MergeFlags {
  out: string;
  json?: boolean;
  quiet?: boolean;
}

const cmd: CommandModule = {
  register(program: Command): void {
    program
      .command('merge')
      .description('Join shard folders (dsabench run --shard i/n) into one run folder for report and gate')
      .argument('<dirs...>', 'run folders of the shards')
      .requiredOption('--out <dir>', 'the merged run folder')
      .option('--json', 'print summary.json to stdout instead of the table')
      .option('-q, --quiet', 'no notes on stderr')
      .addHelpText('after', `
Examples:
  $ dsabench merge results/shard-1 results/shard-2 results/shard-3 results/shard-4 --out results/all
  $ dsabench merge shards/* --out results/current && dsabench gate --baseline base --current results/current

Refused (exit 2): folders of different configurations (config_hash: suites, providers,
limit, repeats, seed, suite files), the same shard twice, shards of different n, an attempt
in two folders. A merge that lacks a shard, or holds an incomplete one, is written with
status "interrupted" (exit 1), which the gate does not pass.`)
      .action(async (dirs: string[], flags: MergeFlags) => {
        const [{ mergeRuns }, { renderOutcome }] = await Promise.all([import('../runner/merge.js'), import('./run.js')]);
        const res = mergeRuns(dirs, flags.out);
        const n = res.manifest.merged_from.reduce((a, m) => a + m.attempts, 0);
        if (flags.json) process.stdout.write(JSON.stringify(res.summary, null, 2) + '\n');
        else {
          process.stdout.write(renderOutcome({ dir: res.dir, manifest: res.manifest, summary: res.summary, total: n, resumed: 0, recorded: n }, res.manifest.config['count_cached'] === true));
          process.stdout.write(`merged ${res.manifest.merged_from.length} folder(s), ${n} attempts: ${res.dir}\n`);
        }
        if (res.incomplete.length > 0) {
          for (const l of res.incomplete) process.stderr.write(`incomplete: ${l}\n`);
          process.stderr.write('the merged run is marked "interrupted": merge again once every shard is complete\n');
          process.exitCode = 1;
        }
      });
  },
};

export default cmd;
