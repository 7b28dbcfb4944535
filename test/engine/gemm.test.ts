/**
 * Native sgemm (native/src/gemm*.cc) against a float64 triple loop, on every kernel path
 * this CPU supports: all four transpose combinations, edge sizes around the register tiles
 * (1, 7, 15, 17, 33, 100), K across several K blocks, alpha/beta, strides above the minimum,
 * 1 and 2 threads, the few-rows path, and the checks that turn bad shapes into coded errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddon } from '../../src/engine/native.js';
import { randF32, relErr, rng } from './factory.js';

interface GemmArgs {
  transA?: boolean; transB?: boolean; M: number; N: number; K: number; alpha?: number; beta?: number;
  a: unknown; lda?: number; b: unknown; ldb?: number; c: unknown; ldc?: number; threads?: number; path?: string;
}
interface GemmAddon {
  gemm(o: GemmArgs): void;
  gemmInfo(): { path: string; available: string[] };
}

const addon = loadAddon() as unknown as GemmAddon;
const PATHS = addon.gemmInfo().available;
const TOL = 1e-4;

interface Case {
  transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number; beta: number;
  pad: number; threads: number;
}

/** Runs one case on `path`; returns the relative error vs float64 and whether C's padding survived. */
function runCase(cs: Case, path: string, seed: number): { err: number; padIntact: boolean } {
  const r = rng(seed);
  const { transA, transB, M, N, K, alpha, beta, pad } = cs;
  const lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad;
  const a = randF32((transA ? K : M) * lda, r), b = randF32((transB ? N : K) * ldb, r);
  const c = randF32(M * ldc, r);
  // beta = 0 must ignore C entirely: NaN there must not reach the result.
  if (beta === 0) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) c[i * ldc + j] = NaN;
  const want = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++)
        s += a[transA ? k * lda + i : i * lda + k]! * b[transB ? j * ldb + k : k * ldb + j]!;
      want[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * ldc + j]!);
    }
  const before = c.slice();
  addon.gemm({ transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, threads: cs.threads, path });
  const got = new Float64Array(M * N);
  let padIntact = true;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) got[i * N + j] = c[i * ldc + j]!;
    for (let j = N; j < ldc; j++) if (!Object.is(c[i * ldc + j], before[i * ldc + j])) padIntact = false;
  }
  return { err: relErr(got, want), padIntact };
}

function label(cs: Case, path: string): string {
  return `${path} ${cs.transA ? 'T' : 'N'}${cs.transB ? 'T' : 'N'} M=${cs.M} N=${cs.N} K=${cs.K} ` +
    `alpha=${cs.alpha} beta=${cs.beta} pad=${cs.pad} threads=${cs.threads}`;
}

test('gemmInfo names a supported default path', () => {
  const info = addon.gemmInfo();
  assert.ok(info.available.includes('scalar'));
  assert.ok(info.available.includes(info.path), `${info.path} not in ${info.available.join(',')}`);
});

test('random edge shapes, all transpose combinations, alpha/beta, strides, 1-2 threads', () => {
  const sizes = [1, 7, 15, 17, 33, 100];
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let n = 0;
  for (const path of PATHS)
    for (let t = 0; t < 4; t++)
      for (let it = 0; it < 14; it++) {
        const cs: Case = {
          transA: (t & 1) === 1, transB: (t & 2) === 2,
          M: pick(sizes), N: pick(sizes), K: it === 0 ? 300 : pick(sizes),
          alpha: pick([1, 0.5, -2]), beta: pick([0, 1, -0.75]), pad: pick([0, 0, 3]), threads: pick([1, 2]),
        };
        const { err, padIntact } = runCase(cs, path, 1000 + n++);
        assert.ok(err < TOL, `${label(cs, path)}: rel error ${err}`);
        assert.ok(padIntact, `${label(cs, path)}: wrote into C's row padding`);
      }
});

test('shapes large enough to split over threads, several K blocks and column panels', () => {
  // Each has M·N·K ≥ 8e6, above which sgemm starts threads: one row item split over columns
  // (B repacked per K block in place), several row items sharing lazily packed B panels, and
  // the few-rows path split over columns.
  const shapes: Array<Omit<Case, 'transA' | 'transB'>> = [
    { M: 130, N: 97, K: 700, alpha: 1, beta: 0, pad: 0, threads: 2 },
    { M: 45, N: 300, K: 600, alpha: 0.5, beta: 1, pad: 5, threads: 2 },
    { M: 700, N: 40, K: 300, alpha: 1, beta: -1, pad: 1, threads: 3 },
    { M: 400, N: 150, K: 300, alpha: 1, beta: 0, pad: 0, threads: 2 },
    { M: 3, N: 700, K: 4000, alpha: 1, beta: 0.5, pad: 2, threads: 2 },
    { M: 1, N: 513, K: 77, alpha: -1, beta: 0, pad: 0, threads: 1 },
  ];
  let n = 0;
  for (const path of PATHS)
    for (let t = 0; t < 4; t++)
      for (const s of shapes) {
        const cs: Case = { ...s, transA: (t & 1) === 1, transB: (t & 2) === 2 };
        const { err, padIntact } = runCase(cs, path, 5000 + n++);
        assert.ok(err < TOL, `${label(cs, path)}: rel error ${err}`);
        assert.ok(padIntact, `${label(cs, path)}: wrote into C's row padding`);
      }
});

test('threads do not change the result', () => {
  const r = rng(7);
  const M = 257, N = 190, K = 300;
  const a = randF32(M * K, r), b = randF32(K * N, r);
  const c1 = new Float32Array(M * N), c2 = new Float32Array(M * N);
  addon.gemm({ M, N, K, a, b, c: c1, threads: 1 });
  addon.gemm({ M, N, K, a, b, c: c2, threads: 2 });
  assert.deepEqual(c2, c1);
});

test('K = 0 scales C by beta (beta = 0 clears NaN); M = 0 and N = 0 do nothing', () => {
  const c = new Float32Array([1, NaN, 3, 4]);
  addon.gemm({ M: 2, N: 2, K: 0, a: new Float32Array(0), b: new Float32Array(0), c, beta: 0 });
  assert.deepEqual([...c], [0, 0, 0, 0]);
  const d = new Float32Array([1, 2, 3, 4]);
  addon.gemm({ M: 2, N: 2, K: 0, a: new Float32Array(0), b: new Float32Array(0), c: d, beta: 2 });
  assert.deepEqual([...d], [2, 4, 6, 8]);
  const e = new Float32Array([5]);
  addon.gemm({ M: 0, N: 3, K: 2, a: new Float32Array(0), b: new Float32Array(6), c: e });
  assert.deepEqual([...e], [5]);
});

test('bad shapes, strides, dtypes and options throw coded errors', () => {
  const ok = (): GemmArgs => ({ M: 2, N: 3, K: 4, a: new Float32Array(8), b: new Float32Array(12), c: new Float32Array(6) });
  const code = (o: GemmArgs): unknown => {
    try {
      addon.gemm(o);
    } catch (e) {
      return (e as { code?: unknown }).code;
    }
    return 'no error';
  };
  assert.equal(code(ok()), 'no error');
  assert.equal(code({ ...ok(), a: new Float32Array(7) }), 'E_SHAPE');
  assert.equal(code({ ...ok(), b: new Float32Array(11) }), 'E_SHAPE');
  assert.equal(code({ ...ok(), c: new Float32Array(5) }), 'E_SHAPE');
  assert.equal(code({ ...ok(), lda: 3 }), 'E_SHAPE');  // lda < K
  assert.equal(code({ ...ok(), lda: 5 }), 'E_SHAPE');  // a too short for that stride
  assert.equal(code({ ...ok(), transA: true }), 'no error');  // A as [K, M] = [4, 2]: same 8 elements
  assert.equal(code({ ...ok(), transA: true, lda: 1 }), 'E_SHAPE');  // lda < M
  assert.equal(code({ ...ok(), transB: true, ldb: 3 }), 'E_SHAPE');  // ldb < K
  assert.equal(code({ ...ok(), ldc: 2 }), 'E_SHAPE');
  assert.equal(code({ ...ok(), M: -1 }), 'E_SHAPE');
  assert.equal(code({ ...ok(), M: 1.5 }), 'E_SHAPE');
  assert.equal(code({ ...ok(), K: undefined as unknown as number }), 'E_SHAPE');
  assert.equal(code({ ...ok(), a: new Float64Array(8) }), 'E_DTYPE');
  assert.equal(code({ ...ok(), c: [0, 0, 0, 0, 0, 0] }), 'E_DTYPE');
  assert.equal(code({ ...ok(), threads: 0 }), 'E_OPTION');
  assert.equal(code({ ...ok(), path: 'sse9' }), 'E_OPTION');
  const shared = new Float32Array(20);
  assert.equal(code({ M: 2, N: 3, K: 4, a: shared.subarray(0, 8), b: new Float32Array(12), c: shared.subarray(4, 10) }), 'E_OPTION');
});
