/**
 * A queue worker (`dsabench worker --queue URL`): runs the attempts coordinators queue, with
 * the providers, solvers, sandbox and scorers of a local run — each job goes through
 * runner/attempts.ts executeAttempts, so its record is the one a local run would write.
 *
 * - Runs are found in the registry (names.ts): every run a coordinator announces gets a
 *   BullMQ Worker with `concurrency` jobs at once; a run that stays unannounced (finished)
 *   is left.
 * - What the job needs comes with it or by content hash (blobs.ts), checked on arrival.
 * - A job is refused, with the reason in its sample, when this worker cannot make the
 *   attempt the run asked for: other dsabench code (version.ts), a suite other than the
 *   run's, inputs that do not hash to what the job says, a suite that needs the sandbox on a
 *   machine without one. A worker of other code takes one job of such a run (so the reason
 *   reaches the run) and then leaves the run to the others.
 * - Nothing from a job runs outside the sandbox: whether to use the sandbox is this
 *   worker's own flag (--unsafe-no-sandbox), never the job's; solvers and scorers are looked
 *   up by name in the registries, and items arrive as data (no generator or loader runs here).
 * - API keys are this machine's (the provider's api_key_env). A job names its provider, so
 *   whoever can write to the queue can point this worker's requests, and the key they carry,
 *   at a URL of their choice: the queue's password and TLS are the boundary, and
 *   `allowProviders` (--allow-provider) narrows what a job may ask for.
 * - Redis going away is a pause: BullMQ and ioredis reconnect; a job whose lock lapsed
 *   meanwhile is handed out again by the stall check, and the coordinator keeps only one
 *   record per attempt.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createProvider } from '../../providers/index.js';
import { executeAttempts, WorkDirs } from '../attempts.js';
import { ScoringPool } from '../pool.js';
import { loadPrices } from '../prices.js';
import type { ProviderEntry } from '../settings.js';
import { checkSuiteRequirements } from '../../suites/requirements.js';
import type { AttemptRecord, Provider, Suite } from '../../types.js';
import { hashJson } from '../../util/hash.js';
import { BlobReader } from './blobs.js';
import { PREFIX, REGISTRY_KEY } from './names.js';
import {
  keyParts, parseAttemptInput, parseAttemptJob, parseRegistration, parseSuiteConfig, type AttemptInput, type AttemptJob, type JobResult, type RunRegistration,
} from './protocol.js';
import { bullConnection, closeRedis, connectRedis } from './redis.js';
import type { RedisTarget } from './url.js';
import { codeVersion } from './version.js';
import { pause } from '../../util/pause.js';

export interface QueueWorkerOptions {
  target: RedisTarget;
  /** Jobs in flight at once, per run served. */
  concurrency: number;
  /** Scoring threads (runner/pool.ts; 0 scores on the main thread). */
  scoringWorkers?: number;
  /** Serve only this run. */
  runId?: string;
  /** Exit after this long with no job in flight and none finished (ms). */
  idleExitMs?: number;
  unsafeNoSandbox: boolean;
  /** Response cache file of this machine; null = none. */
  cache: string | null;
  /** This worker's answer to "may I read cached responses"; a run's --no-cache also says no. */
  noCache: boolean;
  /** BullMQ job lock (default 30 s): a worker silent this long has its jobs handed to others. */
  lockDurationMs?: number;
  /** BullMQ stall check period (default 30 s). */
  stalledIntervalMs?: number;
  /** Shown by coordinators as who made each attempt (default host:pid). */
  name: string;
  /** Period of the look for runs (default 1 s). */
  discoverMs?: number;
  /** Finish the jobs in flight, then return. (To drop them instead, exit the process: the stall check hands them to other workers.) */
  stop: AbortSignal;
  log: (line: string) => void;
  /** Period of the status line (ms; 0 = none). */
  statusMs?: number;
  /** Serve only these provider specs, without options that redirect requests or keys; undefined = any. */
  allowProviders?: readonly string[];
}

/** Why this worker will not open the job's provider (its allow list), or null. */
export function providerRefusal(entry: ProviderEntry, allow: readonly string[] | undefined): string | null {
  if (allow === undefined) return null;
  if (!allow.includes(entry.spec)) return `provider "${entry.spec}" is not in this worker's --allow-provider list (${allow.join(', ')})`;
  for (const k of ['base_url', 'api_key_env'] as const) {
    if (entry.options?.[k] !== undefined) return `provider option ${k} would send this worker's requests or API key elsewhere; refused under --allow-provider`;
  }
  return null;
}

export interface QueueWorkerOutcome {
  processed: number;
  refused: number;
  runs: string[];
}

interface Served {
  worker: Worker<unknown, JobResult>;
  reg: RunRegistration;
  /** Consecutive looks that did not find the run announced. */
  missing: number;
}

/** A job the worker cannot do right now but another try may (inputs not written yet): BullMQ retries it. */
class TransientJobError extends Error {}


/** What one job's attempt needs, checked: the suite of its one item, its input and its provider. */
interface PreparedJob {
  data: AttemptJob;
  suite: Suite;
  input: AttemptInput;
  provider: Provider;
}

/**
 * One worker process's state: the runs it serves (one BullMQ Worker each), the providers it
 * opened, the scoring pool and work dirs every job shares, and its counts.
 */
class QueueWorker {
  readonly version = codeVersion();
  private readonly blobs: BlobReader;
  private readonly pool: ScoringPool;
  private readonly prices = loadPrices();
  private readonly workRoot: string;
  private readonly workDirs: WorkDirs;
  private readonly providers = new Map<string, Promise<Provider>>();
  private readonly served = new Map<string, Served>();
  private readonly left = new Set<string>();
  private readonly sandboxChecks = new Map<string, string | null>();
  readonly runsSeen = new Set<string>();
  processed = 0;
  refused = 0;
  private active = 0;
  private lastBusy = Date.now();
  private lastRedisError = 0;

  constructor(private readonly opts: QueueWorkerOptions, private readonly redis: Redis) {
    redis.on('error', this.redisError);
    this.blobs = new BlobReader(redis);
    this.pool = new ScoringPool(opts.scoringWorkers === undefined ? {} : { workers: opts.scoringWorkers });
    this.workRoot = mkdtempSync(join(tmpdir(), 'dsabench-worker-'));
    // One set of work dirs for every job, as in a local run: an emptied dir is handed out again
    // (making and removing a directory per attempt costs more than a light attempt).
    this.workDirs = new WorkDirs(this.workRoot, false);
  }

  /** A Redis error, said at most once per 5 s (ioredis and BullMQ reconnect on their own). */
  readonly redisError = (err: Error): void => {
    if (Date.now() - this.lastRedisError < 5000) return;
    this.lastRedisError = Date.now();
    this.opts.log(`Redis (${this.opts.target.display}): ${err.message}; reconnecting`);
  };

  private providerFor(entry: ProviderEntry, noCache: boolean): Promise<Provider> {
    const key = JSON.stringify([entry.spec, entry.options ?? null, noCache]);
    let p = this.providers.get(key);
    if (!p) {
      p = createProvider(entry.spec, { cachePath: this.opts.cache, noCache, ...(entry.options ? { config: entry.options } : {}) });
      // A provider that failed to open is tried again by the next job (the failure may be passing).
      p.catch(() => this.providers.delete(key));
      this.providers.set(key, p);
    }
    return p;
  }

  /** Why this machine cannot score the suite's item (no sandbox), or null. */
  private sandboxProblem(suite: Suite, configHash: string): string | null {
    // The answer depends on the suite config and on whether the item is runnable at all.
    const key = `${configHash}:${suite.items.some((i) => i.metadata?.['unsupported'] === true)}`;
    const known = this.sandboxChecks.get(key);
    if (known !== undefined) return known;
    let why: string | null = null;
    try {
      checkSuiteRequirements([suite], { unsafeNoSandbox: this.opts.unsafeNoSandbox, limit: null });
    } catch (err) {
      why = (err as Error).message;
    }
    this.sandboxChecks.set(key, why);
    return why;
  }

  /** A blob's value; a missing one throws (BullMQ tries the job again after a backoff), a corrupt one is a refusal. */
  private async fetchBlob(qname: string, hash: string): Promise<{ value: unknown } | { refused: string }> {
    const got = await this.blobs.get(qname, hash);
    if ('value' in got) return got;
    if (got.transient) throw new TransientJobError(got.error);
    return { refused: got.error };
  }

  private leaveRun(qname: string, why: string): void {
    if (this.left.has(qname)) return;
    this.left.add(qname);
    this.opts.log(`leaving ${qname}: ${why}`);
    const s = this.served.get(qname);
    this.served.delete(qname);
    // Not awaited here: close() waits for the jobs in flight, the refusing one included.
    if (s) setImmediate(() => void s.worker.close().catch(() => {}));
  }

  /** Everything a job says checked against this worker and the run, its inputs fetched. */
  private async prepare(qname: string, job: Job<unknown, JobResult>): Promise<PreparedJob | { refused: string }> {
    const { version } = this;
    const data = parseAttemptJob(job.data);
    if (typeof data === 'string') return { refused: data };
    if (data.version !== version) {
      this.leaveRun(qname, `its attempts need dsabench ${data.version}, this worker runs ${version}`);
      return { refused: `this worker runs dsabench ${version}, the run was queued by ${data.version}: install the coordinator's version on the workers (same package version and build)` };
    }
    const notAllowed = providerRefusal(data.provider, this.opts.allowProviders);
    if (notAllowed !== null) return { refused: notAllowed };
    const reg = this.served.get(qname)?.reg;
    if (reg && reg.suite_hashes[data.suite] !== data.suite_hash) {
      return { refused: `suite "${data.suite}" has hash ${data.suite_hash} in this job, but the run now has ${reg.suite_hashes[data.suite] ?? 'no such suite'} (queued before the suite files changed)` };
    }
    const cfg = await this.fetchBlob(qname, data.config);
    if ('refused' in cfg) return cfg;
    const inp = await this.fetchBlob(qname, data.input);
    if ('refused' in inp) return inp;
    const config = parseSuiteConfig(cfg.value, data.suite);
    if (typeof config === 'string') return { refused: config };
    const input = parseAttemptInput(inp.value);
    if (typeof input === 'string') return { refused: input };
    const key = keyParts(data.key)!;
    if (input.item.id !== key.itemId) return { refused: `the input is item "${input.item.id}", the job's attempt is of item "${key.itemId}"` };
    // The prompt and settings must be the ones the run hashed into the attempt's input_hash.
    if (hashJson({ messages: input.messages, settings: data.settings }) !== data.input_hash) return { refused: 'the prompt and settings do not hash to the job\'s input_hash' };
    const suite: Suite = { config, spec: config.name, items: [input.item] };
    const noSandbox = this.sandboxProblem(suite, data.config);
    if (noSandbox !== null) return { refused: noSandbox };
    const provider = await this.providerFor(data.provider, data.no_cache || this.opts.noCache);
    if (provider.id !== key.provider) return { refused: `provider "${data.provider.spec}" opens here as "${provider.id}", the run expects "${key.provider}"` };
    return { data, suite, input, provider };
  }

  /** One job: its attempt made as a local run makes it, or the reason it is refused. */
  private async process1(qname: string, job: Job<unknown, JobResult>): Promise<JobResult> {
    const p = await this.prepare(qname, job);
    if ('refused' in p) return p;
    const { data, suite, input, provider } = p;
    let rec: AttemptRecord | undefined;
    await executeAttempts({
      runId: data.run_id,
      suites: [suite],
      providers: [provider],
      repeats: 1,
      limit: null,
      concurrency: 1,
      pool: this.pool,
      prices: this.prices,
      workRoot: this.workRoot,
      workDirs: this.workDirs,
      unsafeNoSandbox: this.opts.unsafeNoSandbox,
      planned: [{ suite, item: input.item, provider, attempt: data.attempt, messages: input.messages, settings: data.settings, inputHash: data.input_hash }],
      onRecord: (r) => {
        rec = r;
      },
    });
    if (!rec) throw new Error('the attempt was stopped before its record was made');
    return { record: rec };
  }

  private processor(qname: string): (job: Job<unknown, JobResult>) => Promise<JobResult> {
    return async (job) => {
      this.active++;
      this.lastBusy = Date.now();
      try {
        const res = await this.process1(qname, job);
        if ('refused' in res) this.refused++;
        this.processed++;
        return res;
      } finally {
        this.active--;
        this.lastBusy = Date.now();
      }
    };
  }

  private serve(qname: string, reg: RunRegistration): void {
    const { opts, version } = this;
    const sameCode = reg.version === version;
    const worker = new Worker<unknown, JobResult>(qname, this.processor(qname), {
      connection: bullConnection(opts.target),
      prefix: PREFIX,
      // Other code: one job, to put the refusal in a sample, then leave (leaveRun).
      concurrency: sameCode ? Math.max(1, opts.concurrency) : 1,
      name: opts.name,
      maxStalledCount: 1,
      ...(opts.lockDurationMs !== undefined ? { lockDuration: opts.lockDurationMs } : {}),
      ...(opts.stalledIntervalMs !== undefined ? { stalledInterval: opts.stalledIntervalMs } : {}),
    });
    worker.on('error', this.redisError);
    // This worker's stall check found an attempt whose worker went silent: it runs again, here or elsewhere.
    worker.on('stalled', (jobId: string) => opts.log(`an attempt of a lost worker is queued again (${reg.run_id}, job ${jobId.slice(0, 24)}…)`));
    this.served.set(qname, { worker, reg, missing: 0 });
    this.runsSeen.add(reg.run_id);
    opts.log(`serving run ${reg.run_id} (queue ${qname}, coordinator ${reg.coordinator})${sameCode ? '' : ` — queued by dsabench ${reg.version}, this worker runs ${version}`}`);
  }

  /** One look at the registry: serve newly announced runs, leave runs unannounced for a while. */
  async discover(): Promise<void> {
    const { opts, served } = this;
    const all = await this.redis.hgetall(REGISTRY_KEY);
    for (const [qname, text] of Object.entries(all)) {
      if (this.left.has(qname)) continue;
      const reg = parseRegistration(text);
      if (!reg || (opts.runId !== undefined && reg.run_id !== opts.runId)) continue;
      const s = served.get(qname);
      if (s) {
        s.reg = reg;
        s.missing = 0;
      } else this.serve(qname, reg);
    }
    for (const [qname, s] of served) {
      if (qname in all) continue;
      // Unannounced for a while: finished (a Redis restart also drops the announcement, until the next heartbeat).
      if (++s.missing * (opts.discoverMs ?? 1000) < 10_000) continue;
      served.delete(qname);
      opts.log(`run ${s.reg.run_id} is no longer announced: leaving it`);
      await s.worker.close();
    }
  }

  /** Looks for runs every discoverMs until stopped or idle for idleExitMs, with a status line every statusMs. */
  async loop(): Promise<void> {
    const { opts } = this;
    const started = Date.now();
    let lastStatus = started;
    while (!opts.stop.aborted) {
      try {
        await this.discover();
      } catch (err) {
        this.redisError(err as Error);
      }
      if (opts.idleExitMs !== undefined && this.active === 0 && Date.now() - this.lastBusy >= opts.idleExitMs) {
        opts.log(`idle for ${Math.round(opts.idleExitMs / 1000)} s: exiting`);
        break;
      }
      if (opts.statusMs && Date.now() - lastStatus >= opts.statusMs) {
        lastStatus = Date.now();
        const secs = (Date.now() - started) / 1000;
        opts.log(`worker ${opts.name}: ${this.processed} attempts (${(this.processed / secs).toFixed(1)}/s), ${this.active} in flight, ${this.refused} refused, serving ${this.served.size} run(s)`);
      }
      await pause(opts.discoverMs ?? 1000, opts.stop);
    }
  }

  /** Graceful: BullMQ waits for the jobs in flight, so their records reach the coordinator. */
  async close(): Promise<void> {
    await Promise.all([...this.served.values()].map((s) => s.worker.close().catch(() => {})));
    this.served.clear();
    await this.pool.close();
    for (const p of this.providers.values()) {
      try {
        await (await p).close?.();
      } catch {
        // closing is best effort
      }
    }
    this.workDirs.dispose();
    rmSync(this.workRoot, { recursive: true, force: true });
    await closeRedis(this.redis);
  }
}

export async function runQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorkerOutcome> {
  const redis = await connectRedis(opts.target, undefined, opts.log);
  const w = new QueueWorker(opts, redis);
  try {
    await w.loop();
  } finally {
    await w.close();
  }
  return { processed: w.processed, refused: w.refused, runs: [...w.runsSeen] };
}
