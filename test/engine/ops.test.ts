/**
 * Every engine op against the pure-TS reference, on every SIMD path this CPU supports,
 * over random and edge shapes (L = 1, k ≥ L, k = 1, T > 1 with qStart > 0, all keys
 * masked, heavy ties, GQA, H > 128, odd dims, several threads).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  denseAttention, dsaAttention, engineInfo, lightningIndexer, reference as ref, setSimd, simulateQuant,
  sparseAttention, toBf16, topk, bf16ToF32, type AttentionArgs,
} from '../../src/engine/index.js';
import { boundExcess, randF32, relErr, rng } from './factory.js';

const TOL = 1e-4;
const PATHS = engineInfo().available;

interface Shape {
  T: number; H: number; L: number; Dqk: number; Dv: number; Hkv?: number; qStart?: number; threads?: number;
}

function attnArgs(s: Shape, seed: number, bf16 = false): AttentionArgs {
  const r = rng(seed);
  const q = randF32(s.T * s.H * s.Dqk, r);
  const base = { q, T: s.T, H: s.H, L: s.L, Dqk: s.Dqk, Dv: s.Dv, qStart: s.qStart, threads: s.threads };
  if (s.Hkv === undefined) {
    const kv = randF32(s.L * s.Dqk, r);
    return { ...base, kv: bf16 ? toBf16(kv) : kv };
  }
  const k = randF32(s.L * s.Hkv * s.Dqk, r), v = randF32(s.L * s.Hkv * s.Dv, r);
  return { ...base, k: bf16 ? toBf16(k) : k, v: bf16 ? toBf16(v) : v, Hkv: s.Hkv };
}

const SHAPES: Shape[] = [
  { T: 1, H: 1, L: 1, Dqk: 1, Dv: 1 },                                 // smallest MQA
  { T: 1, H: 16, L: 1, Dqk: 64, Dv: 32 },                              // L = 1
  { T: 1, H: 128, L: 300, Dqk: 72, Dv: 64, threads: 2 },               // decode, split-K merge
  { T: 5, H: 12, L: 260, Dqk: 40, Dv: 24, qStart: 100, threads: 3 },   // chunked prefill, qStart > 0
  { T: 33, H: 4, L: 33, Dqk: 17, Dv: 9, threads: 2 },                  // full prefill, odd dims
  { T: 2, H: 160, L: 70, Dqk: 24, Dv: 24 },                            // H > 128: heads split into chunks
  { T: 3, H: 8, L: 150, Dqk: 20, Dv: 12, Hkv: 2, qStart: 7 },          // GQA
  { T: 4, H: 6, L: 90, Dqk: 16, Dv: 16, Hkv: 6, threads: 2 },          // MHA
  { T: 1, H: 3, L: 200, Dqk: 8, Dv: 5, Hkv: 1, threads: 4 },           // MHA-form MQA, 4 threads
  { T: 1, H: 16, L: 2100, Dqk: 24, Dv: 16, threads: 3 },               // long decode: several key splits merged
  { T: 1, H: 40, L: 1500, Dqk: 40, Dv: 36, Hkv: 2, threads: 2 },       // GQA decode, split keys, separate values
  { T: 2, H: 4, L: 700, Dqk: 16, Dv: 40, Hkv: 4, threads: 2 },         // MHA, Dv > Dqk
];

for (const simd of PATHS) {
  test(`dense attention matches the reference [${simd}]`, () => {
    setSimd(simd);
    SHAPES.forEach((s, i) => {
      const a = attnArgs(s, 10 + i);
      const n = denseAttention(a), r = ref.attention(a);
      assert.ok(relErr(n.out, r.out) < TOL, `out ${JSON.stringify(s)}: ${relErr(n.out, r.out)}`);
      assert.ok(relErr(n.lse, r.lse) < TOL, `lse ${JSON.stringify(s)}`);
    });
    // non-causal
    const a = attnArgs({ T: 3, H: 5, L: 40, Dqk: 12, Dv: 12, qStart: 0 }, 99);
    const n = denseAttention({ ...a, causal: false }), r = ref.attention({ ...a, causal: false });
    assert.ok(relErr(n.out, r.out) < TOL);
    const c = denseAttention(a);
    assert.ok(relErr(c.out, n.out) > 1e-3, 'causal and non-causal differ when qStart = 0');
    setSimd('auto');
  });

  test(`scratch kept between calls leaks nothing: repeated calls are bit-identical [${simd}]`, () => {
    setSimd(simd);
    const small = attnArgs({ T: 1, H: 24, L: 1300, Dqk: 32, Dv: 16, threads: 2 }, 7);
    const big = attnArgs({ T: 1, H: 128, L: 2600, Dqk: 72, Dv: 64, threads: 2 }, 8);
    const first = denseAttention(small);
    denseAttention(big);  // grows every buffer and leaves other values in them
    const again = denseAttention(small);
    assert.deepEqual(again.out, first.out);
    assert.deepEqual(again.lse, first.lse);
    const r = ref.attention(small);
    assert.ok(relErr(again.out, r.out) < TOL);
    setSimd('auto');
  });

  test(`sparse attention matches the reference, incl. -1 and all-masked rows [${simd}]`, () => {
    setSimd(simd);
    SHAPES.forEach((s, i) => {
      const a = attnArgs(s, 50 + i);
      const r = rng(500 + i);
      for (const k of [1, 5, s.L + 3]) {
        const idx = new Int32Array(s.T * k);
        for (let j = 0; j < idx.length; j++) idx[j] = Math.floor(r() * (s.L + 1)) - 1; // includes -1
        for (let j = 0; j < k; j++) idx[j] = -1; // query 0: no valid key
        const n = sparseAttention({ ...a, indices: idx, topk: k });
        const e = ref.attention({ ...a, indices: idx, topk: k });
        assert.ok(relErr(n.out, e.out) < TOL, `k=${k} ${JSON.stringify(s)}`);
        assert.ok(relErr(n.lse, e.lse) < TOL);
        for (let h = 0; h < s.H; h++) assert.equal(n.lse[h], -Infinity);
        assert.ok(n.out.subarray(0, s.H * s.Dv).every((x) => x === 0));
      }
    });
    setSimd('auto');
  });

  test(`indexer (plain, fp8, hadamard) and top-k match the reference [${simd}]`, () => {
    setSimd(simd);
    const cases = [
      { T: 1, L: 1, heads: 1, dim: 1 },
      { T: 1, L: 700, heads: 64, dim: 128, threads: 2 },
      { T: 6, L: 90, heads: 5, dim: 16, qStart: 40, threads: 3, fp8: true, hadamard: true },
      { T: 3, L: 50, heads: 7, dim: 32, fp8: true },
      { T: 2, L: 64, heads: 3, dim: 8, hadamard: true },
    ];
    cases.forEach((c, i) => {
      const r = rng(70 + i);
      const args = { ...c, q: randF32(c.T * c.heads * c.dim, r), k: randF32(c.L * c.dim, r), w: randF32(c.T * c.heads, r) };
      const n = lightningIndexer(args), e = ref.indexer(args);
      assert.ok(relErr(n, e) < TOL, `indexer ${JSON.stringify(c)}: ${relErr(n, e)}`);
      const qStart = c.qStart ?? c.L - c.T;
      for (let t = 0; t < c.T; t++)
        for (let s = qStart + t + 1; s < c.L; s++) assert.equal(n[t * c.L + s], -Infinity);
      for (const k of [1, 3, c.L, c.L + 2]) assert.deepEqual(topk(n, c.T, c.L, k, { threads: 2 }), ref.topk(n, c.T, c.L, k));
    });
    setSimd('auto');
  });
}

test('kernel sets: one table names every set with its compile target; the supported ones can be chosen by name', () => {
  const info = engineInfo();
  assert.ok(info.kernelSets.includes('scalar'));
  for (const name of info.available) assert.ok(info.kernelSets.includes(name), `${name} is not in the table`);
  for (const name of info.kernelSets) assert.equal(typeof info.flags[name], 'string', `no target for ${name}`);
  assert.equal(info.best, info.available[0], 'the widest supported set is the default');
  for (const name of info.available) assert.equal(setSimd(name), name);
  for (const name of info.kernelSets.filter((n) => !info.available.includes(n)))
    assert.throws(() => setSimd(name), /not supported/);
  assert.throws(() => setSimd('no-such-set'), /unknown/);
  setSimd('auto');
});

test('fp8 and Hadamard simulation are bit-identical to the TS reference', () => {
  const r = rng(5);
  const x = randF32(4 * 256, r, 3);
  x[5] = 0; x[6] = 1e-9; x[7] = -500; x[300] = 1e-6;
  for (const opts of [{ fp8: true }, { hadamard: true }, { fp8: true, hadamard: true }]) {
    const n = simulateQuant(x, 4, 256, opts);
    const e = Float32Array.from(x);
    if (opts.hadamard) ref.hadamardRows(e, 4, 256);
    if ('fp8' in opts) ref.fp8Rows(e, 4, 256);
    assert.deepEqual(n, e, JSON.stringify(opts));
  }
  // Hadamard is orthonormal: applying it twice is the identity (up to rounding).
  const h2 = simulateQuant(simulateQuant(x, 4, 256, { hadamard: true }), 4, 256, { hadamard: true });
  assert.ok(relErr(h2, x) < 1e-5);
  // E4M3 values: 3 mantissa bits, max 448
  assert.equal(ref.e4m3Round(1.0625), 1); // halfway between 1 and 1.125 → even mantissa
  assert.equal(ref.e4m3Round(1.1875), 1.25);
  assert.equal(ref.e4m3Round(1000), 448);
  assert.equal(ref.e4m3Round(2 ** -10), 0); // below half the smallest subnormal 2^-9 → 0 (tie to even)
});

test('top-k: ties go to the lower position, -inf/NaN never selected, -1 padding', () => {
  const L = 12;
  const s = new Float32Array([1, 3, 3, -Infinity, NaN, 3, 2, 2, 1, 0, 3, -1]);
  assert.deepEqual([...topk(s, 1, L, 5)], [1, 2, 5, 10, 6]);
  assert.deepEqual([...topk(s, 1, L, 12)], [1, 2, 5, 10, 6, 7, 0, 8, 9, 11, -1, -1]);
  const masked = new Float32Array(5).fill(-Infinity);
  assert.deepEqual([...topk(masked, 1, 5, 3)], [-1, -1, -1]);
  // heavy ties over a long row: few distinct values, many threads
  const r = rng(3);
  const T = 4, LL = 5000;
  const big = new Float32Array(T * LL).map(() => Math.floor(r() * 4));
  for (const k of [1, 17, 2048, LL]) assert.deepEqual(topk(big, T, LL, k, { threads: 3 }), ref.topk(big, T, LL, k));
});

test('fused DSA = indexer + top-k + sparse attention; skips the indexer when L ≤ k', () => {
  const cases = [
    { T: 1, H: 16, L: 400, Dqk: 24, Dv: 16, k: 32, threads: 2 },
    { T: 4, H: 8, L: 120, Dqk: 16, Dv: 16, k: 10, qStart: 60, Hkv: 2 },
    { T: 2, H: 4, L: 1, Dqk: 8, Dv: 8, k: 1, qStart: 0, T1: true },
    { T: 3, H: 4, L: 50, Dqk: 8, Dv: 4, k: 1 },
  ];
  cases.forEach((c, i) => {
    const T = c.T1 ? 1 : c.T;
    const a = attnArgs({ ...c, T }, 200 + i);
    const r = rng(300 + i);
    const indexer = { q: randF32(T * 4 * 16, r), k: randF32(c.L * 16, r), w: randF32(T * 4, r), heads: 4, dim: 16 };
    for (const fp8 of [false, true]) {
      const res = dsaAttention({ ...a, indexer: { ...indexer, fp8, hadamard: fp8 }, topk: c.k, returnIndices: true, skipIndexerWhenShort: false });
      assert.equal(res.skippedIndexer, false);
      const qStart = a.qStart ?? c.L - T;
      const scores = lightningIndexer({ ...indexer, fp8, hadamard: fp8, T, L: c.L, qStart });
      assert.deepEqual(res.indices, topk(scores, T, c.L, c.k), 'selection = top-k of the indexer');
      const e = ref.attention({ ...a, qStart, indices: res.indices!, topk: c.k });
      assert.ok(relErr(res.out, e.out) < TOL && relErr(res.lse, e.lse) < TOL);
      const full = ref.dsa({ ...a, indexer: { ...indexer, fp8, hadamard: fp8 }, topk: c.k, skipIndexerWhenShort: false });
      assert.ok(relErr(res.out, full.out) < TOL, 'matches the composed reference');
    }
  });
  // k ≥ L: skipped and exactly dense
  const a = attnArgs({ T: 3, H: 8, L: 40, Dqk: 16, Dv: 8 }, 7);
  const r = rng(8);
  const indexer = { q: randF32(3 * 2 * 8, r), k: randF32(40 * 8, r), w: randF32(3 * 2, r), heads: 2, dim: 8 };
  const d = dsaAttention({ ...a, indexer, topk: 64, returnIndices: true });
  assert.equal(d.skippedIndexer, true);
  assert.ok(relErr(d.out, denseAttention(a).out) < 1e-6);
  assert.deepEqual([...d.indices!.subarray(0, 40)], [...Array.from({ length: 38 }, (_, j) => j), -1, -1]);
  const noSkip = dsaAttention({ ...a, indexer, topk: 64, skipIndexerWhenShort: false });
  assert.equal(noSkip.skippedIndexer, false);
  assert.ok(relErr(noSkip.out, d.out) < TOL, 'k ≥ L selects every valid key: same as dense');
});

test('fused DSA with a few-head indexer: blocked selection = top-k exactly (ties, long rows, key splits), blocked prefill = reference', () => {
  // Integer-valued q, k and w make every score exact in fp32 whatever the summation order,
  // so GEMM-computed scores must select exactly what top-k over the indexer's scores selects,
  // including the many exact ties (ReLU zeros) and rows long enough for the sampled cut.
  const intF32 = (n: number, r: () => number, lo: number, hi: number): Float32Array =>
    Float32Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
  const cases = [
    { T: 40, H: 4, L: 3000, Dqk: 24, Dv: 16, k: 64, qStart: 2960, heads: 2, dim: 16, threads: 2, trend: false },  // prefill chunk, blocked attention
    { T: 20, H: 8, L: 1500, Dqk: 16, Dv: 8, k: 128, qStart: 1480, heads: 1, dim: 8, threads: 1, trend: true },    // scores rising with position
    { T: 1, H: 4, L: 9000, Dqk: 16, Dv: 16, k: 64, qStart: 8999, heads: 2, dim: 8, threads: 2, trend: false },    // decode: key ranges over threads
    { T: 17, H: 2, L: 700, Dqk: 8, Dv: 8, k: 96, qStart: 0, heads: 3, dim: 4, threads: 3, trend: false },         // from position 0 (rows shorter than k)
    { T: 64, H: 4, L: 6000, Dqk: 16, Dv: 16, k: 32, qStart: 5936, heads: 2, dim: 8, threads: 1, trend: true },    // long rows: cuts carried from row to row
    { T: 21, H: 4, L: 2500, Dqk: 16, Dv: 16, k: 64, qStart: 2479, heads: 3, dim: 32, threads: 2, trend: false },  // 32-dim keys in lanes, a row tail
  ];
  // Real-valued scores (almost no ties): the unordered pick must find the exact k-th best,
  // not a neighbour of it.
  {
    const c = { T: 64, H: 4, L: 6000, Dqk: 16, Dv: 16, k: 48, qStart: 5936, heads: 2, dim: 8, threads: 1 };
    const a = attnArgs({ T: c.T, H: c.H, L: c.L, Dqk: c.Dqk, Dv: c.Dv, qStart: c.qStart, threads: c.threads }, 700);
    const r = rng(701);
    const indexer = { q: randF32(c.T * c.heads * c.dim, r), k: randF32(c.L * c.dim, r), w: randF32(c.T * c.heads, r), heads: c.heads, dim: c.dim };
    const sorted = dsaAttention({ ...a, indexer, topk: c.k, returnIndices: true, skipIndexerWhenShort: false });
    const unordered = dsaAttention({ ...a, indexer, topk: c.k, skipIndexerWhenShort: false });
    assert.ok(relErr(unordered.out, sorted.out) < 1e-6 && relErr(unordered.lse, sorted.lse) < 1e-6, 'real scores: unordered selection attends to the same keys');
  }
  cases.forEach((c, i) => {
    const a = attnArgs({ T: c.T, H: c.H, L: c.L, Dqk: c.Dqk, Dv: c.Dv, qStart: c.qStart, threads: c.threads }, 500 + i);
    const r = rng(600 + i);
    const kI = intF32(c.L * c.dim, r, -2, 2);
    // a recency trend: the last key dim grows with position, and every query weighs it
    if (c.trend) for (let s = 0; s < c.L; s++) kI[s * c.dim + c.dim - 1] = Math.floor(s / 16);
    const qI = intF32(c.T * c.heads * c.dim, r, -2, 2);
    if (c.trend) for (let t = 0; t < c.T * c.heads; t++) qI[t * c.dim + c.dim - 1] = 1;
    const indexer = { q: qI, k: kI, w: intF32(c.T * c.heads, r, -1, 2).map((x) => x / 2), heads: c.heads, dim: c.dim };
    const res = dsaAttention({ ...a, indexer, topk: c.k, returnIndices: true, skipIndexerWhenShort: false });
    const scores = lightningIndexer({ ...indexer, T: c.T, L: c.L, qStart: c.qStart });
    assert.deepEqual(res.indices, topk(scores, c.T, c.L, c.k), `case ${i}: selection = top-k of the indexer`);
    const e = ref.attention({ ...a, qStart: c.qStart, indices: res.indices!, topk: c.k });
    assert.ok(relErr(res.out, e.out) < TOL && relErr(res.lse, e.lse) < TOL, `case ${i}: attention over the selection = reference`);
    // Without returned indices the op selects unordered (its own cut and k-best pick): the
    // same keys, so the same output up to summation order (one key swapped for another
    // moves it by ~1/k, far above 1e-6).
    const unordered = dsaAttention({ ...a, indexer, topk: c.k, skipIndexerWhenShort: false });
    assert.ok(relErr(unordered.out, res.out) < 1e-6 && relErr(unordered.lse, res.lse) < 1e-6,
      `case ${i}: unordered selection attends to the same keys`);
  });
});

test('fused DSA with a few-head indexer on bf16 caches: the blocked routes on the widened rows, bit for bit the fp32 result', () => {
  // Chunks of ≥ 16 queries on bf16 keys take the blocked selection and the blocked
  // attention, both on rows widened to fp32 (exact): the same indices and outputs as fp32
  // caches that hold the widened values. (A decode step stays on the bf16 dot-product
  // kernels, covered by the bf16 tests below.)
  const cases = [
    { T: 40, H: 4, L: 3000, Dqk: 24, Dv: 16, k: 64, qStart: 2960, heads: 2, dim: 16, threads: 2 },
    { T: 16, H: 4, L: 5000, Dqk: 80, Dv: 64, k: 128, qStart: 4984, heads: 2, dim: 16, threads: 1 },  // the built-in model's shape
    { T: 64, H: 4, L: 6000, Dqk: 16, Dv: 16, k: 32, qStart: 5936, heads: 2, dim: 8, threads: 2 },
  ];
  cases.forEach((c, i) => {
    const r = rng(800 + i);
    const kv16 = toBf16(randF32(c.L * c.Dqk, r)), ik16 = toBf16(randF32(c.L * c.dim, r));
    const base = { q: randF32(c.T * c.H * c.Dqk, r), T: c.T, H: c.H, L: c.L, Dqk: c.Dqk, Dv: c.Dv, qStart: c.qStart, threads: c.threads };
    const ix = { q: randF32(c.T * c.heads * c.dim, r), w: randF32(c.T * c.heads, r), heads: c.heads, dim: c.dim };
    for (const returnIndices of [true, false]) {
      const opts = { topk: c.k, skipIndexerWhenShort: false };
      const half = dsaAttention({ ...base, kv: kv16, indexer: { ...ix, k: ik16 }, ...opts, returnIndices });
      const wide = dsaAttention({ ...base, kv: bf16ToF32(kv16.data), indexer: { ...ix, k: bf16ToF32(ik16.data) }, ...opts, returnIndices });
      if (returnIndices) assert.deepEqual(half.indices, wide.indices, `case ${i}: the same selection`);
      assert.deepEqual(half.out, wide.out, `case ${i}: the same output bits`);
      assert.deepEqual(half.lse, wide.lse, `case ${i}: the same lse bits`);
    }
  });
});

for (const simd of PATHS) {
  const dot = engineInfo().bf16Dot.includes(simd);
  test(`bf16 caches: ${dot ? 'bf16 dot products within their error bound' : 'exact widening'} vs the reference, and within 2e-2 of fp32 [${simd}]`, () => {
    setSimd(simd);
    for (const s of [SHAPES[0]!, SHAPES[2]!, SHAPES[3]!, SHAPES[4]!, SHAPES[6]!, SHAPES[7]!, SHAPES[9]!]) {
      const a16 = attnArgs(s, 1, true), a32 = attnArgs(s, 1, false);
      const r = rng(900 + s.L);
      const idx = new Int32Array(s.T * 9).map(() => Math.floor(r() * (s.L + 1)) - 1);
      for (const sparse of [false, true]) {
        const args = sparse ? { ...a16, indices: idx, topk: 9 } : a16;
        const n = sparse ? sparseAttention(args as typeof args & { indices: Int32Array; topk: number }) : denseAttention(args);
        const e = ref.attention(args);
        const what = `${sparse ? 'sparse' : 'dense'} ${JSON.stringify(s)}`;
        if (dot) {
          // the whole path within its worst-case bound; and against the reference with the
          // same bf16 queries, scores equal to fp32 accumulation (lse) and out off by at most
          // the probabilities' rounding
          const b = ref.attentionBf16Bounds(args);
          assert.ok(boundExcess(n.out, e.out, b.out, s.Dv) <= 0, `out ${what}: over the bound by ${boundExcess(n.out, e.out, b.out, s.Dv)}`);
          assert.ok(boundExcess(n.lse, e.lse, b.lse, 1) <= 0, `lse ${what}`);
          const same = ref.attention({ ...args, bf16Queries: true });
          assert.ok(relErr(n.lse, same.lse) < TOL, `lse vs bf16 queries ${what}: ${relErr(n.lse, same.lse)}`);
          assert.ok(boundExcess(n.out, same.out, b.outSameQueries, s.Dv) <= 0, `out vs bf16 queries ${what}`);
        } else {
          assert.ok(relErr(n.out, e.out) < TOL, `out ${what}`);
          assert.ok(relErr(n.lse, e.lse) < TOL, `lse ${what}`);
        }
        if (!sparse) assert.ok(relErr(n.out, ref.attention(a32).out) < 2e-2, `vs fp32 ${what}`);
      }
    }
    const r = rng(4);
    for (const c of [{ T: 2, L: 300, heads: 64, dim: 128 }, { T: 3, L: 70, heads: 5, dim: 17, qStart: 20 }]) {
      const k = randF32(c.L * c.dim, r);
      const args = { ...c, q: randF32(c.T * c.heads * c.dim, r), w: randF32(c.T * c.heads, r), threads: 2 };
      const n = lightningIndexer({ ...args, k: toBf16(k) });
      const e = ref.indexer({ ...args, k: toBf16(k) });
      if (dot) {
        assert.ok(boundExcess(n, e, ref.indexerBf16Bound({ ...args, k: toBf16(k) }), 1) <= 0, `indexer ${JSON.stringify(c)}`);
        const same = ref.indexer({ ...args, k: toBf16(k) }, { bf16Queries: true });
        assert.ok(relErr(n, same) < TOL, `indexer vs bf16 queries ${JSON.stringify(c)}: ${relErr(n, same)}`);
      } else {
        assert.ok(relErr(n, e) < TOL, `indexer ${JSON.stringify(c)}`);
      }
      assert.ok(relErr(n, ref.indexer({ ...args, k })) < 2e-2);
    }
    // round trip of the conversion itself: bf16 keeps 8 significant bits
    const k = randF32(1000, r);
    assert.ok(relErr(bf16ToF32(toBf16(k).data), k) < 2 ** -8);
    setSimd('auto');
  });
}

for (const simd of PATHS) {
  const dot = engineInfo().bf16Dot.includes(simd);
  test(`fused DSA on bf16 caches: selection = top-k of the path's own indexer, output within its bound [${simd}]`, () => {
    setSimd(simd);
    const cases = [
      { T: 1, H: 32, L: 900, Dqk: 64, Dv: 48, k: 64, threads: 2, heads: 16, dim: 64 },
      { T: 3, H: 8, L: 200, Dqk: 40, Dv: 24, k: 16, qStart: 100, heads: 3, dim: 32 },
    ];
    cases.forEach((c, i) => {
      const a = attnArgs(c, 600 + i, true);
      const r = rng(700 + i);
      const indexer = { q: randF32(c.T * c.heads * c.dim, r), k: toBf16(randF32(c.L * c.dim, r)), w: randF32(c.T * c.heads, r), heads: c.heads, dim: c.dim };
      const res = dsaAttention({ ...a, indexer, topk: c.k, returnIndices: true });
      const qStart = c.qStart ?? c.L - c.T;
      // the selection: the exact top-k of the scores this path computes (bf16 queries on bf16
      // dot products, exact widening otherwise), scored here by the reference
      const scores = ref.indexer({ ...indexer, T: c.T, L: c.L, qStart }, { bf16Queries: dot });
      assert.deepEqual(res.indices, ref.topk(scores, c.T, c.L, c.k), 'selection');
      const sel = { ...a, qStart, indices: res.indices!, topk: c.k };
      const e = ref.attention({ ...sel, bf16Queries: dot });
      assert.ok(relErr(res.lse, e.lse) < TOL, 'lse');
      if (dot) assert.ok(boundExcess(res.out, e.out, ref.attentionBf16Bounds(sel).outSameQueries, c.Dv) <= 0, 'out');
      else assert.ok(relErr(res.out, e.out) < TOL, 'out');
    });
    setSimd('auto');
  });
}

test('fused DSA selection from indexer rows: exact top-k with heavy ties, key ranges across threads, k near L', () => {
  const H = 8, Dqk = 16, Dv = 8, heads = 16, dim = 16; // 16 indexer heads: the per-query (row) path
  for (const [T, L, k, threads, tie] of [[1, 9000, 300, 3, false], [1, 9000, 300, 2, true], [3, 700, 64, 2, false], [1, 500, 240, 1, false], [2, 5000, 40, 4, true]] as const) {
    const r = rng(L + k);
    const a = attnArgs({ T, H, L, Dqk, Dv, threads }, L);
    const w = tie ? new Float32Array(T * heads) : randF32(T * heads, r); // all weights 0: every score ties at 0
    const indexer = { q: randF32(T * heads * dim, r), k: randF32(L * dim, r), w, heads, dim };
    const res = dsaAttention({ ...a, indexer, topk: k, returnIndices: true });
    const scores = ref.indexer({ ...indexer, T, L, qStart: L - T });
    assert.deepEqual(res.indices, ref.topk(scores, T, L, k), `T=${T} L=${L} k=${k} threads=${threads} ties=${tie}`);
  }
});

test('output buffers: results written into the given arrays; wrong size, wrong type or overlap with an input refused', () => {
  const s = { T: 2, H: 8, L: 64, Dqk: 16, Dv: 8, threads: 2 };
  const a = attnArgs(s, 78);
  const out = new Float32Array(2 * 8 * 8).fill(NaN), lse = new Float32Array(2 * 8).fill(NaN);
  const r = denseAttention({ ...a, out, lse });
  assert.equal(r.out, out);
  assert.equal(r.lse, lse);
  assert.deepEqual(r.out, denseAttention(a).out);
  const idx = new Int32Array([1, 5, -1, 3, 60, 2]);
  assert.deepEqual(sparseAttention({ ...a, indices: idx, topk: 3, out, lse }).out, sparseAttention({ ...a, indices: idx, topk: 3 }).out);
  const rr = rng(79);
  const ix = { q: randF32(2 * 4 * 16, rr), k: randF32(64 * 16, rr), w: randF32(2 * 4, rr), heads: 4, dim: 16, T: 2, L: 64 };
  const scores = new Float32Array(2 * 64);
  assert.equal(lightningIndexer({ ...ix, scores }), scores);
  assert.deepEqual(scores, lightningIndexer(ix));
  const d = dsaAttention({ ...a, out, lse, indexer: { q: ix.q, k: ix.k, w: ix.w, heads: 4, dim: 16 }, topk: 4 });
  assert.equal(d.out, out);
  assert.throws(() => denseAttention({ ...a, out: new Float32Array(5) }), /out has 5 elements/);
  assert.throws(() => denseAttention({ ...a, lse: new Float64Array(16) as unknown as Float32Array }), /lse must be a Float32Array/);
  assert.throws(() => denseAttention({ ...a, out: a.q.subarray(0, 128) }), /out overlaps an input/);
  const both = new Float32Array(2 * 8 * 8 + 8);
  assert.throws(() => denseAttention({ ...a, out: both.subarray(0, 128), lse: both.subarray(120, 136) }), /lse overlaps/);
  assert.throws(() => lightningIndexer({ ...ix, scores: ix.k.subarray(0, 128) }), /scores overlaps an input/);
});

test('caches in a SharedArrayBuffer (shared between workers) give the same result', () => {
  const a = attnArgs({ T: 2, H: 8, L: 64, Dqk: 16, Dv: 8 }, 77);
  const kv = a.kv as Float32Array;
  const shared = new Float32Array(new SharedArrayBuffer(kv.byteLength));
  shared.set(kv);
  const s = { T: 2, H: 8, L: 64, Dqk: 16, Dv: 8 };
  assert.deepEqual(denseAttention({ ...s, q: a.q, kv: shared }), denseAttention({ ...s, q: a.q, kv }));
});
