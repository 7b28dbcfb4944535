/**
 * Argument checks done in TypeScript before any native call (the addon checks again).
 * Each check throws DsabenchError with a stable code:
 *   E_SHAPE  dimensions, lengths, positions; E_DTYPE wrong array type or dtype tag;
 *   E_INDEX  an index outside [-1, L); E_OPTION bad scalar option (threads, scale, k, flags).
 */
import { DsabenchError, type ErrorCode } from '../errors.js';
import { isBf16 } from './bf16.js';
import type { AttentionArgs, CacheTensor, IndexerArgs } from './types.js';

const DIM_MAX = 2 ** 31;

function err(code: ErrorCode, field: string, message: string): never {
  throw new DsabenchError(code, message, { field });
}

export function checkDim(v: unknown, field: string, max = DIM_MAX): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    err('E_SHAPE', field, `${field} must be an integer in [1, ${max}], got ${String(v)}`);
  return v;
}

export function checkThreads(v: unknown): number {
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1024)
    err('E_OPTION', 'threads', `threads must be an integer in [1, 1024], got ${String(v)}`);
  return v;
}

export function checkBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') err('E_OPTION', field, `${field} must be a boolean`);
  return v;
}

export function checkF32(v: unknown, field: string, expected: number): Float32Array {
  if (!(v instanceof Float32Array)) err('E_DTYPE', field, `${field} must be a Float32Array`);
  if (v.length !== expected) err('E_SHAPE', field, `${field} has ${v.length} elements, expected ${expected}`);
  return v;
}

export function checkCache(v: unknown, field: string, expected: number): CacheTensor {
  if (v instanceof Float32Array) return checkF32(v, field, expected);
  if (isBf16(v)) {
    if (v.data.length !== expected) err('E_SHAPE', field, `${field} has ${v.data.length} elements, expected ${expected}`);
    return v;
  }
  return err('E_DTYPE', field, `${field} must be a Float32Array or { dtype: 'bf16', data: Uint16Array }`);
}

/** The element range an array views within its buffer. */
function span(a: ArrayBufferView): [ArrayBufferLike, number, number] {
  return [a.buffer, a.byteOffset, a.byteOffset + a.byteLength];
}

/**
 * An optional output buffer: a Float32Array of `expected` elements that overlaps none of the
 * inputs (the kernels read the inputs while writing it).
 */
export function checkOutput(v: unknown, field: string, expected: number, inputs: ArrayBufferView[]): Float32Array | undefined {
  if (v === undefined) return undefined;
  const out = checkF32(v, field, expected);
  const [b, s, e] = span(out);
  for (const x of inputs) {
    const [xb, xs, xe] = span(x);
    if (xb === b && xs < e && s < xe) err('E_OPTION', field, `${field} overlaps an input tensor`);
  }
  return out;
}

/** The typed arrays behind a cache tensor. */
export function cacheView(t: CacheTensor): ArrayBufferView {
  return t instanceof Float32Array ? t : t.data;
}

export function checkQStart(v: unknown, T: number, L: number): number {
  const q = v === undefined ? L - T : v;
  if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q + T > L)
    err('E_SHAPE', 'qStart', `queries sit at qStart..qStart+T-1 = ${String(q)}..${String(q)}+${T - 1}, which must lie inside the cache [0, ${L})`);
  return q;
}

export interface CheckedAttention {
  mqa: boolean;
  T: number; H: number; L: number; Dqk: number; Dv: number; Hkv: number;
  qStart: number; scale: number; threads: number;
}

/** Checks shapes and options shared by dense, sparse and fused attention. */
export function checkAttention(a: AttentionArgs, needQStart: boolean): CheckedAttention {
  if (typeof a !== 'object' || a === null) err('E_OPTION', 'args', 'attention arguments must be an object');
  const T = checkDim(a.T, 'T'), H = checkDim(a.H, 'H', 2 ** 20), L = checkDim(a.L, 'L');
  const Dqk = checkDim(a.Dqk, 'Dqk', 2 ** 20), Dv = checkDim(a.Dv, 'Dv', 2 ** 20);
  checkF32(a.q, 'q', T * H * Dqk);
  const mqa = a.kv !== undefined;
  let Hkv = 1;
  if (mqa) {
    if (a.k !== undefined || a.v !== undefined) err('E_OPTION', 'kv', 'give either kv (MQA) or k and v (MHA), not both');
    if (Dv > Dqk) err('E_SHAPE', 'Dv', `MQA mode needs Dv ≤ Dqk (value = first Dv dims of kv), got Dv=${Dv} Dqk=${Dqk}`);
    checkCache(a.kv, 'kv', L * Dqk);
  } else {
    if (a.k === undefined || a.v === undefined) err('E_SHAPE', 'k', 'MHA mode needs k and v (or kv for MQA mode)');
    Hkv = checkDim(a.Hkv, 'Hkv', 2 ** 20);
    if (H % Hkv !== 0) err('E_SHAPE', 'Hkv', `Hkv=${Hkv} must divide H=${H}`);
    checkCache(a.k, 'k', L * Hkv * Dqk);
    checkCache(a.v, 'v', L * Hkv * Dv);
  }
  const qStart = needQStart ? checkQStart(a.qStart, T, L) : a.qStart === undefined ? Math.max(0, L - T) : a.qStart;
  if (!needQStart && (typeof qStart !== 'number' || !Number.isInteger(qStart) || qStart < 0))
    err('E_SHAPE', 'qStart', 'qStart must be a non-negative integer');
  let scale = 1 / Math.sqrt(Dqk);
  if (a.scale !== undefined) {
    if (typeof a.scale !== 'number' || !Number.isFinite(a.scale)) err('E_OPTION', 'scale', 'scale must be a finite number');
    scale = a.scale;
  }
  const inputs: ArrayBufferView[] = [a.q, ...(mqa ? [cacheView(a.kv!)] : [cacheView(a.k!), cacheView(a.v!)])];
  const out = checkOutput(a.out, 'out', T * H * Dv, inputs), lse = checkOutput(a.lse, 'lse', T * H, inputs);
  if (out && lse) checkOutput(lse, 'lse', T * H, [out]);
  return { mqa, T, H, L, Dqk, Dv, Hkv, qStart, scale, threads: checkThreads(a.threads) };
}

/** Sparse indices: Int32Array [T, topk] with every entry in [-1, L). */
export function checkIndices(v: unknown, T: number, topk: unknown, L: number): { indices: Int32Array; topk: number } {
  const k = checkDim(topk, 'topk');
  if (!(v instanceof Int32Array)) err('E_DTYPE', 'indices', 'indices must be an Int32Array');
  if (v.length !== T * k) err('E_SHAPE', 'indices', `indices has ${v.length} elements, expected T*topk = ${T * k}`);
  for (let i = 0; i < v.length; i++) {
    const s = v[i]!;
    if (s < -1 || s >= L)
      err('E_INDEX', 'indices', `indices[${Math.floor(i / k)}][${i % k}] = ${s} is outside [-1, L=${L})`);
  }
  return { indices: v, topk: k };
}

export interface CheckedIndexer {
  T: number; L: number; heads: number; dim: number; qStart: number;
  fp8: boolean; hadamard: boolean; threads: number;
}

export function checkIndexerArgs(a: IndexerArgs): CheckedIndexer {
  if (typeof a !== 'object' || a === null) err('E_OPTION', 'args', 'indexer arguments must be an object');
  const T = checkDim(a.T, 'T'), L = checkDim(a.L, 'L');
  const heads = checkDim(a.heads, 'heads', 2 ** 20), dim = checkDim(a.dim, 'dim', 2 ** 20);
  checkF32(a.q, 'index_q', T * heads * dim);
  checkCache(a.k, 'index_k', L * dim);
  checkF32(a.w, 'index_w', T * heads);
  const qStart = checkQStart(a.qStart, T, L);
  checkOutput(a.scores, 'scores', T * L, [a.q, cacheView(a.k), a.w]);
  const fp8 = checkBool(a.fp8, 'fp8') ?? false;
  const hadamard = checkBool(a.hadamard, 'hadamard') ?? false;
  if (hadamard && (dim & (dim - 1)) !== 0) err('E_OPTION', 'hadamard', `hadamard needs a power-of-two dim, got ${dim}`);
  return { T, L, heads, dim, qStart, fp8, hadamard, threads: checkThreads(a.threads) };
}

export function checkTopkArgs(scores: unknown, T: unknown, L: unknown, k: unknown): { T: number; L: number; k: number } {
  const t = checkDim(T, 'T'), l = checkDim(L, 'L');
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > DIM_MAX) err('E_OPTION', 'k', `k must be an integer ≥ 1, got ${String(k)}`);
  checkF32(scores, 'scores', t * l);
  return { T: t, L: l, k };
}
