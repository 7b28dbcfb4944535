/**
 * A/B of two builds of the native addon in one process: the calls alternate (A, B, A, B …)
 * and each pair's time ratio is taken, so contention from other tenants, which comes and
 * goes within seconds on a shared machine, hits both sides of a pair alike. The figure to
 * read is the median of the pairwise ratios (> 1: B is faster).
 *
 *   cp build/Release/dsa_engine.node /tmp/a.node   # before a change
 *   … change, npm run build:native …
 *   node dist/bench/engine-ab.js /tmp/a.node build/Release/dsa_engine.node [--length 16K]
 *        [--threads 2] [--pairs 40] [--cases dense,sparse,indexer,prefill,dsa,mini-dsa] [--dtype f32|bf16]
 *        [--out fresh|reuse] [--burst 10 | --idle 10]
 *
 * Cases (V3.2 shapes, fp32 caches unless --dtype bf16): dense MQA decode; sparse attention
 * over k = 2048 given positions (shuffled, as top-k returns them); the lightning indexer
 * (64 × 128) for one query; a 16-query prefill chunk ending at L-1; the fused DSA decode
 * (indexer + top-k 2048 + sparse attention); `mini-dsa`: the fused DSA on the built-in model's
 * shape (4 heads, 80/64 dims, indexer 2 × 16, k = 128) for a prefill chunk of 16 queries ending
 * at L-1. `--out reuse` passes each side output arrays
 * allocated once (as `bench attention` does; a fresh 256 KB result costs ~0.75 ms of page
 * faults per call on the VM this was written on, most of a 2,048-key sparse call); the
 * default, fresh, allocates them per call. `--burst MS` runs an MS-long FMA peak burst (the
 * side's own fmaPeak, same threads) before every timed call, as `bench attention` does for
 * its paired peak: the engine's helper threads have gone to sleep by then, so a call pays
 * their wake-up, which back-to-back calls do not. `--idle MS` instead sleeps MS before every
 * timed call (the caller idle, as between requests: the helpers and their vCPU asleep).
 * Pairs alternate which build goes first (a call
 * can warm the caches for the next), and the table gives the median pairwise ratio of wall
 * time and of process CPU time (the work done, whatever else runs on the machine).
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseLength } from '../src/engine/bench.js';
import type { NativeAddon } from '../src/engine/native.js';
import { toBf16 } from '../src/engine/bf16.js';
import { median, mulberry32 } from '../src/util/stats.js';
import { arg } from './args.js';

function main(): void {
  const [pathA, pathB] = process.argv.slice(2, 4);
  const L = parseLength(arg('length', '16K'));
  const threads = Number(arg('threads', '2'));
  const pairs = Number(arg('pairs', '40'));
  const cases = arg('cases', 'dense,sparse,indexer,prefill').split(',');
  const dtype = arg('dtype', 'f32');
  const outMode = arg('out', 'fresh');
  const burstMs = Number(arg('burst', '0'));
  const idleMs = Number(arg('idle', '0'));
  if (!pathA || !pathB || pathA.startsWith('--') || L === null || !(threads >= 1) || !(pairs >= 3) || (dtype !== 'f32' && dtype !== 'bf16') || (outMode !== 'fresh' && outMode !== 'reuse') || !(burstMs === 0 || burstMs >= 10) || !(idleMs >= 0) || (burstMs > 0 && idleMs > 0)) {
    console.error('usage: node dist/bench/engine-ab.js A.node B.node [--length 16K] [--threads 2] [--pairs 40] [--cases dense,sparse,indexer,prefill,dsa,mini-dsa] [--dtype f32|bf16] [--out fresh|reuse] [--burst MS ≥ 10 | --idle MS]');
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
  const kvIn = dtype === 'bf16' ? toBf16(kv).data : kv, ikIn = dtype === 'bf16' ? toBf16(ik).data : ik;
  const attn = { H, L, Dqk, Dv, mqa: true, kv: kvIn, kvDtype: dtype, scale: 1 / Math.sqrt(Dqk), threads, causal: true };
  const ixArgs = { q: iq, w: iw, k: ikIn, kDtype: dtype, T: 1, L, heads: HI, dim: DI, qStart: L - 1, fp8: false, hadamard: false };
  // The built-in model's shape (data/models/dsa-mini): MLA latent 64 + rope 16, 4 heads, a
  // 2 × 16 indexer; a prefill chunk of 16 queries.
  const mini = (() => {
    const mH = 4, mDqk = 80, mDv = 64, mT = Math.min(16, L), mHI = 2, mDI = 16;
    const mkv = f32(L * mDqk), mik = f32(L * mDI);
    const attnM = { H: mH, L, Dqk: mDqk, Dv: mDv, mqa: true, kv: dtype === 'bf16' ? toBf16(mkv).data : mkv, kvDtype: dtype,
      scale: 1 / Math.sqrt(mDqk), threads, causal: true, q: f32(mT * mH * mDqk), T: mT, qStart: L - mT };
    const ixM = { q: f32(mT * mHI * mDI), w: f32(mT * mHI), k: dtype === 'bf16' ? toBf16(mik).data : mik, kDtype: dtype, T: mT, L,
      heads: mHI, dim: mDI, qStart: L - mT, fp8: false, hadamard: false };
    const out = new Map<NativeAddon, object>();
    for (const n of [A, B]) out.set(n, outMode === 'reuse' ? { out: new Float32Array(mT * mH * mDv), lse: new Float32Array(mT * mH) } : {});
    return { attn: attnM, ix: ixM, out };
  })();
  // Output arrays per side (--out reuse), or none: the addon allocates fresh ones.
  const outs = new Map<NativeAddon, { out1: object; outT: object; scores: object }>();
  for (const n of [A, B])
    outs.set(n, outMode === 'reuse'
      ? { out1: { out: new Float32Array(H * Dv), lse: new Float32Array(H) },
          outT: { out: new Float32Array(T * H * Dv), lse: new Float32Array(T * H) },
          scores: { scores: new Float32Array(L) } }
      : { out1: {}, outT: {}, scores: {} });
  const o = (n: NativeAddon) => outs.get(n)!;
  const all: Record<string, (n: NativeAddon) => unknown> = {
    dense: (n) => n.attention({ ...attn, ...o(n).out1, q: q.subarray(0, H * Dqk), T: 1, qStart: L - 1 }),
    sparse: (n) => n.attention({ ...attn, ...o(n).out1, q: q.subarray(0, H * Dqk), T: 1, qStart: 0, indices: idx, topk: K }),
    indexer: (n) => n.indexer({ ...ixArgs, ...o(n).scores, threads }),
    prefill: (n) => n.attention({ ...attn, ...o(n).outT, q, T, qStart: L - T }),
    dsa: (n) => n.dsa({ attention: { ...attn, ...o(n).out1, q: q.subarray(0, H * Dqk), T: 1, qStart: L - 1 }, indexer: ixArgs, topk: K }),
    'mini-dsa': (n) => n.dsa({ attention: { ...mini.attn, ...mini.out.get(n)! }, indexer: mini.ix, topk: 128 }),
  };
  console.log(`A = ${pathA}\nB = ${pathB}\nL = ${L}, threads = ${threads}, ${dtype} caches, ${pairs} pairs per case, ${outMode} outputs${burstMs ? `, a ${burstMs} ms peak burst before each call` : ''}${idleMs ? `, ${idleMs} ms idle before each call` : ''}`);
  console.log('| case | A ms (median) | B ms (median) | B speed-up, median of pairwise wall ratios | of CPU-time ratios |');
  console.log('|---|---:|---:|---:|---:|');
  for (const name of cases) {
    const fn = all[name];
    if (!fn) {
      console.error(`unknown case '${name}' (known: ${Object.keys(all).join(', ')})`);
      process.exit(2);
    }
    fn(A); fn(B);
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const ta: number[] = [], tb: number[] = [], ratio: number[] = [], cpuRatio: number[] = [];
    const timed = (n: NativeAddon): [number, number] => {
      if (burstMs) n.fmaPeak({ threads, ms: burstMs });
      if (idleMs) Atomics.wait(sleeper, 0, 0, idleMs);
      const c = process.cpuUsage(), s = performance.now();
      fn(n);
      const d = process.cpuUsage(c);
      return [performance.now() - s, d.user + d.system];
    };
    for (let i = 0; i < pairs; i++) {
      let a: [number, number], b: [number, number];
      if (i % 2 === 0) { a = timed(A); b = timed(B); } else { b = timed(B); a = timed(A); }
      ta.push(a[0]); tb.push(b[0]); ratio.push(a[0] / b[0]); cpuRatio.push(a[1] / b[1]);
    }
    console.log(`| ${name} | ${median(ta).toFixed(2)} | ${median(tb).toFixed(2)} | ${median(ratio).toFixed(3)}× | ${median(cpuRatio).toFixed(3)}× |`);
  }
}

main();
