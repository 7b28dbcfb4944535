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
import { keyParts, parseAttemptInput, parseAttemptJob, parseRegistration, parseSuiteConfig, type JobResult, type RunRegistration } from './protocol.js';
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


export async function runQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorkerOutcome> {
  const version = codeVersion();
  const redis = await connectRedis(opts.target, undefined, opts.log);
  let lastRedisError = 0;
  const redisError = (err: Error): void => {
    if (Date.now() - lastRedisError < 5000) return;
    lastRedisError = Date.now();
    opts.log(`Redis (${opts.target.display}): ${err.message}; reconnecting`);
  };
  redis.on('error', redisError);
  const blobs = new BlobReader(redis);
  const pool = new ScoringPool(opts.scoringWorkers === undefined ? {} : { workers: opts.scoringWorkers });
  const prices = loadPrices();
  const workRoot = mkdtempSync(join(tmpdir(), 'dsabench-worker-'));
  // One set of work dirs for every job, as in a local run: an emptied dir is handed out again
  // (making and removing a directory per attempt costs more than a light attempt).
  const workDirs = new WorkDirs(workRoot, false);
  const providers = new Map<string, Promise<Provider>>();
  const served = new Map<string, Served>();
  const left = new Set<string>();
  const sandboxChecks = new Map<string, string | null>();
  let processed = 0;
  let refused = 0;
  let active = 0;
  let lastBusy = Date.now();
  const runsSeen = new Set<string>();

  const providerFor = (entry: ProviderEntry, noCache: boolean): Promise<Provider> => {
    const key = JSON.stringify([entry.spec, entry.options ?? null, noCache]);
    let p = providers.get(key);
    if (!p) {
      p = createProvider(entry.spec, { cachePath: opts.cache, noCache, ...(entry.options ? { config: entry.options } : {}) });
      // A provider that failed to open is tried again by the next job (the failure may be passing).
      p.catch(() => providers.delete(key));
      providers.set(key, p);
    }
    return p;
  };

  /** Why this machine cannot score the suite's item (no sandbox), or null. */
  const sandboxProblem = (suite: Suite, configHash: string): string | null => {
    // The answer depends on the suite config and on whether the item is runnable at all.
    const key = `${configHash}:${suite.items.some((i) => i.metadata?.['unsupported'] === true)}`;
    const known = sandboxChecks.get(key);
    if (known !== undefined) return known;
    let why: string | null = null;
    try {
      checkSuiteRequirements([suite], { unsafeNoSandbox: opts.unsafeNoSandbox, limit: null });
    } catch (err) {
      why = (err as Error).message;
    }
    sandboxChecks.set(key, why);
    return why;
  };

  /** A blob's value; a missing one throws (BullMQ tries the job again after a backoff), a corrupt one is a refusal. */
  const fetchBlob = async (qname: string, hash: string): Promise<{ value: unknown } | { refused: string }> => {
    const got = await blobs.get(qname, hash);
    if ('value' in got) return got;
    if (got.transient) throw new TransientJobError(got.error);
    return { refused: got.error };
  };

  const leaveRun = (qname: string, why: string): void => {
    if (left.has(qname)) return;
    left.add(qname);
    opts.log(`leaving ${qname}: ${why}`);
    const s = served.get(qname);
    served.delete(qname);
    // Not awaited here: close() waits for the jobs in flight, the refusing one included.
    if (s) setImmediate(() => void s.worker.close().catch(() => {}));
  };

  const process1 = async (qname: string, job: Job<unknown, JobResult>): Promise<JobResult> => {
    const data = parseAttemptJob(job.data);
    if (typeof data === 'string') return { refused: data };
    if (data.version !== version) {
      leaveRun(qname, `its attempts need dsabench ${data.version}, this worker runs ${version}`);
      return { refused: `this worker runs dsabench ${version}, the run was queued by ${data.version}: install the coordinator's version on the workers (same package version and build)` };
    }
    const notAllowed = providerRefusal(data.provider, opts.allowProviders);
    if (notAllowed !== null) return { refused: notAllowed };
    const reg = served.get(qname)?.reg;
    if (reg && reg.suite_hashes[data.suite] !== data.suite_hash) {
      return { refused: `suite "${data.suite}" has hash ${data.suite_hash} in this job, but the run now has ${reg.suite_hashes[data.suite] ?? 'no such suite'} (queued before the suite files changed)` };
    }
    const cfg = await fetchBlob(qname, data.config);
    if ('refused' in cfg) return cfg;
    const inp = await fetchBlob(qname, data.input);
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
    const noSandbox = sandboxProblem(suite, data.config);
    if (noSandbox !== null) return { refused: noSandbox };
    const provider = await providerFor(data.provider, data.no_cache || opts.noCache);
    if (provider.id !== key.provider) return { refused: `provider "${data.provider.spec}" opens here as "${provider.id}", the run expects "${key.provider}"` };
    let rec: AttemptRecord | undefined;
    await executeAttempts({
      runId: data.run_id,
      suites: [suite],
      providers: [provider],
      repeats: 1,
      limit: null,
      concurrency: 1,
      pool,
      prices,
      workRoot,
      workDirs,
      unsafeNoSandbox: opts.unsafeNoSandbox,
      planned: [{ suite, item: input.item, provider, attempt: data.attempt, messages: input.messages, settings: data.settings, inputHash: data.input_hash }],
      onRecord: (r) => {
        rec = r;
      },
    });
    if (!rec) throw new Error('the attempt was stopped before its record was made');
    return { record: rec };
  };

  const processor = (qname: string) => async (job: Job<unknown, JobResult>): Promise<JobResult> => {
    active++;
    lastBusy = Date.now();
    try {
      const res = await process1(qname, job);
      if ('refused' in res) refused++;
      processed++;
      return res;
    } finally {
      active--;
      lastBusy = Date.now();
    }
  };

  const serve = (qname: string, reg: RunRegistration): void => {
    const sameCode = reg.version === version;
    const worker = new Worker<unknown, JobResult>(qname, processor(qname), {
      connection: bullConnection(opts.target),
      prefix: PREFIX,
      // Other code: one job, to put the refusal in a sample, then leave (leaveRun).
      concurrency: sameCode ? Math.max(1, opts.concurrency) : 1,
      name: opts.name,
      maxStalledCount: 1,
      ...(opts.lockDurationMs !== undefined ? { lockDuration: opts.lockDurationMs } : {}),
      ...(opts.stalledIntervalMs !== undefined ? { stalledInterval: opts.stalledIntervalMs } : {}),
    });
    worker.on('error', redisError);
    // This worker's stall check found an attempt whose worker went silent: it runs again, here or elsewhere.
    worker.on('stalled', (jobId: string) => opts.log(`an attempt of a lost worker is queued again (${reg.run_id}, job ${jobId.slice(0, 24)}…)`));
    served.set(qname, { worker, reg, missing: 0 });
    runsSeen.add(reg.run_id);
    opts.log(`serving run ${reg.run_id} (queue ${qname}, coordinator ${reg.coordinator})${sameCode ? '' : ` — queued by dsabench ${reg.version}, this worker runs ${version}`}`);
  };

  const discover = async (): Promise<void> => {
    const all = await redis.hgetall(REGISTRY_KEY);
    for (const [qname, text] of Object.entries(all)) {
      if (left.has(qname)) continue;
      const reg = parseRegistration(text);
      if (!reg || (opts.runId !== undefined && reg.run_id !== opts.runId)) continue;
      const s = served.get(qname);
      if (s) {
        s.reg = reg;
        s.missing = 0;
      } else serve(qname, reg);
    }
    for (const [qname, s] of served) {
      if (qname in all) continue;
      // Unannounced for a while: finished (a Redis restart also drops the announcement, until the next heartbeat).
      if (++s.missing * (opts.discoverMs ?? 1000) < 10_000) continue;
      served.delete(qname);
      opts.log(`run ${s.reg.run_id} is no longer announced: leaving it`);
      await s.worker.close();
    }
  };

  const started = Date.now();
  let lastStatus = started;
  try {
    while (!opts.stop.aborted) {
      try {
        await discover();
      } catch (err) {
        redisError(err as Error);
      }
      if (opts.idleExitMs !== undefined && active === 0 && Date.now() - lastBusy >= opts.idleExitMs) {
        opts.log(`idle for ${Math.round(opts.idleExitMs / 1000)} s: exiting`);
        break;
      }
      if (opts.statusMs && Date.now() - lastStatus >= opts.statusMs) {
        lastStatus = Date.now();
        const secs = (Date.now() - started) / 1000;
        opts.log(`worker ${opts.name}: ${processed} attempts (${(processed / secs).toFixed(1)}/s), ${active} in flight, ${refused} refused, serving ${served.size} run(s)`);
      }
      await pause(opts.discoverMs ?? 1000, opts.stop);
    }
  } finally {
    // Graceful: BullMQ waits for the jobs in flight, so their records reach the coordinator.
    await Promise.all([...served.values()].map((s) => s.worker.close().catch(() => {})));
    served.clear();
    await pool.close();
    for (const p of providers.values()) {
      try {
        await (await p).close?.();
      } catch {
        // closing is best effort
      }
    }
    workDirs.dispose();
    rmSync(workRoot, { recursive: true, force: true });
    await closeRedis(redis);
  }
  return { processed, refused, runs: [...runsSeen] };
}
