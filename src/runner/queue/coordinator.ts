/**
 * The coordinator of a queued run (`dsabench run --queue URL`): the same attempts a local run
 * would make (runner/attempts.ts planAttempts), one BullMQ job each, run by `dsabench worker`
 * processes anywhere; their records come back and are written here, by the single writer
 * of the run folder.
 *
 * Why nothing is lost or done twice:
 * - job id = the attempt key, so adding a job again (a resumed coordinator) is a no-op;
 * - a job stays in Redis after it completes until its record is appended to samples.jsonl,
 *   then it is removed: a coordinator killed in between finds the record on --resume (the
 *   key is skipped, the job just removed) or the job (its record is appended then);
 * - a worker killed mid-attempt loses its job lock: BullMQ's stall check hands the job to
 *   another worker (once; a second stall fails it, recorded as an error);
 * - Redis restarted without its data: every few seconds the coordinator compares the jobs
 *   Redis holds with the attempts it waits for, and queues the missing ones again (inputs
 *   first). It also re-announces the run, which is how workers find it.
 * - a job whose data differs from what this coordinator would queue (a resume after the
 *   suite files changed, --rerun-changed) is not recorded: it is replaced and run again.
 *
 * Ctrl-C stops waiting, not the work: the jobs stay queued and keep running on the workers;
 * `dsabench run --resume DIR` collects them.
 */
import { hostname } from 'node:os';
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { planAttempts, type ExecuteResult, type PlannedAttempt } from '../attempts.js';
import type { ProviderEntry } from '../settings.js';
import { attemptKey } from '../../results/store.js';
import type { AttemptRecord, GenerationSettings, Provider, Suite } from '../../types.js';
import { BlobWriter, blobOf, type Blob } from './blobs.js';
import { PREFIX, REGISTRY_KEY, jobIdOf, queueName } from './names.js';
import { PROTOCOL, parseJobResult, type AttemptJob, type RunRegistration } from './protocol.js';
import { failureRecord } from './records.js';
import { bullConnection, closeRedis, connectRedis, withTimeout } from './redis.js';
import type { WorkerStats } from './stats.js';
import type { RedisTarget } from './url.js';
import { codeVersion } from './version.js';
import { pause } from '../../util/pause.js';

export interface QueuedRunOptions {
  target: RedisTarget;
  runId: string;
  suites: readonly Suite[];
  providers: readonly Provider[];
  /** The specs the providers were opened from, in the same order (what workers open). */
  providerEntries: readonly ProviderEntry[];
  repeats: number;
  limit: number | null;
  generation?: GenerationSettings;
  /** Attempt keys not to queue (done before, or outside this shard). */
  skip: ReadonlySet<string>;
  suiteHashes: Readonly<Record<string, string>>;
  noCache: boolean;
  onRecord: (rec: AttemptRecord) => void;
  stop?: AbortSignal;
  log: (line: string) => void;
  stats: WorkerStats;
  /** Wait between looks for finished jobs when there were none (default 100 ms). */
  pollMs?: number;
  /** Period of the heartbeat and of the check for jobs Redis lost (default 2 s). */
  reconcileMs?: number;
}

interface Pending {
  planned: PlannedAttempt;
  data: AttemptJob;
  /** JSON of `data`: a finished job whose data differs is stale. */
  dataText: string;
  blobs: Blob[];
  queuedAt: string;
}

const JOB_NAME = 'attempt';
/** Jobs per addBulk, and finished jobs read per look. */
const CHUNK = 200;
/** A job a worker's processor threw on runs again this many times in all (with backoff); stalls are counted apart by BullMQ. */
const JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: false, removeOnFail: false } as const;


/** Calls `say` at most once per `everyMs` (Redis errors repeat on every reconnect attempt). */
function throttled(say: (l: string) => void, everyMs: number): (l: string) => void {
  let last = 0;
  return (l) => {
    const t = Date.now();
    if (t - last >= everyMs) {
      last = t;
      say(l);
    }
  };
}

/**
 * One queued run's coordination: the jobs it queued and waits for (`pending`), the blobs they
 * need, the heartbeat, and the records of finished jobs handed to `onRecord`.
 */
class Coordinator {
  readonly qname: string;
  readonly version = codeVersion();
  readonly queue: Queue;
  private readonly blobs: BlobWriter;
  private readonly me = `${hostname()}:${process.pid}`;
  readonly pending = new Map<string, Pending>();
  private readonly entryOf = new Map<Provider, ProviderEntry>();
  private readonly configBlobs = new Map<Suite, Blob>();
  // One input blob per item, shared by its providers and repeats (a long-context prompt is hashed once).
  private readonly inputBlobs = new WeakMap<object, Blob>();
  recorded = 0;
  enqueueDone = false;
  /** addBulk calls in flight: their jobs are pending but not in Redis yet, so none is "missing". */
  private adding = 0;
  fatal: unknown = null;
  private readonly refusals = new Set<string>();

  constructor(private readonly opts: QueuedRunOptions, private readonly redis: Redis) {
    this.qname = queueName(opts.runId);
    this.queue = new Queue(this.qname, { connection: bullConnection(opts.target), prefix: PREFIX });
    const redisError = throttled((l) => opts.log(l), 5000);
    this.queue.on('error', (err: Error) => redisError(`Redis (${opts.target.display}): ${err.message}; reconnecting`));
    redis.on('error', (err: Error) => redisError(`Redis (${opts.target.display}): ${err.message}; reconnecting`));
    this.blobs = new BlobWriter(redis, this.qname);
    opts.providers.forEach((p, i) => this.entryOf.set(p, opts.providerEntries[i] ?? { spec: p.id }));
  }

  private registration(): RunRegistration {
    return { protocol: PROTOCOL, run_id: this.opts.runId, version: this.version, suite_hashes: { ...this.opts.suiteHashes }, coordinator: this.me, heartbeat: new Date().toISOString() };
  }

  private async announce(): Promise<void> {
    await this.redis.hset(REGISTRY_KEY, this.qname, JSON.stringify(this.registration()));
  }

  private toJob(p: PlannedAttempt): Pending {
    const { opts } = this;
    let cfg = this.configBlobs.get(p.suite);
    if (!cfg) this.configBlobs.set(p.suite, (cfg = blobOf(p.suite.config)));
    let input = this.inputBlobs.get(p.item);
    if (!input) this.inputBlobs.set(p.item, (input = blobOf({ item: p.item, messages: p.messages })));
    const key = attemptKey({ suite: p.suite.config.name, item_id: p.item.id, provider: p.provider.id, attempt: p.attempt });
    const data: AttemptJob = {
      protocol: PROTOCOL,
      run_id: opts.runId,
      key,
      version: this.version,
      suite: p.suite.config.name,
      suite_hash: opts.suiteHashes[p.suite.config.name] ?? '',
      config: cfg.hash,
      input: input.hash,
      provider: this.entryOf.get(p.provider) ?? { spec: p.provider.id },
      no_cache: opts.noCache,
      attempt: p.attempt,
      settings: p.settings,
      input_hash: p.inputHash,
    };
    return { planned: p, data, dataText: JSON.stringify(data), blobs: [cfg, input], queuedAt: new Date().toISOString() };
  }

  private async add(batch: Pending[], again: boolean): Promise<void> {
    this.adding++;
    try {
      // Inputs before jobs: a worker must never see a job whose inputs are not there yet.
      await this.blobs.put(batch.flatMap((b) => b.blobs), again);
      await this.queue.addBulk(batch.map((b) => ({ name: JOB_NAME, data: b.data, opts: { ...JOB_OPTIONS, jobId: jobIdOf(b.data.key) } })));
    } finally {
      this.adding--;
    }
  }

  /** Queues every planned attempt not skipped, CHUNK jobs per addBulk. */
  async enqueue(): Promise<void> {
    const { opts } = this;
    let batch: Pending[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      // Waited for before the job exists: a record that arrives at once must find its attempt.
      for (const b of batch) this.pending.set(jobIdOf(b.data.key), b);
      await this.add(batch, false);
      batch = [];
    };
    for (const p of planAttempts({ suites: opts.suites, providers: opts.providers, repeats: opts.repeats, limit: opts.limit, skip: opts.skip, ...(opts.generation ? { generation: opts.generation } : {}) })) {
      if (opts.stop?.aborted || this.fatal !== null) return;
      batch.push(this.toJob(p));
      if (batch.length >= CHUNK) await flush();
    }
    await flush();
  }

  /** The record of a finished job: the worker's, or a failure record saying why there is none. */
  private recordOf(job: Job, ok: boolean, pend: Pending): AttemptRecord {
    const { opts } = this;
    // Failed for good: its worker died twice (BullMQ's stall limit) or its processor kept throwing.
    if (!ok) return failureRecord(opts.runId, pend.planned, `worker failed: ${job.failedReason || 'unknown reason'}`, pend.queuedAt);
    const res = parseJobResult(job.returnvalue);
    if (typeof res === 'string') return failureRecord(opts.runId, pend.planned, `worker failed: ${res}`, pend.queuedAt);
    if ('refused' in res) {
      const why = `refused by worker ${job.processedBy ?? '?'}: ${res.refused}`;
      if (this.refusals.size < 20 && !this.refusals.has(res.refused)) {
        this.refusals.add(res.refused);
        opts.log(`warning: ${why}`);
      }
      return failureRecord(opts.runId, pend.planned, why, pend.queuedAt);
    }
    if (attemptKey(res.record) !== pend.data.key || res.record.run_id !== opts.runId || res.record.input_hash !== pend.data.input_hash)
      return failureRecord(opts.runId, pend.planned, `worker failed: it returned the record of another attempt`, pend.queuedAt);
    return res.record;
  }

  /** Record finished jobs (oldest first); returns how many jobs were looked at. */
  async collect(): Promise<number> {
    const { opts, queue, pending } = this;
    const completed = await queue.getJobs(['completed'], 0, CHUNK - 1, true);
    const failed = await queue.getJobs(['failed'], 0, CHUNK - 1, true);
    const jobs = [...completed.map((job) => ({ job, ok: true })), ...failed.map((job) => ({ job, ok: false }))];
    const remove: string[] = [];
    const replace: Pending[] = [];
    for (const { job, ok } of jobs) {
      const id = job.id;
      if (id === undefined) continue;
      const pend = pending.get(id);
      if (!pend) {
        // Recorded before (a coordinator killed between append and removal) or not this run's.
        remove.push(id);
        continue;
      }
      if (JSON.stringify(job.data) !== pend.dataText) {
        remove.push(id);
        replace.push(pend);
        continue;
      }
      opts.onRecord(this.recordOf(job, ok, pend));
      pending.delete(id);
      this.recorded++;
      opts.stats.count(job.processedBy, job.processedOn, job.finishedOn);
      remove.push(id);
    }
    // After the appends: a job disappears only once its record is in samples.jsonl.
    await Promise.all(remove.map((id) => queue.remove(id)));
    if (replace.length > 0) {
      opts.log(`${replace.length} queued attempt(s) were made from other inputs (the suites changed since they were queued): queued again`);
      await this.add(replace, true);
    }
    return jobs.length;
  }

  /** The pending jobs Redis holds no trace of (asked in pipelines of 1000). */
  private async missingJobs(): Promise<Pending[]> {
    const ids = [...this.pending.keys()];
    const missing: Pending[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const part = ids.slice(i, i + 1000);
      const pipe = this.redis.pipeline();
      for (const id of part) pipe.exists(this.queue.toKey(id));
      const res = (await pipe.exec()) ?? [];
      part.forEach((id, j) => {
        const r = res[j];
        const p = this.pending.get(id);
        if (p && r && r[0] === null && r[1] === 0) missing.push(p);
      });
    }
    return missing;
  }

  /** Heartbeat, and queue again what Redis no longer holds. */
  async reconcile(): Promise<void> {
    await this.announce();
    if (this.adding > 0 || this.pending.size === 0) return;
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'waiting-children');
    const held = Object.values(counts).reduce((a, n) => a + n, 0);
    if (held >= this.pending.size) return;
    const missing = await this.missingJobs();
    if (missing.length === 0) return;
    this.opts.log(`Redis no longer holds ${missing.length} queued attempt(s) (restarted without persistence?): queuing them again`);
    for (let i = 0; i < missing.length; i += CHUNK) await this.add(missing.slice(i, i + CHUNK), true);
  }

  /** Announces the run, queues its attempts and collects their records until all are in, a
   *  stop, or a fatal error (kept in `fatal`). Returns whether it was stopped. */
  async run(): Promise<boolean> {
    const { opts } = this;
    let stopped = false;
    await this.announce();
    opts.stats.start();
    const enqueuing = this.enqueue().then(
      () => {
        this.enqueueDone = true;
      },
      (err: unknown) => {
        this.fatal ??= err;
      },
    );
    let lastReconcile = Date.now();
    const reconcileMs = opts.reconcileMs ?? 2000;
    while (this.fatal === null) {
      if (opts.stop?.aborted) {
        stopped = true;
        break;
      }
      if (this.enqueueDone && this.pending.size === 0) break;
      let seen = 0;
      try {
        seen = await this.collect();
        if (Date.now() - lastReconcile >= reconcileMs) {
          lastReconcile = Date.now();
          await this.reconcile();
        }
      } catch (err) {
        this.fatal ??= err;
        break;
      }
      if (seen === 0) await pause(opts.pollMs ?? 100, opts.stop);
    }
    await enqueuing;
    await this.finish(stopped);
    return stopped;
  }

  /** All recorded: nothing of the run stays in Redis. Stopped: say what stays queued. */
  private async finish(stopped: boolean): Promise<void> {
    if (!stopped && this.fatal === null && this.pending.size === 0 && this.enqueueDone) {
      await this.redis.hdel(REGISTRY_KEY, this.qname);
      await this.queue.obliterate({ force: true });
      const keys = this.blobs.keys();
      for (let i = 0; i < keys.length; i += 1000) await this.redis.del(...keys.slice(i, i + 1000));
    } else if (stopped) {
      const left = this.pending.size;
      if (left > 0) this.opts.log(`${left} queued attempt(s) stay on the queue and keep running on the workers; dsabench run --resume collects them`);
    }
  }
}

export async function executeQueued(opts: QueuedRunOptions): Promise<ExecuteResult> {
  const redis = await connectRedis(opts.target, undefined, opts.log);
  const c = new Coordinator(opts, redis);
  let stopped = false;
  try {
    stopped = await c.run();
  } finally {
    await withTimeout(c.queue.close(), 3000).catch(() => {});
    await closeRedis(redis);
  }
  if (c.fatal !== null) throw c.fatal;
  opts.log(opts.stats.closing());
  return { recorded: c.recorded, stopped: stopped || c.pending.size > 0 || !c.enqueueDone };
}
