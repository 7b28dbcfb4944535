/**
 * Argument checks: stable codes from the TS façade and from the C++ side (raw addon calls
 * that bypass the TS checks), plus a seeded fuzz over mutated arguments: every call either
 * succeeds or throws a coded error — never a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DsabenchError } from '../../src/errors.js';
import {
  denseAttention, dsaAttention, lightningIndexer, setSimd, sparseAttention, topk, toBf16, fmaPeak,
} from '../../src/engine/index.js';
import { loadAddon } from '../../src/engine/native.js';
import { randF32, rng } from './factory.js';

const CODES = new Set(['E_SHAPE', 'E_DTYPE', 'E_INDEX', 'E_OPTION']);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DsabenchError) return e.code;
    const c = (e as { code?: unknown }).code;
    return typeof c === 'string' ? `raw:${c}` : `uncoded:${(e as Error).message}`;
  }
  return 'ok';
}

function valid() {
  const r = rng(1);
  const T = 2, H = 4, L = 10, Dqk = 8, Dv = 4;
  return { q: randF32(T * H * Dqk, r), kv: randF32(L * Dqk, r), T, H, L, Dqk, Dv };
}

test('the TS façade rejects bad shapes, dtypes, indices and options with stable codes', () => {
  const a = valid();
  assert.equal(code(() => denseAttention(a)), 'ok');
  assert.equal(code(() => denseAttention({ ...a, T: 0 })), 'E_SHAPE');
  assert.equal(code(() => denseAttention({ ...a, H: 2.5 })), 'E_SHAPE');
  assert.equal(code(() => denseAttention({ ...a, q: a.q.subarray(1) })), 'E_SHAPE');
  assert.equal(code(() => denseAttention({ ...a, q: new Float64Array(a.q.length) as unknown as Float32Array })), 'E_DTYPE');
  assert.equal(code(() => denseAttention({ ...a, kv: { dtype: 'bf16', data: new Float32Array(80) } as never })), 'E_DTYPE');
  assert.equal(code(() => denseAttention({ ...a, kv: toBf16(a.kv.subarray(8)) })), 'E_SHAPE');
  assert.equal(code(() => denseAttention({ ...a, Dv: 9 })), 'E_SHAPE'); // MQA needs Dv ≤ Dqk
  assert.equal(code(() => denseAttention({ ...a, qStart: 9 })), 'E_SHAPE'); // 9 + 2 > 10
  assert.equal(code(() => denseAttention({ ...a, qStart: -1 })), 'E_SHAPE');
  assert.equal(code(() => denseAttention({ ...a, threads: 0 })), 'E_OPTION');
  assert.equal(code(() => denseAttention({ ...a, scale: NaN })), 'E_OPTION');
  assert.equal(code(() => denseAttention({ ...a, causal: 'yes' as never })), 'E_OPTION');
  const { kv, ...noKv } = a;
  assert.equal(code(() => denseAttention({ ...noKv, k: kv, v: kv, Hkv: 3 } as never)), 'E_SHAPE'); // 3 ∤ 4
  assert.equal(code(() => denseAttention({ ...a, k: kv } as never)), 'E_OPTION'); // kv and k
  const idx = new Int32Array(2 * 3).fill(0);
  assert.equal(code(() => sparseAttention({ ...a, indices: idx, topk: 3 })), 'ok');
  assert.equal(code(() => sparseAttention({ ...a, indices: idx.map(() => 10), topk: 3 })), 'E_INDEX');
  assert.equal(code(() => sparseAttention({ ...a, indices: idx.map(() => -2), topk: 3 })), 'E_INDEX');
  assert.equal(code(() => sparseAttention({ ...a, indices: new Uint32Array(6) as never, topk: 3 })), 'E_DTYPE');
  assert.equal(code(() => sparseAttention({ ...a, indices: idx, topk: 4 })), 'E_SHAPE');
  assert.equal(code(() => topk(new Float32Array(10), 1, 10, 0)), 'E_OPTION');
  assert.equal(code(() => topk(new Float32Array(10), 2, 10, 1)), 'E_SHAPE');
  const ix = { q: new Float32Array(2 * 3 * 6), k: new Float32Array(10 * 6), w: new Float32Array(6), T: 2, L: 10, heads: 3, dim: 6 };
  assert.equal(code(() => lightningIndexer(ix)), 'ok');
  assert.equal(code(() => lightningIndexer({ ...ix, hadamard: true })), 'E_OPTION'); // 6 not a power of two
  assert.equal(code(() => lightningIndexer({ ...ix, w: new Float32Array(5) })), 'E_SHAPE');
  assert.equal(code(() => dsaAttention({ ...a, indexer: ix, topk: 0 })), 'E_OPTION');
  assert.equal(code(() => dsaAttention({ ...a, indexer: undefined as never, topk: 2 })), 'E_OPTION');
  assert.equal(code(() => setSimd('avx9000' as never)), 'E_OPTION');
  assert.equal(code(() => fmaPeak({ threads: -1 })), 'E_OPTION');
});

test('C++ checks throw coded errors when the TS checks are bypassed', () => {
  const n = loadAddon();
  const a = { ...valid(), mqa: true };
  assert.equal(code(() => n.attention(a)), 'ok');
  assert.equal(code(() => n.attention({ ...a, T: 3 })), 'raw:E_SHAPE');
  assert.equal(code(() => n.attention({ ...a, q: new Int32Array(64) })), 'raw:E_DTYPE');
  assert.equal(code(() => n.attention({ ...a, kvDtype: 'bf16' })), 'raw:E_DTYPE');
  assert.equal(code(() => n.attention({ ...a, kvDtype: 'fp8' })), 'raw:E_DTYPE');
  assert.equal(code(() => n.attention({ ...a, qStart: 20 })), 'raw:E_SHAPE');
  assert.equal(code(() => n.attention({ ...a, threads: 5000 })), 'raw:E_OPTION');
  assert.equal(code(() => n.attention({ ...a, indices: new Int32Array([0, 99]), topk: 1 })), 'raw:E_INDEX');
  assert.equal(code(() => n.attention({ ...a, indices: new Int32Array([0, 1]), topk: 2 })), 'raw:E_SHAPE');
  assert.equal(code(() => n.attention(undefined as never)), 'raw:E_OPTION');
  assert.equal(code(() => n.topk({ scores: new Float32Array(4), T: 1, L: 4, k: 0 })), 'raw:E_OPTION');
  assert.equal(code(() => n.indexer({ q: new Float32Array(6), k: new Float32Array(6), w: new Float32Array(2), T: 1, heads: 2, dim: 3, L: 2, hadamard: true })), 'raw:E_OPTION');
  assert.equal(code(() => n.dsa({ attention: a })), 'raw:E_OPTION');
  // through the façade's mapping: the same failure is a DsabenchError with the same code
  assert.equal(code(() => sparseAttention({ ...valid(), indices: new Int32Array([0, 1, 2, 3, 4, 5]), topk: 3, qStart: 0 })), 'ok');
});

test('fuzz: mutated arguments never crash and fail only with a known code', () => {
  const r = rng(2024);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const garbage: unknown[] = [undefined, null, -1, 0, 1.5, 2 ** 40, NaN, Infinity, 'x', true, {}, [], new Float32Array(3), new Uint16Array(80), new Int32Array(6), new Float64Array(64), { dtype: 'bf16', data: new Uint16Array(80) }];
  const n = loadAddon();
  let ok = 0, failed = 0;
  for (let i = 0; i < 600; i++) {
    const base: Record<string, unknown> = { ...valid(), indices: new Int32Array(6).fill(1), topk: 3, threads: 1 };
    const keys = Object.keys(base);
    const m = 1 + Math.floor(r() * 3);
    for (let j = 0; j < m; j++) base[pick(keys)] = pick(garbage);
    for (const fn of [
      () => denseAttention(base as never),
      () => sparseAttention(base as never),
      () => n.attention({ ...base, mqa: r() < 0.8 }),
      () => n.topk({ scores: base.q, T: base.T, L: base.Dqk, k: base.topk, threads: base.threads }),
      () => n.indexer({ q: base.q, k: base.kv, w: base.indices, T: base.T, L: base.L, heads: base.H, dim: base.Dqk, threads: base.threads }),
    ]) {
      const c = code(fn);
      if (c === 'ok') ok++;
      else {
        failed++;
        assert.ok(CODES.has(c.replace('raw:', '')), `call ${i}: unexpected failure ${c}`);
      }
    }
  }
  assert.ok(failed > 1000 && ok > 10, `fuzz exercised both outcomes (ok ${ok}, failed ${failed})`);
});
