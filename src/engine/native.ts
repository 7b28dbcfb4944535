/**
 * Loads the compiled addon (build/Release/dsa_engine.node) once per JS environment (main
 * thread or worker) and maps its errors (Error with a `code` property) onto DsabenchError.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { DsabenchError, type ErrorCode } from '../errors.js';
import { packagePath } from '../util/package.js';
import type { EngineInfo, SimdPath } from './types.js';

type Obj = Record<string, unknown>;

/** The raw addon surface (argument objects as documented in native/src/bindings.cc). */
export interface NativeAddon {
  buildInfo(): EngineInfo;
  setSimd(name: SimdPath | 'auto'): SimdPath;
  attention(o: Obj): { out: Float32Array; lse: Float32Array };
  indexer(o: Obj): Float32Array;
  topk(o: Obj): Int32Array;
  dsa(o: Obj): { out: Float32Array; lse: Float32Array; indices?: Int32Array; skippedIndexer: boolean; phases?: { selectMs: number; attentionMs: number } };
  fmaPeak(o: Obj): number;
  transform(o: Obj): Float32Array;
}

const KNOWN: ReadonlySet<string> = new Set(['E_SHAPE', 'E_DTYPE', 'E_INDEX', 'E_OPTION', 'E_NATIVE']);

let cached: NativeAddon | undefined;

export function addonPath(): string {
  return packagePath('build', 'Release', 'dsa_engine.node');
}

/** The addon, or a DsabenchError(E_NATIVE) saying how to build it. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const p = addonPath();
  if (!existsSync(p))
    throw new DsabenchError('E_NATIVE', `native engine not built: ${p} is missing (run \`npm run build:native\`)`, { file: p });
  const require = createRequire(import.meta.url);
  cached = require(p) as NativeAddon;
  return cached;
}

/** Calls into the addon, turning its coded errors into DsabenchError. */
export function callNative<R>(fn: (a: NativeAddon) => R): R {
  const addon = loadAddon();
  try {
    return fn(addon);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && KNOWN.has(code))
      throw new DsabenchError(code as ErrorCode, `native engine: ${(e as Error).message}`, { cause: e });
    throw new DsabenchError('E_NATIVE', `native engine: ${(e as Error).message ?? String(e)}`, { cause: e });
  }
}
