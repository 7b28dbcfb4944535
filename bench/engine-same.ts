/**
 * Whether two builds of the native addon compute the same bits: the check behind a kernel
 * refactor that claims "outputs bit-identical". Both builds run dense decode, a 2-query
 * prefill, sparse attention over given positions and the lightning indexer on the same
 * seeded inputs, for every kernel set this CPU runs × fp32 and bf16 caches × 1–3 threads ×
 * three shapes (a small one, V3.2's 128 heads × 576/512 dims at 4K, odd small dims), and
 * every output is compared byte for byte.
 *
 *   cp build/Release/dsa_engine.node /tmp/a.node   # before a change
 *   … change, npm run build:native, npm run build …
 *   node dist/bench/engine-same.js /tmp/a.node build/Release/dsa_engine.node
 *
 * Prints one line per output that differs and a count; exits 1 when any differs. (Results
 * of more than one thread are only comparable where the build keeps them run to run, which
 * this engine does: work is split by key ranges whose partial states fold in range order.)
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { NativeAddon } from '../src/engine/native.js';
import { toBf16 } from '../src/engine/bf16.js';
import { mulberry32 } from '../src/util/stats.js';

type Outputs = Record<string, Float32Array>;

function main(): void {
  const [pathA, pathB] = process.argv.slice(2, 4);
  if (!pathA || !pathB) {
    console.error('usage: node dist/bench/engine-same.js A.node B.node');
    process.exit(2);
  }
  const req = createRequire(import.meta.url);
  const A = req(resolve(pathA)) as NativeAddon, B = req(resolve(pathB)) as NativeAddon;
  const rnd = mulberry32(12345);
  const f32 = (n: number): Float32Array => Float32Array.from({ length: n }, () => rnd() - 0.5);
  let compared = 0, differ = 0;
  // [heads, keys, qk dims, v dims, selected keys]
  const shapes: Array<[number, number, number, number, number]> = [[16, 700, 80, 64, 128], [128, 4096, 576, 512, 2048], [4, 300, 48, 32, 64]];
  for (const simd of A.buildInfo().kernelSets)
    for (const dtype of ['f32', 'bf16'] as const)
      for (const threads of [1, 2, 3])
        for (const [H, L, Dqk, Dv, K] of shapes) {
          A.setSimd(simd);
          B.setSimd(simd);
          const kv = f32(L * Dqk), q = f32(2 * H * Dqk), ik = f32(L * 64), iq = f32(8 * 64), iw = f32(8);
          const kvIn = dtype === 'bf16' ? toBf16(kv).data : kv, ikIn = dtype === 'bf16' ? toBf16(ik).data : ik;
          const idx = Int32Array.from({ length: K }, (_, j) => (j * 7919) % L);
          const attn = { H, L, Dqk, Dv, mqa: true, kv: kvIn, kvDtype: dtype, scale: 0.1, threads, causal: true };
          const run = (n: NativeAddon): Outputs => ({
            dense: n.attention({ ...attn, q: q.subarray(0, H * Dqk), T: 1, qStart: L - 1 }).out,
            prefill: n.attention({ ...attn, q, T: 2, qStart: L - 2 }).out,
            sparse: n.attention({ ...attn, q: q.subarray(0, H * Dqk), T: 1, qStart: 0, indices: idx, topk: K }).out,
            indexer: n.indexer({ q: iq, w: iw, k: ikIn, kDtype: dtype, T: 1, L, heads: 8, dim: 64, qStart: L - 1, fp8: false, hadamard: false, threads }),
          });
          const a = run(A), b = run(B);
          for (const op of Object.keys(a)) {
            compared++;
            if (!Buffer.from(a[op]!.buffer, a[op]!.byteOffset, a[op]!.byteLength).equals(Buffer.from(b[op]!.buffer, b[op]!.byteOffset, b[op]!.byteLength))) {
              differ++;
              console.log(`differs: ${op}, ${simd}, ${dtype} cache, ${threads} thread(s), ${H} heads × ${L} keys × ${Dqk}/${Dv} dims`);
            }
          }
        }
  console.log(`${compared} outputs compared, ${differ} differ`);
  process.exit(differ > 0 ? 1 : 0);
}

main();
