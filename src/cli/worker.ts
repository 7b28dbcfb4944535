/**
 * `dsabench worker --queue URL`: make the attempts of queued runs (`dsabench run --queue URL`)
 * on this machine. Serves every run announced on that Redis (or one, --run), until Ctrl-C /
 * SIGTERM (finish the attempts in flight, then exit 0; a second signal exits at once and
 * BullMQ's stall check hands those attempts to other workers) or --idle-exit.
 *
 * Exit codes: 0 stopped as asked; 1 Redis unreachable or a failure of the worker itself;
 * 2 bad flags.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SETTINGS } from '../runner/defaults.js';
import type { CommandModule } from './command.js';
import { intFlag } from './flags.js';

interface WorkerFlags {
  queue: string;
  concurrency?: number;
  workers?: number;
  run?: string;
  idleExit?: number;
  unsafeNoSandbox?: boolean;
  cache?: string | boolean;
  lockDuration?: number;
  stalledInterval?: number;
  name?: string;
  quiet?: boolean;
  allowProvider?: string[];
}

const cmd: CommandModule = {
  register(program: Command): void {
    program
      .command('worker')
      .description('Make the attempts of queued runs (dsabench run --queue URL) on this machine, with its providers, sandbox and scorers')
      .requiredOption('--queue <url>', 'the Redis of the queued runs: redis://[user:pass@]host:port[/db], or rediss:// for TLS (?ca=FILE&cert=FILE&key=FILE); password also from DSABENCH_REDIS_PASSWORD')
      .option('--concurrency <n>', `attempts in flight at once, per run (default ${DEFAULT_SETTINGS.concurrency})`, intFlag(1))
      .option('--workers <n>', 'scoring worker threads; 0 scores on the main thread (default: cores)', intFlag(0))
      .option('--run <id>', 'serve only this run (default: every run announced on the queue)')
      .option('--idle-exit <sec>', 'exit 0 after this many seconds without an attempt (CI jobs)', intFlag(1))
      .option('--unsafe-no-sandbox', 'run untrusted code without the sandbox on this machine (DANGEROUS; a job can never ask for this)')
      .option('--cache <file>', 'SQLite response cache file of this machine (default .dsabench-cache/responses.sqlite)')
      .option('--no-cache', 'do not reuse cached responses (new responses are still cached)')
      .option('--lock-duration <ms>', 'BullMQ job lock: a worker silent this long loses its attempts to others (default 30000)', intFlag(100))
      .option('--stalled-interval <ms>', 'how often this worker looks for attempts of lost workers (default 30000)', intFlag(100))
      .option('--name <name>', 'how coordinators name this worker (default host:pid)')
      .option('--allow-provider <spec...>', 'make attempts only for these provider specs, as the runs name them (and refuse provider options base_url and api_key_env); default: any')
      .option('-q, --quiet', 'no status lines')
      .addHelpText('after', `
Examples:
  $ dsabench worker --queue redis://queue-host:6379 --concurrency 16
  $ DSABENCH_REDIS_PASSWORD=… dsabench worker --queue rediss://queue-host:6380?ca=ca.pem
  $ dsabench worker --queue redis://127.0.0.1:6379 --idle-exit 60      # a CI job

Each attempt runs as in a local run (same solvers, scorers, sandbox, record); the record
goes back to the coordinator, which writes the run folder. API keys come from this
machine's environment (the provider's api_key_env), never from the queue; but a job names
its provider, so anyone who can write to the queue can send this worker's requests (with
their keys) to a URL of their choice: keep the queue behind a password (and TLS off the
local network), or pin what jobs may ask for with --allow-provider. A job is refused,
with the reason in its sample, when this worker cannot make the attempt the run asked for:
other dsabench code (the package version and a hash of the compiled code must match the
coordinator's), inputs that do not match their hashes, a suite that needs the sandbox on a
machine without one (unless --unsafe-no-sandbox here).`)
      .action(async (flags: WorkerFlags) => {
        const [{ parseRedisUrl }, { runQueueWorker }] = await Promise.all([import('../runner/queue/url.js'), import('../runner/queue/worker.js')]);
        const target = parseRedisUrl(flags.queue);
        if (flags.unsafeNoSandbox) process.stderr.write('WARNING: --unsafe-no-sandbox: untrusted code from model outputs runs directly on this machine\n');
        const stop = new AbortController();
        const onSignal = (): void => {
          if (!stop.signal.aborted) {
            stop.abort();
            process.stderr.write('\nstopping: finishing the attempts in flight (press Ctrl-C again to drop them to other workers)\n');
          } else {
            // The jobs in flight keep their lock until it lapses; then the stall check gives them to other workers.
            process.stderr.write('\nexiting now: the attempts in flight go to other workers after the stall check\n');
            process.exit(130);
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        const log = (l: string): void => {
          if (!flags.quiet) process.stderr.write(l + '\n');
        };
        const cacheSetting = flags.cache;
        const name = flags.name ?? `${hostname()}:${process.pid}`;
        log(`worker ${name} on ${target.display}${flags.run ? `, run ${flags.run}` : ''}`);
        try {
          const envMs = Number(process.env['DSABENCH_PROGRESS_MS']);
          const out = await runQueueWorker({
            target,
            concurrency: flags.concurrency ?? DEFAULT_SETTINGS.concurrency,
            ...(flags.workers !== undefined ? { scoringWorkers: flags.workers } : {}),
            ...(flags.run ? { runId: flags.run } : {}),
            ...(flags.idleExit !== undefined ? { idleExitMs: flags.idleExit * 1000 } : {}),
            unsafeNoSandbox: flags.unsafeNoSandbox ?? false,
            cache: typeof cacheSetting === 'string' ? resolve(cacheSetting) : resolve(DEFAULT_SETTINGS.cache ?? '.dsabench-cache/responses.sqlite'),
            noCache: cacheSetting === false,
            ...(flags.lockDuration !== undefined ? { lockDurationMs: flags.lockDuration } : {}),
            ...(flags.stalledInterval !== undefined ? { stalledIntervalMs: flags.stalledInterval } : {}),
            name,
            stop: stop.signal,
            log,
            statusMs: Number.isFinite(envMs) && envMs > 0 ? envMs : 10_000,
            ...(flags.allowProvider ? { allowProviders: flags.allowProvider } : {}),
          });
          log(`worker ${name}: ${out.processed} attempts made (${out.refused} refused) for ${out.runs.length} run(s)`);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      });
  },
};

export default cmd;
