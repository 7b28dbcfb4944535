/**
 * A/B of two builds of the native addon in one process: the calls alternate (A, B, A, B …)
 * and each pair's time ratio is taken, so contention from other tenants, which comes and
 * goes within seconds on a shared machine, hits both sides of a pair alike. The figure to
 * read is the median of the pairwise ratios (> 1: B is faster).
 *
 *   cp build/Release/dsa_engine.node /tmp/a.node   # before a change
 *   … change, npm run build:native …
 *   node dist/bench/engine-ab.js /tmp/a.node build/Release/dsa_engine.node [--length 16K]
 *        [--threads 2] [--pairs 40] [--cases dense,sparse,indexer,prefill]
 *
 * Cases (V3.2 shapes, fp32 caches): dense MQA decode; sparse attention over k = 2048 given
 * positions (shuffled, as top-k returns them); the lightning indexer (64 × 128) for one
 * query; a 16-query prefill chunk ending at L-1.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseLength } from '../src/engine/bench.js';
import type { NativeAddon } from '../src/engine/native.js';
import { median, mulberry32 } from '../src/util/stats.js';
import { arg } from './args.js';

function main(): void {
  const [pathA, pathB] = process.argv.slice(2, 4);
  const L = parseLength(arg('length', '16K'));
  const threads = Number(arg('threads', '2'));
  const pairs = Number(arg('pairs', '40'));
  const cases = arg('cases', 'dense,sparse,indexer,prefill').split(',');
  if (!pathA || !pathB || pathA.startsWith('--') || L === null || !(threads >= 1) || !(pairs >= 3)) {
    console.error('usage: node dist/bench/engine-ab.js A.node B.node [--length 16K] [--threads 2] [--pairs 40] [--cases dense,sparse,indexer,prefill]');
    process.exit(2);
  }
  const req = createRequire(import.meta.url);
  const A = req(resolve(pathA)) as NativeAddon, B = req(resolve(pathB)) as NativeAddon;

  const H = 128, Dqk = 576, Dv = 512, K = Math.min(2048, L), HI = 64, DI = 128, T = Math.min(16, L);
  const rnd = mulberry32(11);
  const f32 = (n: number) => new Float32Array(n).map(() => rnd() - 0.5);
  const kv = f32(L * Dqk), q = f32(T * H * Dqk), ik = f32(L * DI), iq = f32(HI * DI), iw = f32(HI);
  const idx = new Int32Array(K);
  const step = Math.max(1, Math.floor(L / K));
  for (let j = 0; j < K; j++) idx[j] = (j * step) % L;
  for (let j = K - 1; j > 0; j--) {
    const r = Math.floor(rnd() * (j + 1));
    [idx[j], idx[r]] = [idx[r]!, idx[j]!];
  }
  const attn = { H, L, Dqk, Dv, mqa: true, kv, kvDtype: 'f32', scale: 1 / Math.sqrt(Dqk), threads, causal: true };
  const all: Record<string, (n: NativeAddon) => unknown> = {
    dense: (n) => n.attention({ ...attn, q: q.subarray(0, H * Dqk), T: 1, qStart: L - 1 }),
    sparse: (n) => n.attention({ ...attn, q: q.subarray(0, H * Dqk), T: 1, qStart: 0, indices: idx, topk: K }),
    indexer: (n) => n.indexer({ q: iq, w: iw, k: ik, kDtype: 'f32', T: 1, L, heads: HI, dim: DI, qStart: L - 1, fp8: false, hadamard: false, threads }),
    prefill: (n) => n.attention({ ...attn, q, T, qStart: L - T }),
  };
  console.log(`A = ${pathA}\nB = ${pathB}\nL = ${L}, threads = ${threads}, ${pairs} pairs per case`);
  console.log('| case | A ms (median) | B ms (median) | B speed-up, median of pairwise ratios |');
  console.log('|---|---:|---:|---:|');
  for (const name of cases) {
    const fn = all[name];
    if (!fn) {
      console.error(`unknown case '${name}' (known: ${Object.keys(all).join(', ')})`);
      process.exit(2);
    }
    fn(A); fn(B);
    const ta: number[] = [], tb: number[] = [], ratio: number[] = [];
    for (let i = 0; i < pairs; i++) {
      let s = performance.now();
      fn(A);
      const a = performance.now() - s;
      s = performance.now();
      fn(B);
      const b = performance.now() - s;
      ta.push(a); tb.push(b); ratio.push(a / b);
    }
    console.log(`| ${name} | ${median(ta).toFixed(2)} | ${median(tb).toFixed(2)} | ${median(ratio).toFixed(3)}× |`);
  }
}

main();
