/**
 * The native engine behind the cost study: an AttentionTimer (per-position timings) and
 * QualityOps (fidelity vs k). Loaded lazily so the analytic parts work without a build.
 */
// Type-only: the adapter (and the native engine behind it) is loaded on first use below.
import type { CacheDtype, LoadedEngine } from './engine-adapter.js';

export type { CacheDtype, LoadedEngine } from './engine-adapter.js';

/** cache: how the timed caches are stored (default: bf16 where the engine has bf16 dot products, else fp32). */
export async function loadEngine(threads = 1, cache?: CacheDtype): Promise<LoadedEngine> {
  try {
    const mod = (await import('./engine-adapter.js')) as { createEngineParts(threads: number, cache?: CacheDtype): Promise<LoadedEngine> };
    return await mod.createEngineParts(threads, cache);
  } catch (e) {
    return { reason: (e as Error).message.split('\n')[0] };
  }
}
