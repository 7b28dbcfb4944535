/**
 * The generation pool: built-in model requests on piscina worker threads, each thread holding
 * its own copy of the model (loaded once per spec) and running one request at a time.
 *
 * Size: `workers` threads (default: cores / threads per request, at least 1). All pools of a
 * process also share one budget of `availableParallelism()` cores: a request waits until
 * its `threads` cores are free, so running dense and sparse providers side by side (or
 * several serve workers) never oversubscribes the CPU and distorts the timings they
 * measure. `generate` never rejects: a crashed worker, a
 * closed pool or an abort is a Completion with `error`. With `onDelta` the text streams
 * back token by token over a MessagePort (real per-token chunks for `dsabench serve`).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { errorCompletion } from '../util/completion.js';
import type { Completion } from '../types.js';
import { poolExecArgv } from '../util/worker-flags.js';
import type { GenerateRequest, RunOptions } from './generate.js';
import type { GenerateTask, StreamMessage } from './worker.js';

export interface GenerationPoolOptions {
  /** Model directory or name under data/models. */
  model: string;
  run: RunOptions;
  /** Worker threads (default: availableParallelism() / run.threads, at least 1). */
  workers?: number;
  /** URL of a module exporting loadGenerativeModel(spec) (tests load fakes this way). */
  loader?: string;
}

export interface GenerateHooksAsync {
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
}

/**
 * Cores handed out to running generations, process-wide. Weighted and first come, first
 * served: a request needing more cores than are free blocks later ones (no starvation).
 */
class CoreBudget {
  private free: number;
  private readonly queue: Array<{ n: number; grant: () => void }> = [];

  constructor(readonly total: number) {
    this.free = total;
  }

  /** Resolves to a release function once `n` cores (capped at the total) are free; null if aborted first. */
  acquire(n: number, signal?: AbortSignal): Promise<(() => void) | null> {
    const need = Math.min(Math.max(1, n), this.total);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(null);
      const entry = {
        n: need,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.free += need;
            this.drain();
          });
        },
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(entry);
        if (i >= 0) {
          this.queue.splice(i, 1);
          resolve(null);
          this.drain();
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.queue[0]!.n <= this.free) {
      const e = this.queue.shift()!;
      this.free -= e.n;
      e.grant();
    }
  }
}

const cores = new CoreBudget(availableParallelism());

export function defaultGenerationWorkers(threads = 1): number {
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, threads)));
}

export class GenerationPool {
  readonly workers: number;
  private readonly opts: GenerationPoolOptions;
  private readonly piscina: Piscina<GenerateTask, Completion>;
  private closing: Promise<void> | null = null;

  constructor(opts: GenerationPoolOptions) {
    this.opts = opts;
    this.workers = Math.max(1, Math.floor(opts.workers ?? defaultGenerationWorkers(opts.run.threads ?? 1)));
    this.piscina = new Piscina<GenerateTask, Completion>({
      filename: new URL('./worker.js', import.meta.url).href,
      execArgv: poolExecArgv(),
      minThreads: 1,
      maxThreads: this.workers,
      // Threads keep their loaded model: never retire them while the pool is open.
      idleTimeout: 2 ** 31 - 1,
      concurrentTasksPerWorker: 1,
    });
  }

  /** Loads the model in one thread ahead of the first request (returns the load error, if any). */
  async warm(): Promise<string | null> {
    const c = await this.generate({ messages: [{ role: 'user', content: '' }], max_tokens: 1 });
    return c.error && c.error.startsWith('cannot load model') ? c.error : null;
  }

  async generate(request: GenerateRequest, hooks: GenerateHooksAsync = {}): Promise<Completion> {
    if (this.closing) return errorCompletion('generation pool closed');
    if (hooks.signal?.aborted) return errorCompletion('aborted');
    // Waiting for cores is not part of the timings (they start in the worker).
    const release = await cores.acquire(this.opts.run.threads ?? 1, hooks.signal);
    if (!release) return errorCompletion('aborted');
    const cancel = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancel);
    const onAbort = (): void => void Atomics.store(flag, 0, 1);
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    const task: GenerateTask = { model: this.opts.model, run: this.opts.run, request, cancel };
    if (this.opts.loader) task.loader = this.opts.loader;
    try {
      if (!hooks.onDelta) return await this.piscina.run(task);
      const onDelta = hooks.onDelta;
      const { port1, port2 } = new MessageChannel();
      task.port = port2;
      const ended = new Promise<void>((resolve) => {
        port1.on('message', (m: StreamMessage) => {
          if (m.type === 'delta') onDelta(m.text);
          else resolve();
        });
        port1.on('close', () => resolve());
      });
      try {
        const result = await this.piscina.run(task, { transferList: [port2] });
        await ended;
        return result;
      } finally {
        port1.close();
      }
    } catch (e) {
      return errorCompletion(`generation worker failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      release();
      hooks.signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.piscina.close();
    return this.closing;
  }
}
