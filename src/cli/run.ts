/**
 * `dsabench run`: suites × providers × repeats → results/<run-id>/.
 *
 * With no --suite, --provider, --config or --resume it runs the default job
 * (data/runs/default.json, src/cli/default-job.ts): the built-in suites on the built-in
 * model, dense and sparse, then the cost study and the report into the run folder. A config
 * with `cost` / `report` steps runs them after the evaluation too.
 *
 * Exit codes: 0 the run completed (whatever the scores); 1 it could not complete, which
 * includes a run stopped by Ctrl-C/SIGTERM (run.json status "interrupted"; continue it with
 * --resume DIR), or some attempts were unsupported here and --allow-unsupported was not
 * given; 2 bad flags, config or suite files.
 */
import { join, sep } from 'node:path';
import type { Command } from 'commander';
import { DsabenchError } from '../errors.js';
import { providerUsage } from '../providers/index.js';
import { DEFAULT_SETTINGS } from '../runner/defaults.js';
import type { RunOutcome, RunSettings } from '../runner/run.js';
import type { CommandModule } from './command.js';
import { intFlag, pct, table } from './flags.js';
import type { RunFlags } from './run-settings.js';
import type { SuiteSummary } from '../types.js';

function fmtNum(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined ? '-' : x.toFixed(digits);
}

export function renderOutcome(o: RunOutcome, countCached = false): string {
  const rows = o.summary.suites.map((s) => {
    // Every attempt unsupported: there is no score, not a score of 0.
    const scored = s.n - s.n_unsupported > 0;
    return [
      s.suite,
      s.provider,
      String(s.n),
      scored ? pct(s.mean) : '-',
      scored ? `[${pct(s.ci95[0])}, ${pct(s.ci95[1])}]` : '-',
      s.pass_at_k ? Object.entries(s.pass_at_k).map(([k, v]) => `@${k} ${pct(v)}`).join(' ') : '-',
      String(s.n_errors),
      String(s.n_unsupported),
      String(s.n_cached),
      fmtNum(s.latency.e2e_ms.p50),
      s.cost.total === null ? '-' : `$${s.cost.total.toFixed(4)}`,
    ];
  });
  return table(['suite', 'provider', 'n', 'mean', '95% CI', 'pass@k', 'errors', 'unsupported', 'cached', 'e2e p50 ms', 'cost'], rows) + countNotes(o.summary.suites, countCached);
}

/** What the table's figures leave out, said under it (only for what happened in this run). */
export function countNotes(suites: readonly SuiteSummary[], countCached: boolean): string {
  const sum = (f: (s: SuiteSummary) => number): number => suites.reduce((a, s) => a + f(s), 0);
  const lines: string[] = [];
  const unsupported = sum((s) => s.n_unsupported);
  const cached = sum((s) => s.n_cached);
  const errors = sum((s) => s.n_errors);
  const noUsage = sum((s) => s.n_no_usage);
  if (unsupported > 0) lines.push(`${unsupported} attempts unsupported here (e.g. terminal tasks that need a Docker image): not in mean, CI or pass@k`);
  if (cached > 0) {
    lines.push(countCached
      ? `${cached} attempts replayed from the response cache: counted in latency, tokens and cost as if fresh (--count-cached)`
      : `${cached} attempts replayed from the response cache: not in latency, tokens or cost (their figures are an earlier run's; --count-cached counts them, --no-cache calls the model again)`);
  }
  if (errors > 0) lines.push(`${errors} attempts ended in an error: scored 0, not in latency (--resume DIR --retry-errors runs them again)`);
  if (noUsage > 0) lines.push(`${noUsage} answered attempts without usage from the server: tokens unknown, not in tokens or cost`);
  return lines.map((l) => `note: ${l}\n`).join('');
}

const RUN_HELP = `
Examples:
  $ dsabench run                                        # the default job (below)
  $ dsabench run --limit 2                              # the default job, first 2 items of each suite
  $ dsabench run --config data/runs/default.json        # the same job from its file (copy it to change it)
  $ dsabench run --suite example --provider oracle nop --repeats 4
  $ dsabench run -s math -p openai:deepseek-chat --limit 50 --concurrency 16
  $ dsabench run -s ./my-suite -p openai:my-model@http://127.0.0.1:8000/v1
  $ dsabench run -s gsm8k:test.jsonl -p replay:outputs.jsonl
  $ dsabench run --config run.json --out results/nightly
  $ dsabench run --resume results/20261128-110731-3fa2c1
  $ dsabench run --resume results/20261128-110731-3fa2c1 --retry-errors
  $ dsabench run --resume results/20261128-110731-3fa2c1 --rerun-changed   # its suite files were edited
  $ dsabench run -s math -p openai:deepseek-chat --queue redis://queue-host:6379   # + dsabench worker --queue … on each machine
  $ dsabench run -s math -p openai:deepseek-chat --shard 2/4 --out results/shard-2  # then: dsabench merge results/shard-* --out results/all

Default job (no --suite/--provider/--config): the built-in suites on the built-in model
data/models/dsa-mini with dense and with sparse attention (single-needle long-context at
1K-16K bytes, subsets of math/code/terminal, capped replies), then the cost study of the
model at the same positions (cost.json, cost.md) and the report (report/report.html,
report.md, charts/*.png), all in the run folder. A run with long-context items also prints
accuracy and median time per item by context length. DSABENCH_DEFAULT_MODEL=<name|dir> evaluates another model. Without
the model's weights it falls back to the oracle on every built-in suite (and the report).

--suite without --provider (and no "providers" in --config) evaluates the default job's
providers, the built-in model dense and sparse; without its weights that is an error (exit
2) asking for -p. The oracle (answers with the references, so 100%) runs only when named.

Results: <dir>/run.json, samples.jsonl, summary.json, results.csv (+ cost.*, report/ when
the config has cost/report steps).

What the figures count (table, summary.json, report):
  errors       attempts that failed (timeout, HTTP error, malformed or empty reply): scored 0
               and in the mean, but not in latency; every attempt records its tries and the
               time across them (timings.total_ms), its TTFT/e2e are the last try's.
  unsupported  attempts that cannot run here (a terminal task whose container image cannot
               be built here, or with no container engine): not in mean, CI, pass rate or
               pass@k; the run exits 1 unless --allow-unsupported.
  cached       attempts replayed from the response cache: scored, but their timings, usage and
               cost are an earlier run's, so they are not in latency, tokens or cost unless
               --count-cached (the gate never compares their latency or cost).
  n_no_usage   (summary.json) answers whose server reported no usage: tokens unknown, not in
               the token and cost totals.
Sandbox and containers: model output runs in bubblewrap, or without it in an unshare +
chroot sandbox (same isolation; the run's first stderr line says which, e.g. "sandbox:
bubblewrap (/usr/bin/bwrap)"; DSABENCH_SANDBOX=bwrap|unshare forces one). Terminal tasks
whose environment is a Dockerfile run in a container through podman or docker
(DSABENCH_CONTAINER_ENGINE=podman|docker|none), no network, images built with
--network=none from base images already on the machine (nothing is pulled).
Ctrl-C stops launching attempts and waits for those in flight (Ctrl-C again aborts them);
the run is marked "interrupted" (exit 1) and --resume <dir> continues it. A resume after the
suite files changed (suite.json, items, a generator's output) is refused (exit 2), naming the
suites: run.json's config_hash must describe every sample. --rerun-changed discards the
changed suites' finished attempts and runs them again; or start a new run.

Queued runs (--queue URL): one job per attempt on a Redis queue of this run's own, made by
\`dsabench worker --queue URL\` processes (any number, any machine) with the same providers,
solvers, sandbox and scorers; this process writes the run folder as a local run would. A
killed worker's attempt goes to another worker once BullMQ's stall check notices (30 s by
default); a killed coordinator is continued with --resume DIR (it re-attaches to the queue,
where the workers went on; run.json keeps the URL without its password, so give that in
DSABENCH_REDIS_PASSWORD or pass --queue URL again); a Redis restart is waited through. Ctrl-C stops waiting: the
queued attempts keep running on the workers and --resume collects them.
Shards (--shard i/n): attempt k belongs to shard 1 + sha256(k) mod n (k = suite, item id,
provider, repeat: stable under item order); shard folders share config_hash and
\`dsabench merge\` joins them.
Exit codes: 0 completed, 1 could not complete, interrupted, or had unsupported attempts
(without --allow-unsupported), 2 bad usage or input.`;

/** `dsabench run` with its flags parsed: the evaluation, its table, then the post-run steps. */
async function runCommand(flags: RunFlags): Promise<void> {
  if (flags.resume && (flags.suite || flags.provider || flags.config || flags.shard)) {
    throw new DsabenchError('E_USAGE', '--resume continues the stored configuration of the run; do not combine it with --suite, --provider, --config or --shard', { field: 'resume' });
  }
  if (flags.retryErrors && !flags.resume) throw new DsabenchError('E_USAGE', '--retry-errors needs --resume <dir>', { field: 'retry-errors' });
  if (flags.rerunChanged && !flags.resume) throw new DsabenchError('E_USAGE', '--rerun-changed needs --resume <dir>', { field: 'rerun-changed' });
  // Loaded here, not at the top: `dsabench <other command>` does not pay for the runner.
  const [{ resolveSettings }, { runEvaluation }] = await Promise.all([import('./run-settings.js'), import('../runner/run.js')]);
  const isDefaultJob = !flags.resume && !flags.suite && !flags.provider && !flags.config;
  let job: import('./default-job.js').DefaultJob | undefined;
  if (isDefaultJob) {
    job = (await import('./default-job.js')).resolveDefaultJob();
    if (job.notice) process.stderr.write(job.notice + '\n');
    else if (!flags.quiet) {
      const { describeSuites } = await import('./default-job.js');
      process.stderr.write(`default job: ${job.file} on ${job.model} (dense and sparse), then the cost study and the report\n`);
      process.stderr.write('  suites, narrowed to keep the job to minutes on a CPU (copy the file and --config it to change them):\n');
      for (const l of describeSuites(job.config)) process.stderr.write(`    ${l}\n`);
    }
  }
  // No -p and no providers in the config: the default job's, said on stderr (the oracle
  // runs only when named). A resume uses its stored providers, so none are looked up.
  const { defaultJobProviders } = await import('./default-providers.js');
  const fallback = flags.resume ? () => [] : () => {
    const p = defaultJobProviders();
    if (!flags.quiet) process.stderr.write(`no --provider given: using the default job's providers ${p.map((e) => e.spec).join(', ')} (name others with -p)\n`);
    return p;
  };
  const { settings, out, cost, report } = resolveSettings(flags, job?.config, fallback);
  if (settings.unsafe_no_sandbox) process.stderr.write('WARNING: --unsafe-no-sandbox: untrusted code from model outputs runs directly on this machine\n');
  const stop = new AbortController();
  const abort = new AbortController();
  const onSignal = (): void => {
    if (!stop.signal.aborted) {
      stop.abort();
      // A queued run stops waiting at once: its attempts are the workers' (see src/runner/queue/coordinator.ts).
      process.stderr.write(settings.queue ? '\nstopping: recording what the workers finished, then leaving the rest on the queue\n' : '\nstopping: no new attempts; waiting for those in flight (press Ctrl-C again to abort them)\n');
    } else if (!abort.signal.aborted) {
      abort.abort();
      process.stderr.write('\naborting attempts in flight\n');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let outcome: RunOutcome;
  const t0 = performance.now();
  try {
    outcome = await runEvaluation(settings, { ...(out ? { out } : {}), ...(flags.queue ? { queueUrl: flags.queue } : {}), ...(flags.resume ? { resumeDir: flags.resume, retryErrors: flags.retryErrors ?? false, rerunChanged: flags.rerunChanged ?? false } : {}) }, {
      stop: stop.signal,
      abort: abort.signal,
      progress: { quiet: flags.quiet ?? false },
      log: (l) => {
        if (!flags.quiet) process.stderr.write(l + '\n');
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const evalMs = performance.now() - t0;
  if (flags.json) process.stdout.write(JSON.stringify(outcome.summary, null, 2) + '\n');
  const counted = outcome.manifest.config as unknown as RunSettings;
  if (!flags.json) {
    process.stdout.write(renderOutcome(outcome, counted.count_cached === true));
    const { lengthTables, renderLengthTable } = await import('../runner/length-table.js');
    const { readSamples } = await import('../results/store.js');
    for (const t of lengthTables(readSamples(join(outcome.dir, 'samples.jsonl')), { countCached: counted.count_cached === true })) process.stdout.write('\n' + renderLengthTable(t, table));
    process.stdout.write(`results: ${outcome.dir}\n`);
  }
  if (outcome.manifest.status !== 'complete') {
    const done = outcome.resumed + outcome.recorded;
    process.stderr.write(`run interrupted: ${done}/${outcome.total} attempts done; continue with: dsabench run --resume ${outcome.dir}\n`);
    process.exitCode = 1;
    return;
  }
  // A resumed run does the steps its run.json stores.
  const steps = flags.resume ? (outcome.manifest.config as unknown as RunSettings).post : { ...(cost ? { cost } : {}), ...(report ? { report } : {}) };
  if (steps && (steps.cost || steps.report)) {
    const { runPostSteps } = await import('./default-job.js');
    const post = await runPostSteps(outcome.dir, steps, (l) => {
      if (!flags.quiet) process.stderr.write(l + '\n');
    });
    const secs = (ms: number | undefined): string => (ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)} s)`);
    const say = (l: string): void => void (flags.json ? process.stderr : process.stdout).write(l + '\n');
    say(`evaluation: ${outcome.dir}${secs(evalMs)}`);
    if (post.cost) say(`cost study: ${join(post.cost, 'cost.md')}, cost.json, cost.csv${secs(post.timings_ms.cost)}`);
    if (post.reportDir) {
      const main = (post.report ?? []).filter((f) => !f.includes(`${sep}charts${sep}`));
      say(`report: ${main.join(', ')} and ${(post.report ?? []).length - main.length} chart(s) in ${join(post.reportDir, 'charts')}${secs(post.timings_ms.report)}`);
    }
  }
  // Last, so the results and the report are written either way: a score that leaves out
  // tasks it could not run must not pass as a complete result unless the user says so.
  const unsupported = outcome.summary.suites.reduce((a, s) => a + s.n_unsupported, 0);
  if (unsupported > 0 && counted.allow_unsupported !== true) {
    process.stderr.write(`error: ${unsupported} attempts could not run here (unsupported, e.g. terminal tasks that need a Docker image); they are left out of the mean. Pass --allow-unsupported (config "allow_unsupported": true) to accept that.\n`);
    process.exitCode = 1;
  }
}

const cmd: CommandModule = {
  register(program: Command): void {
    program
      .command('run')
      .description('Evaluate providers on suites: items × repeats × providers attempts, scored in a worker pool; writes results/<run-id>/')
      .option('-s, --suite <spec...>', 'suite: built-in name, folder path, or <loader>:<file> (repeatable; default: the default job\'s suites)')
      .option('-p, --provider <spec...>', `provider: ${providerUsage()} (repeatable; default: the default job's providers, the built-in model dense and sparse; the oracle only when named)`)
      .option('--limit <n>', 'first N items of each suite', intFlag(1))
      .option('--repeats <k>', 'attempts per item and provider (pass@k for k ≤ K)', intFlag(1))
      .option('--concurrency <n>', `model calls in flight at once (default ${DEFAULT_SETTINGS.concurrency})`, intFlag(1))
      .option('--workers <n>', `scoring worker threads; 0 scores on the main thread (default: cores = ${DEFAULT_SETTINGS.workers})`, intFlag(0))
      .option('--seed <s>', 'seed for generated suites: 0 (default) keeps the seed each suite.json pins, N offsets it by N (a new item set)', intFlag(0))
      .option('--out <dir>', 'results folder (default results/<run-id>)')
      .option('--resume <dir>', 'continue a stopped or killed run in <dir> (its stored suites/providers/settings)')
      .option('--retry-errors', 'with --resume: run again the attempts that ended in an error (provider failures, timeouts)')
      .option('--rerun-changed', 'with --resume: when suite files changed since the run started, discard the finished attempts of the changed suites and run them again (without it such a resume is refused)')
      .option('--config <file>', 'JSON run config (schemas/config.schema.json); flags override it')
      .option('--cache <file>', 'SQLite response cache file (default .dsabench-cache/responses.sqlite)')
      .option('--no-cache', 'do not reuse cached responses (new responses are still cached)')
      .option('--unsafe-no-sandbox', 'run untrusted code without the sandbox (DANGEROUS; only in a throwaway machine)')
      .option('--keep-workdirs', 'keep each attempt\'s work dir under <run dir>/work/')
      .option('--count-cached', 'count attempts replayed from the response cache in latency, tokens and cost as if fresh (default: counted apart as n_cached and left out)')
      .option('--allow-unsupported', 'exit 0 even when some attempts cannot run here (e.g. terminal tasks whose image cannot be built here); they are still left out of the mean')
      .option('--queue <url>', 'queued run: this process coordinates, `dsabench worker` processes on any machine make the attempts (redis://[user:pass@]host:port[/db], rediss:// for TLS; password also from DSABENCH_REDIS_PASSWORD)')
      .option('--shard <i/n>', 'run shard i of n of the attempts (CI matrices; dsabench merge joins the shard folders)')
      .option('-q, --quiet', 'no progress output')
      .option('--json', 'print summary.json to stdout instead of the table')
      .addHelpText('after', RUN_HELP)
      .action(runCommand);
  },
};

export default cmd;
