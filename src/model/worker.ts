/**
 * Generation worker (a piscina worker thread, default export): loads a model once per spec
 * and keeps it for the life of the thread, then answers generate tasks one at a time.
 *
 * Streaming: when the task carries a MessagePort, every piece of final text is posted on it
 * as {type: 'delta', text} as soon as it is produced, and {type: 'end'} after the last one
 * (the pool waits for it so no delta arrives after the result). Cancellation: a
 * SharedArrayBuffer flag (Int32 slot 0 ≠ 0) checked between tokens, since the decode loop
 * keeps this thread busy and could not receive a message.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Completion } from '../types.js';
import { errorCompletion } from '../util/completion.js';
import { generate, type GenerateRequest, type GenerativeModel, type RunOptions } from './generate.js';

/** A loaded model: what generate() needs plus its context length. */
export interface LoadedGenerativeModel {
  model: GenerativeModel;
  contextLength: number;
}

/** A module that loads models another way (tests: fakes); exports `loadGenerativeModel`. */
export interface ModelLoaderModule {
  loadGenerativeModel(spec: string): LoadedGenerativeModel | Promise<LoadedGenerativeModel>;
}

export interface GenerateTask {
  /** Model directory or name (checkpoint.ts resolveModelDir rules). */
  model: string;
  /** URL of a ModelLoaderModule to load `model` with instead of the native checkpoint loader. */
  loader?: string;
  run: RunOptions;
  request: GenerateRequest;
  port?: MessagePort;
  cancel?: SharedArrayBuffer;
}

export type StreamMessage = { type: 'delta'; text: string } | { type: 'end' };

const models = new Map<string, Promise<LoadedGenerativeModel>>();

async function nativeLoad(spec: string): Promise<LoadedGenerativeModel> {
  const { loadModel } = await import('./checkpoint.js');
  const { createNativeModel } = await import('./native.js');
  const m = loadModel(spec);
  return { model: createNativeModel(m.config, m.params), contextLength: m.config.max_position_embeddings };
}

/** The model of a spec, loaded on first use in this thread (a failed load is retried next time). */
export function modelFor(spec: string, loader?: string): Promise<LoadedGenerativeModel> {
  const key = `${loader ?? ''}\n${spec}`;
  let p = models.get(key);
  if (!p) {
    p = loader
      ? import(loader).then((mod: ModelLoaderModule) => mod.loadGenerativeModel(spec))
      : nativeLoad(spec);
    models.set(key, p);
    p.catch(() => models.delete(key));
  }
  return p;
}

export default async function runGenerateTask(task: GenerateTask): Promise<Completion> {
  const flag = task.cancel ? new Int32Array(task.cancel) : null;
  const cancelled = (): boolean => flag !== null && Atomics.load(flag, 0) !== 0;
  try {
    let loaded: LoadedGenerativeModel;
    try {
      loaded = await modelFor(task.model, task.loader);
    } catch (e) {
      return errorCompletion(`cannot load model ${task.model}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (cancelled()) return errorCompletion('aborted');
    const port = task.port;
    return generate(loaded.model, loaded.contextLength, task.request, task.run, {
      cancelled,
      ...(port ? { onDelta: (text: string) => port.postMessage({ type: 'delta', text } satisfies StreamMessage) } : {}),
    });
  } finally {
    if (task.port) {
      task.port.postMessage({ type: 'end' } satisfies StreamMessage);
      task.port.close();
    }
  }
}
