/**
 * The native engine behind the cost study: an AttentionTimer (per-position timings) and
 * QualityOps (fidelity vs k). Loaded lazily so the analytic parts work without a build.
 */
import type { QualityOps } from './quality.js';
import type { AttentionTimer } from './timer.js';

export interface LoadedEngine {
  timer?: AttentionTimer;
  ops?: QualityOps;
  /** Why the engine is unavailable (when timer is undefined). */
  reason?: string;
}

export async function loadEngine(threads = 1): Promise<LoadedEngine> {
  try {
    const mod = (await import('./engine-adapter.js')) as { createEngineParts(threads: number): Promise<LoadedEngine> };
    return await mod.createEngineParts(threads);
  } catch (e) {
    return { reason: (e as Error).message.split('\n')[0] };
  }
}
