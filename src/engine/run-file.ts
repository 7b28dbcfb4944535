/**
 * `dsabench engine run`: one engine op on tensors from a safetensors file, results to another.
 *
 * Input tensor names: q [T,H,Dqk]; kv [L,Dqk] (MQA) or k [L,Hkv,Dqk] + v [L,Hkv,Dv] (MHA);
 * index_q [T,HI,DI], index_k [L,DI], index_w [T,HI]; indices [T,K] (i32/i64); scores [T,L].
 * Scalars from __metadata__ (strings): q_start, scale, topk, dv, causal, fp8, hadamard, threads.
 * Outputs (f32, indices i32): dense/sparse → out, lse; indexer → scores; topk → indices;
 * dsa → out, lse, indices.
 */
import { DsabenchError } from '../errors.js';
import { bf16ToF32 } from './bf16.js';
import { denseAttention, dsaAttention, lightningIndexer, sparseAttention, topk } from './index.js';
import { readSafetensorsFile, writeSafetensorsFile, type StTensor } from './safetensors.js';
import type { AttentionArgs, CacheTensor } from './types.js';

export const ENGINE_OPS = ['dense', 'indexer', 'topk', 'sparse', 'dsa'] as const;
export type EngineOp = (typeof ENGINE_OPS)[number];

export interface RunFileOptions {
  /** Overrides __metadata__ threads. */
  threads?: number;
}

interface Inputs {
  file: string;
  tensors: Map<string, StTensor>;
  meta: Record<string, string>;
  threads?: number;
}

function need(inp: Inputs, name: string, rank: number): StTensor {
  const t = inp.tensors.get(name);
  if (!t) throw new DsabenchError('E_TENSOR_INVALID', `tensor '${name}' is required for this op`, { file: inp.file, field: name });
  if (t.shape.length !== rank)
    throw new DsabenchError('E_SHAPE', `tensor '${name}' must have rank ${rank}, has shape ${JSON.stringify(t.shape)}`, { file: inp.file, field: name });
  return t;
}

function f32(inp: Inputs, t: StTensor, name: string): Float32Array {
  if (t.dtype === 'F32') return t.data as Float32Array;
  if (t.dtype === 'BF16') return bf16ToF32(t.data as Uint16Array);
  throw new DsabenchError('E_DTYPE', `tensor '${name}' must be F32 or BF16, is ${t.dtype}`, { file: inp.file, field: name });
}

function cache(inp: Inputs, t: StTensor, name: string): CacheTensor {
  if (t.dtype === 'BF16') return { dtype: 'bf16', data: t.data as Uint16Array };
  return f32(inp, t, name);
}

function metaInt(inp: Inputs, key: string): number | undefined {
  const v = inp.meta[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n))
    throw new DsabenchError('E_OPTION', `metadata ${key} must be an integer string, got '${v}'`, { file: inp.file, field: `__metadata__.${key}` });
  return n;
}

function metaNum(inp: Inputs, key: string): number | undefined {
  const v = inp.meta[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n))
    throw new DsabenchError('E_OPTION', `metadata ${key} must be a number string, got '${v}'`, { file: inp.file, field: `__metadata__.${key}` });
  return n;
}

function metaBool(inp: Inputs, key: string): boolean | undefined {
  const v = inp.meta[key];
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new DsabenchError('E_OPTION', `metadata ${key} must be true/false/1/0, got '${v}'`, { file: inp.file, field: `__metadata__.${key}` });
}

function threads(inp: Inputs): number | undefined {
  return inp.threads ?? metaInt(inp, 'threads');
}

/** Attention inputs (MQA when `kv` is present, MHA from `k` and `v`). */
function attentionArgs(inp: Inputs): AttentionArgs {
  const qt = need(inp, 'q', 3);
  const [T, H, Dqk] = qt.shape as [number, number, number];
  const q = f32(inp, qt, 'q');
  const common = { q, T, H, Dqk, qStart: metaInt(inp, 'q_start'), scale: metaNum(inp, 'scale'), threads: threads(inp) };
  if (inp.tensors.has('kv')) {
    const kv = need(inp, 'kv', 2);
    if (kv.shape[1] !== Dqk) throw new DsabenchError('E_SHAPE', `kv must be [L, ${Dqk}], is ${JSON.stringify(kv.shape)}`, { file: inp.file, field: 'kv' });
    return { ...common, kv: cache(inp, kv, 'kv'), L: kv.shape[0]!, Dv: metaInt(inp, 'dv') ?? Dqk };
  }
  const k = need(inp, 'k', 3), v = need(inp, 'v', 3);
  const [L, Hkv, Dk] = k.shape as [number, number, number];
  if (Dk !== Dqk || v.shape[0] !== L || v.shape[1] !== Hkv)
    throw new DsabenchError('E_SHAPE', `k must be [L, Hkv, ${Dqk}] and v [L, Hkv, Dv]; got k ${JSON.stringify(k.shape)}, v ${JSON.stringify(v.shape)}`, { file: inp.file, field: 'k' });
  return { ...common, k: cache(inp, k, 'k'), v: cache(inp, v, 'v'), Hkv, L, Dv: v.shape[2]! };
}

function indexerInputs(inp: Inputs) {
  const iq = need(inp, 'index_q', 3), ik = need(inp, 'index_k', 2), iw = need(inp, 'index_w', 2);
  const [T, heads, dim] = iq.shape as [number, number, number];
  return {
    T, L: ik.shape[0]!, heads, dim,
    q: f32(inp, iq, 'index_q'), k: cache(inp, ik, 'index_k'), w: f32(inp, iw, 'index_w'),
    fp8: metaBool(inp, 'fp8'), hadamard: metaBool(inp, 'hadamard'),
  };
}

function indices(inp: Inputs): { indices: Int32Array; topk: number } {
  const t = need(inp, 'indices', 2);
  if (t.dtype !== 'I32') throw new DsabenchError('E_DTYPE', `indices must be I32 or I64, is ${t.dtype}`, { file: inp.file, field: 'indices' });
  return { indices: t.data as Int32Array, topk: t.shape[1]! };
}

function requireTopk(inp: Inputs): number {
  const k = metaInt(inp, 'topk');
  if (k === undefined) throw new DsabenchError('E_OPTION', 'metadata topk is required for this op', { file: inp.file, field: '__metadata__.topk' });
  return k;
}

const f32t = (shape: number[], data: Float32Array): StTensor => ({ dtype: 'F32', shape, data });
const i32t = (shape: number[], data: Int32Array): StTensor => ({ dtype: 'I32', shape, data });

const HANDLERS: Record<EngineOp, (inp: Inputs) => Record<string, StTensor>> = {
  dense(inp) {
    const a = attentionArgs(inp);
    const r = denseAttention({ ...a, causal: metaBool(inp, 'causal') });
    return { out: f32t([a.T, a.H, a.Dv], r.out), lse: f32t([a.T, a.H], r.lse) };
  },
  sparse(inp) {
    const a = attentionArgs(inp);
    const r = sparseAttention({ ...a, ...indices(inp) });
    return { out: f32t([a.T, a.H, a.Dv], r.out), lse: f32t([a.T, a.H], r.lse) };
  },
  indexer(inp) {
    const ix = indexerInputs(inp);
    const s = lightningIndexer({ ...ix, qStart: metaInt(inp, 'q_start'), threads: threads(inp) });
    return { scores: f32t([ix.T, ix.L], s) };
  },
  topk(inp) {
    const st = need(inp, 'scores', 2);
    const [T, L] = st.shape as [number, number];
    const k = requireTopk(inp);
    return { indices: i32t([T, k], topk(f32(inp, st, 'scores'), T, L, k, { threads: threads(inp) })) };
  },
  dsa(inp) {
    const a = attentionArgs(inp);
    const ix = indexerInputs(inp);
    const k = requireTopk(inp);
    if (ix.T !== a.T || ix.L !== a.L)
      throw new DsabenchError('E_SHAPE', `index tensors must match q/kv: T=${a.T}, L=${a.L}`, { file: inp.file, field: 'index_q' });
    const r = dsaAttention({ ...a, indexer: ix, topk: k, returnIndices: true });
    return { out: f32t([a.T, a.H, a.Dv], r.out), lse: f32t([a.T, a.H], r.lse), indices: i32t([a.T, k], r.indices!) };
  },
};

export function isEngineOp(s: string): s is EngineOp {
  return (ENGINE_OPS as readonly string[]).includes(s);
}

/** Runs `op` on `inPath` and writes `outPath`; returns the output tensor names and shapes. */
export function runEngineFile(op: EngineOp, inPath: string, outPath: string, opts: RunFileOptions = {}): Record<string, number[]> {
  const { tensors, metadata } = readSafetensorsFile(inPath);
  const inp: Inputs = { file: inPath, tensors, meta: metadata, threads: opts.threads };
  const outs = HANDLERS[op](inp);
  writeSafetensorsFile(outPath, outs, { op, engine: 'dsabench' });
  return Object.fromEntries(Object.entries(outs).map(([k, t]) => [k, t.shape]));
}
