/**
 * The scoring pool: CPU work of a run (scoring, code execution) on piscina worker threads.
 *
 * `score(job)` returns a promise per attempt, but jobs that arrive in the same turn of the
 * event loop travel to the workers in batches: one message per batch instead of one per
 * attempt, which is what lets trivial scorers reach thousands of attempts per second. Batch
 * size adapts to the backlog (backlog / workers, capped at `maxBatch`) so a light load still
 * spreads one attempt per worker. `close()` is idempotent and waits for queued work.
 */
import { Piscina } from 'piscina';
import { defaultWorkers } from './defaults.js';
import { poolExecArgv } from '../util/worker-flags.js';
import scoreBatch, { type ScoreJob, type ScoreOutcome } from './worker.js';

export interface ScoringPoolOptions {
  /**
   * Worker threads. Default: the number of cores (os.availableParallelism()).
   * 0 scores on the calling thread (debugging and tiny runs; no parallelism).
   */
  workers?: number;
  /** Most jobs per worker message. Default 64: enough to hide the ~20–50 µs cost of a message. */
  maxBatch?: number;
  /** Idle time before a worker thread exits. Default: never within a run (threads live until close). */
  idleTimeoutMs?: number;
}

interface Pending {
  job: ScoreJob;
  resolve: (o: ScoreOutcome) => void;
}

export { defaultWorkers };

export class ScoringPool {
  readonly workers: number;
  private readonly maxBatch: number;
  private readonly piscina: Piscina<ScoreJob[], ScoreOutcome[]> | null;
  private pending: Pending[] = [];
  private flushScheduled = false;
  private closing: Promise<void> | null = null;
  /** Batches sent and not yet answered. */
  private inFlight = 0;

  constructor(opts: ScoringPoolOptions = {}) {
    this.workers = Math.max(0, Math.floor(opts.workers ?? defaultWorkers()));
    this.maxBatch = Math.max(1, opts.maxBatch ?? 64);
    this.piscina = this.workers === 0
      ? null
      : new Piscina<ScoreJob[], ScoreOutcome[]>({
          filename: new URL('./worker.js', import.meta.url).href,
          execArgv: poolExecArgv(),
          minThreads: this.workers,
          maxThreads: this.workers,
          idleTimeout: opts.idleTimeoutMs ?? 2 ** 31 - 1,
          // One batch per worker at a time: batches run their jobs one after another.
          concurrentTasksPerWorker: 1,
        });
  }

  /** Score one attempt; never rejects (scorer failures come back as `error`). */
  score(job: ScoreJob): Promise<ScoreOutcome> {
    if (this.closing) return Promise.resolve({ score: { value: 0, pass: false }, error: 'scoring pool closed' });
    return new Promise<ScoreOutcome>((resolve) => {
      this.pending.push({ job, resolve });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.pending.length > 0) {
      const size = Math.min(this.maxBatch, Math.max(1, Math.ceil(this.pending.length / Math.max(1, this.workers))));
      const batch = this.pending.splice(0, size);
      this.inFlight++;
      const jobs = batch.map((p) => p.job);
      const work = this.piscina ? this.piscina.run(jobs) : scoreBatch(jobs);
      work.then(
        (outcomes) => {
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(outcomes[i] ?? { score: { value: 0, pass: false }, error: 'scorer returned nothing' });
        },
        (err: unknown) => {
          // A worker crash (e.g. a native abort) fails its batch's attempts, not the run.
          const msg = `scoring worker failed: ${err instanceof Error ? err.message : String(err)}`;
          for (const p of batch) p.resolve({ score: { value: 0, pass: false }, error: msg });
        },
      ).finally(() => {
        this.inFlight--;
      });
    }
  }

  /** Jobs waiting to be sent plus batches being scored (for back-pressure and tests). */
  get backlog(): number {
    return this.pending.length + this.inFlight;
  }

  /** Wait for queued work, then stop the threads. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.pending.length > 0) this.flush();
      if (this.piscina) await this.piscina.close();
    })();
    return this.closing;
  }
}
