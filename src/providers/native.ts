/**
 * `native[:<model>][?attention=dense|sparse&topk=N&threads=N]`: the built-in DSA model run by
 * the native engine in a pool of worker threads (src/model/pool.ts).
 *
 *   native                                  the shipped model (dsa-mini), sparse attention
 *   native:dsa-mini?attention=dense         dense attention
 *   native:./my-model?topk=64&threads=2     a model directory, top-64, 2 threads per request
 *
 * The provider id names the attention (and k when sparse) so dense and sparse runs of the
 * same model are told apart in records and reports:
 *   native:dsa-mini?attention=sparse&topk=128   native:dsa-mini?attention=dense
 * Usage (prompt / completion tokens) and streaming timings are filled like any provider.
 */
import { DsabenchError } from '../errors.js';
import type { GenerateRequest, RunOptions } from '../model/generate.js';
import { DEFAULT_MAX_TOKENS, toModelMessages } from '../model/generate.js';
import type { AttentionMode } from '../model/native.js';
import { GenerationPool, type GenerateHooksAsync } from '../model/pool.js';
import type { Completion, CompletionRequest, Provider } from '../types.js';
import { errorCompletion } from '../util/completion.js';
import type { ProviderOptions } from './types.js';

/** The model plain `native` runs. */
export const DEFAULT_NATIVE_MODEL = 'dsa-mini';
export const NATIVE_SPEC_FORM = 'native:<model>[?attention=dense|sparse&topk=N&threads=N]';
const OPTIONS = ['attention', 'topk', 'threads'] as const;

export interface NativeSpec {
  model: string;
  attention: AttentionMode;
  topk?: number;
  threads: number;
}

function specError(spec: string, why: string, field = 'provider'): DsabenchError {
  return new DsabenchError('E_PROVIDER_SPEC', `bad provider spec ${JSON.stringify(spec)}: ${why}; expected ${NATIVE_SPEC_FORM}`, { field });
}

function positiveInt(spec: string, key: string, v: string, max: number): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw specError(spec, `option "${key}" must be an integer in 1..${max}, got ${JSON.stringify(v)}`, `provider.${key}`);
  return n;
}

/** The part after `native:` → model and options; unknown options and bad values name the option. */
export function parseNativeSpec(rest: string): NativeSpec {
  const spec = rest === '' ? 'native' : `native:${rest}`;
  const q = rest.indexOf('?');
  const model = (q < 0 ? rest : rest.slice(0, q)) || DEFAULT_NATIVE_MODEL;
  const out: NativeSpec = { model, attention: 'sparse', threads: 1 };
  if (q < 0) return out;
  const seen = new Set<string>();
  for (const part of rest.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    if (!(OPTIONS as readonly string[]).includes(key)) throw specError(spec, `unknown option ${JSON.stringify(key)} (expected ${OPTIONS.join(', ')})`, `provider.${key}`);
    if (seen.has(key)) throw specError(spec, `option "${key}" given twice`, `provider.${key}`);
    seen.add(key);
    if (key === 'attention') {
      if (value !== 'dense' && value !== 'sparse') throw specError(spec, `option "attention" must be dense or sparse, got ${JSON.stringify(value)}`, 'provider.attention');
      out.attention = value;
    } else if (key === 'topk') {
      out.topk = positiveInt(spec, key, value, 1 << 20);
    } else {
      out.threads = positiveInt(spec, key, value, 256);
    }
  }
  if (out.attention === 'dense' && out.topk !== undefined) throw specError(spec, 'option "topk" applies to sparse attention only (attention=dense was given)', 'provider.topk');
  return out;
}

/** The stable provider id of a parsed spec (k filled from the model's config when sparse). */
export function nativeProviderId(s: Pick<NativeSpec, 'model' | 'attention' | 'topk'>): string {
  return `native:${s.model}?attention=${s.attention}${s.attention === 'sparse' && s.topk !== undefined ? `&topk=${s.topk}` : ''}`;
}

export interface NativeProviderInit {
  spec: NativeSpec;
  /** Model directory (or a spec the loader understands). */
  dir: string;
  /** Worker threads (default: cores / threads per request). */
  workers?: number;
  /** Test hook: module URL exporting loadGenerativeModel (see src/model/worker.ts). */
  loader?: string;
  /** The model's context in tokens (max_position_embeddings), when known up front. */
  contextLength?: number;
}

/** Stable 32-bit seed from a string (FNV-1a): repeated samples of an item differ, reproducibly. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class NativeProvider implements Provider {
  readonly id: string;
  /** The model name (what `dsabench serve` lists in /v1/models). */
  readonly model: string;
  readonly attention: AttentionMode;
  readonly topk: number | undefined;
  readonly threads: number;
  /** The model's context in tokens, when known (`dsabench serve` refuses longer prompts with it). */
  readonly contextLength: number | undefined;
  private readonly pool: GenerationPool;

  constructor(init: NativeProviderInit) {
    this.model = init.spec.model;
    this.attention = init.spec.attention;
    this.topk = init.spec.topk;
    this.threads = init.spec.threads;
    this.contextLength = init.contextLength;
    this.id = nativeProviderId(init.spec);
    const run: RunOptions = { attention: this.attention, threads: this.threads, ...(this.topk !== undefined ? { topk: this.topk } : {}) };
    this.pool = new GenerationPool({ model: init.dir, run, ...(init.workers !== undefined ? { workers: init.workers } : {}), ...(init.loader ? { loader: init.loader } : {}) });
  }

  get workers(): number {
    return this.pool.workers;
  }

  /** Loads the model in a worker now; resolves to the load error or null. */
  warm(): Promise<string | null> {
    return this.pool.warm();
  }

  /** A generation on the pool, optionally streamed (never rejects). */
  generate(request: GenerateRequest, hooks: GenerateHooksAsync = {}): Promise<Completion> {
    return this.pool.generate(request, hooks);
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    const s = req.settings;
    const request: GenerateRequest = {
      messages: toModelMessages(req.messages),
      temperature: s.temperature ?? 0,
      top_p: s.top_p ?? 1,
      max_tokens: s.max_tokens ?? DEFAULT_MAX_TOKENS,
      seed: s.seed ?? seedOf(`${req.suite}\n${req.item.id}\n${req.attempt}`),
    };
    if (s.stop && s.stop.length > 0) request.stop = s.stop;
    let signal = req.signal;
    let timer: NodeJS.Timeout | undefined;
    if (s.timeout_ms !== undefined) {
      const ctrl = new AbortController();
      timer = setTimeout(() => ctrl.abort(), s.timeout_ms);
      signal = signal ? AbortSignal.any([signal, ctrl.signal]) : ctrl.signal;
    }
    try {
      const c = await this.pool.generate(request, signal ? { signal } : {});
      if (c.error === 'aborted' && timer !== undefined && !req.signal?.aborted) c.error = `timeout after ${s.timeout_ms} ms`;
      return c;
    } catch (e) {
      return errorCompletion(`native provider failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * `native:…` → a provider. Reads the model's config.json now so a missing model or a bad
 * config fails before the run starts, and so the id carries the effective top-k.
 * `options.config.concurrency` sets the number of worker threads.
 */
export async function createNativeProvider(rest: string, options: ProviderOptions = {}): Promise<NativeProvider> {
  const spec = parseNativeSpec(rest);
  const { resolveModelDir, CONFIG_FILE } = await import('../model/checkpoint.js');
  const { readModelConfig } = await import('../model/config.js');
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = resolveModelDir(spec.model);
  const cfgFile = join(dir, CONFIG_FILE);
  if (!existsSync(cfgFile)) {
    throw new DsabenchError('E_PROVIDER_SPEC', `bad provider spec ${JSON.stringify(rest === '' ? 'native' : `native:${rest}`)}: model "${spec.model}" not found (${cfgFile} is missing; give a name under data/models/ or a model directory)`, { field: 'provider', file: cfgFile });
  }
  const config = readModelConfig(cfgFile);
  if (spec.attention === 'sparse') spec.topk ??= config.index_topk;
  const workers = options.config?.concurrency;
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1))
    throw new DsabenchError('E_CONFIG_INVALID', `expected an integer ≥ 1, got ${JSON.stringify(workers)}`, { field: 'provider.concurrency' });
  const provider = new NativeProvider({ spec, dir, contextLength: config.max_position_embeddings, ...(workers !== undefined ? { workers } : {}) });
  // Load the weights now (in a worker) so a truncated or mismatched checkpoint stops the
  // run before it starts, with the loader's message naming the tensor.
  const loadError = await provider.warm();
  if (loadError) {
    await provider.close();
    throw new DsabenchError('E_CHECKPOINT', loadError, { field: 'provider', file: dir });
  }
  return provider;
}
