/**
 * `dsabench validate <suite...>`: schema check, oracle = 100%, nop = 0%, negative control
 * (each item answered with another item's reference) = 0%, one verdict line per check.
 * Exit 0 when every check of every suite passes, 1 otherwise.
 */
import type { Command } from 'commander';
import type { CommandModule } from './command.js';
import { intFlag } from './flags.js';

/**
 * Progress on stderr while a suite is checked (a code suite can take minutes): one
 * rewritten line on a terminal, else a line at every 10% and at least every 30 s.
 */
function progressPrinter(spec: string, quiet: boolean): { update: (done: number, total: number) => void; done: () => void } {
  const start = Date.now();
  const tty = process.stderr.isTTY === true;
  let lastPct = -1;
  let lastAt = start;
  let shown = false;
  const line = (done: number, total: number): string =>
    `${spec}: ${done}/${total} attempts scored (oracle, nop, negative control), ${((Date.now() - start) / 1000).toFixed(0)} s`;
  return {
    update(done, total) {
      if (quiet) return;
      if (tty) {
        process.stderr.write(`\r${line(done, total)}\x1b[K`);
        shown = true;
        return;
      }
      const pct = Math.floor((10 * done) / Math.max(1, total));
      if (pct !== lastPct || Date.now() - lastAt > 30_000 || done === total) {
        lastPct = pct;
        lastAt = Date.now();
        process.stderr.write(line(done, total) + '\n');
      }
    },
    done() {
      if (tty && shown) process.stderr.write('\r\x1b[K');
    },
  };
}

const cmd: CommandModule = {
  register(program: Command): void {
    program
      .command('validate')
      .description('Check suites: schema, oracle provider scores 100%, nop 0%, and a negative control (each item answered with another item\'s reference) 0%')
      .argument('<suite...>', 'suite specs: built-in name, folder path, or <loader>:<file>')
      .option('--limit <n>', 'check only the first N items', intFlag(1))
      .option('--workers <n>', 'scoring worker threads (0 = main thread)', intFlag(0))
      .option('--seed <s>', 'seed for generated suites: 0 (default) keeps the seed each suite.json pins, N offsets it by N', intFlag(0))
      .option('--unsafe-no-sandbox', 'run code without the sandbox (DANGEROUS)')
      .option('--json', 'JSON output')
      .addHelpText('after', `
Examples:
  $ dsabench validate example
  $ dsabench validate ./my-suite --limit 20
  $ dsabench validate math code long-context --json

Checks, per suite:
  schema    suite.json (scorer options included) and every item are valid
  sandbox   only when it fails: the suite runs code and this machine has no sandbox
  oracle    answering with each item's reference scores 100%
  nop       answering nothing scores 0%
  negative  answering each item with another item's reference (a wrong answer of the
            right form) passes no item: a scorer that passes any non-empty answer, or
            targets that every answer contains, fail here (the items are listed)

Progress goes to stderr. Each failing item (up to 20 per check) is listed with the
scorer's reason (for code: the verdict and the failing test or input) and its output.

Exit codes: 0 every check passed, 1 a check failed.`)
      .action(async (specs: string[], opts: { limit?: number; workers?: number; seed?: number; unsafeNoSandbox?: boolean; json?: boolean }) => {
        const { validateSuite } = await import('../runner/validate.js');
        let allOk = true;
        const results: unknown[] = [];
        for (const spec of specs) {
          const progress = progressPrinter(spec, opts.json === true);
          const { suite, checks } = await validateSuite(spec, {
            limit: opts.limit ?? null,
            ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
            ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
            ...(opts.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
            onProgress: progress.update,
          });
          progress.done();
          const ok = checks.every((c) => c.ok);
          allOk &&= ok;
          results.push({ spec, suite: suite?.config.name ?? null, ok, checks });
          if (opts.json) continue;
          process.stdout.write(`${spec}${suite && suite.config.name !== spec ? ` (${suite.config.name})` : ''}: ${ok ? 'VALID' : 'INVALID'}\n`);
          for (const c of checks) {
            process.stdout.write(`  ${c.ok ? 'PASS' : 'FAIL'} ${c.check}: ${c.detail}\n`);
            for (const f of c.failures ?? []) {
              const from = f.answered_with === undefined ? '' : f.answered_with === null ? ' (a fixed unrelated reply)' : ` (item ${f.answered_with}'s reference)`;
              process.stdout.write(`       item ${f.item_id}: value ${f.value}${f.error ? `, error: ${f.error}` : ''}, output ${JSON.stringify(f.output)}${from}\n`);
              // The scorer's own word on the verdict (code: the failing test or input, the time limit).
              if (f.reason) process.stdout.write(`         reason: ${f.reason}\n`);
            }
          }
        }
        if (opts.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
        if (!allOk) process.exitCode = 1;
      });
  },
};

export default cmd;
