/**
 * Peak memory of decode at long context: a fresh process allocates the V3.2-shaped caches
 * (MLA kv [L, 576] and indexer keys [L, 128]), records its RSS, then runs dense and fused
 * DSA decode steps and reports how far the peak RSS rose above "baseline + caches".
 *
 *   npm run build && npm run build:native
 *   node dist/bench/attention-memory.js [--length 128K] [--threads 2] [--dtype f32|bf16]
 */
import { denseAttention, dsaAttention, toBf16 } from '../src/engine/index.js';
import { parseLength } from '../src/engine/bench.js';
import { mulberry32 } from '../src/util/stats.js';
import type { CacheTensor } from '../src/engine/types.js';
import { arg } from './args.js';

const L = parseLength(arg('length', '128K')) ?? 131072;
const threads = Number(arg('threads', '2'));
const dtype = arg('dtype', 'f32');
const H = 128, Dqk = 576, Dv = 512, HI = 64, DI = 128, K = 2048;
const rnd = mulberry32(7);
const mb = () => process.resourceUsage().maxRSS / 1024;
const rssNow = () => process.memoryUsage().rss / 2 ** 20;

function cache(n: number): CacheTensor {
  if (dtype === 'bf16') {
    const data = new Uint16Array(n);
    for (let i = 0; i < n; i += 65536) {
      const m = Math.min(65536, n - i);
      const f = new Float32Array(m);
      for (let j = 0; j < m; j++) f[j] = rnd() - 0.5;
      data.set(toBf16(f).data, i);
    }
    return { dtype: 'bf16', data };
  }
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rnd() - 0.5;
  return a;
}

const before = rssNow();
const kv = cache(L * Dqk);
const ik = cache(L * DI);
const q = new Float32Array(H * Dqk).map(() => rnd() - 0.5);
const iq = new Float32Array(HI * DI).map(() => rnd() - 0.5);
const iw = new Float32Array(HI).map(() => rnd() - 0.1);
const cacheMb = ((dtype === 'bf16' ? 2 : 4) * L * (Dqk + DI)) / 2 ** 20;
const afterCache = rssNow();
const base = { q, kv, T: 1, H, L, Dqk, Dv, threads };
for (let i = 0; i < 3; i++) denseAttention(base);
const afterDense = mb();
for (let i = 0; i < 3; i++) dsaAttention({ ...base, indexer: { q: iq, k: ik, w: iw, heads: HI, dim: DI }, topk: K });
const afterDsa = mb();
const out = {
  length: L, threads, dtype, cache_mb: +cacheMb.toFixed(1), rss_before_cache_mb: +before.toFixed(1),
  rss_after_cache_mb: +afterCache.toFixed(1), peak_rss_after_dense_mb: +afterDense.toFixed(1), peak_rss_after_dsa_mb: +afterDsa.toFixed(1),
  peak_over_cache_mb: +(afterDsa - before - cacheMb).toFixed(1),
};
process.stdout.write(JSON.stringify(out) + '\n');
