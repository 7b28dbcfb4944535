/**
 * The generation pool: built-in model requests on piscina worker threads, each thread holding
 * its own copy of the model (loaded once per spec) and running one request at a time.
 *
 * Size: `workers` threads (default: cores / threads per request, at least 1), so the pool
 * never asks for more cores than there are. `generate` never rejects: a crashed worker, a
 * closed pool or an abort is a Completion with `error`. With `onDelta` the text streams
 * back token by token over a MessagePort (real per-token chunks for `dsabench serve`).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { errorCompletion } from '../providers/completion.js';
import type { Completion } from '../types.js';
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
      hooks.signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.piscina.close();
    return this.closing;
  }
}
