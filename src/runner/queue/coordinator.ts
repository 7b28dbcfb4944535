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
import { Queue } from 'bullmq';
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

export async function executeQueued(opts: QueuedRunOptions): Promise<ExecuteResult> {
  const qname = queueName(opts.runId);
  const version = codeVersion();
  const redis = await connectRedis(opts.target, undefined, opts.log);
  const queue = new Queue(qname, { connection: bullConnection(opts.target), prefix: PREFIX });
  const redisError = throttled((l) => opts.log(l), 5000);
  queue.on('error', (err: Error) => redisError(`Redis (${opts.target.display}): ${err.message}; reconnecting`));
  redis.on('error', (err: Error) => redisError(`Redis (${opts.target.display}): ${err.message}; reconnecting`));
  const blobs = new BlobWriter(redis, qname);
  const me = `${hostname()}:${process.pid}`;
  const registration = (): RunRegistration => ({ protocol: PROTOCOL, run_id: opts.runId, version, suite_hashes: { ...opts.suiteHashes }, coordinator: me, heartbeat: new Date().toISOString() });
  const announce = async (): Promise<void> => {
    await redis.hset(REGISTRY_KEY, qname, JSON.stringify(registration()));
  };

  const pending = new Map<string, Pending>();
  const entryOf = new Map<Provider, ProviderEntry>();
  opts.providers.forEach((p, i) => entryOf.set(p, opts.providerEntries[i] ?? { spec: p.id }));
  const configBlobs = new Map<Suite, Blob>();
  // One input blob per item, shared by its providers and repeats (a long-context prompt is hashed once).
  const inputBlobs = new WeakMap<object, Blob>();
  let recorded = 0;
  let enqueueDone = false;
  /** addBulk calls in flight: their jobs are pending but not in Redis yet, so none is "missing". */
  let adding = 0;
  let fatal: unknown = null;
  const refusals = new Set<string>();

  const toJob = (p: PlannedAttempt): Pending => {
    let cfg = configBlobs.get(p.suite);
    if (!cfg) configBlobs.set(p.suite, (cfg = blobOf(p.suite.config)));
    let input = inputBlobs.get(p.item);
    if (!input) inputBlobs.set(p.item, (input = blobOf({ item: p.item, messages: p.messages })));
    const key = attemptKey({ suite: p.suite.config.name, item_id: p.item.id, provider: p.provider.id, attempt: p.attempt });
    const data: AttemptJob = {
      protocol: PROTOCOL,
      run_id: opts.runId,
      key,
      version,
      suite: p.suite.config.name,
      suite_hash: opts.suiteHashes[p.suite.config.name] ?? '',
      config: cfg.hash,
      input: input.hash,
      provider: entryOf.get(p.provider) ?? { spec: p.provider.id },
      no_cache: opts.noCache,
      attempt: p.attempt,
      settings: p.settings,
      input_hash: p.inputHash,
    };
    return { planned: p, data, dataText: JSON.stringify(data), blobs: [cfg, input], queuedAt: new Date().toISOString() };
  };

  const add = async (batch: Pending[], again: boolean): Promise<void> => {
    adding++;
    try {
      // Inputs before jobs: a worker must never see a job whose inputs are not there yet.
      await blobs.put(batch.flatMap((b) => b.blobs), again);
      await queue.addBulk(batch.map((b) => ({ name: JOB_NAME, data: b.data, opts: { ...JOB_OPTIONS, jobId: jobIdOf(b.data.key) } })));
    } finally {
      adding--;
    }
  };

  const enqueue = async (): Promise<void> => {
    let batch: Pending[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      // Waited for before the job exists: a record that arrives at once must find its attempt.
      for (const b of batch) pending.set(jobIdOf(b.data.key), b);
      await add(batch, false);
      batch = [];
    };
    for (const p of planAttempts({ suites: opts.suites, providers: opts.providers, repeats: opts.repeats, limit: opts.limit, skip: opts.skip, ...(opts.generation ? { generation: opts.generation } : {}) })) {
      if (opts.stop?.aborted || fatal !== null) return;
      batch.push(toJob(p));
      if (batch.length >= CHUNK) await flush();
    }
    await flush();
  };

  /** Record finished jobs (oldest first); returns how many jobs were looked at. */
  const collect = async (): Promise<number> => {
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
      let rec: AttemptRecord;
      if (!ok) {
        // Failed for good: its worker died twice (BullMQ's stall limit) or its processor kept throwing.
        rec = failureRecord(opts.runId, pend.planned, `worker failed: ${job.failedReason || 'unknown reason'}`, pend.queuedAt);
      } else {
        const res = parseJobResult(job.returnvalue);
        if (typeof res === 'string') rec = failureRecord(opts.runId, pend.planned, `worker failed: ${res}`, pend.queuedAt);
        else if ('refused' in res) {
          const why = `refused by worker ${job.processedBy ?? '?'}: ${res.refused}`;
          if (refusals.size < 20 && !refusals.has(res.refused)) {
            refusals.add(res.refused);
            opts.log(`warning: ${why}`);
          }
          rec = failureRecord(opts.runId, pend.planned, why, pend.queuedAt);
        } else if (attemptKey(res.record) !== pend.data.key || res.record.run_id !== opts.runId || res.record.input_hash !== pend.data.input_hash) {
          rec = failureRecord(opts.runId, pend.planned, `worker failed: it returned the record of another attempt`, pend.queuedAt);
        } else rec = res.record;
      }
      opts.onRecord(rec);
      pending.delete(id);
      recorded++;
      opts.stats.count(job.processedBy, job.processedOn, job.finishedOn);
      remove.push(id);
    }
    // After the appends: a job disappears only once its record is in samples.jsonl.
    await Promise.all(remove.map((id) => queue.remove(id)));
    if (replace.length > 0) {
      opts.log(`${replace.length} queued attempt(s) were made from other inputs (the suites changed since they were queued): queued again`);
      await add(replace, true);
    }
    return jobs.length;
  };

  /** Heartbeat, and queue again what Redis no longer holds. */
  const reconcile = async (): Promise<void> => {
    await announce();
    if (adding > 0 || pending.size === 0) return;
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'waiting-children');
    const held = Object.values(counts).reduce((a, n) => a + n, 0);
    if (held >= pending.size) return;
    const ids = [...pending.keys()];
    const missing: Pending[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const part = ids.slice(i, i + 1000);
      const pipe = redis.pipeline();
      for (const id of part) pipe.exists(queue.toKey(id));
      const res = (await pipe.exec()) ?? [];
      part.forEach((id, j) => {
        const r = res[j];
        const p = pending.get(id);
        if (p && r && r[0] === null && r[1] === 0) missing.push(p);
      });
    }
    if (missing.length === 0) return;
    opts.log(`Redis no longer holds ${missing.length} queued attempt(s) (restarted without persistence?): queuing them again`);
    for (let i = 0; i < missing.length; i += CHUNK) await add(missing.slice(i, i + CHUNK), true);
  };

  let stopped = false;
  try {
    await announce();
    opts.stats.start();
    const enqueuing = enqueue().then(
      () => {
        enqueueDone = true;
      },
      (err: unknown) => {
        fatal ??= err;
      },
    );
    let lastReconcile = Date.now();
    const reconcileMs = opts.reconcileMs ?? 2000;
    while (fatal === null) {
      if (opts.stop?.aborted) {
        stopped = true;
        break;
      }
      if (enqueueDone && pending.size === 0) break;
      let seen = 0;
      try {
        seen = await collect();
        if (Date.now() - lastReconcile >= reconcileMs) {
          lastReconcile = Date.now();
          await reconcile();
        }
      } catch (err) {
        fatal ??= err;
        break;
      }
      if (seen === 0) await pause(opts.pollMs ?? 100, opts.stop);
    }
    await enqueuing;
    if (!stopped && fatal === null && pending.size === 0 && enqueueDone) {
      // Every attempt is recorded: nothing of the run stays in Redis.
      await redis.hdel(REGISTRY_KEY, qname);
      await queue.obliterate({ force: true });
      const keys = blobs.keys();
      for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
    } else if (stopped) {
      const left = pending.size;
      if (left > 0) opts.log(`${left} queued attempt(s) stay on the queue and keep running on the workers; dsabench run --resume collects them`);
    }
  } finally {
    await withTimeout(queue.close(), 3000).catch(() => {});
    await closeRedis(redis);
  }
  if (fatal !== null) throw fatal;
  opts.log(opts.stats.closing());
  return { recorded, stopped: stopped || pending.size > 0 || !enqueueDone };
}
