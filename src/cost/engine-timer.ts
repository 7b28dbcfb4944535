/**
 * The native engine behind the cost study: an AttentionTimer (per-position timings) and
 * QualityOps (fidelity vs k). Loaded lazily so the analytic parts work without a build.
 */
// Type-only: the adapter (and the native engine behind it) is loaded on first use below.
import type { LoadedEngine } from './engine-adapter.js';

export type { LoadedEngine } from './engine-adapter.js';

export async function loadEngine(threads = 1): Promise<LoadedEngine> {
  try {
    const mod = (await import('./engine-adapter.js')) as { createEngineParts(threads: number): Promise<LoadedEngine> };
    return await mod.createEngineParts(threads);
  } catch (e) {
    return { reason: (e as Error).message.split('\n')[0] };
  }
}
