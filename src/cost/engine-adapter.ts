/**
 * Adapter from the native engine's API (src/engine) to the cost study's seams.
 */
import type { LoadedEngine } from './engine-timer.js';

export async function createEngineParts(): Promise<LoadedEngine> {
  const engine = (await import('../engine/index.js' as string)) as Record<string, unknown>;
  if (typeof engine.denseAttention !== 'function') throw new Error('src/engine has no denseAttention');
  return { reason: 'engine adapter pending' };
}
